// Fault sweeps: many seeds of the real nodes under faults, each checked for linearizability
// per page, the cross-node invariants at every step, and liveness after the last heal. The
// shapes vary with the seed (clients, pages, read share), so a sweep covers contention as well
// as spread. The tests and `npm run sim -- --sweep` run it on every core (sweep-pool.ts).
import { allFaults, type FaultKind } from './nemesis.ts';
import { runAndCheck, summaryLine, type SimOptions } from './run.ts';
import type { Durability } from '../protocol/config.ts';

/**
 * The durability a seed runs at: odd seeds `disk`, even ones `process`, so a sweep covers both.
 * A run with power cuts is always at `disk`: at `process` a power cut may lose acknowledged
 * writes by design (broken-host.test.ts shows the sweep catching that).
 */
export function durabilityOf(seed: number, faults: readonly FaultKind[] | 'all'): Durability {
  if (faults !== 'all' && faults.includes('power')) return 'disk';
  return seed % 2 === 1 ? 'disk' : 'process';
}

/** `all`: every fault the seed's durability must survive (allFaults). */
export function faultyShape(seed: number, faults: readonly FaultKind[] | 'all' = 'all', extra: Partial<SimOptions> = {}): SimOptions {
  const durability = extra.durability ?? durabilityOf(seed, faults);
  return {
    seed,
    clients: 3 + (seed % 4),
    pages: 1 + (seed % 4),
    ops: 800,
    readRatio: [0.2, 0.5, 0.8][seed % 3]!,
    faults: faults === 'all' ? allFaults(durability) : faults,
    durability,
    // Small logs compact now and then within a run, so compaction is under the faults too.
    compactBytes: 4096 << (seed % 4),
    // One seed in three runs packed: nodes share two threads (one log each), as on two cores.
    ...(seed % 3 === 0 ? { packs: 2 } : {}),
    nemesis: { faultCount: 4 },
    ...extra,
  };
}

export interface SweepReport {
  seeds: number;
  /** A line per seed that is a bug report (summary and first problems), empty when all pass. */
  bad: string[];
  /** Faults injected, per kind. */
  injected: Partial<Record<FaultKind, number>>;
  /** Operations that failed because their page was with a node that left for good. */
  excused: number;
  /** Disk writes that failed and files that could not be made, all seeds together. */
  diskFailures: number;
  /** Recoveries that dropped a torn tail. */
  tornTails: number;
  ops: { ok: number; fail: number; info: number };
}

function emptyReport(): SweepReport {
  return { seeds: 0, bad: [], injected: {}, excused: 0, diskFailures: 0, tornTails: 0, ops: { ok: 0, fail: 0, info: 0 } };
}

export function sweep(from: number, to: number, shape: (seed: number) => SimOptions = faultyShape): SweepReport {
  const r = emptyReport();
  for (let seed = from; seed <= to; seed++) {
    const opts = shape(seed);
    const o = runAndCheck(opts);
    r.seeds += 1;
    r.excused += o.sim.excused.length;
    r.diskFailures += o.sim.diskFailures;
    r.tornTails += o.sim.tornTails;
    for (const k of o.sim.faults) r.injected[k] = (r.injected[k] ?? 0) + 1;
    for (const e of o.sim.history) if (e.process !== 'nemesis' && e.type !== 'invoke') r.ops[e.type] += 1;
    if (o.problems.length > 0) r.bad.push(`${summaryLine(opts, o)}\n  ${o.problems.slice(0, 3).join('\n  ')}`);
  }
  return r;
}

/** Reports of consecutive seed ranges as one, in the order given (sweep-pool.ts). */
export function addReports(reports: readonly SweepReport[]): SweepReport {
  const sum = emptyReport();
  for (const r of reports) {
    sum.seeds += r.seeds;
    sum.bad.push(...r.bad);
    sum.excused += r.excused;
    sum.diskFailures += r.diskFailures;
    sum.tornTails += r.tornTails;
    for (const [k, n] of Object.entries(r.injected) as [FaultKind, number][]) sum.injected[k] = (sum.injected[k] ?? 0) + n;
    sum.ops.ok += r.ops.ok;
    sum.ops.fail += r.ops.fail;
    sum.ops.info += r.ops.info;
  }
  return sum;
}

/** A sweep's figures on one line, as the tests and `npm run sim -- --sweep` print them. */
export function sweepLine(label: string, r: SweepReport): string {
  const injected = Object.entries(r.injected)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
  return (
    `${label}: ${r.seeds} seeds, ${r.bad.length} bad, ${r.excused} failures excused (page with a node that left); ` +
    `ops ok=${r.ops.ok} fail=${r.ops.fail} info=${r.ops.info}; injected ${injected}; disk failures ${r.diskFailures}, ` +
    `torn tails dropped ${r.tornTails}`
  );
}
