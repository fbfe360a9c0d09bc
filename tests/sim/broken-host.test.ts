// Proof that the fault sweep would catch a host that sends before it has committed (as ivy-web's
// hosts did before the commit gate): its disk reports each commit done at once and stores it a
// little later, so a crash in between loses state that others were already told about. And that
// it catches what `process` durability does not promise: a power cut loses what was written but
// not flushed, which at `disk` durability is nothing anybody was told about.
import { describe, expect, it } from 'vitest';
import type { FaultKind } from '../../src/sim/nemesis.ts';
import { runAndCheck } from '../../src/sim/run.ts';
import { faultyShape } from '../../src/sim/sweep.ts';

const CRASHES: FaultKind[] = ['crash-client', 'crash-commit'];
/** Writes slow enough that crashes land inside them now and then, as on a busy disk. */
const SLOW_DISK = { writeMinMs: 1, writeMaxMs: 10 };

function caught(seed: number, checkInvariants: boolean, sendBeforeCommit: boolean): boolean {
  const o = runAndCheck(faultyShape(seed, CRASHES, { ops: 400, sendBeforeCommit, checkInvariants, disk: SLOW_DISK }));
  return checkInvariants ? o.sim.violations.length > 0 : !o.check.ok;
}

function firstCaught(checkInvariants: boolean): number | null {
  for (let seed = 1; seed <= 60; seed++) if (caught(seed, checkInvariants, true)) return seed;
  return null;
}

describe('a host that sends before committing', () => {
  it('is caught by the linearizability checker alone, and by the invariants, while the real host is not', () => {
    const byChecker = firstCaught(false);
    const byInvariants = firstCaught(true);
    expect(byChecker).not.toBeNull();
    expect(byInvariants).not.toBeNull();
    // The same seeds and disks with the real host: clean.
    for (let seed = 1; seed <= Math.max(byChecker ?? 0, byInvariants ?? 0); seed++) {
      expect(caught(seed, false, false), `seed ${seed}`).toBe(false);
      expect(caught(seed, true, false), `seed ${seed}`).toBe(false);
    }
  });
});

describe('a power cut', () => {
  const lost = (seed: number, durability: 'process' | 'disk', checkInvariants: boolean): boolean => {
    const o = runAndCheck(faultyShape(seed, ['power'], { ops: 400, durability, checkInvariants }));
    return checkInvariants ? o.sim.violations.length > 0 : !o.check.ok;
  };

  it('at process durability loses acknowledged state, and the checker and the invariants each say so; at disk it loses nothing', () => {
    const byChecker = [...Array(40).keys()].map((i) => i + 1).find((seed) => lost(seed, 'process', false));
    const byInvariants = [...Array(40).keys()].map((i) => i + 1).find((seed) => lost(seed, 'process', true));
    expect(byChecker).toBeDefined();
    expect(byInvariants).toBeDefined();
    for (let seed = 1; seed <= Math.max(byChecker ?? 0, byInvariants ?? 0); seed++) {
      expect(lost(seed, 'disk', false), `seed ${seed}`).toBe(false);
      expect(lost(seed, 'disk', true), `seed ${seed}`).toBe(false);
    }
  });
});
