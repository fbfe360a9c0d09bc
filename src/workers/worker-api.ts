// What a node worker exposes to the page through Comlink. Control only: protocol traffic never
// passes here, it flows over the MessagePorts handed in with connect(), or in memory to a node
// that shares this thread (packed placement, connectLocal()).
import type { OpResult } from '../protocol/node.ts';
import { NODE_ID_PATTERN, type NodeId } from '../protocol/ids.ts';
import type { LinkFaults } from '../net/faults.ts';
import { decoderFor, type LinkOrigin } from '../net/message-codec.ts';
import { MessagePortTransport } from '../net/message-port.ts';
import { durableDisk } from '../registry/durable-disk.ts';
import { Registry } from '../registry/registry.ts';
import { realEnv, type Disk } from '../host/env.ts';
import { NodeHost, type HostListener } from '../host/node-host.ts';
import { makeNode, nodeSpecError, PAGE_SIZE_BYTES, type NodeSpec, type NodeState } from '../host/make-node.ts';
import { CountingTransport, MessageCounter, type MessageCounts } from './message-count.ts';
import type { StepSettings } from '../host/trace.ts';
import type { Message } from '../protocol/messages.ts';
import type { Neighbours } from './neighbours.ts';
import { browserLocks, nodeLockName, NodeRunsElsewhere, type NodeLocks } from '../host/node-lock.ts';

export interface NodeWorkerApi {
  /**
   * Builds the node (opening its durable store first, if it has one); once per worker. A node
   * with a store holds its id's lock (node-lock.ts) for the worker's life: if another worker of
   * this browser holds it, this throws NodeRunsElsewhere at once.
   */
  start(spec: NodeSpec): Promise<void>;
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
  /** Returns a subscription id for unsubscribe(). */
  subscribe(listener: HostListener): number;
  unsubscribe(subscription: number): void;
  /** Settles once every durable state the node asked for so far is written. */
  persisted(): Promise<void>;
  /**
   * Closes links, stops time and lets go of the durable store, for hosts that cannot terminate
   * the worker (a packed worker, where the node's other neighbours run on).
   */
  stop(): void;
  /** Experiments: protocol messages this node has sent since it started, per type. */
  messagesSent(): MessageCounts;
  /** Step mode and added delay for incoming frames (the dashboard's step controls). */
  setStepSettings(settings: StepSettings): void;
  deliverHeld(frameId: number): void;
  dropHeld(frameId: number): void;
}

/** Durable state goes to the registry database named in the spec; without one, nothing is kept. */
async function openStore(spec: NodeSpec): Promise<Registry | null> {
  return spec.store === undefined ? null : Registry.open(spec.store);
}

/**
 * One node's api. `neighbours` are the other nodes of this thread when it hosts several
 * (packed placement); a worker of its own has none.
 */
export function createWorkerApi(
  neighbours: Neighbours<Message> | null = null,
  now: () => number = () => performance.now(),
  locks: NodeLocks | null = browserLocks(),
): NodeWorkerApi {
  let host: NodeHost | null = null;
  let starting = false;
  let stopped = false;
  let store: Registry | null = null;
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
    async start(spec) {
      const error = nodeSpecError(spec);
      if (error) throw new Error(error);
      if (host || starting) throw new Error(`this worker already runs ${host?.id ?? spec.id}`);
      starting = true;
      try {
        if (spec.store !== undefined && locks) {
          const held = await locks.tryHold(nodeLockName(spec.store, spec.id));
          if (!held) throw new NodeRunsElsewhere(spec.id);
          release = held;
        }
        store = await openStore(spec);
        if (stopped) {
          store?.close();
          throw new Error(`${spec.id} was stopped while it started`);
        }
      } catch (e) {
        // Nothing runs: the id is free again, and a later start may try anew.
        release();
        starting = false;
        throw e;
      }
      const disk: Disk | null = store ? durableDisk(store, spec.role, spec.id) : null;
      const made = new NodeHost(makeNode(spec, now()), realEnv(disk, now));
      host = made;
      leaveNeighbours = neighbours?.add(spec.id, (peer, link) => made.connect(peer, new CountingTransport(link, sent))) ?? leaveNeighbours;
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
    stop() {
      stopped = true;
      host?.stop();
      leaveNeighbours();
      release();
      // What is being committed still completes: IndexedDB closes once its transactions are done.
      store?.close();
      store = null;
    },
    messagesSent: () => sent.snapshot(),
    setStepSettings: (settings) => started().setStepSettings(settings),
    deliverHeld: (frameId) => started().deliverHeld(checkFrameId(frameId)),
    dropHeld: (frameId) => started().dropHeld(checkFrameId(frameId)),
  };
}
