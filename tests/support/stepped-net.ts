// The hand-stepped harness for the protocol core: one or two central managers, N clients and one
// FIFO queue per directed link. Nothing moves unless a test says so: it delivers, holds, drops or
// injects messages, crashes and restarts nodes, and advances time by calling tick(now) on every
// live node, so every interleaving in a test is written down in the test. Every message goes
// through JSON and the wire validator before delivery, so a node that emits something the
// validator would reject fails the test at once.
//
// What each node persists (ready().changes, and its whole table at the first commit of each
// life, as a host's log writes it) is kept as its "disk", so a restart can start from exactly
// what the previous incarnation stored.
//
// Lease heartbeats and grants (LEASE, LEASE_GRANT) travel on a side channel: delivered at once,
// unless a node is isolated or down, and kept out of the queues and the lists the scenarios
// assert on. The scenarios here are about failover; membership has tests of its own.
import { timing, type ReplicationMode, type Replicas, type Timing } from '../../src/protocol/config.ts';
import { ClientNode, type ClientDurable, type OpRequest } from '../../src/protocol/client.ts';
import { BACKUP_CM, clientNodeId, PRIMARY_CM, type NodeId, type PageId } from '../../src/protocol/ids.ts';
import { PAGE_SIZE_BYTES_DEFAULT } from '../../src/protocol/limits.ts';
import { CentralManager, type CmDurable, type CmStart, type ManagerSnapshot } from '../../src/protocol/manager.ts';
import { describeMessage, type Message } from '../../src/protocol/messages.ts';
import type { IvyNode, LogLevel, NodeEvent, OpResult } from '../../src/protocol/node.ts';
import { parseMessage } from '../../src/protocol/validate.ts';
import { clientDurableOf, cmDurableOf, DurableTable, entryKey, type DurableEntry } from '../../src/protocol/durable.ts';
import { isCmId } from '../../src/protocol/ids.ts';

export type OpDone = Extract<NodeEvent, { type: 'op-done' }>;
export interface LogLine {
  node: NodeId;
  level: LogLevel;
  text: string;
}
/** What happened on the wire and in the logs, in order: for readers that want the whole story. */
export type TraceEntry = { kind: 'delivered' | 'lost'; m: Message } | { kind: 'log'; log: LogLine };
/** Picks a queued message: by predicate, or by a substring of its `describeMessage` line. */
export type Match = string | ((m: Message) => boolean);

/** The timing every scenario runs by: the defaults, spelled out so the arithmetic is visible. */
export const T: Timing = timing({
  pulseIntervalMs: 100,
  pulseMissesMax: 3,
  retryIntervalMs: 200,
  requestDeadlineMs: 5000,
  cmResendMs: 150,
  cmAttemptsMax: 8,
  queueDeadlineMs: 4000,
});

export interface NetOptions {
  clients: number;
  /** Whether cm2 exists (default true); without it cm1 acts alone and needs no role lease. */
  backup?: boolean;
  pageSizeBytes?: number;
  replication?: ReplicationMode;
  /** Whether cm2 is configured with the member list (else it learns it from PULSE_REPLY). */
  backupKnowsMembers?: boolean;
  /** 1: clients' writes are acknowledged once the acting CM keeps a replica. */
  replicas?: Replicas;
}

interface Queued {
  seq: number;
  m: Message;
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

/** A message as one line, with the fields describeMessage leaves out. */
export function show(m: Message): string {
  const line = describeMessage(m);
  switch (m.type) {
    case 'READ_FORWARD':
    case 'WRITE_FORWARD':
      return `${line} for ${m.requester}`;
    case 'PAGE':
      return `${line} ${JSON.stringify(m.content)} v${m.version}`;
    case 'WRITE_CONFIRMATION':
      return `${line} v${m.version}`;
    default:
      return line;
  }
}

/** Entries in key order, owned pages' access left out (see Net.store). */
function sortedEntries(entries: DurableEntry[]): DurableEntry[] {
  return entries
    .map((e) => (e.kind === 'page' && e.owned ? { ...e, owned: { ...e.owned, access: 'write' as const } } : e))
    .sort((a, b) => (entryKey(a) < entryKey(b) ? -1 : 1));
}

export class Net {
  readonly nodes = new Map<NodeId, IvyNode>();
  readonly clientIds: NodeId[] = [];
  /** The last state each node persisted, as its disk would hold it. */
  readonly disks = new Map<NodeId, unknown>();
  /** The durable table behind each disk. */
  private readonly tables = new Map<NodeId, DurableTable>();
  /** Nodes whose life has not committed yet: their first commit writes their whole table. */
  private readonly firstCommit = new Set<NodeId>();
  readonly logs: LogLine[] = [];
  /** Every message delivered, as `show` lines, in order. */
  readonly delivered: string[] = [];
  /** Every message sent, as `show` lines, in order (including ones later dropped). */
  readonly sent: string[] = [];
  /**
   * Deliveries, losses (a message sent by or to an isolated node, or arriving at one that is down)
   * and log lines, in the order they happened; LEASE traffic is left out as everywhere here.
   */
  readonly trace: TraceEntry[] = [];
  private readonly links = new Map<string, Queued[]>();
  private readonly done = new Map<NodeId, OpDone[]>();
  /** Nodes cut off from everyone: what they send and what is sent to them is lost. */
  private readonly isolated = new Set<NodeId>();
  private readonly replication: ReplicationMode;
  private readonly peerExists: boolean;
  private readonly pageSizeBytes: number;
  private readonly replicas: Replicas;
  private seq = 0;
  now = 0;

  constructor(opts: NetOptions) {
    this.replication = opts.replication ?? 'streaming';
    this.peerExists = opts.backup ?? true;
    this.pageSizeBytes = opts.pageSizeBytes ?? PAGE_SIZE_BYTES_DEFAULT;
    this.replicas = opts.replicas ?? 0;
    const { replication, peerExists, pageSizeBytes, replicas } = this;
    for (let n = 1; n <= opts.clients; n++) this.clientIds.push(clientNodeId(n));
    this.add(
      new CentralManager({
        id: PRIMARY_CM,
        start: 'primary',
        members: this.clientIds,
        replication,
        peerExists,
        timing: T,
        now: 0,
      }),
    );
    if (peerExists) {
      this.add(
        new CentralManager({
          id: BACKUP_CM,
          start: 'backup',
          members: opts.backupKnowsMembers === false ? [] : this.clientIds,
          replication,
          timing: T,
          now: 0,
        }),
      );
    }
    for (const id of this.clientIds) this.add(new ClientNode({ id, timing: T, pageSizeBytes, replicas }));
  }

  // --- nodes ----------------------------------------------------------------------------

  cm(id: NodeId): CentralManager {
    const n = this.nodes.get(id);
    if (!(n instanceof CentralManager)) throw new Error(`${id} is not a live CM`);
    return n;
  }

  client(id: NodeId): ClientNode {
    const n = this.nodes.get(id);
    if (!(n instanceof ClientNode)) throw new Error(`${id} is not a live client`);
    return n;
  }

  alive(id: NodeId): boolean {
    return this.nodes.has(id);
  }

  /** The node stops: its state is gone except its disk; messages to it are lost on arrival. */
  crash(id: NodeId): void {
    if (!this.nodes.delete(id)) throw new Error(`${id} is not running`);
  }

  restartCm(id: NodeId, start: CmStart): CentralManager {
    if (this.nodes.has(id)) throw new Error(`${id} is running`);
    const cm = new CentralManager({
      id,
      start,
      members: this.clientIds,
      replication: this.replication,
      peerExists: this.peerExists,
      timing: T,
      durable: this.disks.get(id) as CmDurable | undefined,
      now: this.now,
    });
    this.add(cm);
    return cm;
  }

  /** Restarts a client from its disk, or (withDisk false) as a blank node with the same id. */
  restartClient(id: NodeId, opts: { withDisk: boolean; announce?: boolean }): ClientNode {
    if (this.nodes.has(id)) throw new Error(`${id} is running`);
    const durable = opts.withDisk ? (this.disks.get(id) as ClientDurable | undefined) : undefined;
    if (opts.withDisk && !durable) throw new Error(`${id} has nothing on disk`);
    if (!opts.withDisk) {
      this.disks.delete(id);
      this.tables.delete(id);
    }
    // As a host must: a blank incarnation numbers its requests past any earlier one's.
    const c = new ClientNode({
      id,
      timing: T,
      pageSizeBytes: this.pageSizeBytes,
      durable,
      announce: opts.announce ?? false,
      seqStart: 1000 + this.now * 1000,
      replicas: this.replicas,
    });
    // A new incarnation numbers its operations (op ids) from 1 again: forget the old one's outcomes.
    this.done.set(id, []);
    this.add(c);
    return c;
  }

  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  heal(id: NodeId): void {
    this.isolated.delete(id);
  }

  private add(n: IvyNode): void {
    this.nodes.set(n.id, n);
    this.firstCommit.add(n.id);
    if (!this.done.has(n.id)) this.done.set(n.id, []);
    this.collect(n.id);
  }

  // --- operations -----------------------------------------------------------------------

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

  opsDone(id: NodeId): OpDone[] {
    return this.done.get(id) ?? [];
  }

  result(id: NodeId, opId: number): OpResult | undefined {
    const all = this.opsDone(id).filter((e) => e.opId === opId);
    if (all.length > 1) throw new Error(`${id} op ${opId} finished ${all.length} times`);
    return all[0]?.result;
  }

  // --- time -----------------------------------------------------------------------------

  /** Sets the clock and ticks every live node (CMs first, then clients, in id order). */
  tick(now: number): void {
    if (now < this.now) throw new Error(`time runs forward: ${now} < ${this.now}`);
    this.now = now;
    for (const id of [...this.nodes.keys()].sort()) {
      this.nodes.get(id)?.tick(now);
      this.collect(id);
    }
  }

  /** Ticks at every `step` ms from the current time (exclusive) up to `until` (inclusive). */
  tickUntil(until: number, step = 50, settle = false): void {
    for (let t = this.now + step; t <= until; t += step) {
      this.tick(t);
      if (settle) this.deliverAll();
    }
  }

  // --- messages -------------------------------------------------------------------------

  /** Every queued message, oldest first, as `show` lines. */
  pending(): string[] {
    return this.allQueued().map((q) => show(q.m));
  }

  pendingMessages(): Message[] {
    return this.allQueued().map((q) => q.m);
  }

  private allQueued(): Queued[] {
    return [...this.links.values()].flat().sort((a, b) => a.seq - b.seq);
  }

  /** Delivers the head of the link from -> to. */
  deliver(from: NodeId, to: NodeId): Message {
    const q = this.links.get(linkKey(from, to));
    const head = q?.shift();
    if (!head) throw new Error(`nothing queued on ${from}->${to}; queued: ${this.pending().join(' | ')}`);
    this.arrive(head.m);
    return head.m;
  }

  /** Delivers the oldest queued message (always the head of its link). */
  deliverNext(): Message | undefined {
    const next = this.allQueued()[0];
    return next && this.deliver(next.m.from, next.m.to);
  }

  /** Delivers the oldest message addressed to `to`. */
  deliverTo(to: NodeId): Message {
    return this.deliverMatching((m) => m.to === to);
  }

  /** Delivers the oldest message that is the head of its link and matches. */
  deliverMatching(match: Match): Message {
    const m = this.takeHead(match);
    this.arrive(m);
    return m;
  }

  /** Delivers the oldest link head until nothing is queued (global FIFO); returns how many. */
  deliverAll(limit = 2000): number {
    let n = 0;
    for (;;) {
      const next = this.allQueued()[0];
      if (!next) return n;
      if (++n > limit) throw new Error(`deliverAll: still busy after ${limit} messages`);
      this.deliver(next.m.from, next.m.to);
    }
  }

  /** Delivers, oldest first, only messages that match, until none is queued. */
  deliverAllMatching(match: Match, limit = 2000): number {
    const pred = this.pred(match);
    let n = 0;
    for (;;) {
      const next = this.allQueued().find((q) => pred(q.m));
      if (!next) return n;
      if (++n > limit) throw new Error(`deliverAllMatching: still busy after ${limit} messages`);
      this.arrive(this.take((m) => m === next.m));
    }
  }

  /** Takes the oldest matching message out of its link, for good (lost) or to `inject` later. */
  take(match: Match): Message {
    const pred = this.pred(match);
    const q = this.allQueued().find((x) => pred(x.m));
    if (!q) throw new Error(`no queued message matches ${String(match)}; queued: ${this.pending().join(' | ')}`);
    const link = this.links.get(linkKey(q.m.from, q.m.to)) ?? [];
    link.splice(link.indexOf(q), 1);
    return q.m;
  }

  /** Puts a message taken out with `take` back at the end of its link, as if sent now. */
  release(m: Message): void {
    this.enqueue(m);
  }

  /** Drops every queued message that matches; returns them. */
  dropAll(match: Match): Message[] {
    const pred = this.pred(match);
    const out: Message[] = [];
    for (const link of this.links.values()) {
      for (let i = link.length - 1; i >= 0; i--) {
        const q = link[i];
        if (q && pred(q.m)) {
          out.unshift(q.m);
          link.splice(i, 1);
        }
      }
    }
    return out;
  }

  /** Hands a message straight to its addressee, as if it had just arrived. */
  inject(m: Message): void {
    this.arrive(m);
  }

  private takeHead(match: Match): Message {
    const pred = this.pred(match);
    const heads = [...this.links.values()]
      .map((l) => l[0])
      .filter((q): q is Queued => q !== undefined)
      .sort((a, b) => a.seq - b.seq);
    const q = heads.find((x) => pred(x.m));
    if (!q) throw new Error(`no link head matches ${String(match)}; queued: ${this.pending().join(' | ')}`);
    this.links.get(linkKey(q.m.from, q.m.to))?.shift();
    return q.m;
  }

  private pred(match: Match): (m: Message) => boolean {
    return typeof match === 'string' ? (m: Message) => show(m).includes(match) : match;
  }

  private arrive(m: Message): void {
    const parsed = parseMessage(JSON.parse(JSON.stringify(m)), this.pageSizeBytes);
    if (!parsed.ok) throw new Error(`invalid message on the wire: ${show(m)}: ${parsed.error}`);
    const node = this.nodes.get(m.to);
    if (!node || this.isolated.has(m.to) || this.isolated.has(m.from)) {
      this.trace.push({ kind: 'lost', m });
      return;
    }
    this.delivered.push(show(m));
    this.trace.push({ kind: 'delivered', m });
    node.step(parsed.message, this.now);
    this.collect(m.to);
  }

  private store(id: NodeId, node: IvyNode, changes: DurableEntry[]): void {
    let table = this.tables.get(id);
    if (table === undefined || this.firstCommit.has(id)) {
      table = new DurableTable(structuredClone(node.durableEntries()));
      this.tables.set(id, table);
      this.firstCommit.delete(id);
    } else {
      table.apply(structuredClone(changes));
    }
    // What the changes built must be the node's whole table (but for the access an owner lends
    // away, deliberately never committed): a change the node forgot to report would be lost.
    const kept = JSON.stringify(sortedEntries(table.list()));
    const truth = JSON.stringify(sortedEntries(node.durableEntries()));
    if (kept !== truth) throw new Error(`${id}'s changes left its disk at ${kept}, its table is ${truth}`);
    this.disks.set(id, isCmId(id) ? cmDurableOf(table.list()) : clientDurableOf(table.list()));
  }

  /** Drains a node: stores what it persisted first, then queues its messages. */
  private collect(id: NodeId): void {
    const node = this.nodes.get(id);
    if (!node) return;
    const r = node.ready();
    if (r.changes !== undefined) this.store(id, node, r.changes);
    const side: Message[] = [];
    for (const m of r.messages) {
      if (m.type === 'LEASE' || m.type === 'LEASE_GRANT') {
        side.push(m);
        continue;
      }
      this.sent.push(show(m));
      if (!this.isolated.has(m.from) && !this.isolated.has(m.to)) this.enqueue(m);
      else this.trace.push({ kind: 'lost', m });
    }
    for (const e of r.events) {
      if (e.type === 'op-done') this.done.get(id)?.push(e);
      else {
        const log = { node: id, level: e.level, text: e.text };
        this.logs.push(log);
        this.trace.push({ kind: 'log', log });
      }
    }
    for (const m of side) {
      const to = this.nodes.get(m.to);
      if (!to || this.isolated.has(m.from) || this.isolated.has(m.to)) continue;
      to.step(m, this.now);
      this.collect(m.to);
    }
  }

  private enqueue(m: Message): void {
    const key = linkKey(m.from, m.to);
    let link = this.links.get(key);
    if (!link) {
      link = [];
      this.links.set(key, link);
    }
    link.push({ seq: this.seq++, m });
  }

  // --- views ----------------------------------------------------------------------------

  /** The acting CM's (or any CM's) view of one page. */
  page(cmId: NodeId, page: PageId): ManagerSnapshot['pages'][number] | undefined {
    return this.cm(cmId)
      .snapshot()
      .pages.find((p) => p.page === page);
  }

  /** owner / copySet / version of a page as a CM sees it. */
  meta(cmId: NodeId, page: PageId): { owner: NodeId | null; copySet: NodeId[]; version: number } | undefined {
    const p = this.page(cmId, page);
    return p && { owner: p.owner, copySet: p.copySet, version: p.version };
  }

  /** Which CMs act now, with their epochs. */
  acting(): Array<{ id: NodeId; epoch: number }> {
    return [...this.nodes.values()]
      .filter((n): n is CentralManager => n instanceof CentralManager)
      .filter((c) => c.currentRole === 'acting')
      .map((c) => ({ id: c.id, epoch: c.epoch }));
  }

  /** Runs an operation to its end: submit, then tick and deliver everything until it is done. */
  run(id: NodeId, op: OpRequest, untilMs = 6000): OpResult {
    const opId = this.submit(id, op);
    this.deliverAll();
    const end = this.now + untilMs;
    while (this.result(id, opId) === undefined && this.now < end) {
      this.tick(this.now + 50);
      this.deliverAll();
    }
    const r = this.result(id, opId);
    if (!r) throw new Error(`${id} ${op.kind} ${op.page} not done by ${this.now}; queued: ${this.pending().join(' | ')}`);
    return r;
  }

  readValue(id: NodeId, page: PageId): OpResult {
    return this.run(id, { kind: 'read', page });
  }

  writeValue(id: NodeId, page: PageId, value: string): OpResult {
    return this.run(id, { kind: 'write', page, value });
  }
}

/** The ok/value part of a result, for comparisons that do not care where it was served. */
export function outcome(
  r: OpResult | undefined,
): { ok: true; value: string | null } | { ok: false; error: string; certain: boolean } | undefined {
  if (!r) return undefined;
  return r.ok ? { ok: true, value: r.value } : r;
}
