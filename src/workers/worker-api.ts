// What a node worker exposes to the page through Comlink. Control only: protocol traffic never
// passes here, it flows over the MessagePorts handed in with connect().
import type { OpResult } from '../protocol/node.ts';
import { NODE_ID_PATTERN, type NodeId } from '../protocol/ids.ts';
import type { LinkFaults } from '../net/faults.ts';
import { messageDecoder } from '../net/message-codec.ts';
import { MessagePortTransport } from '../net/message-port.ts';
import { NodeHost, type HostListener } from './host.ts';
import { makeNode, nodeSpecError, PAGE_SIZE_BYTES, type NodeSpec, type NodeState } from './make-node.ts';

export interface NodeWorkerApi {
  /** Builds the node; once per worker. */
  start(spec: NodeSpec): void;
  connect(peer: NodeId, port: MessagePort): void;
  disconnect(peer: NodeId): void;
  setLinkFaults(peer: NodeId, faults: Partial<LinkFaults>): void;
  readPage(page: string): Promise<OpResult>;
  writePage(page: string, content: string): Promise<OpResult>;
  snapshot(): NodeState;
  /** Returns a subscription id for unsubscribe(). */
  subscribe(listener: HostListener): number;
  unsubscribe(subscription: number): void;
  /** Closes links and stops time, for hosts that cannot terminate the worker. */
  stop(): void;
}

export function createWorkerApi(now: () => number = () => performance.now()): NodeWorkerApi {
  let host: NodeHost | null = null;
  const subscriptions = new Map<number, () => void>();
  let nextSubscription = 1;
  const started = (): NodeHost => {
    if (!host) throw new Error('this node worker has not been started');
    return host;
  };
  const checkPeer = (peer: unknown): NodeId => {
    if (typeof peer !== 'string' || !NODE_ID_PATTERN.test(peer)) throw new Error(`bad peer id ${JSON.stringify(peer)}`);
    return peer;
  };
  return {
    start(spec) {
      const error = nodeSpecError(spec);
      if (error) throw new Error(error);
      if (host) throw new Error(`this worker already runs ${host.id}`);
      host = new NodeHost(makeNode(spec), now);
      host.startTicking();
    },
    connect(peer, port) {
      started().connect(checkPeer(peer), new MessagePortTransport(port, messageDecoder(PAGE_SIZE_BYTES)));
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
    stop: () => host?.stop(),
  };
}
