// Runtime validation of anything that arrives from outside (another worker, tab or machine).
// A frame that fails here is dropped and logged by the host; it never reaches a node's state.
//
// messages.ts declares the wire; the tables here say how each field is checked, and their types
// are derived from those declarations: a field added, dropped or retyped on one side and not the
// other fails to compile (tests/protocol/validate.test.ts holds the proof).
import { isCount, isRecord } from '../util/checks.ts';
import { contentError, isNodeId, pageIdError, preview, REQ_ID_PATTERN, type NodeId, type PageId, type ReqId } from './ids.ts';
import { CLUSTER_PAGES_MAX, COUNT_MAX, EPOCH_MAX, FRAME_ITEMS_MAX, LIST_LENGTH_MAX, REASON_LENGTH_MAX, VERSION_MAX } from './limits.ts';
import type { ClientReport, Handoff, HeldPage, Message, MessageType, MetaEntry, Replica } from './messages.ts';

export type Parsed = { ok: true; message: Message } | { ok: false; error: string };

/** Each way a field is checked, with the type it admits. */
interface KindTypes {
  node: NodeId;
  nullableNode: NodeId | null;
  nodes: NodeId[];
  access: 'read' | 'write';
  content: string | null;
  version: number;
  count: number;
  reason: string;
  bool: boolean;
  page: PageId;
  req: ReqId;
  heldPages: HeldPage[];
  handoffs: Handoff[];
  inFlight: ClientReport['inFlight'];
  metaEntries: MetaEntry[];
  replicas: Replica[];
}

type FieldKind = keyof KindTypes;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The kinds that admit exactly the type `V`. Ids are plain strings, so a node kind may check a page field. */
type KindFor<V> = { [K in FieldKind]: Same<KindTypes[K], V> extends true ? K : never }[FieldKind];
/** A kind for every field of `T` and for nothing else. */
export type FieldsOf<T> = { readonly [F in keyof T]-?: KindFor<T[F]> };
/** The fields of one message type beyond the common header (from, to, epoch). */
export type WireFields<K extends MessageType> = FieldsOf<Omit<Extract<Message, { type: K }>, 'type' | 'from' | 'to' | 'epoch'>>;

const PAGE_OP = { page: 'page', req: 'req' } as const;

const FIELDS: { readonly [K in MessageType]: WireFields<K> } = {
  READ_REQUEST: PAGE_OP,
  WRITE_REQUEST: PAGE_OP,
  READ_FORWARD: { ...PAGE_OP, requester: 'node' },
  WRITE_FORWARD: { ...PAGE_OP, requester: 'node' },
  PAGE: { ...PAGE_OP, access: 'access', content: 'content', version: 'version' },
  READ_CONFIRMATION: PAGE_OP,
  WRITE_CONFIRMATION: { ...PAGE_OP, version: 'version' },
  INVALIDATE: PAGE_OP,
  INVALIDATE_CONFIRMATION: PAGE_OP,
  REQUEST_FAILED: { ...PAGE_OP, reason: 'reason', away: 'nullableNode' },
  REPLICATE: { ...PAGE_OP, version: 'version', content: 'content' },
  REPLICA_ACK: { ...PAGE_OP, version: 'version' },
  CHANGE_CM: { ask: 'count' },
  CLIENT_REPORT: { answers: 'count', pages: 'heldPages', inFlight: 'inFlight', handoffs: 'handoffs' },
  PULSE: { acked: 'count', ack: 'bool' },
  PULSE_REPLY: {
    seq: 'count',
    acting: 'bool',
    members: 'nodes',
    away: 'nodes',
    meta: 'metaEntries',
    full: 'bool',
    uncertain: 'nodes',
    urgent: 'bool',
    replicas: 'replicas',
  },
  IM_BACK: {},
  CM_STATE: { members: 'nodes', meta: 'metaEntries', complete: 'bool', uncertain: 'nodes', replicas: 'replicas' },
  LEASE: { n: 'count' },
  LEASE_GRANT: { n: 'count', ms: 'count' },
};

/** What is left of the frame's allowance of list items, shared by all its lists, nested or not. */
interface Budget {
  items: number;
}

/** Takes a list's length from the budget; false when the list is too long or the frame too big. */
function spend(budget: Budget, v: unknown, max = LIST_LENGTH_MAX): v is unknown[] {
  if (!Array.isArray(v) || v.length > max || v.length > budget.items) return false;
  budget.items -= v.length;
  return true;
}

type AnyFields = Readonly<Record<string, FieldKind>>;

/** Checks a list of records, each against the given field kinds; returns the first error. */
function listError(v: unknown, fields: AnyFields, pageSizeBytes: number, budget: Budget, max = LIST_LENGTH_MAX): string | null {
  if (!spend(budget, v, max)) return `bad list (at most ${max} items, ${FRAME_ITEMS_MAX} in a frame)`;
  for (const item of v) {
    const err = recordError(item, fields, pageSizeBytes, budget);
    if (err) return err;
  }
  return null;
}

function recordError(v: unknown, fields: AnyFields, pageSizeBytes: number, budget: Budget): string | null {
  if (!isRecord(v)) return 'not an object';
  for (const [name, kind] of Object.entries(fields)) {
    const err = fieldError(kind, v[name], pageSizeBytes, budget);
    if (err) return `${name}: ${err}`;
  }
  return null;
}

const HELD_PAGE: FieldsOf<HeldPage> = { page: 'page', access: 'access', owner: 'bool', version: 'version' };
const HANDOFF: FieldsOf<Handoff> = { page: 'page', to: 'node', req: 'req', version: 'version' };
const META_ENTRY: FieldsOf<MetaEntry> = { page: 'page', owner: 'nullableNode', copySet: 'nodes', version: 'version' };
const REPLICA: FieldsOf<Replica> = { page: 'page', version: 'version', content: 'content' };
const IN_FLIGHT: FieldsOf<NonNullable<ClientReport['inFlight']>> = { req: 'req', kind: 'access', page: 'page' };

function fieldError(kind: FieldKind, v: unknown, pageSizeBytes: number, budget: Budget): string | null {
  switch (kind) {
    case 'node':
      return isNodeId(v) ? null : 'bad node id';
    case 'nullableNode':
      return v === null || isNodeId(v) ? null : 'bad node id';
    case 'nodes':
      return spend(budget, v) && v.every(isNodeId) ? null : 'bad node list';
    case 'access':
      return v === 'read' || v === 'write' ? null : 'bad access';
    case 'content':
      return v === null ? null : contentError(v, pageSizeBytes);
    case 'version':
      return isCount(v, VERSION_MAX) ? null : `bad version (an integer from 0 to ${VERSION_MAX})`;
    case 'count':
      return isCount(v, COUNT_MAX) ? null : `bad count (an integer from 0 to ${COUNT_MAX})`;
    case 'bool':
      return typeof v === 'boolean' ? null : 'bad flag';
    case 'reason':
      return typeof v === 'string' && v.length <= REASON_LENGTH_MAX ? null : 'bad reason';
    case 'page':
      return pageIdError(v);
    case 'req':
      return typeof v === 'string' && REQ_ID_PATTERN.test(v) ? null : 'bad request id';
    // A client holds, and has handed on, pages of one cluster only.
    case 'heldPages':
      return listError(v, HELD_PAGE, pageSizeBytes, budget, CLUSTER_PAGES_MAX);
    case 'handoffs':
      return listError(v, HANDOFF, pageSizeBytes, budget, CLUSTER_PAGES_MAX);
    case 'inFlight':
      return v === null ? null : recordError(v, IN_FLIGHT, pageSizeBytes, budget);
    case 'metaEntries':
      return listError(v, META_ENTRY, pageSizeBytes, budget);
    case 'replicas':
      return listError(v, REPLICA, pageSizeBytes, budget, CLUSTER_PAGES_MAX);
  }
}

/** Rebuilds a value from the known fields only, so a hostile peer's extras never travel on. */
function clean(kind: FieldKind, v: unknown): unknown {
  const pick = (o: unknown, fields: AnyFields): Record<string, unknown> => {
    const r = o as Record<string, unknown>;
    return Object.fromEntries(Object.entries(fields).map(([n, k]) => [n, clean(k, r[n])]));
  };
  switch (kind) {
    case 'nodes':
      return [...(v as string[])];
    case 'heldPages':
      return (v as unknown[]).map((x) => pick(x, HELD_PAGE));
    case 'handoffs':
      return (v as unknown[]).map((x) => pick(x, HANDOFF));
    case 'inFlight':
      return v === null ? null : pick(v, IN_FLIGHT);
    case 'metaEntries':
      return (v as unknown[]).map((x) => pick(x, META_ENTRY));
    case 'replicas':
      return (v as unknown[]).map((x) => pick(x, REPLICA));
    default:
      return v;
  }
}

function headerError(o: Record<string, unknown>): string | null {
  if (!isNodeId(o.from)) return 'bad from';
  if (!isNodeId(o.to)) return 'bad to';
  if (!isCount(o.epoch, EPOCH_MAX)) return `bad epoch (an integer from 0 to ${EPOCH_MAX})`;
  return null;
}

/** Checks shape, types and limits, and returns a copy holding the known fields only. */
export function parseMessage(raw: unknown, pageSizeBytes: number): Parsed {
  if (!isRecord(raw)) return { ok: false, error: 'message is not an object' };
  const type = raw.type;
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS, type)) {
    return { ok: false, error: `unknown message type ${preview(type)}` };
  }
  const fields: AnyFields = FIELDS[type as MessageType];
  const header = headerError(raw);
  if (header) return { ok: false, error: `${type}: ${header}` };
  const out: Record<string, unknown> = { type, from: raw.from, to: raw.to, epoch: raw.epoch };
  const budget: Budget = { items: FRAME_ITEMS_MAX };
  for (const [name, kind] of Object.entries(fields)) {
    const err = fieldError(kind, raw[name], pageSizeBytes, budget);
    if (err) return { ok: false, error: `${type}: ${name}: ${err}` };
    out[name] = clean(kind, raw[name]);
  }
  return { ok: true, message: out as unknown as Message };
}
