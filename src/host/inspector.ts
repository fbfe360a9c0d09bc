// What a host tells whoever watches it (the dashboard, tests), built from the bare facts its core
// observes (host-core.ts), as raft's Node wraps its RawNode: events by type, each built only while
// someone listens to that type; message traces; operations traced from invoke to answer, with the
// request that carried them; and the node's state, pushed at most every STATE_PUSH_MS. It is
// attached through the core's observers and never acts on the core, so nothing here changes
// what the node does: the simulator runs the core without it.
import type { OpRequest } from '../protocol/client.ts';
import type { NodeId } from '../protocol/ids.ts';
import { describeMessage, type Message } from '../protocol/messages.ts';
import type { LogLevel, NodeEvent, OpKind } from '../protocol/node.ts';
import type { Cancel, HostEnv } from './env.ts';
import type { HostCore, HostObserver, OpDone } from './host-core.ts';
import type { SendOutcome } from './host-links.ts';
import type { NodeState } from './make-node.ts';
import { traceOf, type HeldFrame, type OpTrace, type TracedMessage } from './trace.ts';

export type HostEvent =
  | { type: 'state'; state: NodeState }
  | Extract<NodeEvent, { type: 'op-done' }>
  /** `at`: when the node said it, on the trace clock (it may reach listeners later, after the store it waited for). */
  | { type: 'log'; level: LogLevel; text: string; at: number }
  | { type: 'trace'; direction: 'sent' | 'received'; text: string; message: TracedMessage }
  /** The frames waiting in this host, after every change. */
  | { type: 'held'; held: HeldFrame[] }
  | { type: 'op'; op: OpTrace };

export type HostEventType = HostEvent['type'];
export type HostListener = (event: HostEvent) => unknown;

/** How often at most a host pushes its node's state to the page. */
export const STATE_PUSH_MS = 30;

export const ALL_EVENTS: readonly HostEventType[] = ['state', 'op-done', 'log', 'trace', 'held', 'op'];

export class Inspector implements HostObserver {
  private readonly listeners = new Map<HostListener, ReadonlySet<HostEventType>>();
  /** Listeners per event type: nothing is built for a type nobody listens to. */
  private readonly watchers = new Map<HostEventType, number>();
  /** Operations not yet done, for their request ids (kept only while someone watches ops). */
  private readonly openOps = new Map<number, { kind: OpKind; page: string; req: string | null }>();
  private lastState = '';
  private publisher: Cancel | null = null;
  private isStopped = false;

  constructor(
    private readonly core: HostCore,
    private readonly env: HostEnv,
  ) {
    core.observe(this);
  }

  /** Listens to the given event types (all by default) until the returned function is called. */
  subscribe(listener: HostListener, types: readonly HostEventType[] = ALL_EVENTS): () => void {
    this.unsubscribe(listener);
    const set = new Set(types);
    this.listeners.set(listener, set);
    for (const t of set) this.watchers.set(t, (this.watchers.get(t) ?? 0) + 1);
    return () => this.unsubscribe(listener);
  }

  received(m: Message, arrivedAt: number): void {
    if (!this.watching('trace')) return;
    const message = traceOf(m, 'received', this.env.traceNow(), arrivedAt);
    this.emit({ type: 'trace', direction: 'received', text: describeMessage(m), message });
  }

  sent(m: Message, outcome: SendOutcome): void {
    this.requestSent(m);
    if (outcome === 'unreachable' || !this.watching('trace')) return;
    // A partitioned link swallows the frame; the trace says so, so the view can draw it lost.
    const lost = outcome === 'lost';
    const text = lost ? `${describeMessage(m)} lost: link partitioned` : describeMessage(m);
    this.emit({ type: 'trace', direction: 'sent', text, message: traceOf(m, lost ? 'lost' : 'sent', this.env.traceNow()) });
  }

  dropped(m: Message, arrivedAt: number): void {
    if (!this.watching('trace')) return;
    const message = traceOf(m, 'dropped', this.env.traceNow(), arrivedAt);
    this.emit({ type: 'trace', direction: 'received', text: `${describeMessage(m)} dropped by hand`, message });
  }

  held(): void {
    if (this.watching('held')) this.emit({ type: 'held', held: this.core.heldFrames() });
  }

  log(level: LogLevel, text: string, at: number): void {
    this.emit({ type: 'log', level, text, at });
  }

  invoked(opId: number, op: OpRequest): void {
    if (!this.watching('op')) return;
    const value = op.kind === 'write' ? op.value : null;
    this.openOps.set(opId, { kind: op.kind, page: op.page, req: null });
    this.emit({ type: 'op', op: { phase: 'invoke', opId, node: this.id, kind: op.kind, page: op.page, value, at: this.env.traceNow() } });
  }

  answered(e: OpDone): void {
    if (this.openOps.delete(e.opId) && this.watching('op')) {
      const { opId, kind, page, result } = e;
      this.emit({ type: 'op', op: { phase: 'done', opId, node: this.id, kind, page, result, at: this.env.traceNow() } });
    }
    this.emit(e);
  }

  /**
   * The node's state may have changed: it goes to listeners at most once per STATE_PUSH_MS
   * (building and comparing a snapshot of every page on each message would cost more than the
   * protocol itself), and only when it did change.
   */
  changed(): void {
    if (this.publisher !== null || this.isStopped || !this.watching('state')) return;
    this.publisher = this.env.timers.after(STATE_PUSH_MS, () => {
      this.publisher = null;
      const state = this.core.snapshot();
      const key = JSON.stringify(state);
      if (key === this.lastState) return;
      this.lastState = key;
      this.emit({ type: 'state', state });
    });
  }

  stopped(): void {
    this.isStopped = true;
    this.publisher?.();
    this.publisher = null;
  }

  private get id(): NodeId {
    return this.core.id;
  }

  /** The first request a client sends for an operation names it: its id ties the op to its messages. */
  private requestSent(m: Message): void {
    if ((m.type !== 'READ_REQUEST' && m.type !== 'WRITE_REQUEST') || this.openOps.size === 0) return;
    const kind = m.type === 'READ_REQUEST' ? 'read' : 'write';
    for (const [opId, op] of this.openOps) {
      if (op.req === m.req) return;
      if (op.req !== null || op.kind !== kind || op.page !== m.page) continue;
      op.req = m.req;
      this.emit({ type: 'op', op: { phase: 'req', opId, node: this.id, req: m.req, at: this.env.traceNow() } });
      return;
    }
  }

  private watching(type: HostEventType): boolean {
    return (this.watchers.get(type) ?? 0) > 0;
  }

  private emit(e: HostEvent): void {
    if (!this.watching(e.type)) return;
    for (const [l, types] of [...this.listeners]) {
      if (!types.has(e.type)) continue;
      try {
        const r = l(e);
        // A Comlink callback whose page has gone away rejects: stop calling it.
        if (r instanceof Promise) r.catch(() => this.unsubscribe(l));
      } catch {
        this.unsubscribe(l);
      }
    }
  }

  private unsubscribe(listener: HostListener): void {
    const types = this.listeners.get(listener);
    if (!types) return;
    this.listeners.delete(listener);
    for (const t of types) this.watchers.set(t, (this.watchers.get(t) ?? 1) - 1);
  }
}
