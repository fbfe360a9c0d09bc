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

export interface ReadRequest extends PageOp {
  type: 'READ_REQUEST';
}
export interface WriteRequest extends PageOp {
  type: 'WRITE_REQUEST';
}
/** CM -> owner: send a read copy to `requester`. */
export interface ReadForward extends PageOp {
  type: 'READ_FORWARD';
  requester: NodeId;
}
/** CM -> owner: hand the page (and ownership) to `requester`. */
export interface WriteForward extends PageOp {
  type: 'WRITE_FORWARD';
  requester: NodeId;
}
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
export interface ReadConfirmation extends PageOp {
  type: 'READ_CONFIRMATION';
}
export interface WriteConfirmation extends PageOp {
  type: 'WRITE_CONFIRMATION';
  version: number;
}
export interface Invalidate extends PageOp {
  type: 'INVALIDATE';
}
export interface InvalidateConfirmation extends PageOp {
  type: 'INVALIDATE_CONFIRMATION';
}
/**
 * CM -> requester: the request cannot be served (e.g. the only copy died with its owner).
 * `away` names the member whose absence makes the page unavailable, when that is the reason.
 */
export interface RequestFailed extends PageOp {
  type: 'REQUEST_FAILED';
  reason: string;
  away: NodeId | null;
}

/**
 * Owner -> acting CM, in a cluster that keeps one replica (`replicas: 1`): keep this version of
 * the page. The owner's write is acknowledged, and the page serves anyone, only once the CM has
 * answered REPLICA_ACK; until then the owner sends it again every retry interval. `req` is a
 * request number of the owner's, so the message has a page's scope on both sides.
 */
export interface Replicate extends PageOp {
  type: 'REPLICATE';
  version: number;
  content: string | null;
}
/** Acting CM -> owner: `version` of the page is durable on the CM (and on the standby's record). */
export interface ReplicaAck extends PageOp {
  type: 'REPLICA_ACK';
  version: number;
}

/** A page's last acknowledged version as the CMs keep it for a cluster with `replicas: 1`. */
export interface Replica {
  page: PageId;
  version: number;
  content: string | null;
}

/** What a client holds of one page, as it tells a CM rebuilding its metadata. */
export interface HeldPage {
  page: PageId;
  access: 'read' | 'write';
  owner: boolean;
  version: number;
}

/** The last time this client handed a page's ownership on: the page may be in transit. */
export interface Handoff {
  page: PageId;
  to: NodeId;
  req: ReqId;
  version: number;
}

/** One page's metadata as CMs exchange it. */
export interface MetaEntry {
  page: PageId;
  owner: NodeId | null;
  copySet: NodeId[];
  version: number;
}

/**
 * Acting CM -> client: "I am the CM at this epoch; tell me what you hold". Also re-asks. `ask`
 * numbers the CM's asks (0 between CMs): the report that answers says which it answers.
 */
export interface ChangeCm extends Header {
  type: 'CHANGE_CM';
  ask: number;
}
/**
 * Client -> CM: its page table, its request in flight and its recent handoffs. `answers` is the
 * last `ask` it heard from this CM before it wrote the report (0 for none): a page the CM has
 * moved since that ask (through another member's word) may have moved after the report was
 * written, so what the report says of its ownership is not taken.
 */
export interface ClientReport extends Header {
  type: 'CLIENT_REPORT';
  answers: number;
  pages: HeldPage[];
  inFlight: { req: ReqId; kind: 'read' | 'write'; page: PageId } | null;
  handoffs: Handoff[];
}
/**
 * Standby -> the other CM: are you alive (and acting)? `acked` is the `seq` of the last
 * PULSE_REPLY that reached the standby (0 for none): from it the acting CM knows how long the
 * standby will not take over (its role lease, see manager.ts).
 */
export interface Pulse extends Header {
  type: 'PULSE';
  acked: number;
  /**
   * Only acknowledges a reply at once (an urgent or a full one, see PulseReply): it is not
   * answered, so acknowledgements and replies never feed each other.
   */
  ack: boolean;
}
/**
 * The answer to PULSE, numbered. From the acting CM it also replicates the metadata to the
 * standby: `meta` holds the entries of the pages changed since the last reply the standby saw,
 * or, with `full`, the whole metadata from the start (the standby forgets its copy first). What
 * one frame cannot hold follows with the next replies. `away` lists the members the acting CM
 * deems away (empty from a standby): a standby that takes over need not wait out their leases.
 *
 * In streaming mode an entry's `owner` names the member that may hold the page: its owner, the
 * sender of a transfer under way, or the member the CM is granting it to; and the acting CM
 * grants a page nobody owns only once the standby acknowledged a reply naming the grantee. So
 * the standby's copy, once it has had a `full` reply, names every member that may hold a page,
 * except for the members in `uncertain` (the acting CM itself does not know all they hold).
 * `urgent`: grants wait for this reply; the standby acknowledges it at once with a PULSE.
 */
export interface PulseReply extends Header {
  type: 'PULSE_REPLY';
  seq: number;
  acting: boolean;
  members: NodeId[];
  away: NodeId[];
  meta: MetaEntry[];
  full: boolean;
  uncertain: NodeId[];
  urgent: boolean;
  /** Replicas kept since the last reply the standby saw (all of them with `full`), as many as fit. */
  replicas: Replica[];
}
/** Client -> acting CM: renew my lease (`n` numbers the client's heartbeats). */
export interface Lease extends Header {
  type: 'LEASE';
  n: number;
}
/** Acting CM -> client: heartbeat `n` renews your lease for `ms`, counted from when you sent it. */
export interface LeaseGrant extends Header {
  type: 'LEASE_GRANT';
  n: number;
  ms: number;
}
/** Rebooted primary -> backup: hand me the title back. */
export interface ImBack extends Header {
  type: 'IM_BACK';
}
/**
 * Backup -> rebooted primary: what I know (epoch in the header), after stepping down. `complete`:
 * `meta` names every member that may hold a page, except those in `uncertain` (see PulseReply).
 */
export interface CmState extends Header {
  type: 'CM_STATE';
  members: NodeId[];
  meta: MetaEntry[];
  complete: boolean;
  uncertain: NodeId[];
  replicas: Replica[];
}

/** Messages about one page and one request: the Ivy protocol proper. */
export type PageMessage =
  | ReadRequest
  | WriteRequest
  | ReadForward
  | WriteForward
  | PageSend
  | ReadConfirmation
  | WriteConfirmation
  | Invalidate
  | InvalidateConfirmation
  | RequestFailed
  | Replicate
  | ReplicaAck;

/** Messages that keep the CM available: failure detection, failover, recovery. */
export type ControlMessage = ChangeCm | ClientReport | Pulse | PulseReply | ImBack | CmState | Lease | LeaseGrant;

export type Message = PageMessage | ControlMessage;

export type MessageType = Message['type'];

/** Paper codes (Li & Hudak): R/W + Q request, F forward, D data, C confirmation; I invalidate. */
export function messageCode(m: Message): string {
  switch (m.type) {
    case 'READ_REQUEST':
      return 'RQ';
    case 'READ_FORWARD':
      return 'RF';
    case 'PAGE':
      return m.access === 'read' ? 'RD' : 'WD';
    case 'READ_CONFIRMATION':
      return 'RC';
    case 'WRITE_REQUEST':
      return 'WQ';
    case 'INVALIDATE':
      return 'IV';
    case 'INVALIDATE_CONFIRMATION':
      return 'IC';
    case 'WRITE_FORWARD':
      return 'WF';
    case 'WRITE_CONFIRMATION':
      return 'WC';
    case 'REQUEST_FAILED':
      return 'RX';
    case 'REPLICATE':
      return 'RP';
    case 'REPLICA_ACK':
      return 'RA';
    case 'CHANGE_CM':
      return 'CC';
    case 'CLIENT_REPORT':
      return 'CR';
    case 'PULSE':
      return 'PU';
    case 'PULSE_REPLY':
      return 'PR';
    case 'IM_BACK':
      return 'IB';
    case 'CM_STATE':
      return 'CS';
    case 'LEASE':
      return 'LE';
    case 'LEASE_GRANT':
      return 'LG';
    default:
      return unreachable(m);
  }
}

/** One line per message, as transcripts and logs print it: `c1->cm1 READ_REQUEST(RQ) P1 c1:3 e1`. */
export function describeMessage(m: Message): string {
  const about = isPageMessage(m) ? ` ${m.page} ${m.req}` : '';
  return `${m.from}->${m.to} ${m.type}(${messageCode(m)})${about} e${m.epoch}`;
}

export function isPageMessage(m: Message): m is PageMessage {
  return 'req' in m;
}

export function unreachable(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
