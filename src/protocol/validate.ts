// Runtime validation of anything that arrives from outside (another worker, tab or machine).
// A frame that fails here is dropped and logged by the host; it never reaches a node's state.
import { contentError, NODE_ID_PATTERN, pageIdError, preview, REQ_ID_PATTERN } from './ids.ts';
import type { Message, MessageType } from './messages.ts';

export type Parsed = { ok: true; message: Message } | { ok: false; error: string };

type FieldKind = 'node' | 'access' | 'content' | 'count' | 'reason';

/** The fields each kind carries beyond the common header (from, to, epoch, page, req). */
const EXTRA_FIELDS: { [K in MessageType]: Record<string, FieldKind> } = {
  READ_REQUEST: {},
  WRITE_REQUEST: {},
  READ_FORWARD: { requester: 'node' },
  WRITE_FORWARD: { requester: 'node' },
  PAGE: { access: 'access', content: 'content', version: 'count' },
  READ_CONFIRMATION: {},
  WRITE_CONFIRMATION: { version: 'count' },
  INVALIDATE: {},
  INVALIDATE_CONFIRMATION: {},
  REQUEST_FAILED: { reason: 'reason' },
};

const REASON_LENGTH_MAX = 500;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function fieldError(kind: FieldKind, v: unknown, pageSizeBytes: number): string | null {
  switch (kind) {
    case 'node': return typeof v === 'string' && NODE_ID_PATTERN.test(v) ? null : 'bad node id';
    case 'access': return v === 'read' || v === 'write' ? null : 'bad access';
    case 'content': return v === null ? null : contentError(v, pageSizeBytes);
    case 'count': return isCount(v) ? null : 'bad count';
    case 'reason':
      return typeof v === 'string' && v.length <= REASON_LENGTH_MAX ? null : 'bad reason';
  }
}

function headerError(o: Record<string, unknown>): string | null {
  if (typeof o.from !== 'string' || !NODE_ID_PATTERN.test(o.from)) return 'bad from';
  if (typeof o.to !== 'string' || !NODE_ID_PATTERN.test(o.to)) return 'bad to';
  if (!isCount(o.epoch)) return 'bad epoch';
  const pageErr = pageIdError(o.page);
  if (pageErr) return pageErr;
  if (typeof o.req !== 'string' || !REQ_ID_PATTERN.test(o.req)) return 'bad request id';
  return null;
}

/**
 * Checks shape, types and limits, and rebuilds the message from the known fields only, so that
 * extra properties from a hostile peer never travel further.
 */
export function parseMessage(raw: unknown, pageSizeBytes: number): Parsed {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, error: 'message is not an object' };
  }
  const o = raw as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || !Object.hasOwn(EXTRA_FIELDS, type)) {
    return { ok: false, error: `unknown message type ${preview(type)}` };
  }
  const extra = EXTRA_FIELDS[type as MessageType];
  const header = headerError(o);
  if (header) return { ok: false, error: `${type}: ${header}` };
  const clean: Record<string, unknown> = {
    type, from: o.from, to: o.to, epoch: o.epoch, page: o.page, req: o.req,
  };
  for (const [name, kind] of Object.entries(extra)) {
    const err = fieldError(kind, o[name], pageSizeBytes);
    if (err) return { ok: false, error: `${type}: ${name}: ${err}` };
    clean[name] = o[name];
  }
  return { ok: true, message: clean as unknown as Message };
}
