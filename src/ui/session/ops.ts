// Operations from the hosts' op traces, and the history the linearizability checker reads.
// A client queues operations, so several of one client's may overlap: each overlapping one gets
// its own history process (Jepsen's rule: one open call per process).
import { clientNumber, pageIdError } from '../../protocol/ids.ts';
import type { HistoryEvent } from '../../check/history.ts';
import type { OpTrace } from '../../host/trace.ts';
import type { FailureEvent, Inherited, OpRecord } from './types.ts';

export const PROCESS_SLOT_STRIDE = 1000;

function processOf(node: string, slot: number): number {
  return (clientNumber(node) ?? 0) + PROCESS_SLOT_STRIDE * slot;
}

function freeSlot(used: Set<number>): number {
  let slot = 0;
  while (used.has(slot)) slot += 1;
  used.add(slot);
  return slot;
}

/**
 * Input the client refused before doing anything (a bad page id, content over the page size):
 * it failed for certain without ever sending a request. It is no operation of the history and
 * never enters the views (a 10,000-character page id would widen every one of them).
 */
function rejected(op: OpRecord): boolean {
  return pageIdError(op.page) !== null || (op.outcome === 'fail' && op.req === null);
}

/**
 * Operations known at `until`: invoked by then, completed only if their completion came by
 * then. An operation whose client died before it completed stays open (unknown). Refused input
 * is left out.
 */
export function recordOps(traces: readonly OpTrace[], until = Infinity): OpRecord[] {
  const ops = pairTraces(traces, until).filter((o) => !rejected(o));
  ops.forEach((o, i) => {
    o.id = i;
  });
  return ops;
}

function pairTraces(traces: readonly OpTrace[], until: number): OpRecord[] {
  const sorted = traces.filter((t) => t.at <= until).sort((a, b) => a.at - b.at);
  const ops: OpRecord[] = [];
  const open = new Map<string, { op: OpRecord; slot: number }>();
  const slots = new Map<string, Set<number>>();
  for (const t of sorted) {
    const key = `${t.node}#${t.opId}`;
    const used = slots.get(t.node) ?? new Set<number>();
    slots.set(t.node, used);
    if (t.phase === 'invoke') {
      // The same op id again: the client restarted and numbers anew; the old op stays open.
      open.delete(key);
      const slot = freeSlot(used);
      const op: OpRecord = {
        id: ops.length,
        node: t.node,
        process: processOf(t.node, slot),
        kind: t.kind,
        page: t.page,
        value: t.value,
        req: null,
        invokeAt: t.at,
        doneAt: null,
        outcome: 'open',
        local: false,
        error: null,
      };
      ops.push(op);
      open.set(key, { op, slot });
      continue;
    }
    const entry = open.get(key);
    if (!entry) continue;
    if (t.phase === 'req') {
      entry.op.req = t.req;
      continue;
    }
    const { op, slot } = entry;
    open.delete(key);
    used.delete(slot);
    op.doneAt = t.at;
    if (t.result.ok) {
      op.outcome = 'ok';
      op.local = t.result.local;
      if (op.kind === 'read') op.value = t.result.value;
    } else {
      op.outcome = t.result.certain ? 'fail' : 'info';
      op.error = t.result.error;
    }
  }
  return ops;
}

export interface History {
  events: HistoryEvent[];
  /** For each event, the operation it belongs to (null for nemesis events). */
  opIds: (number | null)[];
}

const NEMESIS_KINDS: ReadonlySet<string> = new Set(['kill', 'start', 'partition', 'heal']);

/** Processes of the writes standing for values from before the history, above every client's. */
const PREHISTORY_PROCESS = 1_000_000_000;

/**
 * The session as a checker history: invokes and completions in time order, faults as nemesis
 * info. A value from before the history (`inherited`) is a write that took effect by the time
 * the session learnt of it: invoked before everything, completed then.
 */
export function toHistory(ops: readonly OpRecord[], failures: readonly FailureEvent[] = [], inherited: readonly Inherited[] = []): History {
  type Row = { at: number; order: number; event: HistoryEvent; opId: number | null };
  const rows: Row[] = [];
  const first = Math.min(...ops.map((o) => o.invokeAt), ...inherited.map((v) => v.at)) - 1;
  inherited.forEach((v, i) => {
    const process = PREHISTORY_PROCESS + i;
    rows.push({
      at: first,
      order: 0,
      opId: null,
      event: { process, type: 'invoke', f: 'write', key: v.page, value: v.value, time: first },
    });
    rows.push({ at: v.at, order: 1, opId: null, event: { process, type: 'ok', f: 'write', key: v.page, value: v.value, time: v.at } });
  });
  for (const op of ops) {
    const written = op.kind === 'write' ? op.value : null;
    rows.push({
      at: op.invokeAt,
      order: 0,
      opId: op.id,
      event: {
        process: op.process,
        type: 'invoke',
        f: op.kind,
        key: op.page,
        value: written,
        time: op.invokeAt,
      },
    });
    if (op.doneAt === null || op.outcome === 'open') continue;
    rows.push({
      at: op.doneAt,
      order: 1,
      opId: op.id,
      event: {
        process: op.process,
        type: op.outcome,
        f: op.kind,
        key: op.page,
        value: op.value,
        time: op.doneAt,
      },
    });
  }
  for (const f of failures) {
    if (!NEMESIS_KINDS.has(f.kind)) continue;
    rows.push({
      at: f.at,
      order: 0,
      opId: null,
      event: {
        process: 'nemesis',
        type: 'info',
        f: f.kind,
        value: f.node,
        time: f.at,
      },
    });
  }
  // At equal times an invoke goes first: that orders nothing the clock did not.
  rows.sort((a, b) => a.at - b.at || a.order - b.order);
  return { events: rows.map((r) => r.event), opIds: rows.map((r) => r.opId) };
}

/** Operations rebuilt from a recorded history (the simulator's): no request ids, no messages. */
export function opsFromHistory(events: readonly HistoryEvent[]): OpRecord[] {
  const ops: OpRecord[] = [];
  const open = new Map<number, OpRecord>();
  for (const e of events) {
    if (e.process === 'nemesis') continue;
    if (e.type === 'invoke') {
      const op: OpRecord = {
        id: ops.length,
        node: `c${e.process % PROCESS_SLOT_STRIDE}`,
        process: e.process,
        kind: e.f,
        page: e.key,
        value: e.f === 'write' ? e.value : null,
        req: null,
        invokeAt: e.time,
        doneAt: null,
        outcome: 'open',
        local: false,
        error: null,
      };
      ops.push(op);
      open.set(e.process, op);
      continue;
    }
    const op = open.get(e.process);
    if (!op) continue;
    open.delete(e.process);
    op.doneAt = e.time;
    op.outcome = e.type;
    if (e.type === 'ok' && op.kind === 'read') op.value = e.value;
  }
  return ops;
}

/** The operations as they stood at `cursor`: later invokes unseen, later completions still open. */
export function opsAt(ops: readonly OpRecord[], cursor: number): OpRecord[] {
  return ops
    .filter((o) => o.invokeAt <= cursor)
    .map((o) =>
      o.doneAt !== null && o.doneAt > cursor
        ? { ...o, doneAt: null, outcome: 'open' as const, error: null, value: o.kind === 'read' ? null : o.value }
        : o,
    );
}
