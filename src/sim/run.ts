// One simulation and its verdict: the shared path of the CLI, the seed sweeps and the tests.
import { checkLinearizable, type CheckResult } from './checker.ts';
import { simulate, type SimOptions, type SimResult } from './simulator.ts';

export type { SimOptions } from './simulator.ts';

export interface Outcome {
  sim: SimResult;
  check: CheckResult;
  /** Everything that makes this seed a bug report: violations, non-linearizable keys. */
  problems: string[];
}

export function runAndCheck(opts: SimOptions): Outcome {
  const sim = simulate(opts);
  const check = checkLinearizable(sim.history);
  const problems = [...sim.violations];
  for (const k of check.keys) {
    if (!k.ok) problems.push(`not linearizable: ${k.key}: ${k.explanation ?? ''}`);
  }
  return { sim, check, problems };
}

function tally(sim: SimResult): { ok: number; fail: number; info: number } {
  const t = { ok: 0, fail: 0, info: 0 };
  for (const e of sim.history) {
    if (e.process !== 'nemesis' && e.type !== 'invoke') t[e.type] += 1;
  }
  return t;
}

export function summaryLine(opts: SimOptions, o: Outcome): string {
  const t = tally(o.sim);
  const done = Math.max(1, t.ok + t.fail + t.info);
  const perOp = Object.entries(o.sim.messages)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${type}=${(n / done).toFixed(2)}`)
    .join(' ');
  return [
    `seed=${opts.seed}`, `clients=${opts.clients}`, `pages=${opts.pages}`,
    `ops=${o.sim.opsIssued}`, `ok=${t.ok}`, `fail=${t.fail}`, `info=${t.info}`,
    `time=${o.sim.endTimeMs.toFixed(1)}ms`, `msgs/op: ${perOp || 'none'}`,
    `linearizable=${o.check.ok ? 'yes' : 'NO'}`,
  ].join(' ');
}
