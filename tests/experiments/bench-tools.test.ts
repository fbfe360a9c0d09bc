// The benchmark's driver and profile reader (lab/bench-*.ts): they must keep measuring what
// they claim as the protocol changes, so their workload and attribution are checked here.
import { describe, expect, it } from 'vitest';
import { BenchCluster, KINDS } from '../../lab/bench-cluster.ts';
import { type CpuProfile, profileLines } from '../../lab/bench-profile.ts';

describe('BenchCluster', () => {
  it('makes every kind the bench reports flow, and completes every operation of a round', () => {
    const c = new BenchCluster({ clients: 8, pages: 3, rounds: 30 });
    for (let i = 0; i < 30; i++) c.round(i);
    expect(c.opsDone).toBe(90);
    const counts = Object.fromEntries([...c.steps].map(([k, v]) => [k, v.length]));
    for (const k of [
      'READ_REQUEST',
      'READ_FORWARD',
      'READ_CONFIRMATION',
      'WRITE_REQUEST',
      'WRITE_FORWARD',
      'WRITE_CONFIRMATION',
      'INVALIDATE',
      'INVALIDATE_CONFIRMATION',
      'PAGE',
      'PULSE',
      'PULSE_REPLY',
      'CHANGE_CM',
      'CLIENT_REPORT',
    ]) {
      // Every round but the first on each page (whose write the CM grants itself, invalidating nobody).
      expect(counts[k], k).toBeGreaterThanOrEqual(27);
    }
    // Heartbeats are due every quarter lease (250 ms): one client in 30 rounds of 100 ms sends some.
    expect(counts.LEASE ?? 0).toBeGreaterThan(0);
    expect(counts.LEASE_GRANT ?? 0).toBeGreaterThan(0);
    expect(c.delivered.length).toBe([...c.steps.values()].reduce((n, v) => n + v.length, 0));
  });

  it('names a delivery door for every message kind', () => {
    expect(new Set(KINDS).size).toBe(20);
  });
});

describe('profileLines', () => {
  const frame = (functionName: string, lineNumber: number) => ({ functionName, url: 'file:///b/bench-main.js', lineNumber });
  // root -> run -> READ_REQUEST -> start (1-based lines 4 and 5); run -> PAGE -> onPage; GC at the root.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', 0), children: [2, 7] },
      { id: 2, callFrame: frame('run', 0), children: [3, 5] },
      { id: 3, callFrame: frame('READ_REQUEST', 1), children: [4] },
      {
        id: 4,
        callFrame: frame('start', 2),
        positionTicks: [
          { line: 4, ticks: 3 },
          { line: 5, ticks: 1 },
        ],
      },
      { id: 5, callFrame: frame('PAGE', 1), children: [6] },
      { id: 6, callFrame: frame('onPage', 4) }, // no line ticks: its first line (0-based 4) stands for it
      { id: 7, callFrame: frame('(garbage collector)', 0) },
    ],
    samples: [4, 4, 4, 4, 6, 7, 2, 2],
    timeDeltas: [100, 100, 100, 100, 100, 200, 100, 200],
  };
  const source = ['', '', 'start(r) {', 'const a = { ...r };', 'onPage(m) {'];

  it('assigns samples to the kind whose door is on the stack, and spreads them over lines', () => {
    const lines = profileLines(profile, ['READ_REQUEST', 'PAGE'], () => source);
    expect(lines).toEqual([
      'CPU profile: 1 ms sampled, garbage collection 20.0% of it (not assignable to a kind)',
      'READ_REQUEST: 40.0% of all samples',
      '   75.0%  start: const a = { ...r };',
      '   25.0%  start: onPage(m) {',
      'PAGE: 10.0% of all samples',
      '  100.0%  onPage: onPage(m) {',
    ]);
  });
});
