// What every node hands its host. The host (simulator, worker, tab) delivers messages with
// step(), advances time with tick(), and after each call drains ready(): the messages to send
// and the events to report. Nothing in a node performs I/O itself.
import type { DurableEntry } from './durable.ts';
import type { NodeId, PageId } from './ids.ts';
import type { Message } from './messages.ts';

export type OpKind = 'read' | 'write';

/**
 * How an operation ended. `certain` on a failure says whether it surely did not take effect
 * (a history records `fail`) or might have (`info`).
 */
export type OpResult =
  /** `unkept`: a read copy that answered the read but was not kept, for want of a lease. */
  | { ok: true; value: string | null; local: boolean; unkept?: true }
  /** `away`: the member whose absence made the page unavailable, when that was the reason. */
  | { ok: false; error: string; certain: boolean; away?: NodeId };

export type LogLevel = 'info' | 'warn' | 'error';

export type NodeEvent =
  { type: 'op-done'; opId: number; kind: OpKind; page: PageId; result: OpResult } | { type: 'log'; level: LogLevel; text: string };

export interface Ready {
  messages: Message[];
  events: NodeEvent[];
  /**
   * The durable entries that changed since the last ready(), as they stand now (durable.ts):
   * the host stores them before it sends the messages that depend on them. Absent when none did.
   * A node's first ready() always has one, so that each life of a node commits at its start.
   */
  changes?: DurableEntry[];
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
  /** The node's whole durable table as it stands now: what a snapshot or a compaction writes. */
  durableEntries(): DurableEntry[];
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

  drain(): Ready {
    const r: Ready = { messages: this.messages, events: this.events };
    this.messages = [];
    this.events = [];
    return r;
  }
}
