// The central manager: per page it knows the owner and the copy set, and it serialises the
// requests for that page through a queue. Requests for different pages proceed in parallel.
import { parseReqId, PRIMARY_CM, type NodeId, type PageId, type ReqId } from './ids.ts';
import { unreachable, type Message } from './messages.ts';
import { Outbox, type IvyNode, type OpKind, type Ready } from './node.ts';

export interface PageMeta {
  /** Null until the first write: the CM itself stands in as owner of the empty page. */
  owner: NodeId | null;
  /** Read-copy holders other than the owner. Kept sorted so that output is deterministic. */
  copySet: NodeId[];
  version: number;
}

interface Request {
  kind: OpKind;
  req: ReqId;
  requester: NodeId;
}

interface Active extends Request {
  phase: 'invalidating' | 'forwarded';
  /** Copy holders whose INVALIDATE_CONFIRMATION is still due. */
  awaiting: NodeId[];
}

export interface ManagerConfig {
  id?: NodeId;
  epoch?: number;
}

export interface ManagerSnapshot {
  id: NodeId;
  epoch: number;
  pages: Array<{
    page: PageId;
    owner: NodeId | null;
    copySet: NodeId[];
    version: number;
    active: { kind: OpKind; req: ReqId; requester: NodeId; phase: Active['phase'] } | null;
    queued: ReqId[];
  }>;
}

export class CentralManager implements IvyNode {
  readonly id: NodeId;
  private epoch: number;
  private readonly meta = new Map<PageId, PageMeta>();
  private readonly active = new Map<PageId, Active>();
  private readonly queues = new Map<PageId, Request[]>();
  /** Highest completed sequence number per client: a repeated request id is a no-op. */
  private readonly lastDone = new Map<NodeId, number>();
  private readonly out = new Outbox();

  constructor(cfg: ManagerConfig = {}) {
    this.id = cfg.id ?? PRIMARY_CM;
    this.epoch = cfg.epoch ?? 1;
  }

  step(m: Message, _now: number): void {
    switch (m.type) {
      case 'READ_REQUEST': this.onRequest('read', m.page, m.req, m.from); break;
      case 'WRITE_REQUEST': this.onRequest('write', m.page, m.req, m.from); break;
      case 'INVALIDATE_CONFIRMATION': this.onInvalidateConfirmation(m.page, m.req, m.from); break;
      case 'READ_CONFIRMATION': this.onConfirmation('read', m.page, m.req, m.from, null); break;
      case 'WRITE_CONFIRMATION': this.onConfirmation('write', m.page, m.req, m.from, m.version); break;
      case 'READ_FORWARD':
      case 'WRITE_FORWARD':
      case 'PAGE':
      case 'INVALIDATE':
      case 'REQUEST_FAILED':
        this.out.log('warn', `${this.id} dropped ${m.type} from ${m.from}: only a client handles it`);
        break;
      default: unreachable(m);
    }
    this.assertInvariants();
  }

  tick(_now: number): void {}

  ready(): Ready {
    return this.out.drain();
  }

  snapshot(): ManagerSnapshot {
    const pages = [...this.meta.keys()].sort().map((page) => {
      const m = this.pageMeta(page);
      const a = this.active.get(page);
      return {
        page, owner: m.owner, copySet: [...m.copySet], version: m.version,
        active: a ? { kind: a.kind, req: a.req, requester: a.requester, phase: a.phase } : null,
        queued: (this.queues.get(page) ?? []).map((r) => r.req),
      };
    });
    return { id: this.id, epoch: this.epoch, pages };
  }

  private pageMeta(page: PageId): PageMeta {
    let m = this.meta.get(page);
    if (!m) {
      m = { owner: null, copySet: [], version: 0 };
      this.meta.set(page, m);
    }
    return m;
  }

  private isKnown(page: PageId, req: ReqId): boolean {
    const { client, seq } = parseReqId(req);
    if (seq <= (this.lastDone.get(client) ?? 0)) return true;
    if (this.active.get(page)?.req === req) return true;
    return (this.queues.get(page) ?? []).some((r) => r.req === req);
  }

  private onRequest(kind: OpKind, page: PageId, req: ReqId, from: NodeId): void {
    if (parseReqId(req).client !== from) {
      this.out.log('warn', `${this.id} dropped ${req} from ${from}: request id names another client`);
      return;
    }
    if (this.isKnown(page, req)) return;
    this.pageMeta(page);
    const q = this.queues.get(page) ?? [];
    q.push({ kind, req, requester: from });
    this.queues.set(page, q);
    if (!this.active.has(page)) this.startNext(page);
  }

  private startNext(page: PageId): void {
    const next = this.queues.get(page)?.shift();
    if (!next) return;
    const m = this.pageMeta(page);
    if (next.kind === 'read') {
      this.active.set(page, { ...next, phase: 'forwarded', awaiting: [] });
      if (next.requester !== m.owner) m.copySet = addSorted(m.copySet, next.requester);
      this.forward(page, next);
      return;
    }
    const awaiting = m.copySet.filter((n) => n !== next.requester);
    this.active.set(page, { ...next, phase: 'invalidating', awaiting });
    if (awaiting.length === 0) {
      this.forwardWrite(page);
      return;
    }
    // All invalidations leave at once; the write waits only for the slowest holder.
    for (const to of awaiting) {
      this.out.send({ type: 'INVALIDATE', from: this.id, to, epoch: this.epoch, page, req: next.req });
    }
  }

  private forwardWrite(page: PageId): void {
    const a = this.active.get(page);
    if (!a) return;
    a.phase = 'forwarded';
    this.forward(page, a);
  }

  /** Sends the forward to the owner, or the empty page itself when nobody owns it yet. */
  private forward(page: PageId, r: Request): void {
    const m = this.pageMeta(page);
    const base = { from: this.id, epoch: this.epoch, page, req: r.req };
    if (m.owner === null) {
      const access = r.kind === 'read' ? 'read' : 'write';
      this.out.send({ type: 'PAGE', ...base, to: r.requester, access, content: null, version: m.version });
      return;
    }
    const type = r.kind === 'read' ? 'READ_FORWARD' : 'WRITE_FORWARD';
    this.out.send({ type, ...base, to: m.owner, requester: r.requester });
  }

  private onInvalidateConfirmation(page: PageId, req: ReqId, from: NodeId): void {
    const a = this.active.get(page);
    if (!a || a.req !== req || a.phase !== 'invalidating' || !a.awaiting.includes(from)) return;
    a.awaiting = a.awaiting.filter((n) => n !== from);
    const m = this.pageMeta(page);
    m.copySet = m.copySet.filter((n) => n !== from);
    if (a.awaiting.length === 0) this.forwardWrite(page);
  }

  private onConfirmation(kind: OpKind, page: PageId, req: ReqId, from: NodeId, version: number | null): void {
    const a = this.active.get(page);
    if (!a || a.req !== req || a.kind !== kind || a.requester !== from || a.phase !== 'forwarded') return;
    const m = this.pageMeta(page);
    if (kind === 'write') {
      m.owner = from;
      m.copySet = [];
      m.version = version ?? m.version;
    }
    this.complete(page, a);
  }

  private complete(page: PageId, a: Active): void {
    const { client, seq } = parseReqId(a.req);
    this.lastDone.set(client, Math.max(seq, this.lastDone.get(client) ?? 0));
    this.active.delete(page);
    this.startNext(page);
  }

  /** What must hold after every step, whatever arrived. */
  private assertInvariants(): void {
    for (const [page, m] of this.meta) {
      if (m.owner !== null && m.copySet.includes(m.owner)) {
        throw new Error(`invariant: ${page} owner ${m.owner} is in its own copy set`);
      }
      const a = this.active.get(page);
      if (a?.phase === 'invalidating' && a.awaiting.length === 0) {
        throw new Error(`invariant: ${page} invalidating with nobody to wait for`);
      }
    }
  }
}

function addSorted(xs: NodeId[], x: NodeId): NodeId[] {
  return xs.includes(x) ? xs : [...xs, x].sort();
}
