// A client of the central manager: it holds pages, serves hits locally, faults to the CM,
// and answers the CM's forwards and invalidations. One of its own operations is in flight at
// a time; later ones wait in a local queue, as a user's commands would.
import {
  contentError, PAGE_SIZE_BYTES_DEFAULT, pageIdError, PRIMARY_CM, reqId,
  type NodeId, type PageId, type ReqId,
} from './ids.ts';
import { unreachable, type Access, type Message, type PageSend } from './messages.ts';
import { Outbox, type IvyNode, type OpKind, type OpResult, type Ready } from './node.ts';

export interface ClientConfig {
  id: NodeId;
  cm?: NodeId;
  epoch?: number;
  pageSizeBytes?: number;
}

export interface PageEntry {
  content: string | null;
  version: number;
  access: Access;
  owner: boolean;
}

export type OpRequest = { kind: 'read'; page: PageId } | { kind: 'write'; page: PageId; value: string };

interface PendingOp {
  opId: number;
  kind: OpKind;
  page: PageId;
  value: string | null;
}

interface InFlight extends PendingOp {
  req: ReqId;
  sentAt: number;
}

export interface ClientSnapshot {
  id: NodeId;
  cm: NodeId;
  epoch: number;
  pages: Array<{ page: PageId } & PageEntry>;
  inFlight: { req: ReqId; kind: OpKind; page: PageId } | null;
  queued: number;
}

export class ClientNode implements IvyNode {
  readonly id: NodeId;
  private cm: NodeId;
  private epoch: number;
  private readonly pageSizeBytes: number;
  private readonly pages = new Map<PageId, PageEntry>();
  private readonly queue: PendingOp[] = [];
  private inFlight: InFlight | null = null;
  private seq = 0;
  private nextOpId = 1;
  private now = 0;
  private readonly out = new Outbox();

  constructor(cfg: ClientConfig) {
    this.id = cfg.id;
    this.cm = cfg.cm ?? PRIMARY_CM;
    this.epoch = cfg.epoch ?? 1;
    this.pageSizeBytes = cfg.pageSizeBytes ?? PAGE_SIZE_BYTES_DEFAULT;
  }

  /** Queues a user operation; its outcome arrives later as an `op-done` event with this id. */
  submit(op: OpRequest, now: number): number {
    this.now = now;
    const opId = this.nextOpId++;
    const error = pageIdError(op.page) ??
      (op.kind === 'write' ? contentError(op.value, this.pageSizeBytes) : null);
    if (error) {
      this.finish({ opId, kind: op.kind, page: op.page, value: null }, { ok: false, error, certain: true });
      return opId;
    }
    this.queue.push({ opId, kind: op.kind, page: op.page, value: op.kind === 'write' ? op.value : null });
    this.pump();
    return opId;
  }

  step(m: Message, now: number): void {
    this.now = now;
    switch (m.type) {
      case 'READ_FORWARD': this.onReadForward(m.page, m.req, m.requester, m.epoch); break;
      case 'WRITE_FORWARD': this.onWriteForward(m.page, m.req, m.requester, m.epoch); break;
      case 'PAGE': this.onPage(m); break;
      case 'INVALIDATE': this.onInvalidate(m.page, m.req, m.epoch); break;
      case 'REQUEST_FAILED': this.onRequestFailed(m.req, m.reason); break;
      case 'READ_REQUEST':
      case 'WRITE_REQUEST':
      case 'READ_CONFIRMATION':
      case 'WRITE_CONFIRMATION':
      case 'INVALIDATE_CONFIRMATION':
        this.out.log('warn', `${this.id} dropped ${m.type} from ${m.from}: only a CM handles it`);
        break;
      default: unreachable(m);
    }
    this.pump();
  }

  tick(now: number): void {
    this.now = now;
  }

  ready(): Ready {
    return this.out.drain();
  }

  snapshot(): ClientSnapshot {
    const f = this.inFlight;
    return {
      id: this.id, cm: this.cm, epoch: this.epoch,
      pages: [...this.pages].map(([page, e]) => ({ page, ...e })),
      inFlight: f ? { req: f.req, kind: f.kind, page: f.page } : null,
      queued: this.queue.length,
    };
  }

  /** The page table, for invariant checks and `print`. */
  entry(page: PageId): Readonly<PageEntry> | undefined {
    return this.pages.get(page);
  }

  /** Serves queued operations: hits complete at once, the first fault goes to the CM. */
  private pump(): void {
    while (!this.inFlight) {
      const op = this.queue.shift();
      if (!op) return;
      const e = this.pages.get(op.page);
      if (op.kind === 'read' && e && e.access !== 'nil') {
        this.finish(op, { ok: true, value: e.content, local: true });
      } else if (op.kind === 'write' && e && e.access === 'write') {
        e.content = op.value;
        e.version += 1;
        this.finish(op, { ok: true, value: op.value, local: true });
      } else {
        this.fault(op);
      }
    }
  }

  private fault(op: PendingOp): void {
    this.seq += 1;
    const req = reqId(this.id, this.seq);
    this.inFlight = { ...op, req, sentAt: this.now };
    const type = op.kind === 'read' ? 'READ_REQUEST' : 'WRITE_REQUEST';
    this.out.send({ type, from: this.id, to: this.cm, epoch: this.epoch, page: op.page, req });
  }

  private onReadForward(page: PageId, req: ReqId, requester: NodeId, epoch: number): void {
    const e = this.pages.get(page);
    if (!e || !e.owner) {
      this.out.log('warn', `${this.id} got READ_FORWARD ${page} ${req} but does not own it`);
      return;
    }
    // Li & Hudak: the owner keeps a read copy; it loses write access so the next write faults.
    e.access = 'read';
    this.sendPage(requester, { page, req, epoch, access: 'read', content: e.content, version: e.version });
  }

  private onWriteForward(page: PageId, req: ReqId, requester: NodeId, epoch: number): void {
    const e = this.pages.get(page);
    if (!e || !e.owner) {
      this.out.log('warn', `${this.id} got WRITE_FORWARD ${page} ${req} but does not own it`);
      return;
    }
    if (requester !== this.id) this.pages.delete(page);
    this.sendPage(requester, { page, req, epoch, access: 'write', content: e.content, version: e.version });
  }

  private sendPage(to: NodeId, p: Omit<PageSend, 'type' | 'from' | 'to'>): void {
    const m: PageSend = { type: 'PAGE', from: this.id, to, ...p };
    // The owner upgrading its own read copy needs no message.
    if (to === this.id) this.onPage(m);
    else this.out.send(m);
  }

  private onPage(m: PageSend): void {
    const op = this.inFlight;
    if (!op || op.req !== m.req || op.page !== m.page || op.kind !== (m.access === 'read' ? 'read' : 'write')) {
      this.out.log('warn', `${this.id} ignored PAGE ${m.page} ${m.req}: no such request in flight`);
      return;
    }
    this.inFlight = null;
    const base = { page: m.page, req: m.req, from: this.id, to: this.cm, epoch: this.epoch };
    if (m.access === 'read') {
      // Only an owner forwarding to itself sends itself a read copy; it stays the owner.
      this.pages.set(m.page, { content: m.content, version: m.version, access: 'read', owner: m.from === this.id });
      this.out.send({ type: 'READ_CONFIRMATION', ...base });
      this.finish(op, { ok: true, value: m.content, local: false });
      return;
    }
    const version = m.version + 1;
    this.pages.set(m.page, { content: op.value, version, access: 'write', owner: true });
    this.out.send({ type: 'WRITE_CONFIRMATION', ...base, version });
    this.finish(op, { ok: true, value: op.value, local: false });
  }

  private onInvalidate(page: PageId, req: ReqId, epoch: number): void {
    const e = this.pages.get(page);
    if (e?.owner) {
      // The CM never counts the owner among copy holders; dropping the only copy would lose data.
      this.out.log('error', `${this.id} refused INVALIDATE ${page} ${req}: it is the owner`);
      return;
    }
    this.pages.delete(page);
    // Confirm even when nothing was held: a repeated INVALIDATE must be answered too.
    this.out.send({ type: 'INVALIDATE_CONFIRMATION', from: this.id, to: this.cm, epoch, page, req });
  }

  private onRequestFailed(req: ReqId, reason: string): void {
    const op = this.inFlight;
    if (!op || op.req !== req) return;
    this.inFlight = null;
    this.finish(op, { ok: false, error: reason, certain: true });
  }

  private finish(op: PendingOp, result: OpResult): void {
    this.out.emit({ type: 'op-done', opId: op.opId, kind: op.kind, page: op.page, result });
  }
}
