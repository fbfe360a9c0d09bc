// A tiny deterministic harness for the protocol core: one central manager, N clients and a
// single FIFO queue of messages in flight that a test steps by hand. Nothing is delivered
// unless the test asks, so every interleaving in a test is written down in the test.
//
// Every message a node emits goes through JSON and the wire validator before delivery, so a
// node that emits something the validator would reject fails the test at once.
import { ClientNode, type OpRequest } from '../../src/protocol/client.ts';
import { clientNodeId, PRIMARY_CM, type NodeId, type PageId } from '../../src/protocol/ids.ts';
import { PAGE_SIZE_BYTES_DEFAULT } from '../../src/protocol/limits.ts';
import { CentralManager } from '../../src/protocol/manager.ts';
import { describeMessage, type Message } from '../../src/protocol/messages.ts';
import type { LogLevel, NodeEvent, OpResult, Ready } from '../../src/protocol/node.ts';
import { parseMessage } from '../../src/protocol/validate.ts';

export type OpDone = Extract<NodeEvent, { type: 'op-done' }>;
export interface LogLine { node: NodeId; level: LogLevel; text: string }
/** Picks a queued message: by predicate, or by a substring of its `describeMessage` line. */
export type MessageMatch = string | ((m: Message) => boolean);

export interface ClusterOptions {
  clients: number;
  pageSizeBytes?: number;
}

/** A message as one line, with the fields describeMessage leaves out. */
export function show(m: Message): string {
  const line = describeMessage(m);
  switch (m.type) {
    case 'READ_FORWARD':
    case 'WRITE_FORWARD': return `${line} for ${m.requester}`;
    case 'PAGE': return `${line} ${JSON.stringify(m.content)} v${m.version}`;
    case 'WRITE_CONFIRMATION': return `${line} v${m.version}`;
    default: return line;
  }
}

export class Cluster {
  readonly cm = new CentralManager({ id: PRIMARY_CM });
  readonly clients = new Map<NodeId, ClientNode>();
  /** Every message sent and not yet delivered, dropped or held, oldest first. */
  private queue: Message[] = [];
  private readonly done = new Map<NodeId, OpDone[]>();
  readonly logs: LogLine[] = [];
  /** Every message delivered so far, as `describeMessage` lines. */
  readonly delivered: string[] = [];
  private readonly pageSizeBytes: number;
  private now = 0;

  constructor(opts: ClusterOptions) {
    this.pageSizeBytes = opts.pageSizeBytes ?? PAGE_SIZE_BYTES_DEFAULT;
    for (let n = 1; n <= opts.clients; n++) {
      const id = clientNodeId(n);
      this.clients.set(id, new ClientNode({ id, cm: PRIMARY_CM, pageSizeBytes: this.pageSizeBytes }));
      this.done.set(id, []);
    }
  }

  client(id: NodeId): ClientNode {
    const c = this.clients.get(id);
    if (!c) throw new Error(`no client ${id}`);
    return c;
  }

  submit(id: NodeId, op: OpRequest): number {
    const opId = this.client(id).submit(op, this.now);
    this.collect(id);
    return opId;
  }

  read(id: NodeId, page: PageId): number {
    return this.submit(id, { kind: 'read', page });
  }

  write(id: NodeId, page: PageId, value: string): number {
    return this.submit(id, { kind: 'write', page, value });
  }

  /** The op-done events a client has emitted so far, in order. */
  opsDone(id: NodeId): OpDone[] {
    return this.done.get(id) ?? [];
  }

  /** The result of one operation, or undefined while it is still running. */
  result(id: NodeId, opId: number): OpResult | undefined {
    return this.opsDone(id).find((e) => e.opId === opId)?.result;
  }

  /** Queued messages, oldest first, as `describeMessage` lines. */
  pending(): string[] {
    return this.queue.map(describeMessage);
  }

  pendingMessages(): readonly Message[] {
    return this.queue;
  }

  /** Delivers the oldest queued message; returns it, or undefined when nothing is queued. */
  deliverNext(): Message | undefined {
    const m = this.queue.shift();
    if (m) this.deliver(m);
    return m;
  }

  /** Delivers until the queue is empty (new messages join the back); returns how many. */
  deliverAll(limit = 1000): number {
    let n = 0;
    while (this.queue.length > 0) {
      if (++n > limit) throw new Error(`deliverAll: still busy after ${limit} messages`);
      this.deliverNext();
    }
    return n;
  }

  /** Delivers the oldest message addressed to `id` (links stay FIFO). */
  deliverTo(id: NodeId): Message {
    return this.deliverMatching((m) => m.to === id);
  }

  /** Delivers the oldest message that matches. */
  deliverMatching(match: MessageMatch): Message {
    const m = this.take(match);
    this.deliver(m);
    return m;
  }

  /** Removes the oldest matching message for good (it is lost). */
  drop(match: MessageMatch): Message {
    return this.take(match);
  }

  /** Takes the oldest matching message out of the queue; `release` puts it back at the end. */
  hold(match: MessageMatch): Message {
    return this.take(match);
  }

  release(m: Message): void {
    this.queue.push(m);
  }

  /** Hands a message straight to its addressee, as if it had just arrived. */
  inject(m: Message): void {
    this.deliver(m);
  }

  private take(match: MessageMatch): Message {
    const pred = typeof match === 'string' ? (m: Message) => describeMessage(m).includes(match) : match;
    const i = this.queue.findIndex(pred);
    const m = this.queue[i];
    if (i < 0 || !m) throw new Error(`no queued message matches ${String(match)}; queued: ${this.pending().join(' | ')}`);
    this.queue.splice(i, 1);
    return m;
  }

  private deliver(m: Message): void {
    const parsed = parseMessage(JSON.parse(JSON.stringify(m)), this.pageSizeBytes);
    if (!parsed.ok) throw new Error(`invalid message on the wire: ${describeMessage(m)}: ${parsed.error}`);
    this.now += 1;
    this.delivered.push(describeMessage(m));
    if (m.to === this.cm.id) {
      this.cm.step(parsed.message, this.now);
    } else {
      this.client(m.to).step(parsed.message, this.now);
    }
    this.collect(m.to);
  }

  private collect(id: NodeId): void {
    const r: Ready = id === this.cm.id ? this.cm.ready() : this.client(id).ready();
    this.queue.push(...r.messages);
    for (const e of r.events) {
      if (e.type === 'op-done') this.done.get(id)?.push(e);
      else this.logs.push({ node: id, level: e.level, text: e.text });
    }
  }
}

/** The CM's view of one page, without the request bookkeeping. */
export function pageView(cluster: Cluster, page: PageId): { owner: NodeId | null; copySet: NodeId[] } | undefined {
  const p = cluster.cm.snapshot().pages.find((x) => x.page === page);
  return p ? { owner: p.owner, copySet: p.copySet } : undefined;
}
