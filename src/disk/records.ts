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
import { durableEntryError, DurableTable, type DurableEntry } from '../protocol/durable.ts';
import { isCount, isRecord } from '../util/checks.ts';
import { frame, FRAME_HEADER_BYTES, unframe } from './frames.ts';

export const LOG_FORMAT_VERSION = 1;

export type LogRecord =
  | { t: 'head'; v: number; writer: string; gen: number }
  | { t: 'snap'; node: NodeId; lsn: number; entries: DurableEntry[] }
  | { t: 'delta'; node: NodeId; lsn: number; changes: readonly DurableEntry[] };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

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

export interface DecodedFile {
  records: LogRecord[];
  /**
   * Bytes after the last good record, up to the last byte that is not zero: a torn tail, or a
   * record this version cannot read (a file grown ahead of its appends ends in zeros, which are
   * not counted).
   */
  tornBytes: number;
  /** Why reading stopped before the end, when a whole frame held no record it could read. */
  problem: string | null;
}

/** Every record of a file, up to its first torn, garbled or unreadable one. */
export function decodeFile(bytes: Uint8Array): DecodedFile {
  const { payloads, goodBytes } = unframe(bytes);
  let end = bytes.length;
  while (end > goodBytes && bytes[end - 1] === 0) end--;
  const records: LogRecord[] = [];
  let read = 0;
  for (const p of payloads) {
    let r: unknown;
    try {
      r = JSON.parse(decoder.decode(p));
    } catch (e) {
      return { records, tornBytes: end - read, problem: `unreadable record: ${(e as Error).message}` };
    }
    const error = recordError(r);
    if (error) return { records, tornBytes: end - read, problem: error };
    records.push(r as LogRecord);
    read += FRAME_HEADER_BYTES + p.length;
  }
  return { records, tornBytes: end - goodBytes, problem: null };
}

/** A node's table as one file holds it, under the number of its last record there. */
export interface NodeState {
  lsn: number;
  entries: DurableEntry[];
}

/** The state of `node` at the end of these records (from its last snapshot on), or null if they hold none. */
export function stateIn(records: readonly LogRecord[], node: NodeId): NodeState | null {
  let table: DurableTable | null = null;
  let lsn = 0;
  for (const r of records) {
    if (r.t === 'head' || r.node !== node) continue;
    if (r.t === 'snap') {
      table = new DurableTable(r.entries);
      lsn = r.lsn;
    } else if (table !== null) {
      table.apply(r.changes);
      lsn = r.lsn;
    }
  }
  return table === null ? null : { lsn, entries: table.list() };
}

/** Every node these records hold a state for. */
export function nodesIn(records: readonly LogRecord[]): NodeId[] {
  const out = new Set<NodeId>();
  for (const r of records) if (r.t === 'snap') out.add(r.node);
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
