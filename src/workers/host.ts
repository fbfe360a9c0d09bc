// Runs one protocol node: delivers validated frames from its links with step(), advances time
// with tick() from a real clock, and after each call carries out ready(): messages go straight
// to the addressee's link, events go to subscribers, durable state goes to `persist`. It knows
// nothing of message kinds.
import type { OpRequest } from '../protocol/client.ts';
import type { NodeId } from '../protocol/ids.ts';
import { describeMessage, type Message } from '../protocol/messages.ts';
import type { LogLevel, NodeEvent, OpResult } from '../protocol/node.ts';
import { FaultyTransport, type LinkFaults } from '../net/faults.ts';
import type { Transport, TransportEvent } from '../net/transport.ts';
import type { MadeNode, NodeState } from './make-node.ts';

export type HostEvent =
  | { type: 'state'; state: NodeState }
  | Extract<NodeEvent, { type: 'op-done' }>
  | { type: 'log'; level: LogLevel; text: string }
  | { type: 'trace'; direction: 'sent' | 'received'; text: string };

export type HostListener = (event: HostEvent) => unknown;

/** Takes a node's durable state (`ready().persist`) and keeps it; must return at once. */
export type Persist = (durable: unknown) => void;

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

  constructor(
    private readonly made: MadeNode,
    private readonly now: () => number = () => performance.now(),
    private readonly persist: Persist | null = null,
  ) {}

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
      this.flush(true);
    });
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
    for (const peer of [...this.links.keys()]) this.disconnect(peer);
  }

  /** For the environment to tell subscribers what the node cannot, such as a failed write to disk. */
  notice(level: LogLevel, text: string): void {
    this.log(level, text);
  }

  tick(): void {
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
    this.emit({ type: 'trace', direction: 'received', text: describeMessage(m) });
    this.guard('step', () => this.made.node.step(m, this.now()));
    this.flush(true);
  }

  /** Carries out what the node asked for; `touched` says the state may have changed regardless. */
  private flush(touched: boolean): void {
    const { messages, events, persist } = this.made.node.ready();
    // The core asks for durable state to be stored before its messages leave. IndexedDB is
    // asynchronous, so here the write is queued and the messages go at once: a crash within the
    // few milliseconds a write takes can lose the last change (a page just received, a new
    // epoch). The simulator models synchronous persistence; the window is this host's alone.
    if (persist !== undefined) this.persist?.(persist);
    for (const m of messages) this.send(m);
    for (const e of events) this.onNodeEvent(e);
    if (touched || messages.length > 0 || events.length > 0) this.publishState();
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
    this.emit({ type: 'trace', direction: 'sent', text: describeMessage(m) });
  }

  private onNodeEvent(e: NodeEvent): void {
    if (e.type === 'op-done') {
      this.waiting.get(e.opId)?.(e.result);
      this.waiting.delete(e.opId);
    }
    this.emit(e);
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
