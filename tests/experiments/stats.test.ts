// The experiments' arithmetic: percentiles, buckets, unavailability, outages, per-op counts.
import { describe, expect, it } from 'vitest';
import {
  addCounts,
  classify,
  errorTally,
  issuedDuring,
  latencyByClass,
  percentile,
  perOp,
  summarize,
  unavailableMs,
} from '../../src/experiments/stats.ts';
import type { TimedOp } from '../../src/experiments/workload-runner.ts';
import { timedOp } from '../support/timed-op.ts';

const op = (o: Partial<TimedOp>): TimedOp => timedOp({ kind: 'read', written: null, ...o });

describe('percentiles', () => {
  it('uses the nearest rank and is null for no samples', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
    expect(summarize([3, 1, 2])).toEqual({ count: 3, p50Ms: 2, p99Ms: 3, maxMs: 3 });
    expect(summarize([])).toEqual({ count: 0, p50Ms: null, p99Ms: null, maxMs: null });
  });
});

describe('operation buckets', () => {
  it('splits successful operations by kind and locality and leaves failures out', () => {
    expect(classify(op({ kind: 'read', local: true }))).toBe('readHit');
    expect(classify(op({ kind: 'read', local: false }))).toBe('readFault');
    expect(classify(op({ kind: 'write', local: true }))).toBe('writeHit');
    expect(classify(op({ kind: 'write', local: false }))).toBe('writeFault');
    expect(classify(op({ outcome: 'fail' }))).toBeNull();
    const l = latencyByClass([op({ doneAt: 4 }), op({ kind: 'write', local: true, doneAt: 2 }), op({ outcome: 'info', doneAt: 99 })]);
    expect(l.readFault).toEqual({ count: 1, p50Ms: 4, p99Ms: 4, maxMs: 4 });
    expect(l.writeHit.count).toBe(1);
    expect(l.readHit.count + l.writeFault.count).toBe(0);
  });
});

describe('unavailability after a kill', () => {
  it('is the first CM-served operation issued after the kill, ignoring hits, failures and ops already in flight', () => {
    const ops = [
      op({ invokedAt: 5, doneAt: 12 }), // in flight at the kill: says nothing about the new CM
      op({ invokedAt: 11, doneAt: 11.1, local: true }), // a hit needs no CM
      op({ invokedAt: 12, doneAt: 200, outcome: 'fail' }),
      op({ invokedAt: 20, doneAt: 340 }),
      op({ invokedAt: 30, doneAt: 310 }),
    ];
    expect(unavailableMs(ops, 10)).toBe(300);
    expect(unavailableMs(ops.slice(0, 3), 10)).toBeNull();
  });

  it('tells which operations were issued while no CM ran', () => {
    const outages = [
      { from: 10, to: 20 },
      { from: 50, to: Infinity },
    ];
    expect([5, 10, 19.9, 20, 60].map((t) => issuedDuring(op({ invokedAt: t }), outages))).toEqual([false, true, true, false, true]);
  });
});

describe('message counts', () => {
  it('adds per type and divides by operations', () => {
    const sum = addCounts({ READ_REQUEST: 2, PAGE: 1 }, { PAGE: 3, PULSE: 4 });
    expect(sum).toEqual({ READ_REQUEST: 2, PAGE: 4, PULSE: 4 });
    expect(perOp(sum, 2)).toEqual({ byType: { READ_REQUEST: 1, PAGE: 2, PULSE: 2 }, total: 5 });
    expect(perOp(sum, 0).total).toBe(0);
  });

  it('tallies failure reasons, most frequent first', () => {
    const t = errorTally([op({ error: 'a' }), op({ error: 'b' }), op({ error: 'b' }), op({})], 1);
    expect(t).toEqual([{ error: 'b', count: 2 }]);
  });
});
