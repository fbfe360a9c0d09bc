// Wing & Gong's backtracking search for one register, with Lowe's memoisation of
// (set of linearized operations, register value) so that no configuration is explored twice.
// The search is iterative: an explicit stack of placed calls, and the entry list is edited in
// place (dancing-links style) so undoing a placement is O(1).
//
// With unique written values (`UniqueValues`) three rules shrink the search without losing a
// linearization; each holds because a value, once overwritten, can never come back:
// - a candidate read of the current value is placed at once (moving a read earlier, to a moment
//   it sees the same value and nothing forces after it, changes nothing else);
// - a value that a read not yet placed will return is never overwritten (that read would fail);
// - a candidate write nobody reads is placed at once when the current value is dead (no read
//   will return it): the state it leaves is as dead as the one before.
// Reads then never branch, and writes branch only between the values somebody reads.

import type { Operation } from './checker-ops.ts';

/** A register value no read will return: every such value is alike to the rest of the search. */
export const DEAD = -1;

/** Where the search got furthest before every continuation failed: the basis of the explanation. */
export type DeadEnd = { prefix: number[]; state: number; window: number[]; blocker: number; live: boolean };
export type Outcome = 'ok' | 'fail' | 'unknown';

/** What the search knows about the whole key when every written value is unique. */
export type UniqueValues = {
  /** Per value id: 1 if any read of the key returns it. */
  everRead: Uint8Array;
  /** Per value id: the last segment with a read of it (-1 for none). */
  lastReadSegment: Int32Array;
  /** The segment these operations form. */
  segment: number;
};

export type SearchSpec = {
  ops: Operation[];
  /** Per op: the id of its value in the key's value table. */
  valueIds: Int32Array;
  /** Number of value ids; state ids are DEAD or in [0, valueCount). */
  valueCount: number;
  start: number;
  /** The value the register must hold once every operation completed, if one is required. */
  end?: number;
  maxStates: number;
  unique?: UniqueValues;
};

/**
 * Zobrist hash tables from a deterministic 32-bit generator (results must not vary by run).
 * Each table is a prefix of one sequence, so one table per seed is grown and shared.
 */
const zobrist = new Map<number, Int32Array>();

function zobristTable(n: number, seed: number): Int32Array {
  const known = zobrist.get(seed);
  if (known && known.length >= n) return known;
  const t = new Int32Array(Math.max(n, 2 * (known?.length ?? 0), 64));
  let s = seed | 0;
  for (let i = 0; i < t.length; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    t[i] = x ^ (x >>> 14);
  }
  zobrist.set(seed, t);
  return t;
}

/**
 * Entry list for WGL: head is entry 0, op i's call is 2i+1 and its return 2i+2, linked in
 * event order. Returns of indeterminate ops (Infinity) sit at the end, so such ops stay
 * candidates for as long as the search needs them.
 */
function buildEntryList(ops: Operation[]): { next: Int32Array; prev: Int32Array } {
  const size = 2 * ops.length + 1;
  const next = new Int32Array(size).fill(-1);
  const prev = new Int32Array(size).fill(-1);
  const at = (e: number): number => {
    const op = ops[(e - 1) >> 1];
    if (!op) throw new Error('entry out of range');
    return e & 1 ? op.invokeIndex : op.completeIndex;
  };
  const order: number[] = [];
  for (let i = 0; i < ops.length; i++) order.push(2 * i + 1, 2 * i + 2);
  order.sort((a, b) => at(a) - at(b) || a - b); // Infinity - Infinity is NaN: fall back to id
  let last = 0;
  for (const e of order) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  return { next, prev };
}

export class RegisterSearch {
  readonly ops: Operation[];
  private readonly n: number;
  private readonly isRead: Uint8Array;
  private readonly isInfo: Uint8Array;
  private readonly valueId: Int32Array;
  private readonly readersOf = new Map<number, number[]>();
  /** Unique mode: per value id, the reads among these ops not yet placed. */
  private readonly unplacedReads: Int32Array;
  private readonly unique: UniqueValues | undefined;
  private readonly end: number | undefined;
  private readonly maxStates: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly words: Uint32Array;
  private readonly z1: Int32Array;
  private readonly z2: Int32Array;
  private readonly stackEntry: Int32Array;
  private readonly stackState: Int32Array;
  private readonly stackForced: Uint8Array;
  private readonly cache = new Map<number, Uint32Array>();
  private h1 = 0;
  private h2 = 0;
  private depth = 0;
  private remainingOk = 0;
  /** Register value as an id into the key's value table, or DEAD. */
  state: number;
  readonly start: number;
  states = 0;
  deepest: DeadEnd | null = null;

  constructor(spec: SearchSpec) {
    const { ops, valueIds } = spec;
    this.ops = ops;
    this.n = ops.length;
    this.valueId = valueIds;
    this.start = this.state = spec.start;
    this.end = spec.end;
    this.maxStates = spec.maxStates;
    this.unique = spec.unique;
    this.isRead = Uint8Array.from(ops, (o) => (o.f === 'read' ? 1 : 0));
    this.isInfo = Uint8Array.from(ops, (o) => (o.status === 'info' ? 1 : 0));
    this.unplacedReads = new Int32Array(this.unique ? spec.valueCount : 0);
    ops.forEach((o, i) => {
      const v = valueIds[i] ?? 0;
      if (o.f === 'read') {
        const list = this.readersOf.get(v);
        if (list) list.push(i);
        else this.readersOf.set(v, [i]);
        if (this.unique) this.unplacedReads[v] = (this.unplacedReads[v] ?? 0) + 1;
      }
      if (o.status === 'ok') this.remainingOk++;
    });
    ({ next: this.next, prev: this.prev } = buildEntryList(ops));
    this.words = new Uint32Array(Math.ceil(this.n / 32) + 1);
    this.z1 = zobristTable(this.n, 0x1badb002);
    this.z2 = zobristTable(this.n, 0x5eed5eed);
    this.stackEntry = new Int32Array(this.n);
    this.stackState = new Int32Array(this.n);
    this.stackForced = new Uint8Array(this.n);
  }

  run(): Outcome {
    return this.unique ? this.runUnique(this.unique) : this.runPlain();
  }

  private runPlain(): Outcome {
    let entry = this.next[0] ?? -1;
    for (;;) {
      if (this.remainingOk === 0) return 'ok'; // leftover info writes may simply not happen
      if (entry > 0 && entry & 1) {
        if (this.plainAllows(entry) && this.place(entry, false)) {
          if (this.states > this.maxStates) return 'unknown';
          entry = this.next[0] ?? -1;
        } else {
          entry = this.next[entry] ?? -1;
        }
        continue;
      }
      // Reached the return of an op not yet placed (every call before it has been tried):
      // it must take effect before anything later, and nothing fits, so undo a step.
      this.noteDeadEnd(entry);
      if (this.depth === 0) return 'fail';
      entry = this.next[this.backtrack()] ?? -1;
    }
  }

  private plainAllows(entry: number): boolean {
    const op = (entry - 1) >> 1;
    if (this.isRead[op] === 1) return this.valueId[op] === this.state;
    return this.isInfo[op] === 0 || this.readerAvailable(op, entry);
  }

  /**
   * `after` is 0 on reaching a configuration, else the entry whose alternatives were just
   * exhausted: the scan for the next alternative resumes behind it.
   */
  private runUnique(u: UniqueValues): Outcome {
    let after = 0;
    for (;;) {
      if (after === 0 && this.remainingOk === 0 && (this.end === undefined || this.end === this.canonical())) {
        return 'ok';
      }
      const forced = after === 0 ? this.forcedEntry(u) : -1;
      const entry = forced > 0 ? forced : this.branchEntry(u, after);
      if (entry > 0) {
        if (this.place(entry, forced > 0)) {
          if (this.states > this.maxStates) return 'unknown';
          after = 0;
          continue;
        }
        if (forced < 0) {
          after = entry;
          continue;
        }
      }
      this.noteDeadEnd(this.firstReturn());
      let popped: number;
      do {
        if (this.depth === 0) return 'fail';
        popped = this.backtrack();
      } while (this.stackForced[this.depth] === 1);
      after = popped;
    }
  }

  /** True when a read not yet placed returns the current value. */
  private live(u: UniqueValues): boolean {
    const s = this.state;
    return s !== DEAD && ((this.unplacedReads[s] ?? 0) > 0 || (u.lastReadSegment[s] ?? -1) > u.segment);
  }

  private canonical(): number {
    return this.unique && !this.live(this.unique) ? DEAD : this.state;
  }

  /** A candidate whose placement now loses nothing (see the file's head), or -1. */
  private forcedEntry(u: UniqueValues): number {
    const live = this.live(u);
    for (let e = this.next[0] ?? -1; e > 0 && e & 1; e = this.next[e] ?? -1) {
      const op = (e - 1) >> 1;
      const v = this.valueId[op] ?? 0;
      if (this.isRead[op] === 1 ? v === this.state : !live && u.everRead[v] !== 1) return e;
    }
    return -1;
  }

  /** The next candidate write of a value somebody reads, scanning behind `after`; or -1. */
  private branchEntry(u: UniqueValues, after: number): number {
    if (this.live(u)) return -1;
    for (let e = this.next[after] ?? -1; e > 0 && e & 1; e = this.next[e] ?? -1) {
      const op = (e - 1) >> 1;
      if (this.isRead[op] === 1) continue;
      if (this.isInfo[op] === 0 || this.readerAvailable(op, e)) return e;
    }
    return -1;
  }

  private firstReturn(): number {
    let e = this.next[0] ?? -1;
    while (e > 0 && e & 1) e = this.next[e] ?? -1;
    return e;
  }

  private isPlaced(op: number): boolean {
    return ((this.words[op >>> 5] ?? 0) >>> (op & 31)) & 1 ? true : false;
  }

  private toggle(op: number): void {
    const w = op >>> 5;
    this.words[w] = (this.words[w] ?? 0) ^ (1 << (op & 31));
    this.h1 ^= this.z1[op] ?? 0;
    this.h2 ^= this.z2[op] ?? 0;
  }

  /** Linearizes the entry's op next unless the configuration it leads to was seen before. */
  private place(entry: number, forced: boolean): boolean {
    const op = (entry - 1) >> 1;
    const read = this.isRead[op] === 1;
    const v = this.valueId[op] ?? 0;
    const before = this.state;
    this.toggle(op);
    if (this.unique && read) this.unplacedReads[v] = (this.unplacedReads[v] ?? 0) - 1;
    if (!read) this.state = v;
    if (!this.remember(this.canonical())) {
      this.state = before;
      if (this.unique && read) this.unplacedReads[v] = (this.unplacedReads[v] ?? 0) + 1;
      this.toggle(op);
      return false;
    }
    this.stackEntry[this.depth] = entry;
    this.stackState[this.depth] = before;
    this.stackForced[this.depth] = forced ? 1 : 0;
    this.depth++;
    this.lift(entry);
    if (this.isInfo[op] === 0) this.remainingOk--;
    return true;
  }

  /** Undoes the last placement; returns its entry. */
  private backtrack(): number {
    this.depth--;
    const entry = this.stackEntry[this.depth] ?? 0;
    const op = (entry - 1) >> 1;
    this.state = this.stackState[this.depth] ?? 0;
    this.toggle(op);
    this.unlift(entry);
    if (this.unique && this.isRead[op] === 1) {
      const v = this.valueId[op] ?? 0;
      this.unplacedReads[v] = (this.unplacedReads[v] ?? 0) + 1;
    }
    if (this.isInfo[op] === 0) this.remainingOk++;
    return entry;
  }

  /**
   * An info write may not have happened, so any linearization that uses one can be rewritten
   * so that the write sits right before a read of its value (otherwise drop it: nothing saw
   * it). Hence it is only worth placing when such a read is a candidate right now. This keeps
   * pending info writes from multiplying the state space by every subset of them.
   */
  private readerAvailable(op: number, entry: number): boolean {
    let e = this.next[entry] ?? -1;
    while (e > 0 && e & 1) e = this.next[e] ?? -1;
    const boundary = e > 0 ? (this.ops[(e - 2) >> 1]?.completeIndex ?? Infinity) : Infinity;
    for (const r of this.readersOf.get(this.valueId[op] ?? 0) ?? []) {
      if (!this.isPlaced(r) && (this.ops[r]?.invokeIndex ?? Infinity) < boundary) return true;
    }
    return false;
  }

  /** Lowe's cache: false if (placed set, state) was seen before; otherwise records it. */
  private remember(state: number): boolean {
    const stride = this.words.length + 1;
    const mixed1 = (this.h1 ^ Math.imul(state + 2, 0x9e3779b1)) >>> 0;
    const mixed2 = (this.h2 ^ Math.imul(state + 2, 0x85ebca6b)) & 0x1fffff;
    const key = mixed1 * 0x200000 + mixed2; // 53 bits: exact as a JS number
    const bucket = this.cache.get(key);
    const tag = state >>> 0;
    if (bucket) {
      for (let at = 0; at < bucket.length; at += stride) {
        if (bucket[at + stride - 1] === tag && this.sameWords(bucket, at)) return false;
      }
    }
    // Hash collisions are rare, so a bucket is one snapshot and grows by copying.
    const grown = new Uint32Array((bucket?.length ?? 0) + stride);
    if (bucket) grown.set(bucket);
    grown.set(this.words, grown.length - stride);
    grown[grown.length - 1] = tag;
    this.cache.set(key, grown);
    this.states++;
    return true;
  }

  private sameWords(bucket: Uint32Array, at: number): boolean {
    for (let i = 0; i < this.words.length; i++) {
      if (bucket[at + i] !== this.words[i]) return false;
    }
    return true;
  }

  private unlink(e: number): void {
    const p = this.prev[e] ?? -1;
    const q = this.next[e] ?? -1;
    this.next[p] = q;
    if (q !== -1) this.prev[q] = p;
  }

  /** Undoes unlink: e still remembers its neighbours, so it slots back in place. */
  private relink(e: number): void {
    const p = this.prev[e] ?? -1;
    const q = this.next[e] ?? -1;
    this.next[p] = e;
    if (q !== -1) this.prev[q] = e;
  }

  private lift(call: number): void {
    this.unlink(call);
    this.unlink(call + 1);
  }

  private unlift(call: number): void {
    this.relink(call + 1);
    this.relink(call);
  }

  /** Keeps the deepest dead end: the longest prefix we could linearize and what blocked it. */
  private noteDeadEnd(returnEntry: number): void {
    if (this.deepest && this.deepest.prefix.length >= this.depth) return;
    const window: number[] = [];
    for (let e = this.next[0] ?? -1; e > 0 && e & 1; e = this.next[e] ?? -1) window.push((e - 1) >> 1);
    const prefix = Array.from(this.stackEntry.subarray(0, this.depth), (e) => (e - 1) >> 1);
    const blocker = returnEntry > 0 ? (returnEntry - 2) >> 1 : -1;
    const live = this.unique ? this.live(this.unique) : false;
    this.deepest = { prefix, state: this.state, window, blocker, live };
  }
}
