// Linearizability checker for per-key read/write registers.
//
// Keys are independent registers, so each is checked on its own (P-compositionality). Within a
// key whose written values are all unique, the history is cut further wherever no operation
// is open (see checker-segments.ts), and each part is searched on its own with the
// unique-value rules of checker-search.ts. A key that writes some value twice is searched
// whole, with Wing & Gong's search and Lowe's memoisation alone.

import { type Operation, pairOperations } from './checker-ops.ts';
import { type Cut, describeOp, explainConflict, explainDeadEnd, type Explained } from './checker-explain.ts';
import { DEAD, RegisterSearch } from './checker-search.ts';
import { type Plan, planParts, uniqueValueTable, type ValueTable } from './checker-segments.ts';
import type { HistoryEvent } from './history.ts';

export { pairOperations, type Operation } from './checker-ops.ts';

export type KeyResult = {
  key: string;
  ok: boolean;
  ops: number;
  explanation?: string;
  culprit?: Operation[];
  /** Set when the search gave up: the key is neither proven linearizable nor refuted. */
  unknown?: boolean;
  /** Configurations the search explored, and the parts the key's history was cut into. */
  states?: number;
  parts?: number;
};

export type CheckResult = { ok: boolean; keys: KeyResult[] };

export type CheckOptions = { maxStates?: number };

export const DEFAULT_MAX_STATES = 5_000_000;

/** A refutation found by the cut search is re-explained by a plain search over a few parts. */
const EXPLAIN_MAX_STATES = 20_000;

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
  return ops.find((o) => o.f === 'read' && o.value !== null && !((firstWrite.get(o.value) ?? Infinity) < o.completeIndex));
}

function plainValueTable(ops: Operation[]): ValueTable {
  const values = [null, ...new Set(ops.map((o) => o.value).filter((v) => v !== null))];
  const ids = new Map(values.map((v, i) => [v, i]));
  return { values, valueIds: Int32Array.from(ops, (o) => ids.get(o.value) ?? 0) };
}

type Verdict =
  | { outcome: 'ok'; states: number; parts: number }
  | { outcome: 'unknown'; states: number; parts: number }
  | { outcome: 'fail'; states: number; parts: number; why: Explained };

function searchWhole(key: string, ops: Operation[], table: ValueTable, maxStates: number): Verdict {
  const { valueIds, values } = table;
  const search = new RegisterSearch({ ops, valueIds, valueCount: values.length, start: 0, maxStates });
  const outcome = search.run();
  if (outcome !== 'fail') return { outcome, states: search.states, parts: 1 };
  return { outcome, states: search.states, parts: 1, why: explainDeadEnd(key, ops.length, search, values) };
}

/** Plain search over parts `from`..`to`, for a classic account of a refutation; null if it proves nothing. */
function explainParts(key: string, ops: Operation[], table: ValueTable, plan: Plan, from: number, to: number): Explained | null {
  const picked = plan.parts
    .slice(from, to + 1)
    .flat()
    .sort((a, b) => a - b);
  const start = plan.start[from] ?? DEAD;
  const search = new RegisterSearch({
    ops: picked.map((i) => ops[i]!),
    valueIds: Int32Array.from(picked, (i) => table.valueIds[i] ?? 0),
    valueCount: table.values.length,
    start,
    maxStates: EXPLAIN_MAX_STATES,
  });
  if (search.run() !== 'fail') return null;
  const cut: Cut | undefined = from > 0 ? { event: plan.firstEvent[from] ?? 0, state: start } : undefined;
  return explainDeadEnd(key, ops.length, search, table.values, cut);
}

/** The parts from where `values` were written to their last reads, around part `at`. */
function span(plan: Plan, values: number[], at: number): [number, number] {
  let from = at;
  let to = at;
  for (const v of values) {
    from = Math.min(from, Math.max(0, plan.writtenIn[v] ?? 0));
    to = Math.max(to, plan.lastReadPart[v] ?? -1);
  }
  return [from, to];
}

function conflictWhy(key: string, ops: Operation[], table: ValueTable, plan: Plan, part: number, values: number[]): Explained {
  const [from, to] = span(plan, values, part - 1);
  const classic = explainParts(key, ops, table, plan, from, to);
  if (classic) return classic;
  const isWrite = (v: number) => (o: Operation, i: number) => o.f === 'write' && table.valueIds[i] === v;
  const writes = values.flatMap((v) => ops.filter(isWrite(v)));
  const reads = values.flatMap(
    (v) => ops.find((o, i) => o.f === 'read' && table.valueIds[i] === v && o.invokeIndex > (plan.firstEvent[part] ?? 0)) ?? [],
  );
  return explainConflict(key, plan.firstEvent[part] ?? 0, writes, reads);
}

/** At the search's deepest dead end, the first read not yet placed of the value then held. */
function pendingRead(search: RegisterSearch, ops: Operation[], table: ValueTable, plan: Plan, part: number): Operation | undefined {
  const d = search.deepest;
  if (!d?.live) return undefined;
  const placed = new Set(d.prefix);
  const here = search.ops.find((o, i) => o.f === 'read' && !placed.has(i) && o.value === table.values[d.state]);
  if (here) return here;
  const later = plan.parts
    .slice(part + 1)
    .flat()
    .sort((a, b) => a - b);
  const at = later.find((i) => ops[i]?.f === 'read' && table.valueIds[i] === d.state);
  return at === undefined ? undefined : ops[at];
}

function searchParts(key: string, ops: Operation[], table: ValueTable, maxStates: number): Verdict {
  const plan = planParts(ops, table);
  const { everRead, lastReadPart } = plan;
  const parts = plan.parts.length;
  let states = 0;
  for (let p = 0; p < parts; p++) {
    // A conflict at the cut after this part refutes the key whatever the part does.
    if (plan.conflict && plan.conflict.part <= p + 1) {
      const { part, values } = plan.conflict;
      return { outcome: 'fail', states, parts, why: conflictWhy(key, ops, table, plan, part, values) };
    }
    const picked = plan.parts[p] ?? [];
    const next = plan.start[p + 1] ?? DEAD;
    const search = new RegisterSearch({
      ops: picked.map((i) => ops[i]!),
      valueIds: Int32Array.from(picked, (i) => table.valueIds[i] ?? 0),
      valueCount: table.values.length,
      start: plan.start[p] ?? DEAD,
      maxStates: maxStates - states,
      ...(next === DEAD ? {} : { end: next }),
      unique: { everRead, lastReadSegment: lastReadPart, segment: p },
    });
    const outcome = search.run();
    states += search.states;
    if (outcome === 'unknown') return { outcome, states, parts };
    if (outcome === 'fail') {
      const held = [plan.start[p] ?? DEAD, next].filter((v) => v !== DEAD);
      const [from, to] = span(plan, held, p);
      const cut: Cut | undefined = p > 0 ? { event: plan.firstEvent[p] ?? 0, state: plan.start[p] ?? DEAD } : undefined;
      const keeper = pendingRead(search, ops, table, plan, p);
      const why = explainParts(key, ops, table, plan, from, to) ?? explainDeadEnd(key, ops.length, search, table.values, cut, keeper);
      return { outcome, states, parts, why };
    }
  }
  return { outcome: 'ok', states, parts };
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
  const unique = uniqueValueTable(relevant);
  const verdict = unique ? searchParts(key, relevant, unique, maxStates) : searchWhole(key, relevant, plainValueTable(relevant), maxStates);
  const measured = { ...base, states: verdict.states, parts: verdict.parts };
  if (verdict.outcome === 'ok') return { ...measured, ok: true };
  if (verdict.outcome === 'unknown') {
    const explanation =
      `unknown: search limit reached for key ${key} (${verdict.states} states explored, ` +
      `maxStates ${maxStates}, ${ops.length} ops); neither proven linearizable nor refuted.`;
    return { ...measured, ok: false, unknown: true, explanation };
  }
  return { ...measured, ok: false, ...verdict.why };
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
