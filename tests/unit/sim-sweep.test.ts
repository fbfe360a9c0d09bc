// The simulator as a test: many seeds of random workloads, every history linearizable per page
// and every cross-node invariant kept at every step. A failing seed replays with `npm run sim`.
import { describe, expect, it } from 'vitest';
import { runAndCheck, summaryLine, type SimOptions } from '../../src/sim/run.ts';
import { toJsonLine } from '../../src/sim/history.ts';

const SEEDS = 200;

function shape(seed: number): SimOptions {
  // Vary the shape with the seed so the sweep covers contention as well as spread.
  return {
    seed,
    clients: 2 + (seed % 7),
    pages: 1 + (seed % 5),
    ops: 300,
    readRatio: [0.1, 0.5, 0.9][seed % 3]!,
  };
}

describe('seeded simulation sweep', () => {
  it(`keeps ${SEEDS} randomised histories linearizable with invariants intact`, () => {
    const bad: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const opts = shape(seed);
      const o = runAndCheck(opts);
      const done = o.sim.history.filter((e) => e.type === 'ok').length;
      if (o.problems.length > 0 || done !== opts.ops) bad.push(`${summaryLine(opts, o)} ${o.problems[0] ?? ''}`);
    }
    expect(bad).toEqual([]);
  });

  it('replays a seed byte for byte', () => {
    const a = runAndCheck({ ...shape(7), ops: 500 })
      .sim.history.map(toJsonLine)
      .join('\n');
    const b = runAndCheck({ ...shape(7), ops: 500 })
      .sim.history.map(toJsonLine)
      .join('\n');
    const c = runAndCheck({ ...shape(7), seed: 8, ops: 500 })
      .sim.history.map(toJsonLine)
      .join('\n');
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});
