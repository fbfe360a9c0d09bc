// What every node hands its host. The host (simulator, worker, tab) delivers messages with
// step(), advances time with tick(), and after each call drains ready(): the messages to send
// and the events to report. Nothing in a node performs I/O itself.
import type { NodeId, PageId } from './ids.ts';
import type { Message } from './messages.ts';

export type OpKind = 'read' | 'write';

/**
 * How an operation ended. `certain` on a failure says whether it surely did not take effect
 * (a history records `fail`) or might have (`info`).
 */
export type OpResult =
  | { ok: true; value: string | null; local: boolean }
  /** `away`: the member whose absence made the page unavailable, when that was the reason. */
  | { ok: false; error: string; certain: boolean; away?: NodeId };

export type LogLevel = 'info' | 'warn' | 'error';

export type NodeEvent =
  { type: 'op-done'; opId: number; kind: OpKind; page: PageId; result: OpResult } | { type: 'log'; level: LogLevel; text: string };

export interface Ready<D = unknown> {
  messages: Message[];
  events: NodeEvent[];
  /**
   * Set when the node's durable state changed: the host stores what it returns before sending
   * the messages. It reads the node's state when called, so a host that coalesces writes reads
   * only the latest, and only as often as it writes. What it returns is built fresh and never
   * changed by the node afterwards, so a host may keep it as it is.
   */
  persist?: () => D;
}

export interface IvyNode {
  readonly id: NodeId;
  /** Delivers one validated message addressed to this node. */
  step(message: Message, now: number): void;
  /** Advances the node's notion of time (timeouts, pulses). */
  tick(now: number): void;
  /**
   * The earliest time (on the clock tick() is given) at which tick() may have something to do;
   * Infinity when nothing waits on time. Never later than the truth; earlier is allowed (a tick
   * with nothing due does nothing). Hosts arm one timer for it instead of polling.
   */
  nextDeadline(): number;
  /** Takes (and clears) what the node wants done since the last call. */
  ready(): Ready;
}

/** Shared plumbing for the outbox; roles keep their rules in their own classes. */
export class Outbox {
  private messages: Message[] = [];
  private events: NodeEvent[] = [];

  send(m: Message): void {
    this.messages.push(m);
  }

  emit(e: NodeEvent): void {
    this.events.push(e);
  }

  log(level: LogLevel, text: string): void {
    this.events.push({ type: 'log', level, text });
  }

  drain<D>(): Ready<D> {
    const r: Ready<D> = { messages: this.messages, events: this.events };
    this.messages = [];
    this.events = [];
    return r;
  }
}
