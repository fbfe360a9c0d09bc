// One slice of a fault sweep as a test: every seed must be a clean run, and every fault kind
// asked for must really have been injected somewhere in the slice. The figures are printed so
// a run shows what it covered. Sweeps are split over files so that vitest runs them on every core.
import { expect, it } from 'vitest';
import { FAULT_KINDS, type FaultKind } from '../../src/sim/nemesis.ts';
import { faultyShape, sweep } from '../../src/sim/sweep.ts';
import type { SimOptions } from '../../src/sim/run.ts';

const SLICE_TIMEOUT_MS = 600_000;

/** `all`: every fault each seed's durability must survive (sweep.ts). */
export function sweepCase(from: number, to: number, faults: readonly FaultKind[] | 'all' = 'all', extra: Partial<SimOptions> = {}): void {
  const name = (faults === 'all' ? 'all faults' : faults.join(',')) + (extra.replicas ? `, replicas ${extra.replicas}` : '');
  it(
    `seeds ${from}-${to} under ${name}: linearizable, invariant and live`,
    () => {
      const r = sweep(from, to, (seed) => faultyShape(seed, faults, extra));
      const kinds = Object.entries(r.injected)
        .map(([k, n]) => `${k}=${n}`)
        .join(' ');
      console.log(
        `sweep ${from}-${to} (${name}): ${r.seeds} seeds, ${r.bad.length} bad, ${r.excused} failures excused ` +
          `(page with a node that left); ops ok=${r.ops.ok} fail=${r.ops.fail} info=${r.ops.info}; faults ${kinds}; ` +
          `disk failures ${r.diskFailures}, torn tails dropped ${r.tornTails}`,
      );
      expect(r.bad).toEqual([]);
      if (faults !== 'all') for (const k of faults) expect(r.injected[k] ?? 0, `${k} was never injected`).toBeGreaterThan(0);
      else expect(Object.keys(r.injected).sort()).toEqual([...FAULT_KINDS].sort());
    },
    SLICE_TIMEOUT_MS,
  );
}
