// What a node's log holds, record by record (each one frame, frames.ts), and the names of the
// files of a store:
//
//   log-<writer>-<gen>   one writer's log (a worker, a pack of nodes, a tab's log worker); a
//                        writer that compacts starts the next generation and removes the last
//   home-<node>-<lsn>    a node's whole table, written when it leaves a writer that goes on
//                        without it (a node killed in a pack), or folded from a dead log
//
// A log starts with a head record; after it come, for any of the writer's nodes, a snapshot of
// the node's whole table, then the changes of each of its commits. Every record of a node is
// numbered (lsn) past every earlier one of that node, in any file of the store: a node starts a
// life at the highest number any file holds for it, so the newest state is the highest number.
import type { NodeId } from '../protocol/ids.ts';
import { isNodeId } from '../protocol/ids.ts';
import { DurableTable, type DurableEntry } from '../protocol/durable.ts';
import { durableEntryError } from '../protocol/durable-checks.ts';
import { isCount, isRecord } from '../util/checks.ts';
import { frame, FRAME_HEADER_BYTES, unframe } from './frames.ts';

export const LOG_FORMAT_VERSION = 1;

export type LogRecord =
  | { t: 'head'; v: number; writer: string; gen: number }
  | { t: 'snap'; node: NodeId; lsn: number; entries: DurableEntry[] }
  | { t: 'delta'; node: NodeId; lsn: number; changes: readonly DurableEntry[] };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

export function encodeRecord(r: LogRecord): Uint8Array {
  return frame(encoder.encode(JSON.stringify(r)));
}

function entriesError(x: unknown): string | null {
  if (!Array.isArray(x)) return 'entries must be a list';
  for (const e of x) {
    const error = durableEntryError(e);
    if (error) return error;
  }
  return null;
}

/** Null when `x` is a record this version writes, else why not. */
export function recordError(x: unknown): string | null {
  if (!isRecord(x)) return 'a record must be an object';
  if (x.t === 'head') {
    if (x.v !== LOG_FORMAT_VERSION) return `log format ${JSON.stringify(x.v)} is not ${LOG_FORMAT_VERSION}`;
    return typeof x.writer === 'string' && isCount(x.gen) ? null : 'bad head record';
  }
  if (x.t !== 'snap' && x.t !== 'delta') return `unknown record type ${JSON.stringify(x.t)}`;
  if (!isNodeId(x.node) || !isCount(x.lsn)) return `bad ${x.t} record`;
  return entriesError(x.t === 'snap' ? x.entries : x.changes);
}

/**
 * A file's good records, each known by its type, node and number without parsing it: a
 * recovery parses a node's records only from its last snapshot on, so a log of 10,000 pages
 * costs one snapshot's parse, not every record's.
 */
export interface FileIndex {
  items: IndexedRecord[];
  /**
   * Bytes after the last good frame, up to the last byte that is not zero: a torn tail (a file
   * grown ahead of its appends ends in zeros, which are not counted).
   */
  tornBytes: number;
}

export interface IndexedRecord {
  t: LogRecord['t'];
  node: NodeId | null;
  lsn: number;
  payload: Uint8Array;
}

/** How every record this version writes begins: `{"t":"snap","node":"c1","lsn":7,...`. */
const PREFIX = /^\{"t":"(head|snap|delta)"(?:,"node":"([a-z0-9]{1,8})","lsn":(\d{1,15}),)?/;
const PREFIX_BYTES = 64;

export function indexFile(bytes: Uint8Array): FileIndex {
  const { payloads, goodBytes } = unframe(bytes);
  let end = bytes.length;
  while (end > goodBytes && bytes[end - 1] === 0) end--;
  const items: IndexedRecord[] = [];
  for (const payload of payloads) {
    const m = PREFIX.exec(latin1.decode(payload.subarray(0, PREFIX_BYTES)));
    const t = (m?.[1] ?? 'delta') as LogRecord['t'];
    // A record that does not begin as this version's do is parsed whole when its node's state is read.
    items.push(
      m && (t === 'head' || m[2] !== undefined)
        ? { t, node: m[2] ?? null, lsn: Number(m[3] ?? 0), payload }
        : { t: 'delta', node: null, lsn: -1, payload },
    );
  }
  return { items, tornBytes: end - goodBytes };
}

/** One record parsed and checked; a string says why it cannot be read. */
function parseRecord(payload: Uint8Array): LogRecord | string {
  let r: unknown;
  try {
    r = JSON.parse(decoder.decode(payload));
  } catch (e) {
    return `unreadable record: ${(e as Error).message}`;
  }
  return recordError(r) ?? (r as LogRecord);
}

export interface DecodedFile {
  records: LogRecord[];
  /** Bytes after the last record read: a torn tail, or from a record this version cannot read. */
  tornBytes: number;
  /** Why reading stopped before the end, when a whole frame held no record it could read. */
  problem: string | null;
}

/** Every record of a file parsed, up to its first torn, garbled or unreadable one. */
export function decodeFile(bytes: Uint8Array): DecodedFile {
  const index = indexFile(bytes);
  const records: LogRecord[] = [];
  let unread = index.tornBytes;
  for (const [k, item] of index.items.entries()) {
    const r = parseRecord(item.payload);
    if (typeof r === 'string') {
      for (const rest of index.items.slice(k)) unread += FRAME_HEADER_BYTES + rest.payload.length;
      return { records, tornBytes: unread, problem: r };
    }
    records.push(r);
  }
  return { records, tornBytes: unread, problem: null };
}

/** A node's table as one file holds it, under the number of its last record there. */
export interface NodeState {
  lsn: number;
  entries: DurableEntry[];
}

/** What reading a node's state out of a file found. */
export interface FileState {
  state: NodeState | null;
  /** Why its records stop short: one this version cannot read (later ones are not used). */
  problem: string | null;
}

/**
 * The state of `node` at the end of a file (from its last snapshot on), or null if it holds
 * none. Records of the node that cannot be read end it there.
 */
export function stateIn(index: FileIndex, node: NodeId): FileState {
  let from = -1;
  for (let k = index.items.length - 1; k >= 0 && from < 0; k--) {
    const item = index.items[k]!;
    if (item.t === 'snap' && item.node === node) from = k;
  }
  // Records whose beginning did not say (another writer's form) are read whole: one may be it.
  const unknown = index.items.some((i) => i.lsn < 0);
  if (unknown) from = 0;
  if (from < 0) return { state: null, problem: null };
  let table: DurableTable | null = null;
  let lsn = 0;
  for (const item of index.items.slice(from)) {
    if (item.lsn >= 0 && item.node !== node) continue;
    const r = parseRecord(item.payload);
    if (typeof r === 'string') return { state: table === null ? null : { lsn, entries: table.list() }, problem: r };
    if (r.t === 'head' || r.node !== node) continue;
    if (r.t === 'snap') {
      table = new DurableTable(r.entries);
      lsn = r.lsn;
    } else if (table !== null) {
      table.apply(r.changes);
      lsn = r.lsn;
    }
  }
  return { state: table === null ? null : { lsn, entries: table.list() }, problem: null };
}

/** Every node a file holds a state for. */
export function nodesIn(index: FileIndex): NodeId[] {
  const out = new Set<NodeId>();
  for (const i of index.items) {
    if (i.t === 'snap' && i.node !== null) out.add(i.node);
    else if (i.lsn < 0) {
      const r = parseRecord(i.payload);
      if (typeof r !== 'string' && r.t === 'snap') out.add(r.node);
    }
  }
  return [...out];
}

// --- file names ---------------------------------------------------------------------------

const LOG_NAME = /^log-([0-9a-z]{1,32})-([0-9]{1,15})$/;
const HOME_NAME = /^home-(cm[12]|c[1-9][0-9]{0,5})-([0-9]{1,15})$/;

export function logName(writer: string, gen: number): string {
  return `log-${writer}-${gen}`;
}

export function parseLogName(name: string): { writer: string; gen: number } | null {
  const m = LOG_NAME.exec(name);
  return m ? { writer: m[1]!, gen: Number(m[2]) } : null;
}

export function homeName(node: NodeId, lsn: number): string {
  return `home-${node}-${lsn}`;
}

export function parseHomeName(name: string): { node: NodeId; lsn: number } | null {
  const m = HOME_NAME.exec(name);
  return m ? { node: m[1]!, lsn: Number(m[2]) } : null;
}
