// A client of the central manager: it holds pages, serves hits locally, faults to the CM,
// and answers the CM's forwards and invalidations. One of its own operations is in flight at
// a time; later ones wait in a local queue, as a user's commands would.
//
// Fault tolerance lives here too: the client follows the CM with the highest epoch it has
// heard of, ignores CM orders from older epochs, retries its request (same id) until it is
// served or its deadline passes, and tells a new CM exactly what it holds (CLIENT_REPORT).
//
// Membership: read copies are held under a lease the acting CM renews (LEASE / LEASE_GRANT).
// Once the lease runs out the client serves no read hit from a copy and drops its copies: the
// CM may by then have deemed it away and let writes pass it by. Pages it owns stay: nobody else
// can write them while it owns them, so its own hits on them are never stale.
import { TIMING_DEFAULTS, type Timing } from './config.ts';
import {
  BACKUP_CM,
  contentError,
  isCmId,
  mayActAt,
  pageIdError,
  parseReqId,
  PRIMARY_CM,
  reqId,
  type NodeId,
  type PageId,
  type ReqId,
} from './ids.ts';
import { CLUSTER_PAGES_MAX, COUNT_MAX, EPOCH_JUMP_MAX, GHOSTS_MAX, PAGE_SIZE_BYTES_DEFAULT, VERSION_MAX } from './limits.ts';
import { unreachable, type Access, type ClientReport, type Handoff, type HeldPage, type Message, type PageSend } from './messages.ts';
import { Outbox, type IvyNode, type OpKind, type OpResult, type Ready } from './node.ts';
import type { Replicas } from './config.ts';
import { clientEntries, SEQ_BLOCK, type ClientDurable, type DurableEntry, type Ghost } from './durable.ts';
import { assert } from '../util/assert.ts';

export { SEQ_BLOCK, type ClientDurable } from './durable.ts';

export interface PageEntry {
  content: string | null;
  version: number;
  access: Access;
  owner: boolean;
}

export interface ClientConfig {
  id: NodeId;
  cm?: NodeId;
  epoch?: number;
  pageSizeBytes?: number;
  timing?: Timing;
  /** Restart from what a previous incarnation persisted. */
  durable?: ClientDurable;
  /**
   * 1: a write is acknowledged only once the acting CM keeps a durable replica of the new version
   * (REPLICATE / REPLICA_ACK), so the page survives its owner leaving for good. 0 (the default): Ivy.
   */
  replicas?: Replicas;
  /** Reports to the CM at once, so that a CM that never heard of this client learns of it. */
  announce?: boolean;
  /**
   * Where request numbering starts without a disk. A node restarted blank must not reuse the
   * ids of its earlier life (the CM and other clients remember them), so hosts pass a value
   * that grows across incarnations (wall-clock milliseconds, or the simulator's time).
   */
  seqStart?: number;
}

export type OpRequest = { kind: 'read'; page: PageId } | { kind: 'write'; page: PageId; value: string };

interface PendingOp {
  opId: number;
  kind: OpKind;
  page: PageId;
  value: string | null;
  /** When it was submitted: an operation held up by a page's replica fails at since + requestDeadlineMs. */
  since: number;
}

/**
 * A version of an owned page that the CM has not acknowledged keeping (replicas: 1). Until it
 * does, nobody sees that version: the write waits (`op`), other operations on the page wait,
 * and the CM's forwards of it are held (`deferred`).
 */
interface Unreplicated {
  req: ReqId;
  version: number;
  content: string | null;
  startedAt: number;
  lastSentAt: number;
  /** The write it acknowledges, until it is acknowledged or given up. */
  op: PendingOp | null;
}

interface InFlight extends PendingOp {
  req: ReqId;
  sentAt: number;
  lastSentAt: number;
  attempts: number;
}

export interface ClientSnapshot {
  id: NodeId;
  cm: NodeId;
  epoch: number;
  /** Whether its read copies count: its lease from the acting CM has not run out. */
  leased: boolean;
  pages: Array<{ page: PageId } & PageEntry>;
  inFlight: { req: ReqId; kind: OpKind; page: PageId } | null;
  queued: number;
  /** Pages whose last version waits for the CM's replica (replicas: 1): they serve nobody until it is kept. */
  unreplicated: PageId[];
}

/** Heartbeats whose send time is kept: a grant for an older one arrives too late to matter. */
const HEARTBEATS_REMEMBERED = 8;

/** Drops the oldest entries of an insertion-ordered map beyond `max`, telling `evicted` of each. */
function trim<K, V>(m: Map<K, V>, max: number, evicted?: (k: K, v: V) => void): void {
  for (const [k, v] of m) {
    if (m.size <= max) return;
    m.delete(k);
    evicted?.(k, v);
  }
}

export class ClientNode implements IvyNode {
  readonly id: NodeId;
  private cm: NodeId;
  private epoch: number;
  private readonly pageSizeBytes: number;
  private readonly timing: Timing;
  private readonly pages = new Map<PageId, PageEntry>();
  private readonly handoffs = new Map<PageId, Handoff>();
  /** See ClientDurable.got: it tells a repeated transfer from a new one. */
  private readonly got = new Map<PageId, number>();
  private readonly ghosts = new Map<ReqId, Ghost>();
  private readonly queue: PendingOp[] = [];
  private readonly replicas: Replicas;
  private readonly unreplicated = new Map<PageId, Unreplicated>();
  /**
   * The CM's latest forward of a page, held while the page's last version is not replicated, and
   * when it came. Served when the replica is kept, if it came within a resend interval: the CM
   * sends a forward it still wants again every cmResendMs, and an older one may be for a request
   * it has since given up, which would hand the page to a client that no longer wants it.
   */
  private readonly deferred = new Map<PageId, { m: Extract<Message, { type: 'READ_FORWARD' | 'WRITE_FORWARD' }>; at: number }>();
  /** The page whose replica the current operation waits for (one operation at a time). */
  private replicaOp: PageId | null = null;
  private inFlight: InFlight | null = null;
  private seq = 0;
  /** The highest request number the disk has been asked to keep (ClientDurable.seq). */
  private seqReserved = 0;
  private nextOpId = 1;
  private now = 0;
  private lastCmContactAt = -Infinity;
  /** Until when (on this client's clock) its copies may serve read hits. */
  private leaseUntil = -Infinity;
  /** The last ask (CHANGE_CM) heard from the CM it follows: what its reports answer. */
  private lastAsk = 0;
  private heartbeats = 0;
  private lastHeartbeatAt = -Infinity;
  /** This life's first heartbeat: silence is counted from it until a CM has said a word. */
  private firstHeartbeatAt = -Infinity;
  private lastTickAt = -Infinity;
  /** When each recent heartbeat left, by number: a grant counts from its heartbeat's send time. */
  private readonly heartbeatSentAt = new Map<number, number>();
  /** Durable entries changed since the last ready(), by key (see durable.ts). */
  private identityChanged = true;
  private readonly pagesChanged = new Set<PageId>();
  private readonly handoffsChanged = new Set<PageId>();
  private readonly ghostsChanged = new Map<ReqId, PageId>();
  private readonly gotChanged = new Set<PageId>();
  private readonly out = new Outbox();

  constructor(cfg: ClientConfig) {
    this.id = cfg.id;
    this.cm = cfg.cm ?? PRIMARY_CM;
    this.epoch = cfg.epoch ?? 1;
    this.pageSizeBytes = cfg.pageSizeBytes ?? PAGE_SIZE_BYTES_DEFAULT;
    this.timing = cfg.timing ?? TIMING_DEFAULTS;
    this.replicas = cfg.replicas ?? 0;
    this.seq = Math.max(0, Math.floor(cfg.seqStart ?? 0));
    if (cfg.durable) this.restore(cfg.durable);
    this.seqReserved = this.seq;
    if (cfg.durable || cfg.announce) this.report();
    // This life cannot tell which of its pages' versions the CM keeps: each is sent again (the
    // CM acknowledges a version it has at once), and serves nobody until then.
    if (this.replicas > 0) {
      for (const [page, e] of this.pages) if (e.owner && e.access !== 'nil') this.replicate(page, e.version, e.content, null, null);
    }
  }

  /** Queues a user operation; its outcome arrives later as an `op-done` event with this id. */
  submit(op: OpRequest, now: number): number {
    this.now = now;
    const opId = this.nextOpId++;
    const error = pageIdError(op.page) ?? (op.kind === 'write' ? contentError(op.value, this.pageSizeBytes) : null);
    if (error) {
      this.finish({ opId, kind: op.kind, page: op.page, value: null, since: now }, { ok: false, error, certain: true });
      return opId;
    }
    this.queue.push({ opId, kind: op.kind, page: op.page, value: op.kind === 'write' ? op.value : null, since: now });
    this.pump();
    return opId;
  }

  step(m: Message, now: number): void {
    this.now = now;
    if (!isCmId(m.from) && m.type !== 'PAGE') {
      // Forwards, invalidations and failures are a CM's orders; from a client they are forged.
      this.out.log('warn', `${this.id} dropped ${m.type} from ${m.from}: only a CM sends it`);
      return;
    }
    if (isCmId(m.from)) {
      // Fencing: an order from a CM of an older epoch is void; a newer CM is followed at once.
      if (m.epoch < this.epoch) return;
      if (m.type === 'CHANGE_CM' || m.epoch > this.epoch) {
        const refusal = this.epochRefusal(m.from, m.epoch);
        if (refusal !== null) {
          this.out.log('warn', `${this.id} dropped ${m.type} from ${m.from}: ${refusal}`);
          return;
        }
        this.adopt(m.from, m.epoch, m.type === 'CHANGE_CM' ? m.ask : 0);
      }
      this.lastCmContactAt = now;
    }
    this.dispatch(m);
    this.pump();
  }

  private dispatch(m: Message): void {
    if ((m.type === 'READ_FORWARD' || m.type === 'WRITE_FORWARD') && this.unreplicated.has(m.page)) {
      // Its last version is not on the CM yet: nobody may see it before (see Unreplicated).
      this.deferred.set(m.page, { m, at: this.now });
      return;
    }
    switch (m.type) {
      case 'READ_FORWARD':
        this.onReadForward(m.page, m.req, m.requester, m.epoch);
        break;
      case 'WRITE_FORWARD':
        this.onWriteForward(m.page, m.req, m.requester, m.epoch);
        break;
      case 'PAGE':
        this.onPage(m);
        break;
      case 'INVALIDATE':
        this.onInvalidate(m.page, m.req, m.epoch);
        break;
      case 'REQUEST_FAILED':
        this.onRequestFailed(m.req, m.reason, m.away);
        break;
      case 'LEASE_GRANT':
        this.onLeaseGrant(m.from, m.n, m.ms);
        break;
      case 'REPLICA_ACK':
        this.onReplicaAck(m.page, m.version);
        break;
      case 'CHANGE_CM':
        break;
      case 'READ_REQUEST':
      case 'WRITE_REQUEST':
      case 'READ_CONFIRMATION':
      case 'WRITE_CONFIRMATION':
      case 'INVALIDATE_CONFIRMATION':
      case 'CLIENT_REPORT':
      case 'PULSE':
      case 'PULSE_REPLY':
      case 'IM_BACK':
      case 'CM_STATE':
      case 'LEASE':
      case 'REPLICATE':
        this.out.log('warn', `${this.id} dropped ${m.type} from ${m.from}: only a CM handles it`);
        break;
      default:
        unreachable(m);
    }
  }

  /** Renews the lease, drops copies it no longer covers, retries the request in flight or gives it up. */
  tick(now: number): void {
    this.now = now;
    this.lastTickAt = now;
    this.renewLease(now);
    if (now >= this.leaseUntil) this.dropCopies();
    if (this.unreplicated.size > 0) this.tickReplicas(now);
    const f = this.inFlight;
    if (!f) return;
    if (now >= f.sentAt + this.timing.requestDeadlineMs) {
      this.giveUp(f);
      this.pump();
      return;
    }
    if (now >= f.lastSentAt + this.timing.retryIntervalMs) {
      f.attempts += 1;
      // Every other retry tries the other CM identity: a client that missed CHANGE_CM finds
      // the acting CM this way (a standby ignores requests; the acting CM answers CHANGE_CM).
      this.sendRequest(f, f.attempts % 2 === 0 ? this.otherCm() : this.cm);
    }
  }

  nextDeadline(): number {
    let due = this.lastHeartbeatAt + this.timing.leaseMs / 4;
    // Copies go when the lease runs out; once a tick has seen it run out, none is kept until it is renewed.
    if (this.leaseUntil > this.lastTickAt) due = Math.min(due, this.leaseUntil);
    const f = this.inFlight;
    if (f) due = Math.min(due, f.sentAt + this.timing.requestDeadlineMs, f.lastSentAt + this.timing.retryIntervalMs);
    for (const u of this.unreplicated.values()) {
      due = Math.min(due, u.lastSentAt + this.timing.retryIntervalMs);
      if (u.op) due = Math.min(due, u.startedAt + this.timing.requestDeadlineMs);
    }
    const head = this.queue[0];
    if (head && this.unreplicated.has(head.page)) due = Math.min(due, head.since + this.timing.requestDeadlineMs);
    return due;
  }

  ready(): Ready {
    const r = this.out.drain();
    const changes = this.takeChanges();
    if (changes.length > 0) r.changes = changes;
    return r;
  }

  durableEntries(): DurableEntry[] {
    return clientEntries(this.durable());
  }

  /** The entries changed since the last call, as they stand now. */
  private takeChanges(): DurableEntry[] {
    const out: DurableEntry[] = [];
    if (this.identityChanged) {
      this.identityChanged = false;
      out.push({ kind: 'client', cm: this.cm, epoch: this.epoch, seq: this.seqReserved });
    }
    for (const page of this.pagesChanged) {
      const e = this.pages.get(page);
      out.push({ kind: 'page', page, owned: e?.owner ? { content: e.content, version: e.version, access: e.access } : null });
    }
    this.pagesChanged.clear();
    for (const page of this.handoffsChanged) out.push({ kind: 'handoff', page, handoff: this.handoffs.get(page) ?? null });
    this.handoffsChanged.clear();
    for (const [req, page] of this.ghostsChanged) out.push({ kind: 'ghost', req, page, ghost: this.ghosts.get(req) ?? null });
    this.ghostsChanged.clear();
    for (const page of this.gotChanged) out.push({ kind: 'got', page, seq: this.got.get(page) ?? null });
    this.gotChanged.clear();
    return out;
  }

  snapshot(): ClientSnapshot {
    const f = this.inFlight;
    return {
      id: this.id,
      cm: this.cm,
      epoch: this.epoch,
      leased: this.leasedAt(this.now),
      // Field by field: a spread here took the slow generic copy, and the simulator takes a
      // snapshot of every client after every delivery.
      pages: [...this.pages].map(([page, e]) => ({ page, content: e.content, version: e.version, access: e.access, owner: e.owner })),
      inFlight: f ? { req: f.req, kind: f.kind, page: f.page } : null,
      queued: this.queue.length,
      unreplicated: [...this.unreplicated.keys()].sort(),
    };
  }

  /** Whether read copies still count at `now` (on this client's clock): its lease has not run out. */
  leasedAt(now: number): boolean {
    return now < this.leaseUntil;
  }

  /** The page table, for invariant checks and `print`. */
  entry(page: PageId): Readonly<PageEntry> | undefined {
    return this.pages.get(page);
  }

  /** This client's last handoff of the page, for invariant checks. */
  lastHandoff(page: PageId): Readonly<Handoff> | undefined {
    return this.handoffs.get(page);
  }

  durable(): ClientDurable {
    return {
      cm: this.cm,
      epoch: this.epoch,
      seq: this.seqReserved,
      owned: [...this.pages]
        .filter(([, e]) => e.owner)
        .map(([page, e]) => ({ page, content: e.content, version: e.version, access: e.access })),
      handoffs: [...this.handoffs.values()],
      ghosts: [...this.ghosts].map(([req, g]) => ({ req, page: g.page, to: g.to, content: g.content, version: g.version })),
      got: [...this.got].map(([page, seq]) => ({ page, seq })),
    };
  }

  /**
   * Read copies are not restored: the CM may have invalidated them while this node was down.
   * Owned pages come back with read access at most: an owner that lent read copies does not
   * commit its loss of write access (that would cost a read fault a commit), so a restarted
   * owner asks the CM before it writes again, and the CM invalidates those copies first.
   */
  private restore(d: ClientDurable): void {
    this.cm = d.cm;
    this.epoch = d.epoch;
    this.seq = Math.max(this.seq, d.seq);
    for (const { page, content, version, access } of d.owned) {
      this.pages.set(page, { content, version, access: access === 'nil' ? 'nil' : 'read', owner: true });
    }
    for (const h of d.handoffs) this.handoffs.set(h.page, h);
    for (const { req, ...g } of d.ghosts) this.ghosts.set(req, g);
    for (const { page, seq } of d.got ?? []) this.got.set(page, seq);
  }

  /**
   * Why a CM's claim to act under `epoch` is not believed, or null. A saved epoch fences off every
   * CM below it for good, so a claim no takeover could have made is refused: one of the other
   * identity's parity, or one further beyond this client's epoch than missed takeovers explain.
   */
  private epochRefusal(cm: NodeId, epoch: number): string | null {
    if (!mayActAt(cm, epoch)) return `${cm} never acts under epoch ${epoch} (cm1 takes odd epochs, cm2 even ones)`;
    // A client built blank counts from epoch 1 too: the first frame it hears may be the forged one.
    if (epoch > this.epoch + EPOCH_JUMP_MAX) {
      return `epoch ${epoch} is more than ${EPOCH_JUMP_MAX} beyond its own ${this.epoch}`;
    }
    return null;
  }

  private otherCm(): NodeId {
    return this.cm === PRIMARY_CM ? BACKUP_CM : PRIMARY_CM;
  }

  /** Follows a CM (new or re-asking) and tells it everything it needs to rebuild. */
  private adopt(cm: NodeId, epoch: number, ask: number): void {
    // step() drops every CM frame of an older epoch before it gets here: following one would
    // obey a fenced CM.
    assert(epoch >= this.epoch, () => `${this.id} follows epoch ${epoch} after ${this.epoch}`);
    if (cm !== this.cm || epoch !== this.epoch) {
      this.identityChanged = true;
      this.lastAsk = 0;
    }
    // Forwards held for a replica are void once this client reports: the CM decides anew on what
    // it holds, and forwards again what it still wants (held, one could hand the page on behind
    // the CM's back after it took this client's claim).
    this.deferred.clear();
    this.cm = cm;
    this.epoch = epoch;
    this.lastAsk = Math.max(this.lastAsk, ask);
    this.report();
    if (this.inFlight) this.sendRequest(this.inFlight, this.cm);
    for (const [page, u] of this.unreplicated) this.sendReplicate(page, u);
  }

  private report(): void {
    const { pages, inFlight, handoffs } = this.holdings();
    const answers = this.lastAsk;
    this.out.send({ type: 'CLIENT_REPORT', from: this.id, to: this.cm, epoch: this.epoch, answers, pages, inFlight, handoffs });
  }

  /** What this client holds, has in flight and handed on: the body of its report. */
  holdings(): Pick<ClientReport, 'pages' | 'inFlight' | 'handoffs'> {
    const f = this.inFlight;
    const pages: HeldPage[] = [];
    for (const [page, e] of this.pages) {
      if (e.access !== 'nil') pages.push({ page, access: e.access === 'write' ? 'write' : 'read', owner: e.owner, version: e.version });
      // A page kept without access (onOwnership) is told as a copy: the CM that arranged its
      // transfer keeps this client as owner, and one that did not only lists it among readers
      // (an invalidation more); claiming it could put a forged page in place of the real owner's.
      else if (e.owner) pages.push({ page, access: 'read', owner: false, version: e.version });
    }
    return { pages, inFlight: f ? { req: f.req, kind: f.kind, page: f.page } : null, handoffs: [...this.handoffs.values()] };
  }

  /** Serves queued operations: hits complete at once, the first fault goes to the CM. */
  private pump(): void {
    while (!this.inFlight && this.replicaOp === null) {
      const op = this.queue[0];
      // An operation on a page whose last version is not replicated waits (tickReplicas).
      if (!op || this.unreplicated.has(op.page)) return;
      this.queue.shift();
      const e = this.pages.get(op.page);
      if (op.kind === 'read' && e && e.access !== 'nil' && (e.owner || this.now < this.leaseUntil)) {
        this.finish(op, { ok: true, value: e.content, local: true });
      } else if (op.kind === 'write' && e && e.access === 'write' && e.version >= VERSION_MAX) {
        this.finish(op, { ok: false, error: `page ${op.page} has reached its last version`, certain: true });
      } else if (op.kind === 'write' && e && e.access === 'write') {
        e.content = op.value;
        e.version += 1;
        this.pagesChanged.add(op.page);
        if (this.replicas > 0) this.replicate(op.page, e.version, e.content, op, null);
        else this.finish(op, { ok: true, value: op.value, local: true });
      } else {
        this.fault(op);
      }
    }
  }

  private fault(op: PendingOp): void {
    // pump() starts an operation only when none is in flight nor waits for its replica.
    assert(this.inFlight === null && this.replicaOp === null, () => `${this.id} starts a second operation on ${op.page}`);
    const f: InFlight = {
      ...op,
      req: this.nextReq(),
      sentAt: this.now,
      lastSentAt: this.now,
      attempts: 0,
    };
    this.inFlight = f;
    this.sendRequest(f, this.cm);
  }

  private nextReq(): ReqId {
    this.seq += 1;
    this.reserveSeq();
    return reqId(this.id, this.seq);
  }

  /**
   * Asks the CM to keep `version` of a page this client owns (replicas: 1); `op`, the write that
   * made it, is acknowledged when the CM says it has. The page's entry is committed before the
   * request leaves (it has the page's scope), so a restart never holds less than the CM keeps.
   */
  private replicate(page: PageId, version: number, content: string | null, op: PendingOp | null, req: ReqId | null): void {
    // The write that waits for its replica is the one operation under way (onOwnership ends its
    // flight first): two at once would answer in either order.
    assert(op === null || (this.inFlight === null && this.replicaOp === null), () => `${this.id} waits for two replicas`);
    const u: Unreplicated = { req: req ?? this.nextReq(), version, content, startedAt: this.now, lastSentAt: this.now, op };
    this.unreplicated.set(page, u);
    if (op) this.replicaOp = page;
    this.sendReplicate(page, u);
  }

  private sendReplicate(page: PageId, u: Unreplicated): void {
    u.lastSentAt = this.now;
    this.out.send({
      type: 'REPLICATE',
      from: this.id,
      to: this.cm,
      epoch: this.epoch,
      page,
      req: u.req,
      version: u.version,
      content: u.content,
    });
  }

  private onReplicaAck(page: PageId, version: number): void {
    const u = this.unreplicated.get(page);
    if (!u || u.version !== version) return;
    this.unreplicated.delete(page);
    if (u.op) {
      this.replicaOp = null;
      this.finish(u.op, { ok: true, value: u.content, local: false });
    }
    const held = this.deferred.get(page);
    this.deferred.delete(page);
    if (held && this.now < held.at + this.timing.cmResendMs) this.dispatch(held.m);
  }

  /**
   * Sends each unacknowledged replica again; gives up the write waiting for one at its deadline
   * (its outcome unknown: the version stands here and may be on the CM) and fails an operation
   * held up behind one at its own. The page keeps waiting for its replica either way.
   */
  private tickReplicas(now: number): void {
    const deadline = this.timing.requestDeadlineMs;
    for (const [page, u] of this.unreplicated) {
      if (u.op && now >= u.startedAt + deadline) {
        const error = `write to ${page} not acknowledged: the CM kept no replica of it within ${deadline} ms (replicas: 1); ${this.id} keeps offering it`;
        this.finish(u.op, { ok: false, error, certain: false });
        u.op = null;
        this.replicaOp = null;
      }
      if (now >= u.lastSentAt + this.timing.retryIntervalMs) this.sendReplicate(page, u);
    }
    const head = this.queue[0];
    if (head && this.unreplicated.has(head.page) && now >= head.since + deadline) {
      this.queue.shift();
      this.finish(head, {
        ok: false,
        error: `page ${head.page} waits for the CM to keep a replica of its last write (replicas: 1)`,
        certain: true,
      });
    }
    this.pump();
  }

  /** Makes sure a restart numbers its requests past `seq`: the next block is committed before any of it is sent. */
  private reserveSeq(): void {
    if (this.seq <= this.seqReserved) return;
    this.seqReserved = Math.min(this.seq + SEQ_BLOCK - 1, COUNT_MAX);
    this.identityChanged = true;
  }

  private sendRequest(f: InFlight, to: NodeId): void {
    // nextReq() reserved it: a number beyond what the disk keeps could be used again after a restart.
    assert(parseReqId(f.req).seq <= this.seqReserved, () => `${f.req} is sent beyond the reserved ${this.seqReserved}`);
    f.lastSentAt = this.now;
    const type = f.kind === 'read' ? 'READ_REQUEST' : 'WRITE_REQUEST';
    this.out.send({ type, from: this.id, to, epoch: this.epoch, page: f.page, req: f.req });
  }

  private giveUp(f: InFlight): void {
    this.inFlight = null;
    const silent = this.now - this.lastCmContactAt >= this.timing.requestDeadlineMs;
    const error = silent ? 'no central manager reachable' : `request ${f.req} timed out after ${this.timing.requestDeadlineMs} ms`;
    // The client performs its own writes on arrival of the page, so a write never served here
    // certainly did not happen: the outcome is a definite failure, not an unknown.
    this.finish(f, { ok: false, error, certain: true });
  }

  private onReadForward(page: PageId, req: ReqId, requester: NodeId, epoch: number): void {
    const e = this.pages.get(page);
    if (!e || !e.owner) {
      this.out.log('warn', `${this.id} got READ_FORWARD ${page} ${req} but does not own it`);
      return;
    }
    // Li & Hudak: the owner keeps a read copy; it loses write access so the next write faults.
    // Not committed: a restart restores owned pages without write access anyway (restore()).
    e.access = 'read';
    this.sendPage(requester, page, req, epoch, 'read', e.content, e.version);
  }

  private onWriteForward(page: PageId, req: ReqId, requester: NodeId, epoch: number): void {
    const ghost = this.ghosts.get(req);
    const back = this.pages.get(page);
    if (ghost && back?.owner && back.access !== 'nil') {
      // The page came back here after that handoff completed: this forward is a stale repeat,
      // and obeying it would hand the current page to a requester that no longer wants it. A
      // page only kept (onOwnership) does not count: it may be forged, and the CM still drives
      // the transfer it knows of.
      this.out.log('warn', `${this.id} ignored a stale WRITE_FORWARD ${page} ${req}`);
      return;
    }
    if (ghost) {
      // A repeated forward: the first PAGE may have died with a crashed requester. Send the
      // same page again; a requester that already has it ignores the copy.
      this.sendPage(ghost.to, page, req, epoch, 'write', ghost.content, ghost.version);
      return;
    }
    const e = this.pages.get(page);
    if (!e || !e.owner) {
      this.out.log('warn', `${this.id} got WRITE_FORWARD ${page} ${req} but does not own it`);
      return;
    }
    if (requester !== this.id) {
      this.pages.delete(page);
      this.pagesChanged.add(page);
      this.recordHandoff({ page, to: requester, req, version: e.version }, e.content);
    }
    this.sendPage(requester, page, req, epoch, 'write', e.content, e.version);
  }

  private recordHandoff(h: Handoff, content: string | null): void {
    this.handoffs.delete(h.page);
    this.handoffs.set(h.page, h);
    this.ghosts.set(h.req, { page: h.page, to: h.to, content, version: h.version });
    this.handoffsChanged.add(h.page);
    this.ghostsChanged.set(h.req, h.page);
    trim(this.handoffs, CLUSTER_PAGES_MAX, (page) => this.handoffsChanged.add(page));
    trim(this.ghosts, GHOSTS_MAX, (req, g) => this.ghostsChanged.set(req, g.page));
  }

  private sendPage(
    to: NodeId,
    page: PageId,
    req: ReqId,
    epoch: number,
    access: PageSend['access'],
    content: string | null,
    version: number,
  ): void {
    // A copy comes only from the page's owner (onReadForward checks), and ownership leaves only
    // with a ghost to send it again from (onWriteForward stores it first): without one, a
    // receiver crashing with the page would take its only copy.
    assert(access === 'write' || this.pages.get(page)?.owner === true, () => `${this.id} serves ${page}, which it does not own`);
    assert(access === 'read' || to === this.id || this.ghosts.get(req)?.to === to, () => `${page} ${req} handed to ${to} without a ghost`);
    const m: PageSend = { type: 'PAGE', from: this.id, to, epoch, page, req, access, content, version };
    // The owner upgrading its own read copy needs no message.
    if (to === this.id) this.onPage(m);
    else this.out.send(m);
  }

  private onPage(m: PageSend): void {
    if (m.access === 'write') {
      this.onOwnership(m);
      return;
    }
    const op = this.inFlight;
    // A read copy counts only for the read in flight, and only under the current epoch: one
    // granted under an older epoch may be stale by now.
    if (!op || op.req !== m.req || op.page !== m.page || op.kind !== 'read' || m.epoch !== this.epoch) {
      this.out.log('warn', `${this.id} ignored PAGE ${m.page} ${m.req}: no such read in flight`);
      return;
    }
    this.inFlight = null;
    // Only an owner forwarding to itself sends itself a read copy; it stays the owner. A copy
    // that arrives when the lease has run out answers this read but is not kept: the CM may
    // have deemed this client away meanwhile and let a write pass it by.
    const owner = m.from === this.id;
    const kept = owner || this.leasedAt(this.now);
    if (kept) this.pages.set(m.page, { content: m.content, version: m.version, access: 'read', owner });
    if (owner) this.pagesChanged.add(m.page);
    this.out.send({ type: 'READ_CONFIRMATION', page: m.page, req: m.req, from: this.id, to: this.cm, epoch: this.epoch });
    this.finish(op, { ok: true, value: m.content, local: false, ...(kept ? {} : { unkept: true as const }) });
  }

  /**
   * A page with write access carries the page's ownership. It is taken as it stands only when it
   * answers this client's write in flight. Any other (a write given up or failed whose transfer
   * was under way, a request of an earlier life, a request in its name the CM served, or a frame
   * forged by another member) may be the only copy, so it is not thrown away, but nothing here
   * can tell which: it is kept without access (no hit is served from it, it is not reported) and
   * confirmed. If the CM arranged the transfer it records this client as owner and its next
   * forward makes the page live; if not, the CM ignores the confirmation and this client's next
   * fault takes the page from its real owner. Only a repeat of a transfer already taken (the
   * sender re-sends its ghost when it cannot tell) is just confirmed again.
   */
  private onOwnership(m: PageSend): void {
    const { client, seq } = parseReqId(m.req);
    if (client !== this.id) {
      this.out.log('warn', `${this.id} ignored PAGE ${m.page} ${m.req}: the request is another client's`);
      return;
    }
    const op = this.inFlight;
    if (op !== null && op.req === m.req && (op.kind !== 'write' || op.page !== m.page)) {
      // No owner hands a page on for a read, nor for another page: this frame is garbled or forged.
      this.out.log('warn', `${this.id} ignored PAGE ${m.page} ${m.req}: it does not answer the ${op.kind} of ${op.page} in flight`);
      return;
    }
    const held = this.pages.get(m.page);
    const answers = op !== null && op.req === m.req;
    const taken = this.got.get(m.page) ?? 0;
    if (!answers && seq <= taken) {
      // Taken already. Confirming again lets a CM that missed the first confirmation close the transfer.
      if (held?.owner) this.confirmWrite(m.page, m.req, held.version);
      return;
    }
    if (!answers) {
      this.keepUnasked(m, seq, held);
      return;
    }
    this.noteTaken(m.page, seq, taken);
    this.pagesChanged.add(m.page);
    if (m.version >= VERSION_MAX) {
      this.pages.set(m.page, { content: m.content, version: m.version, access: 'write', owner: true });
      this.confirmWrite(m.page, m.req, m.version);
      this.finishInFlight({ ok: false, error: `page ${m.page} has reached its last version`, certain: true });
      return;
    }
    const version = m.version + 1;
    this.pages.set(m.page, { content: op.value, version, access: 'write', owner: true });
    this.confirmWrite(m.page, m.req, version);
    if (this.replicas > 0) {
      this.inFlight = null;
      this.replicate(m.page, version, op.value, op, m.req);
    } else {
      this.finishInFlight({ ok: true, value: op.value, local: false });
    }
  }

  /** Ownership that answers no write in flight: kept without access (see onOwnership). */
  private keepUnasked(m: PageSend, seq: number, held: PageEntry | undefined): void {
    if (held?.owner && held.access === 'nil' && held.content === m.content && held.version === m.version) {
      // The transfer it keeps, sent again: the CM (a new one, say) has not had its confirmation.
      this.confirmWrite(m.page, m.req, held.version);
      return;
    }
    if (held?.owner && held.access !== 'nil') {
      // A page it owns and serves: no honest member hands it another copy unasked (once the CM
      // records it as owner, its own writes are upgrades in place), so it stays. A page only
      // kept gives way to the latest arrival: if that one is forged, the transfer the CM did
      // arrange is driven again (its sender keeps a ghost) and replaces it in turn, where keeping
      // the first would refuse the real page for good.
      this.out.log('warn', `${this.id} ignored PAGE ${m.page} ${m.req}: it holds the page as owner already`);
      return;
    }
    this.out.log('warn', `${this.id} keeps PAGE ${m.page} ${m.req} unread: it answers no write in flight, so only the CM may make it live`);
    // Only a number this client may have used marks a transfer taken: a higher one names no
    // request of its, and raising `got` to it would make its own later transfers look like repeats.
    if (seq <= this.seq) this.noteTaken(m.page, seq, this.got.get(m.page) ?? 0);
    this.pages.set(m.page, { content: m.content, version: m.version, access: 'nil', owner: true });
    this.pagesChanged.add(m.page);
    this.confirmWrite(m.page, m.req, m.version);
  }

  private noteTaken(page: PageId, seq: number, taken: number): void {
    this.got.delete(page);
    this.got.set(page, Math.max(seq, taken));
    this.gotChanged.add(page);
    trim(this.got, CLUSTER_PAGES_MAX, (p) => this.gotChanged.add(p));
  }

  private confirmWrite(page: PageId, req: ReqId, version: number): void {
    this.out.send({ type: 'WRITE_CONFIRMATION', from: this.id, to: this.cm, epoch: this.epoch, page, req, version });
  }

  private finishInFlight(result: OpResult): void {
    const op = this.inFlight;
    if (!op) return;
    this.inFlight = null;
    this.finish(op, result);
  }

  private onInvalidate(page: PageId, req: ReqId, epoch: number): void {
    const e = this.pages.get(page);
    if (e?.owner && e.access !== 'nil') {
      // The CM never counts the owner among copy holders; dropping the only copy would lose data.
      this.out.log('error', `${this.id} refused INVALIDATE ${page} ${req}: it is the owner`);
      return;
    }
    // A page kept without access (onOwnership) serves no read, so there is no copy to drop; it
    // stays, for it may be the only copy of a transfer the CM arranged.
    if (!e?.owner) this.pages.delete(page);
    // Confirm even when nothing was held: a repeated INVALIDATE must be answered too.
    this.out.send({ type: 'INVALIDATE_CONFIRMATION', from: this.id, to: this.cm, epoch, page, req });
  }

  private onRequestFailed(req: ReqId, reason: string, away: NodeId | null): void {
    if (this.inFlight?.req !== req) return;
    this.finishInFlight(away === null ? { ok: false, error: reason, certain: true } : { ok: false, error: reason, certain: true, away });
  }

  /** A heartbeat a quarter of a lease after the last, to the CM it follows. */
  private renewLease(now: number): void {
    if (now < this.lastHeartbeatAt + this.timing.leaseMs / 4) return;
    if (this.heartbeats === 0) this.firstHeartbeatAt = now;
    this.lastHeartbeatAt = now;
    this.heartbeats += 1;
    this.heartbeatSentAt.set(this.heartbeats, now);
    trim(this.heartbeatSentAt, HEARTBEATS_REMEMBERED);
    this.out.send({ type: 'LEASE', from: this.id, to: this.heartbeatTo(now), epoch: this.epoch, n: this.heartbeats });
  }

  /**
   * Where a heartbeat goes: to the CM followed, but every other one to the other CM identity once
   * the followed one has been silent for a lease. An acting CM answers every heartbeat (with no
   * lease if it may not grant one), so silence means it stands by or is gone; an idle client,
   * which has no retries to find the acting CM, finds it this way (the acting CM answers an older
   * epoch's heartbeat with CHANGE_CM; a standby ignores it).
   */
  private heartbeatTo(now: number): NodeId {
    const silentMs = now - Math.max(this.lastCmContactAt, this.firstHeartbeatAt);
    return silentMs >= this.timing.leaseMs && this.heartbeats % 2 === 0 ? this.otherCm() : this.cm;
  }

  /** Counted from when the heartbeat left: the CM granted it no earlier than that. */
  private onLeaseGrant(from: NodeId, n: number, ms: number): void {
    const sentAt = this.heartbeatSentAt.get(n);
    if (from !== this.cm || sentAt === undefined) return;
    this.leaseUntil = Math.max(this.leaseUntil, sentAt + Math.min(ms, this.timing.leaseMs));
  }

  /** The lease ran out: read copies no longer count (the CM may have let writes pass this client by). */
  private dropCopies(): void {
    for (const [page, e] of this.pages) if (!e.owner) this.pages.delete(page);
  }

  private finish(op: PendingOp, result: OpResult): void {
    this.out.emit({ type: 'op-done', opId: op.opId, kind: op.kind, page: op.page, result });
  }
}
