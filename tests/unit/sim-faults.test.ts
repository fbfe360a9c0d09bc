// The fault-injecting sweep: real nodes under crashes and restarts of either or both CMs,
// crashes of clients, and a partitioned primary, on hundreds of seeds. Every history must be
// linearizable per page (so no acknowledged write is lost), every invariant must hold at every
// step, and after the last fault heals every client's new operations must succeed.
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../src/sim/nemesis.ts';
import { runAndCheck, summaryLine, type SimOptions } from '../../src/sim/run.ts';

const SEEDS = 500;

function faulty(seed: number, extra: Partial<SimOptions> = {}): SimOptions {
  return {
    seed, clients: 3 + (seed % 4), pages: 1 + (seed % 4), ops: 800, readRatio: [0.2, 0.5, 0.8][seed % 3]!,
    faults: FAULT_KINDS, nemesis: { faultCount: 4 }, ...extra,
  };
}

describe('fault-injecting simulation', () => {
  it(`keeps ${SEEDS} faulty histories linearizable, invariant and live`, () => {
    const bad: string[] = [];
    let faults = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const opts = faulty(seed);
      const o = runAndCheck(opts);
      faults += o.sim.history.filter((e) => e.process === 'nemesis' && e.f !== 'heal' && e.f !== 'restart').length;
      if (o.problems.length > 0) bad.push(`${summaryLine(opts, o)}\n  ${o.problems.slice(0, 2).join('\n  ')}`);
    }
    expect(bad).toEqual([]);
    // The sweep is only worth something if the faults really happened.
    expect(faults).toBeGreaterThan(SEEDS * 2);
  });

  it('replays a faulty seed byte for byte', () => {
    const a = JSON.stringify(runAndCheck(faulty(11)).sim.history);
    expect(JSON.stringify(runAndCheck(faulty(11)).sim.history)).toBe(a);
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
      ...faulty(3), backup: false, faults: ['crash-primary'],
      nemesis: { faultCount: 1, downMinMs: 1e9, downMaxMs: 1e9 }, timeLimitMs: 20_000,
    });
    expect(o.check.ok).toBe(true);
    expect(o.problems.some((p) => p.startsWith('liveness'))).toBe(true);
    expect(o.sim.history.some((e) => e.type === 'fail')).toBe(true);
  });
});
