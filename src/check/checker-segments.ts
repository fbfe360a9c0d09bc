// Cutting one key's history where no operation is open, when every written value is unique.
//
// At such a cut every operation before it precedes every operation after it, so a
// linearization is one of the part before followed by one of the part after (P-compositionality
// in time), and the register's value at the cut is all that carries over. With unique values
// that value is known in advance: if a value written before the cut is read after it, the
// register holds exactly it at the cut (a value, once overwritten, never comes back; two such
// values refute the history there); otherwise it holds a value no later read returns, and all
// of those are alike. So each part is searched on its own, from a known start to a known end.
//
// An indeterminate (info) write never completes, so it would keep every later cut from
// happening. It takes effect at most once, and only matters to the reads of its value: any
// linearization with it can be rewritten so that it sits right before the first of them (it
// precedes nothing in real time, so moving it later breaks no order, and nothing between can
// see it). So it joins the part holding its value's first read, as a candidate from that
// part's start (its invoke lies before), and never blocks a cut. An info write nobody reads is
// dropped before this point.

import type { Operation } from './checker-ops.ts';
import { DEAD } from './checker-search.ts';

/** The register's values and each op's value id; id 0 is the initial null. */
export type ValueTable = { values: (string | null)[]; valueIds: Int32Array };

export type Plan = {
  /** Per part: indices into the key's ops, in invoke order. */
  parts: number[][];
  /** Per part: the event at which it begins (the invoke of its first completed op). */
  firstEvent: number[];
  /** Per part: the value id the register must hold as it begins, or DEAD when any unread value will do. */
  start: Int32Array;
  /** Per value id: 1 if some read returns it. */
  everRead: Uint8Array;
  /** Per value id: the last part with a read of it, -1 for none. */
  lastReadPart: Int32Array;
  /** Per value id: the part that writes it (-1 for the initial null). */
  writtenIn: Int32Array;
  /** The first part at whose start two values would both have to be held, with those values. */
  conflict: { part: number; values: number[] } | null;
};

/** Value ids when every write writes a distinct non-null value; null otherwise. */
export function uniqueValueTable(ops: readonly Operation[]): ValueTable | null {
  const ids = new Map<string | null, number>([[null, 0]]);
  const values: (string | null)[] = [null];
  for (const o of ops) {
    if (o.f !== 'write') continue;
    if (ids.has(o.value)) return null;
    ids.set(o.value, values.length);
    values.push(o.value);
  }
  // Every read returns a written value or null: reads of anything else were refuted before.
  return { values, valueIds: Int32Array.from(ops, (o) => ids.get(o.value) ?? 0) };
}

/** Part index of every completed op: a new part starts when an invoke follows every earlier completion. */
function partOfCompleted(ops: readonly Operation[]): { part: Int32Array; firstEvent: number[] } {
  const part = new Int32Array(ops.length).fill(-1);
  const firstEvent: number[] = [];
  let lastEnd = -Infinity;
  ops.forEach((o, i) => {
    if (o.status !== 'ok') return;
    if (o.invokeIndex > lastEnd) firstEvent.push(o.invokeIndex);
    part[i] = firstEvent.length - 1;
    lastEnd = Math.max(lastEnd, o.completeIndex);
  });
  if (firstEvent.length === 0) firstEvent.push(ops[0]?.invokeIndex ?? 0);
  return { part, firstEvent };
}

export function planParts(ops: readonly Operation[], table: ValueTable): Plan {
  const { valueIds } = table;
  const nValues = table.values.length;
  const { part, firstEvent } = partOfCompleted(ops);
  const count = firstEvent.length;
  const everRead = new Uint8Array(nValues);
  const firstReadPart = new Int32Array(nValues).fill(-1);
  const lastReadPart = new Int32Array(nValues).fill(-1);
  ops.forEach((o, i) => {
    if (o.f !== 'read') return;
    const v = valueIds[i] ?? 0;
    const p = part[i] ?? 0;
    everRead[v] = 1;
    if (firstReadPart[v] === -1) firstReadPart[v] = p;
    lastReadPart[v] = Math.max(lastReadPart[v] ?? -1, p);
  });
  const writtenIn = new Int32Array(nValues).fill(-1);
  const parts: number[][] = Array.from({ length: count }, () => []);
  ops.forEach((o, i) => {
    const v = valueIds[i] ?? 0;
    const p = o.status === 'ok' ? (part[i] ?? 0) : Math.max(0, firstReadPart[v] ?? 0);
    if (o.f === 'write') writtenIn[v] = p;
    parts[p]?.push(i);
  });
  for (const list of parts) list.sort((a, b) => (ops[a]?.invokeIndex ?? 0) - (ops[b]?.invokeIndex ?? 0));
  const { start, conflict } = heldAtStarts(count, everRead, writtenIn, lastReadPart);
  return { parts, firstEvent, start, everRead, lastReadPart, writtenIn, conflict };
}

/**
 * A value must be held as part p begins when it is written before p and read in p or later.
 * Sweeps those intervals; at most one value may cover each start.
 */
function heldAtStarts(
  count: number,
  everRead: Uint8Array,
  writtenIn: Int32Array,
  lastReadPart: Int32Array,
): Pick<Plan, 'start' | 'conflict'> {
  const covering = new Int32Array(count + 1);
  const idSum = new Float64Array(count + 1);
  for (let v = 0; v < everRead.length; v++) {
    if (everRead[v] !== 1) continue;
    const from = (writtenIn[v] ?? -1) + 1;
    const to = (lastReadPart[v] ?? -1) + 1;
    if (from >= to) continue;
    covering[from] = (covering[from] ?? 0) + 1;
    covering[to] = (covering[to] ?? 0) - 1;
    idSum[from] = (idSum[from] ?? 0) + v;
    idSum[to] = (idSum[to] ?? 0) - v;
  }
  const start = new Int32Array(count).fill(DEAD);
  start[0] = 0;
  let n = 0;
  let sum = 0;
  for (let p = 0; p < count; p++) {
    n += covering[p] ?? 0;
    sum += idSum[p] ?? 0;
    if (n === 1) start[p] = sum;
    if (n > 1) {
      const values: number[] = [];
      for (let v = 0; v < everRead.length; v++) {
        if (everRead[v] === 1 && (writtenIn[v] ?? -1) < p && p <= (lastReadPart[v] ?? -1)) values.push(v);
      }
      return { start, conflict: { part: p, values } };
    }
  }
  return { start, conflict: null };
}
