// The wire protocol: one discriminated union, one literal per message kind. Names follow the
// seed; `code` gives Li & Hudak's labels (RQ, RF, ...) for the UI and transcripts.
import type { NodeId, PageId, ReqId } from './ids.ts';

interface Header {
  from: NodeId;
  to: NodeId;
  /** The central manager's epoch as the sender knows it; fencing compares it. */
  epoch: number;
}

interface PageOp extends Header {
  page: PageId;
  req: ReqId;
}

export type Access = 'nil' | 'read' | 'write';

export interface ReadRequest extends PageOp { type: 'READ_REQUEST' }
export interface WriteRequest extends PageOp { type: 'WRITE_REQUEST' }
/** CM -> owner: send a read copy to `requester`. */
export interface ReadForward extends PageOp { type: 'READ_FORWARD'; requester: NodeId }
/** CM -> owner: hand the page (and ownership) to `requester`. */
export interface WriteForward extends PageOp { type: 'WRITE_FORWARD'; requester: NodeId }
/**
 * Owner (or the CM, for a page nobody owns) -> requester. `access` says what the requester may
 * do with it; `content` is null for a page never written.
 */
export interface PageSend extends PageOp {
  type: 'PAGE';
  access: 'read' | 'write';
  content: string | null;
  version: number;
}
export interface ReadConfirmation extends PageOp { type: 'READ_CONFIRMATION' }
export interface WriteConfirmation extends PageOp { type: 'WRITE_CONFIRMATION'; version: number }
export interface Invalidate extends PageOp { type: 'INVALIDATE' }
export interface InvalidateConfirmation extends PageOp { type: 'INVALIDATE_CONFIRMATION' }
/** CM -> requester: the request cannot be served (e.g. the only copy died with its owner). */
export interface RequestFailed extends PageOp { type: 'REQUEST_FAILED'; reason: string }

export type Message =
  | ReadRequest
  | WriteRequest
  | ReadForward
  | WriteForward
  | PageSend
  | ReadConfirmation
  | WriteConfirmation
  | Invalidate
  | InvalidateConfirmation
  | RequestFailed;

export type MessageType = Message['type'];

/** Paper codes (Li & Hudak): R/W + Q request, F forward, D data, C confirmation; I invalidate. */
export function messageCode(m: Message): string {
  switch (m.type) {
    case 'READ_REQUEST': return 'RQ';
    case 'READ_FORWARD': return 'RF';
    case 'PAGE': return m.access === 'read' ? 'RD' : 'WD';
    case 'READ_CONFIRMATION': return 'RC';
    case 'WRITE_REQUEST': return 'WQ';
    case 'INVALIDATE': return 'IV';
    case 'INVALIDATE_CONFIRMATION': return 'IC';
    case 'WRITE_FORWARD': return 'WF';
    case 'WRITE_CONFIRMATION': return 'WC';
    case 'REQUEST_FAILED': return 'RX';
    default: return unreachable(m);
  }
}

/** One line per message, as transcripts and logs print it: `c1->cm1 READ_REQUEST(RQ) P1 c1:3 e1`. */
export function describeMessage(m: Message): string {
  return `${m.from}->${m.to} ${m.type}(${messageCode(m)}) ${m.page} ${m.req} e${m.epoch}`;
}

export function unreachable(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
