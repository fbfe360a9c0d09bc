// The fault-injecting simulator beyond the sweeps (sim-sweep-*.test.ts): runs replay exactly,
// ticking more often changes nothing, the seed's own replication scheme is caught, and basic
// Ivy without a backup stalls for good.
import { describe, expect, it } from 'vitest';
import { runAndCheck, type SimOptions } from '../../src/sim/run.ts';
import { faultyShape } from '../../src/sim/sweep.ts';
import { FAULT_KINDS } from '../../src/sim/nemesis.ts';
import { simulate } from '../../src/sim/simulator.ts';

const faulty = (seed: number, extra: Partial<SimOptions> = {}): SimOptions => faultyShape(seed, undefined, extra);

describe('fault-injecting simulation', () => {
  it('replays a faulty seed byte for byte', () => {
    const a = JSON.stringify(runAndCheck(faulty(11)).sim.history);
    expect(JSON.stringify(runAndCheck(faulty(11)).sim.history)).toBe(a);
  });

  it('runs the same with an extra tick every millisecond: no node ever sleeps past its next deadline', () => {
    // A stall runs a node's deferred ticks among its deferred frames in another order; every
    // other fault keeps the comparison exact.
    const faults = FAULT_KINDS.filter((k) => k !== 'stall');
    for (let seed = 1; seed <= 12; seed++) {
      const a = simulate({ ...faultyShape(seed, faults), transcript: true });
      const b = simulate({ ...faultyShape(seed, faults), transcript: true, extraTickMs: 1 });
      expect(b.transcript, `seed ${seed}`).toEqual(a.transcript);
      expect(b.history, `seed ${seed}`).toEqual(a.history);
    }
  });

  it("catches the seed's periodic replication on some seed", () => {
    const caught: number[] = [];
    for (let seed = 1; seed <= 100 && caught.length === 0; seed++) {
      const o = runAndCheck(faulty(seed, { replication: 'periodic', checkInvariants: false, faults: ['crash-primary'] }));
      if (!o.check.ok) caught.push(seed);
    }
    expect(caught.length).toBe(1);
  });

  it('basic Ivy without a backup CM stays safe but stalls for good once its CM dies', () => {
    const o = runAndCheck({
      ...faulty(3),
      backup: false,
      faults: ['crash-primary'],
      nemesis: { faultCount: 1, downMinMs: 1e9, downMaxMs: 1e9 },
      timeLimitMs: 20_000,
    });
    expect(o.check.ok).toBe(true);
    expect(o.problems.some((p) => p.startsWith('liveness'))).toBe(true);
    expect(o.sim.history.some((e) => e.type === 'fail')).toBe(true);
  });
});
