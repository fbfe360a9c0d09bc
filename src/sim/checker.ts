// Linearizability checker for per-key read/write registers.
//
// Keys are independent registers, so each is checked on its own (P-compositionality). Per key
// we run Wing & Gong's backtracking search over a list of call/return entries, with Lowe's
// memoisation of (set of linearized operations, register value) so that no configuration is
// explored twice. The search is iterative: an explicit stack of placed calls, and the entry
// list is edited in place (dancing-links style) so undoing a placement is O(1).

import { type ClientEvent, type HistoryEvent, isNemesis } from './history.ts';

export type Operation = {
  process: number;
  key: string;
  f: 'read' | 'write';
  value: string | null;
  invokeIndex: number;
  /** Index of the `ok` event; Infinity for an operation that may take effect arbitrarily late. */
  completeIndex: number;
  status: 'ok' | 'info';
};

export type KeyResult = {
  key: string;
  ok: boolean;
  ops: number;
  explanation?: string;
  culprit?: Operation[];
  /** Set when the search gave up: the key is neither proven linearizable nor refuted. */
  unknown?: boolean;
};

export type CheckResult = { ok: boolean; keys: KeyResult[] };

export type CheckOptions = { maxStates?: number };

export const DEFAULT_MAX_STATES = 5_000_000;

type OpenCall = { event: ClientEvent; index: number };

function describeEvent(index: number): string {
  return `event ${index}`;
}

/** Turns an invoke plus its completion (null when the history ended first) into an operation. */
function completeOperation(call: OpenCall, done: ClientEvent | null, index: number): Operation | null {
  const type = done?.type ?? 'info';
  if (type === 'fail') return null; // certainly never took effect
  const { process, key, f } = call.event;
  const base = { process, key, f, invokeIndex: call.index };
  if (f === 'read') {
    // An indeterminate read returned nothing we can hold the register to.
    if (type !== 'ok' || done === null) return null;
    return { ...base, value: done.value, completeIndex: index, status: 'ok' };
  }
  const written = call.event.value;
  const echoed = done?.value ?? null;
  if (written !== null && echoed !== null && written !== echoed) {
    const what = `write completion value ${JSON.stringify(echoed)}`;
    throw new Error(`${describeEvent(index)}: ${what} differs from its invoke's ${JSON.stringify(written)}`);
  }
  const value = written ?? echoed;
  if (type === 'ok') return { ...base, value, completeIndex: index, status: 'ok' };
  return { ...base, value, completeIndex: Infinity, status: 'info' };
}

/**
 * Pairs each client invoke with its completion. Drops failed operations and indeterminate
 * reads (neither constrains the register); an invoke with no completion counts as `info`.
 * Nemesis events are skipped. Throws on a history that breaks the one-call-per-process rule.
 */
export function pairOperations(events: HistoryEvent[]): Operation[] {
  const open = new Map<number, OpenCall>();
  const ops: Operation[] = [];
  events.forEach((e, index) => {
    if (isNemesis(e)) return;
    if (e.type === 'invoke') {
      const prior = open.get(e.process);
      if (prior) {
        const still = `its call at ${describeEvent(prior.index)} is still open`;
        throw new Error(`${describeEvent(index)}: process ${e.process} invokes while ${still}`);
      }
      open.set(e.process, { event: e, index });
      return;
    }
    const call = open.get(e.process);
    if (!call) throw new Error(`${describeEvent(index)}: process ${e.process} completes a ${e.f} it never invoked`);
    if (call.event.f !== e.f || call.event.key !== e.key) {
      const invoked = `${call.event.f} ${call.event.key}`;
      throw new Error(`${describeEvent(index)}: process ${e.process} completes ${e.f} ${e.key} but invoked ${invoked}`);
    }
    open.delete(e.process);
    const op = completeOperation(call, e, index);
    if (op) ops.push(op);
  });
  for (const call of open.values()) {
    const op = completeOperation(call, null, Infinity);
    if (op) ops.push(op);
  }
  return ops.sort((a, b) => a.invokeIndex - b.invokeIndex);
}

/** Where the search got furthest before every continuation failed: the basis of the explanation. */
type DeadEnd = { prefix: number[]; state: number; window: number[]; blocker: number };
type Outcome = 'ok' | 'fail' | 'unknown';

/** Deterministic 32-bit generator for the Zobrist hash tables (results must not vary by run). */
function zobristTable(n: number, seed: number): Int32Array {
  const t = new Int32Array(n);
  let s = seed | 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    t[i] = x ^ (x >>> 14);
  }
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

/** WGL search with Lowe's cache for a single register (one key). */
class RegisterSearch {
  private readonly n: number;
  private readonly isRead: Uint8Array;
  private readonly valueId: Int32Array;
  private readonly readersOf: number[][];
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly words: Uint32Array;
  private readonly z1: Int32Array;
  private readonly z2: Int32Array;
  private readonly stackEntry: Int32Array;
  private readonly stackState: Int32Array;
  private readonly cache = new Map<number, Uint32Array>();
  private h1 = 0;
  private h2 = 0;
  private depth = 0;
  private remainingOk = 0;
  /** Register value as an id into `values`; 0 is the initial null. */
  state = 0;
  states = 0;
  deepest: DeadEnd | null = null;

  constructor(
    readonly ops: Operation[],
    readonly values: (string | null)[],
    private readonly maxStates: number,
  ) {
    this.n = ops.length;
    const ids = new Map(values.map((v, i) => [v, i]));
    this.isRead = Uint8Array.from(ops, (o) => (o.f === 'read' ? 1 : 0));
    this.valueId = Int32Array.from(ops, (o) => ids.get(o.value) ?? 0);
    this.readersOf = values.map(() => []);
    ops.forEach((o, i) => {
      if (o.f === 'read') this.readersOf[this.valueId[i] ?? 0]?.push(i);
      if (o.status === 'ok') this.remainingOk++;
    });
    ({ next: this.next, prev: this.prev } = buildEntryList(ops));
    this.words = new Uint32Array(Math.ceil(this.n / 32) + 1);
    this.z1 = zobristTable(this.n, 0x1badb002);
    this.z2 = zobristTable(this.n, 0x5eed5eed);
    this.stackEntry = new Int32Array(this.n);
    this.stackState = new Int32Array(this.n);
  }

  run(): Outcome {
    let entry = this.next[0] ?? -1;
    for (;;) {
      if (this.remainingOk === 0) return 'ok'; // leftover info writes may simply not happen
      if (entry > 0 && entry & 1) {
        if (this.tryPlace(entry)) {
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
      entry = this.backtrack();
    }
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

  private tryPlace(entry: number): boolean {
    const op = (entry - 1) >> 1;
    const v = this.valueId[op] ?? 0;
    const read = this.isRead[op] === 1;
    if (read && v !== this.state) return false;
    const info = this.ops[op]?.status === 'info';
    if (!read && info && !this.readerAvailable(op, entry)) return false;
    const newState = read ? this.state : v;
    this.toggle(op);
    if (!this.remember(newState)) {
      this.toggle(op);
      return false;
    }
    this.stackEntry[this.depth] = entry;
    this.stackState[this.depth] = this.state;
    this.depth++;
    this.state = newState;
    this.lift(entry);
    if (!info) this.remainingOk--;
    return true;
  }

  private backtrack(): number {
    this.depth--;
    const entry = this.stackEntry[this.depth] ?? 0;
    const op = (entry - 1) >> 1;
    this.state = this.stackState[this.depth] ?? 0;
    this.toggle(op);
    this.unlift(entry);
    if (this.ops[op]?.status === 'ok') this.remainingOk++;
    return this.next[entry] ?? -1;
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
    for (const r of this.readersOf[this.valueId[op] ?? 0] ?? []) {
      if (!this.isPlaced(r) && (this.ops[r]?.invokeIndex ?? Infinity) < boundary) return true;
    }
    return false;
  }

  /** Lowe's cache: false if (placed set, state) was seen before; otherwise records it. */
  private remember(state: number): boolean {
    const stride = this.words.length + 1;
    const mixed1 = (this.h1 ^ Math.imul(state + 1, 0x9e3779b1)) >>> 0;
    const mixed2 = (this.h2 ^ Math.imul(state + 1, 0x85ebca6b)) & 0x1fffff;
    const key = mixed1 * 0x200000 + mixed2; // 53 bits: exact as a JS number
    const bucket = this.cache.get(key);
    if (bucket) {
      for (let at = 0; at < bucket.length; at += stride) {
        if (bucket[at + stride - 1] === state && this.sameWords(bucket, at)) return false;
      }
    }
    // Hash collisions are rare, so a bucket is one snapshot and grows by copying.
    const grown = new Uint32Array((bucket?.length ?? 0) + stride);
    if (bucket) grown.set(bucket);
    grown.set(this.words, grown.length - stride);
    grown[grown.length - 1] = state;
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
    this.deepest = { prefix, state: this.state, window, blocker };
  }
}

const PREFIX_TAIL = 8;

function fmtValue(v: string | null | undefined): string {
  return v === null || v === undefined ? 'null' : JSON.stringify(v);
}

function describeOp(o: Operation): string {
  const end = o.completeIndex === Infinity ? '∞ (info)' : String(o.completeIndex);
  return `p${o.process} ${o.f} ${fmtValue(o.value)} [events ${o.invokeIndex}..${end}]`;
}

function whyNotNext(o: Operation, held: string | null): string {
  if (o.f === 'read' && o.value !== held) return `reads ${fmtValue(o.value)} but the register holds ${fmtValue(held)}`;
  if (o.status === 'info') {
    return 'indeterminate write: no continuation with it (right before a read of its value) works';
  }
  return 'placing it next leads only to dead ends';
}

/** Human-readable account of the deepest dead end; culprit = the ops that could not go next. */
function explainFailure(
  key: string,
  total: number,
  search: RegisterSearch,
): Pick<KeyResult, 'explanation' | 'culprit'> {
  const d = search.deepest;
  const { ops, values } = search;
  const pick = (i: number): Operation[] => (ops[i] ? [ops[i]] : []);
  if (!d) return { explanation: `key ${key}: not linearizable`, culprit: [] };
  const held = values[d.state] ?? null;
  const lines = [`key ${key}: not linearizable (${total} ops, ${search.states} states explored).`];
  const tail = d.prefix.slice(-PREFIX_TAIL).flatMap(pick);
  if (d.prefix.length === 0) {
    lines.push('No operation can be linearized first (register initially null).');
  } else {
    const shown = d.prefix.length > tail.length ? `, last ${tail.length} shown` : '';
    const size = `${d.prefix.length} ops${shown}`;
    lines.push(`Longest linearizable prefix: ${size}, leaving the register at ${fmtValue(held)}:`);
    for (const o of tail) lines.push(`  ${describeOp(o)}`);
  }
  const blocker = ops[d.blocker];
  if (blocker) {
    lines.push(`Then ${describeOp(blocker)} must take effect before it completes, but nothing can be placed next:`);
  }
  const culprit = [d.blocker, ...d.window.filter((i) => i !== d.blocker)].flatMap(pick);
  for (const o of culprit) lines.push(`  ${describeOp(o)}: ${whyNotNext(o, held)}`);
  return { explanation: lines.join('\n'), culprit };
}

/**
 * A read must be preceded by a write of its value that was invoked before the read completed.
 * Checking that up front gives a sharp explanation, and spares the search an exhaustive
 * (possibly exponential) hunt for a value that cannot appear.
 */
function unwritableRead(ops: Operation[]): Operation | undefined {
  const firstWrite = new Map<string | null, number>();
  for (const o of ops) {
    if (o.f === 'write' && !firstWrite.has(o.value)) firstWrite.set(o.value, o.invokeIndex);
  }
  return ops.find(
    (o) => o.f === 'read' && o.value !== null && !((firstWrite.get(o.value) ?? Infinity) < o.completeIndex),
  );
}

function checkKey(key: string, ops: Operation[], maxStates: number): KeyResult {
  const base = { key, ops: ops.length };
  const bad = unwritableRead(ops);
  if (bad) {
    const explanation =
      `key ${key}: not linearizable: ${describeOp(bad)} returned a value that no write able to take ` +
      'effect before it ever wrote (failed writes never take effect).';
    return { ...base, ok: false, explanation, culprit: [bad] };
  }
  // An info write nobody read can always be taken as "did not happen": leave it out entirely.
  const observed = new Set(ops.filter((o) => o.f === 'read').map((o) => o.value));
  const relevant = ops.filter((o) => o.status === 'ok' || observed.has(o.value));
  const values = [null, ...new Set(relevant.map((o) => o.value).filter((v) => v !== null))];
  const search = new RegisterSearch(relevant, values, maxStates);
  const outcome = search.run();
  if (outcome === 'ok') return { ...base, ok: true };
  if (outcome === 'unknown') {
    const explanation =
      `unknown: search limit reached for key ${key} (${search.states} states explored, ` +
      `maxStates ${maxStates}, ${ops.length} ops); neither proven linearizable nor refuted.`;
    return { ...base, ok: false, unknown: true, explanation };
  }
  return { ...base, ok: false, ...explainFailure(key, ops.length, search) };
}

/** Checks every key as an independent register starting at null. */
export function checkLinearizable(events: HistoryEvent[], opts: CheckOptions = {}): CheckResult {
  const maxStates = opts.maxStates ?? DEFAULT_MAX_STATES;
  const byKey = new Map<string, Operation[]>();
  for (const op of pairOperations(events)) {
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  const keys = [...byKey.keys()].sort().map((k) => checkKey(k, byKey.get(k) ?? [], maxStates));
  return { ok: keys.every((k) => k.ok), keys };
}
