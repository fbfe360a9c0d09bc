// One simulation and its verdict: the shared path of the CLI, the seed sweeps and the tests.
import { checkLinearizable, type CheckResult } from '../check/checker.ts';
import type { HistoryEvent } from '../check/history.ts';
import { simulate, type SimOptions, type SimResult } from './simulator.ts';

export type { SimOptions } from './simulator.ts';

export interface Outcome {
  sim: SimResult;
  check: CheckResult;
  /** Everything that makes this seed a bug report: violations, non-linearizable keys. */
  problems: string[];
}

/** Time after the last heal by which the cluster must serve every operation again. */
export const SETTLE_MS = 1500;

export function runAndCheck(opts: SimOptions): Outcome {
  const sim = simulate(opts);
  const check = checkLinearizable(sim.history);
  const problems = [...sim.violations, ...livenessProblems(sim)];
  for (const k of check.keys) {
    if (!k.ok) problems.push(`not linearizable: ${k.key}: ${k.explanation ?? ''}`);
  }
  return { sim, check, problems };
}

/**
 * Liveness: every operation invoked once the cluster has settled after the last fault ends
 * `ok`, and every operation ends at all (an invoke without completion is a stuck client).
 * Excused: a failure that names a node that left for good as the holder of the page (the page
 * is unavailable, and the cluster says why), and the operations of a client whose link carried
 * hostile frames (frames in its name may have used its request numbers, so the CM answers its
 * own later requests as served already).
 */
export function livenessProblems(sim: SimResult): string[] {
  const problems: string[] = [];
  const open = new Map<number, HistoryEvent>();
  const exempt = new Set(sim.hostile.map((id) => Number(id.slice(1))));
  const excused = new Set(sim.excused);
  for (const [i, e] of sim.history.entries()) {
    if (e.process === 'nemesis') continue;
    if (e.type === 'invoke') {
      open.set(e.process, e);
      continue;
    }
    const inv = open.get(e.process);
    open.delete(e.process);
    if (inv && e.type !== 'ok' && inv.time >= sim.lastHealMs + SETTLE_MS && !exempt.has(e.process) && !excused.has(i)) {
      problems.push(`liveness: p${e.process} ${e.f} ${e.key} invoked at ${inv.time} ended ${e.type}`);
    }
  }
  for (const [p, inv] of open) problems.push(`liveness: p${p} ${inv.f} ${inv.key} invoked at ${inv.time} never ended`);
  if (sim.timedOut) problems.push(`liveness: the run reached its time limit at ${sim.endTimeMs} ms with operations left`);
  return problems.slice(0, 5);
}

function tally(sim: SimResult): { ok: number; fail: number; info: number; faults: number } {
  const t = { ok: 0, fail: 0, info: 0, faults: 0 };
  for (const e of sim.history) {
    if (e.process === 'nemesis') t.faults += e.f === 'crash' || e.f === 'partition' ? 1 : 0;
    else if (e.type !== 'invoke') t[e.type] += 1;
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
    `seed=${opts.seed}`,
    `clients=${opts.clients}`,
    `pages=${opts.pages}`,
    `ops=${o.sim.opsIssued}`,
    `ok=${t.ok}`,
    `fail=${t.fail}`,
    `info=${t.info}`,
    `faults=${t.faults}`,
    `time=${o.sim.endTimeMs.toFixed(1)}ms`,
    `msgs/op: ${perOp || 'none'}`,
    `linearizable=${o.check.ok ? 'yes' : 'NO'}`,
  ].join(' ');
}
