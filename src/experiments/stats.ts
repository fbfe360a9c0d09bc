// Pure arithmetic over timed operations: percentiles, latency per kind, completion,
// unavailability after faults, messages per operation. No clock, no workers: unit-tested.
import type { MessageCounts } from '../workers/message-count.ts';
import type { TimedOp } from './workload-runner.ts';
import type { LatencySummary, OpClass } from './types.ts';

export function addCounts(a: MessageCounts, b: MessageCounts): MessageCounts {
  const out: MessageCounts = { ...a };
  for (const [k, v] of Object.entries(b) as Array<[keyof MessageCounts, number]>) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Nearest-rank percentile of an ascending list; null for an empty one. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null),
  };
}

/** Which latency bucket a successful operation belongs to; null for one that did not succeed. */
export function classify(op: TimedOp): OpClass | null {
  if (op.outcome !== 'ok') return null;
  if (op.kind === 'read') return op.local ? 'readHit' : 'readFault';
  return op.local ? 'writeHit' : 'writeFault';
}

export function latencyByClass(ops: readonly TimedOp[]): Record<OpClass, LatencySummary> {
  const samples: Record<OpClass, number[]> = { readHit: [], readFault: [], writeHit: [], writeFault: [] };
  for (const op of ops) {
    const c = classify(op);
    if (c) samples[c].push(op.doneAt - op.invokedAt);
  }
  return {
    readHit: summarize(samples.readHit),
    readFault: summarize(samples.readFault),
    writeHit: summarize(samples.writeHit),
    writeFault: summarize(samples.writeFault),
  };
}

/** Latency of the successful operations that needed the CM (read and write faults together). */
export function faultLatency(ops: readonly TimedOp[]): LatencySummary {
  return summarize(ops.filter((o) => o.outcome === 'ok' && !o.local).map((o) => o.doneAt - o.invokedAt));
}

/**
 * Kill → the first operation issued at or after the kill that needed a CM and succeeded, done.
 * Operations already in flight at the kill are left out: some finish without the CM (the
 * owner had been told to send the page), so they would say nothing about the new CM.
 */
export function unavailableMs(ops: readonly TimedOp[], killAt: number): number | null {
  let first = Infinity;
  for (const op of ops) {
    if (op.outcome === 'ok' && !op.local && op.invokedAt >= killAt) first = Math.min(first, op.doneAt);
  }
  return first === Infinity ? null : first - killAt;
}

/** Windows of shared-clock time during which no CM ran. */
export type Outage = { from: number; to: number };

export function issuedDuring(op: TimedOp, outages: readonly Outage[]): boolean {
  return outages.some((w) => op.invokedAt >= w.from && op.invokedAt < w.to);
}

export function perOp(counts: MessageCounts, ops: number): { byType: MessageCounts; total: number } {
  const byType: MessageCounts = {};
  let total = 0;
  for (const [k, v] of Object.entries(counts) as Array<[keyof MessageCounts, number]>) {
    byType[k] = ops === 0 ? 0 : v / ops;
    total += v;
  }
  return { byType, total: ops === 0 ? 0 : total / ops };
}

/** The most frequent failure reasons first, at most `max` of them. */
export function errorTally(ops: readonly TimedOp[], max = 5): Array<{ error: string; count: number }> {
  const tally = new Map<string, number>();
  for (const op of ops) if (op.error !== undefined) tally.set(op.error, (tally.get(op.error) ?? 0) + 1);
  return [...tally]
    .map(([error, count]) => ({ error, count }))
    .sort((a, b) => b.count - a.count)
    .slice(0, max);
}
