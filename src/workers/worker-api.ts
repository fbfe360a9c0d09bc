// What a node worker exposes to the page through Comlink. Control only: protocol traffic never
// passes here, it flows over the MessagePorts handed in with connect(), or in memory to a node
// that shares this thread (packed placement, connectLocal()).
import type { OpResult } from '../protocol/node.ts';
import { NODE_ID_PATTERN, type NodeId } from '../protocol/ids.ts';
import type { LinkFaults } from '../net/faults.ts';
import { decoderFor, type LinkOrigin } from '../net/message-codec.ts';
import { MessagePortTransport } from '../net/message-port.ts';
import { realEnv, sleepProofClock, type Disk } from '../host/env.ts';
import { NodeHost, type HostListener } from '../host/node-host.ts';
import { describeDurable, durableFor, makeNode, nodeSpecError, PAGE_SIZE_BYTES, type NodeSpec, type NodeState } from '../host/make-node.ts';
import type { DurableBackend } from '../disk/backend.ts';
import { DURABILITY_DEFAULT } from '../protocol/config.ts';
import { ThreadStorage } from './storage.ts';
import { CountingTransport, MessageCounter, type MessageCounts } from './message-count.ts';
import type { StepSettings } from '../host/trace.ts';
import type { Message } from '../protocol/messages.ts';
import type { Neighbours } from './neighbours.ts';
import { browserLocks, nodeLockName, NodeRunsElsewhere, type NodeLocks } from '../host/node-lock.ts';

/** What a started node came back with. */
export interface StartInfo {
  /** Where its state is kept ("log on OPFS, process durability"), or null when nowhere. */
  storage: string | null;
  /** What it recovered ("3 owned page(s) persisted", "last epoch 5", "nothing persisted"); null when it took nothing, being new. */
  recovered: string | null;
  /** What the recovery worked around (a torn tail dropped, an old store read). */
  notes: string[];
  /**
   * The page values a restarted client came back with (owned pages and pages handed on), for the
   * dashboard's history; empty beyond HELD_SHOWN_MAX of them, so that a start never carries
   * megabytes to the page.
   */
  held: Array<{ page: string; value: string }>;
  /** How long reading its state and building the node took, in ms (0 without a store). */
  recoveryMs: number;
}

/** At most this many page values go back to the page with a start (StartInfo.held). */
export const HELD_SHOWN_MAX = 1024;

function heldValues(spec: NodeSpec): StartInfo['held'] {
  if (spec.role !== 'client' || !spec.durable) return [];
  const held = [...spec.durable.owned, ...spec.durable.ghosts];
  if (held.length > HELD_SHOWN_MAX) return [];
  return held.flatMap((p) => (p.content === null ? [] : [{ page: p.page, value: p.content }]));
}

export interface NodeWorkerApi {
  /**
   * Builds the node, once per worker. A node with a store holds its id's lock (node-lock.ts) for
   * its life: if another worker of this browser holds it, this throws NodeRunsElsewhere at once.
   * Holding the lock, it reads what the store keeps for the node (durableFor says what a fresh
   * or a restarted node takes of it) and logs the node's changes from then on.
   */
  start(spec: NodeSpec): Promise<StartInfo>;
  /**
   * Sets the node going, once its links are in: what it said on starting (a client's report, a
   * rebooted CM's IM_BACK) leaves now, and time runs from its deadlines.
   */
  begin(): void;
  /** Links to `peer` over `port`; `origin` says who made the channel (see message-codec.ts). */
  connect(peer: NodeId, port: MessagePort, origin: LinkOrigin): void;
  /** Links to `peer`, which runs in this same thread (neighbours.ts), both ways. */
  connectLocal(peer: NodeId): void;
  disconnect(peer: NodeId): void;
  setLinkFaults(peer: NodeId, faults: Partial<LinkFaults>): void;
  readPage(page: string): Promise<OpResult>;
  writePage(page: string, content: string): Promise<OpResult>;
  snapshot(): NodeState;
  /** A CM's `forget <member>`: its answer. */
  forget(member: NodeId): string;
  /** Returns a subscription id for unsubscribe(). */
  subscribe(listener: HostListener): number;
  unsubscribe(subscription: number): void;
  /** Settles once every durable state the node asked for so far is written. */
  persisted(): Promise<void>;
  /**
   * Closes links, stops time and lets go of the durable store, for hosts that cannot terminate
   * the worker (a packed worker, where the node's other neighbours run on). The node's lock is
   * released only once what it must keep is stored (a home file, when its log goes on without it).
   */
  stop(): Promise<void>;
  /** Experiments: protocol messages this node has sent since it started, per type. */
  messagesSent(): MessageCounts;
  /** Step mode and added delay for incoming frames (the dashboard's step controls). */
  setStepSettings(settings: StepSettings): void;
  deliverHeld(frameId: number): void;
  dropHeld(frameId: number): void;
}

/** What a node's api shares with the thread it runs in. */
export interface ThreadContext {
  /** The other nodes of this thread when it hosts several (packed placement); null for a worker of its own. */
  neighbours?: Neighbours<Message> | null;
  now?: () => number;
  /** Per-profile node locks; null where the browser has none. */
  locks?: NodeLocks | null;
  /** Where the thread's nodes keep their state (one log for all of them). */
  storage?: ThreadStorage;
}

/** One node's api. */
export function createWorkerApi(thread: ThreadContext = {}): NodeWorkerApi {
  const neighbours = thread.neighbours ?? null;
  const now = thread.now ?? sleepProofClock();
  const locks = thread.locks === undefined ? browserLocks() : thread.locks;
  const storage = thread.storage ?? new ThreadStorage();
  let host: NodeHost | null = null;
  let starting = false;
  let stopped = false;
  let backend: DurableBackend | null = null;
  let stopListening = (): void => {};
  let leaveNeighbours = (): void => {};
  let release = (): void => {};
  const subscriptions = new Map<number, () => void>();
  const sent = new MessageCounter();
  let nextSubscription = 1;
  const started = (): NodeHost => {
    if (!host) throw new Error('this node worker has not been started');
    return host;
  };
  const checkPeer = (peer: unknown): NodeId => {
    if (typeof peer !== 'string' || !NODE_ID_PATTERN.test(peer)) throw new Error(`bad peer id ${JSON.stringify(peer)}`);
    return peer;
  };
  const checkFrameId = (id: unknown): number => {
    if (!Number.isSafeInteger(id)) throw new Error(`bad frame id ${JSON.stringify(id)}`);
    return id as number;
  };
  return {
    async start(asked) {
      const error = nodeSpecError(asked);
      if (error) throw new Error(error);
      if (host || starting) throw new Error(`this worker already runs ${host?.id ?? asked.id}`);
      starting = true;
      let spec = asked;
      const info: StartInfo = { storage: null, recovered: null, notes: [], held: [], recoveryMs: 0 };
      const began = performance.now();
      let lsn = 0;
      try {
        if (spec.store !== undefined && locks) {
          const held = await locks.tryHold(nodeLockName(spec.store, spec.id));
          if (!held) throw new NodeRunsElsewhere(spec.id);
          release = held;
        }
        if (spec.store !== undefined) {
          backend = await storage.open(spec.store, spec.durability ?? DURABILITY_DEFAULT);
          const recovered = await backend.recover(spec.id);
          spec = durableFor(spec, recovered.entries);
          lsn = recovered.lsn;
          info.storage = backend.describe;
          info.notes = recovered.notes;
        }
        if (stopped) throw new Error(`${spec.id} was stopped while it started`);
      } catch (e) {
        // Nothing runs: the id is free again, and a later start may try anew.
        release();
        backend = null;
        starting = false;
        throw e;
      }
      const made = makeNode(spec, now());
      const disk: Disk | null = backend ? backend.attach(spec.id, lsn, () => made.node.durableEntries()) : null;
      const madeHost = new NodeHost(made, realEnv(disk, now));
      host = madeHost;
      stopListening = storage.listen((text) => madeHost.notice('warn', text));
      for (const note of info.notes) madeHost.notice('info', note);
      leaveNeighbours =
        neighbours?.add(spec.id, (peer, link) => madeHost.connect(peer, new CountingTransport(link, sent))) ?? leaveNeighbours;
      info.recovered = describeDurable(spec);
      info.held = heldValues(spec);
      if (backend) info.recoveryMs = performance.now() - began;
      return info;
    },
    begin: () => started().startTicking(),
    connect(peer, port, origin) {
      if (origin !== 'own' && origin !== 'outside') throw new Error(`bad link origin ${JSON.stringify(origin)}`);
      const link = new MessagePortTransport(port, decoderFor(origin, PAGE_SIZE_BYTES));
      started().connect(checkPeer(peer), new CountingTransport(link, sent));
    },
    connectLocal(peer) {
      if (!neighbours) throw new Error(`${started().id} has a worker of its own: no node shares its thread`);
      neighbours.link(started().id, checkPeer(peer));
    },
    disconnect: (peer) => started().disconnect(checkPeer(peer)),
    setLinkFaults: (peer, faults) => started().setLinkFaults(checkPeer(peer), faults),
    readPage: (page) => started().submit({ kind: 'read', page }),
    writePage: (page, content) => started().submit({ kind: 'write', page, value: content }),
    snapshot: () => started().snapshot(),
    forget: (member) => started().forget(member),
    subscribe(listener) {
      const id = nextSubscription++;
      subscriptions.set(id, started().subscribe(listener));
      return id;
    },
    unsubscribe(subscription) {
      subscriptions.get(subscription)?.();
      subscriptions.delete(subscription);
    },
    persisted: () => started().persisted(),
    async stop() {
      if (stopped) return;
      stopped = true;
      host?.stop();
      leaveNeighbours();
      stopListening();
      const id = host?.id;
      try {
        if (backend && id !== undefined) await backend.detach(id);
      } finally {
        backend = null;
        release();
      }
    },
    messagesSent: () => sent.snapshot(),
    setStepSettings: (settings) => started().setStepSettings(settings),
    deliverHeld: (frameId) => started().deliverHeld(checkFrameId(frameId)),
    dropHeld: (frameId) => started().dropHeld(checkFrameId(frameId)),
  };
}
