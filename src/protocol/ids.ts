// Identities and the limits every input is checked against before it touches state.

/** A node's address: `cm1` / `cm2` for the two central-manager identities, `c<n>` for clients. */
export type NodeId = string;
/** `<client node id>:<sequence number>`, unique per operation; retries reuse it. */
export type ReqId = string;
export type PageId = string;

export const PAGE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const NODE_ID_PATTERN = /^(cm[12]|c[1-9][0-9]{0,5})$/;
export const REQ_ID_PATTERN = /^c[1-9][0-9]{0,5}:[0-9]{1,15}$/;

export function isNodeId(v: unknown): v is NodeId {
  return typeof v === 'string' && NODE_ID_PATTERN.test(v);
}

export const PRIMARY_CM: NodeId = 'cm1';
export const BACKUP_CM: NodeId = 'cm2';

export function clientNodeId(n: number): NodeId {
  return `c${n}`;
}

/** The client number behind `c<n>`, or null for anything else. */
export function clientNumber(id: NodeId): number | null {
  const m = /^c([1-9][0-9]{0,5})$/.exec(id);
  return m ? Number(m[1]) : null;
}

export function isCmId(id: NodeId): boolean {
  return id === PRIMARY_CM || id === BACKUP_CM;
}

/** The highest client number an id can carry (NODE_ID_PATTERN): `c999999`. */
export const CLIENT_NUMBER_MAX = 999_999;

/** Whether `cm` can act under `epoch`: cm1 takes only odd epochs and cm2 only even ones (manager.ts). */
export function mayActAt(cm: NodeId, epoch: number): boolean {
  return epoch % 2 === (cm === PRIMARY_CM ? 1 : 0);
}

export function reqId(client: NodeId, seq: number): ReqId {
  return `${client}:${seq}`;
}

/** Splits a request id; the validator guarantees the shape for anything off the wire. */
export function parseReqId(req: ReqId): { client: NodeId; seq: number } {
  const i = req.lastIndexOf(':');
  return { client: req.slice(0, i), seq: Number(req.slice(i + 1)) };
}

const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

const PREVIEW_LENGTH_MAX = 40;

/** A short, never-throwing rendering of any value for error messages (BigInt, cycles, huge strings). */
export function preview(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? `[${typeof v}]` : String(v);
  } catch {
    s = `[${typeof v}]`;
  }
  return s.length > PREVIEW_LENGTH_MAX ? `${s.slice(0, PREVIEW_LENGTH_MAX)}...` : s;
}

/** Null when the page id is acceptable, else the error a user should read. */
export function pageIdError(page: unknown): string | null {
  if (typeof page !== 'string' || !PAGE_ID_PATTERN.test(page)) {
    return `invalid page id ${preview(page)}: use 1-64 letters, digits, '_' or '-'`;
  }
  // Names every object already has (`__proto__`, `constructor`) would bite any code that keys a
  // plain object by page, here or in a tool reading our histories: refuse them everywhere.
  if (page in Object.prototype) return `invalid page id ${preview(page)}: a reserved name`;
  return null;
}

export function contentError(content: unknown, pageSizeBytes: number): string | null {
  if (typeof content !== 'string') return 'content must be a string';
  // UTF-8 never takes fewer bytes than UTF-16 code units: a string longer than the page is
  // refused before any costly look at it.
  if (content.length > pageSizeBytes) return `content is ${content.length} characters, more than the page size of ${pageSizeBytes} bytes`;
  if (LONE_SURROGATE.test(content)) return 'content is not valid UTF-8 text (lone surrogate)';
  const n = utf8Length(content);
  if (n > pageSizeBytes) return `content is ${n} bytes; the page size is ${pageSizeBytes} bytes`;
  return null;
}
