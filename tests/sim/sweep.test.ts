// The simulator's sweeps as one parametrised test: every seed must be a clean run (linearizable
// per page, every invariant kept at every step, every operation answered), and every fault kind
// a slice asks for must really have been injected somewhere in it. A failing seed replays with
// `npm run sim -- --sweep N-N` (with the slice's --faults and --replicas). Each slice prints what it
// covered. The slices share one pool of processes, one per core (sweep-pool.ts): vitest runs one
// file at a time here.
// `npm run test:fast` leaves this file out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS, type FaultKind } from '../../src/sim/nemesis.ts';
import { runAndCheck, summaryLine, type SimOptions } from '../../src/sim/run.ts';
import { SweepPool } from '../../src/sim/sweep-pool.ts';
import { sweepLine } from '../../src/sim/sweep.ts';
import { toJsonLine } from '../../src/check/history.ts';

const SLICE_TIMEOUT_MS = 600_000;
const SEEDS_PER_KIND = 40;

interface Slice {
  from: number;
  to: number;
  /** `all`: every fault each seed's durability must survive (sweep.ts) */
  faults: readonly FaultKind[] | 'all';
  extra?: Partial<SimOptions>;
}

const SLICES: Slice[] = [
  // 1,000 seeds under every fault kind at once, in slices so that a run shows its progress.
  ...[1, 251, 501, 751].map((from): Slice => ({ from, to: from + 249, faults: 'all' })),
  // Each kind alone over seeds of its own: a kind that is rare in the mixed sweep, or that
  // another kind's recovery would mask, still gets a run of its own.
  ...FAULT_KINDS.map((kind, i): Slice => ({ from: 10_001 + i * SEEDS_PER_KIND, to: 10_000 + (i + 1) * SEEDS_PER_KIND, faults: [kind] })),
  // `replicas: 1`: owners' writes wait for the CM's replica, and the simulated operator forgets
  // each client that leaves for good, whose pages must then come back (a failure naming it after
  // that is a liveness failure, see simulator.ts).
  { from: 2001, to: 2060, faults: 'all', extra: { replicas: 1 } },
];

const sliceName = (s: Slice): string =>
  (s.faults === 'all' ? 'all faults' : s.faults.join(',')) + (s.extra?.replicas ? `, replicas ${s.extra.replicas}` : '');

describe('fault sweep', () => {
  let pool: SweepPool;
  beforeAll(() => {
    pool = new SweepPool();
  });
  afterAll(() => pool.close());
  it.each(SLICES.map((s) => [`seeds ${s.from}-${s.to} under ${sliceName(s)}`, s] as const))(
    '%s: linearizable, invariant and live',
    async (name, s) => {
      const r = await pool.sweep({ from: s.from, to: s.to, faults: s.faults, extra: s.extra ?? {} });
      console.log(sweepLine(`sweep ${name}`, r));
      expect(r.bad).toEqual([]);
      if (s.faults !== 'all') for (const k of s.faults) expect(r.injected[k] ?? 0, `${k} was never injected`).toBeGreaterThan(0);
      else expect(Object.keys(r.injected).sort()).toEqual([...FAULT_KINDS].sort());
    },
    SLICE_TIMEOUT_MS,
  );
});

/** Without faults the shape varies with the seed, so that the sweep covers contention as well as spread. */
function quietShape(seed: number): SimOptions {
  return { seed, clients: 2 + (seed % 7), pages: 1 + (seed % 5), ops: 300, readRatio: [0.1, 0.5, 0.9][seed % 3]! };
}

describe('fault-free sweep', () => {
  const SEEDS = 200;
  it(`keeps ${SEEDS} randomised histories linearizable with invariants intact`, () => {
    const bad: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const opts = quietShape(seed);
      const o = runAndCheck(opts);
      const done = o.sim.history.filter((e) => e.type === 'ok').length;
      if (o.problems.length > 0 || done !== opts.ops) bad.push(`${summaryLine(opts, o)} ${o.problems[0] ?? ''}`);
    }
    expect(bad).toEqual([]);
  });

  it('replays a seed byte for byte', () => {
    const run = (seed: number): string =>
      runAndCheck({ ...quietShape(7), seed, ops: 500 })
        .sim.history.map(toJsonLine)
        .join('\n');
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });
});
