// Runs one protocol node: delivers validated frames from its links with step(), advances time
// with tick() from a real clock, and after each call carries out ready(): messages go straight
// to the addressee's link, events go to subscribers, durable state goes to `persist`. It knows
// nothing of message kinds. For the dashboard it reports every message and operation as data
// (trace.ts), and can hold incoming frames for a person to deliver (step mode) or delay them.
import type { OpRequest } from '../protocol/client.ts';
import type { NodeId } from '../protocol/ids.ts';
import { describeMessage, type Message } from '../protocol/messages.ts';
import type { LogLevel, NodeEvent, OpKind, OpResult } from '../protocol/node.ts';
import { FaultyTransport, type LinkFaults } from '../net/faults.ts';
import type { Transport, TransportEvent } from '../net/transport.ts';
import { HeldFrames } from './held-frames.ts';
import type { MadeNode, NodeState } from './make-node.ts';
import {
  commonNow, NO_STEPPING, stepSettingsError, traceOf, type HeldFrame, type OpTrace, type StepSettings, type TracedMessage,
} from './trace.ts';

export type HostEvent =
  | { type: 'state'; state: NodeState }
  | Extract<NodeEvent, { type: 'op-done' }>
  | { type: 'log'; level: LogLevel; text: string }
  | { type: 'trace'; direction: 'sent' | 'received'; text: string; message: TracedMessage }
  /** The frames waiting in this host, after every change. */
  | { type: 'held'; held: HeldFrame[] }
  | { type: 'op'; op: OpTrace };

export type HostListener = (event: HostEvent) => unknown;

/** Takes a node's durable state (`ready().persist`) and keeps it; must return at once. */
/** Reads the node's latest durable state when called (see `Ready.persist`). */
/** How often at most a host pushes its node's state to the page. */
export const STATE_PUSH_MS = 30;

export type Persist = (read: () => unknown) => void;

export const TICK_MS = 20;

interface Link {
  transport: FaultyTransport<Message>;
  listener: (e: TransportEvent<Message>) => void;
}

export class NodeHost {
  private readonly links = new Map<NodeId, Link>();
  private readonly listeners = new Set<HostListener>();
  private readonly waiting = new Map<number, (r: OpResult) => void>();
  /** Peers a message was lost to since their last link: one warning each, not one per pulse. */
  private readonly unreachable = new Set<NodeId>();
  private lastState = '';
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly held = new HeldFrames<Message>();
  private heldTimer: ReturnType<typeof setTimeout> | null = null;
  private publishTimer: ReturnType<typeof setTimeout> | null = null;
  private stepping: StepSettings = { ...NO_STEPPING };
  /** Time the node's clock has stood still (frozen timers), and since when it stands. */
  private frozenMs = 0;
  private frozenSince: number | null = null;
  /** Operations not yet done, for their request ids. */
  private readonly openOps = new Map<number, { kind: OpKind; page: string; req: string | null }>();

  constructor(
    private readonly made: MadeNode,
    private readonly realNow: () => number = () => performance.now(),
    private readonly persist: Persist | null = null,
    /** The clock trace times are on, shared by every host of a page. */
    private readonly traceNow: () => number = commonNow,
  ) {}

  /** The node's clock: real time less the time its timers were frozen. */
  private now(): number {
    return (this.frozenSince ?? this.realNow()) - this.frozenMs;
  }

  get id(): NodeId {
    return this.made.node.id;
  }

  /** Joins a link to `peer`, replacing any previous one. */
  connect(peer: NodeId, transport: Transport<Message>): void {
    this.disconnect(peer);
    const faulty = new FaultyTransport(transport);
    const listener = (e: TransportEvent<Message>): void => this.onLinkEvent(peer, faulty, e);
    faulty.addListener(listener);
    this.links.set(peer, { transport: faulty, listener });
    this.unreachable.delete(peer);
  }

  disconnect(peer: NodeId): void {
    const link = this.links.get(peer);
    if (!link) return;
    this.links.delete(peer);
    link.transport.removeListener(link.listener);
    link.transport.close();
  }

  peers(): NodeId[] {
    return [...this.links.keys()].sort();
  }

  /** Throws when there is no such link or the faults are out of range. */
  setLinkFaults(peer: NodeId, faults: Partial<LinkFaults>): void {
    const link = this.links.get(peer);
    if (!link) throw new Error(`${this.id} has no link to ${peer}`);
    link.transport.setFaults(faults);
  }

  /** A user operation; settles when the node reports it done, however long that takes. */
  submit(op: OpRequest): Promise<OpResult> {
    const submit = this.made.submit;
    if (!submit) {
      const error = `${this.id} is a central manager: readPage and writePage run on clients`;
      return Promise.resolve({ ok: false, error, certain: true });
    }
    return new Promise((resolve) => {
      const opId = submit(op, this.now());
      this.waiting.set(opId, resolve);
      // A refused op is done already (its op-done waits in ready()); it is still an invoke first.
      const value = op.kind === 'write' ? op.value : null;
      this.openOps.set(opId, { kind: op.kind, page: op.page, req: null });
      this.emit({ type: 'op', op: { phase: 'invoke', opId, node: this.id, kind: op.kind, page: op.page, value, at: this.traceNow() } });
      this.flush(true);
    });
  }

  /** Step mode and added delay for incoming frames; releasing held frames delivers them in order. */
  setStepSettings(settings: StepSettings): void {
    const error = stepSettingsError(settings);
    if (error) throw new RangeError(error);
    const { hold, delayMs, freezeTimers } = settings;
    this.stepping = { hold, delayMs, freezeTimers };
    const frozen = hold && freezeTimers;
    if (frozen && this.frozenSince === null) this.frozenSince = this.realNow();
    if (!frozen && this.frozenSince !== null) {
      this.frozenMs += this.realNow() - this.frozenSince;
      this.frozenSince = null;
    }
    this.held.setDue(hold ? null : this.realNow());
    this.emitHeld();
    this.armHeld();
  }

  /** Delivers one held frame; throws when an older frame from the same sender waits. */
  deliverHeld(id: number): void {
    const w = this.held.take(id);
    if (!w) throw new Error(`${this.id} cannot deliver frame ${id}: ${this.held.blocker(id)}`);
    this.emitHeld();
    this.step(w.frame, w.arrivedAt);
  }

  /** Throws a held frame away, as a lossy link would. */
  dropHeld(id: number): void {
    const w = this.held.remove(id);
    if (!w) throw new Error(`${this.id} holds no frame ${id}`);
    this.emitHeld();
    this.emit({ type: 'trace', direction: 'received', text: `${describeMessage(w.frame)} dropped by hand`,
      message: traceOf(w.frame, 'dropped', this.traceNow(), w.arrivedAt) });
  }

  heldFrames(): HeldFrame[] {
    return this.held.list().map((w) => ({ id: w.id, message: traceOf(w.frame, 'received', w.arrivedAt, w.arrivedAt), dueAt: w.dueAt }));
  }

  snapshot(): NodeState {
    return this.made.snapshot();
  }

  subscribe(listener: HostListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  startTicking(intervalMs: number = TICK_MS): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  /** Stops time and closes every link; the node object is left as it was. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.heldTimer !== null) clearTimeout(this.heldTimer);
    if (this.publishTimer !== null) clearTimeout(this.publishTimer);
    this.heldTimer = null;
    for (const peer of [...this.links.keys()]) this.disconnect(peer);
  }

  /** For the environment to tell subscribers what the node cannot, such as a failed write to disk. */
  notice(level: LogLevel, text: string): void {
    this.log(level, text);
  }

  tick(): void {
    if (this.frozenSince !== null) return;
    this.guard('tick', () => this.made.node.tick(this.now()));
    this.flush(false);
  }

  private onLinkEvent(peer: NodeId, transport: Transport<Message>, e: TransportEvent<Message>): void {
    switch (e.type) {
      case 'frame': this.deliver(peer, e.frame); break;
      case 'bad-frame': this.log('warn', `${this.id} dropped a bad frame from ${peer}: ${e.error}`); break;
      case 'close':
        if (this.links.get(peer)?.transport === transport) this.links.delete(peer);
        this.log('info', `${this.id}: link to ${peer} closed`);
        break;
    }
  }

  private deliver(peer: NodeId, m: Message): void {
    // A link belongs to one peer: a frame naming another sender or addressee is forged or lost.
    if (m.from !== peer || m.to !== this.id) {
      this.log('warn', `${this.id} dropped ${describeMessage(m)}: it arrived on the link from ${peer}`);
      return;
    }
    const arrivedAt = this.traceNow();
    const { hold, delayMs } = this.stepping;
    if (!hold && delayMs === 0 && this.held.size === 0) {
      this.step(m, arrivedAt);
      return;
    }
    if (!this.held.push(peer, m, arrivedAt, hold ? null : this.realNow() + delayMs)) {
      this.log('warn', `${this.id} holds too many frames; lost ${describeMessage(m)}`);
      return;
    }
    this.emitHeld();
    this.armHeld();
  }

  private step(m: Message, arrivedAt: number): void {
    this.emit({ type: 'trace', direction: 'received', text: describeMessage(m), message: traceOf(m, 'received', this.traceNow(), arrivedAt) });
    this.guard('step', () => this.made.node.step(m, this.now()));
    this.flush(true);
  }

  private armHeld(): void {
    if (this.heldTimer !== null) clearTimeout(this.heldTimer);
    this.heldTimer = null;
    const due = this.held.nextDue();
    if (due === null) return;
    this.heldTimer = setTimeout(() => {
      this.heldTimer = null;
      const ready = this.held.takeDue(this.realNow());
      if (ready.length > 0) this.emitHeld();
      for (const w of ready) this.step(w.frame, w.arrivedAt);
      this.armHeld();
    }, Math.max(0, due - this.realNow()));
  }

  private emitHeld(): void {
    this.emit({ type: 'held', held: this.heldFrames() });
  }

  /** Carries out what the node asked for; `touched` says the state may have changed regardless. */
  private flush(touched: boolean): void {
    const { messages, events, persist } = this.made.node.ready();
    // The core asks for durable state to be stored before its messages leave. IndexedDB is
    // asynchronous, so here the write is queued and the messages go at once: a crash within the
    // PERSIST_INTERVAL_MS a write may wait can lose the last change (a page just received, a new
    // epoch). The simulator models synchronous persistence; the window is this host's alone.
    if (persist !== undefined) this.persist?.(persist);
    for (const m of messages) this.send(m);
    for (const m of messages) this.noteRequest(m);
    for (const e of events) this.onNodeEvent(e);
    if (touched || messages.length > 0 || events.length > 0) this.schedulePublish();
  }

  private send(m: Message): void {
    const link = this.links.get(m.to);
    if (!link || !link.transport.send(m)) {
      // A dead peer is pulsed or re-asked many times a second; say so once until it is back.
      if (!this.unreachable.has(m.to)) {
        this.unreachable.add(m.to);
        this.log('warn', `${this.id} has no link to ${m.to}; lost ${describeMessage(m)} (and drops what follows until it is linked again)`);
      }
      return;
    }
    // A partitioned link swallows the frame; the trace says so, so the view can draw it lost.
    const lost = link.transport.faults.partitioned;
    const text = lost ? `${describeMessage(m)} lost: link partitioned` : describeMessage(m);
    this.emit({ type: 'trace', direction: 'sent', text, message: traceOf(m, lost ? 'lost' : 'sent', this.traceNow()) });
  }

  /** The first request a client sends for an operation names it: its id ties the op to its messages. */
  private noteRequest(m: Message): void {
    if (m.type !== 'READ_REQUEST' && m.type !== 'WRITE_REQUEST') return;
    const kind = m.type === 'READ_REQUEST' ? 'read' : 'write';
    for (const [opId, op] of this.openOps) {
      if (op.req === m.req) return;
      if (op.req !== null || op.kind !== kind || op.page !== m.page) continue;
      op.req = m.req;
      this.emit({ type: 'op', op: { phase: 'req', opId, node: this.id, req: m.req, at: this.traceNow() } });
      return;
    }
  }

  private onNodeEvent(e: NodeEvent): void {
    if (e.type === 'op-done') {
      this.waiting.get(e.opId)?.(e.result);
      this.waiting.delete(e.opId);
      this.openOps.delete(e.opId);
      const { opId, kind, page, result } = e;
      this.emit({ type: 'op', op: { phase: 'done', opId, node: this.id, kind, page, result, at: this.traceNow() } });
    }
    this.emit(e);
  }

  /**
   * State goes to the page at most once per STATE_PUSH_MS: building and comparing a snapshot of
   * every page on each message would cost more than the protocol itself.
   */
  private schedulePublish(): void {
    if (this.publishTimer !== null) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      this.publishState();
    }, STATE_PUSH_MS);
  }

  private publishState(): void {
    const state = this.made.snapshot();
    const key = JSON.stringify(state);
    if (key === this.lastState) return;
    this.lastState = key;
    this.emit({ type: 'state', state });
  }

  /** The core throws only when an invariant breaks; report it loudly rather than kill the host. */
  private guard(what: string, f: () => void): void {
    try {
      f();
    } catch (err) {
      this.log('error', `${this.id} ${what} failed: ${(err as Error).message}`);
    }
  }

  private log(level: LogLevel, text: string): void {
    this.emit({ type: 'log', level, text });
  }

  private emit(e: HostEvent): void {
    for (const l of [...this.listeners]) {
      try {
        const r = l(e);
        // A Comlink callback whose page has gone away rejects: stop calling it.
        if (r instanceof Promise) r.catch(() => this.listeners.delete(l));
      } catch {
        this.listeners.delete(l);
      }
    }
  }
}
