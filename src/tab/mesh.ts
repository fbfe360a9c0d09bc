// A tab node's protocol links: one PeerSlot per peer node, over authenticated PeerJS links on
// the `protocol` channel. Peers are found three ways: the roster the CM hands out at join (a
// newcomer dials everyone), incoming dials (a peer that joins or comes back dials us), and the
// node's own traffic (a message to a peer with no link dials it; the slot holds the message).
// A link's peer is who the PeerServer and the key handshake say it is: its PeerJS id, mapped
// back to a node id. Anything else (overview tabs, lobbies) cannot open a protocol link.
import { NODE_ID_PATTERN, type NodeId } from '../protocol/ids.ts';
import type { Message } from '../protocol/messages.ts';
import type { IvyNode } from '../protocol/node.ts';
import { messageDecoder } from '../net/message-codec.ts';
import { peerIdFor, type ClusterPeer } from '../net/peer-connect.ts';
import type { PeerJsTransport } from '../net/peerjs.ts';
import { PeerSlot } from './peer-slot.ts';
import { sleep } from '../util/sleep.ts';

export const PROTOCOL_CHANNEL = 'protocol';
/** After a failed dial, the next one to that peer waits this long (doubling up to the max). */
const REDIAL_MS_MIN = 500;
const REDIAL_MS_MAX = 4_000;
const DIAL_TIMEOUT_MS = 5_000;
const LINK_POLL_MS = 10;

interface DialState {
  busy: boolean;
  notBefore: number;
  backoffMs: number;
  failures: number;
}

export class TabMesh {
  private readonly slots = new Map<NodeId, PeerSlot>();
  private readonly dials = new Map<NodeId, DialState>();
  private stopAccepting: (() => void) | null = null;
  private stopped = false;
  private readonly decode;

  constructor(
    private readonly peer: ClusterPeer,
    readonly self: NodeId,
    private readonly prefix: string,
    pageSizeBytes: number,
    /** Hands the host a slot the first time a peer is heard of. */
    private readonly onSlot: (slot: PeerSlot) => void,
    private readonly log: (line: string) => void,
  ) {
    this.decode = messageDecoder(pageSizeBytes);
    this.stopAccepting = peer.accept(PROTOCOL_CHANNEL, this.decode, (link) => this.onIncoming(link));
  }

  /** The node id behind a PeerJS id of this cluster, or null (a lobby, an overview, another cluster). */
  nodeIdOf(peerId: string): NodeId | null {
    const head = `${this.prefix}-`;
    if (!peerId.startsWith(head)) return null;
    const id = peerId.slice(head.length);
    return NODE_ID_PATTERN.test(id) ? id : null;
  }

  slot(peer: NodeId): PeerSlot {
    let s = this.slots.get(peer);
    if (!s) {
      s = new PeerSlot(peer, (p) => this.dial(p), this.log);
      this.slots.set(peer, s);
      this.onSlot(s);
    }
    return s;
  }

  slotIfAny(peer: NodeId): PeerSlot | undefined {
    return this.slots.get(peer);
  }

  peers(): NodeId[] {
    return [...this.slots.keys()].sort();
  }

  /** Dials every peer named that has no link yet (a newcomer meeting the cluster). */
  meet(peers: Iterable<NodeId>): void {
    for (const p of peers) if (p !== this.self && !this.slot(p).linked) this.dial(p);
  }

  /** Waits until every named peer is linked, for at most `ms`; returns those still missing. */
  async linked(peers: NodeId[], ms: number): Promise<NodeId[]> {
    const until = performance.now() + ms;
    for (;;) {
      const missing = peers.filter((p) => !this.slot(p).linked);
      if (missing.length === 0 || this.stopped || performance.now() > until) return missing;
      await sleep(LINK_POLL_MS);
    }
  }

  /** Wraps the node so that a message to a peer with no slot yet gets one (and a dial) before the host sends it. */
  wrap(node: IvyNode): IvyNode {
    return {
      id: node.id,
      step: (m, now) => node.step(m, now),
      tick: (now) => node.tick(now),
      nextDeadline: () => node.nextDeadline(),
      durableEntries: () => node.durableEntries(),
      ready: () => {
        const r = node.ready();
        for (const m of r.messages) if (m.to !== this.self) this.slot(m.to);
        return r;
      },
    };
  }

  stop(): void {
    this.stopped = true;
    this.stopAccepting?.();
    this.stopAccepting = null;
  }

  dial(peer: NodeId): void {
    if (this.stopped || peer === this.self) return;
    const d = this.dials.get(peer) ?? { busy: false, notBefore: 0, backoffMs: REDIAL_MS_MIN, failures: 0 };
    this.dials.set(peer, d);
    const now = performance.now();
    if (d.busy || now < d.notBefore || this.slot(peer).linked) return;
    d.busy = true;
    this.peer.connect(peerIdFor(this.prefix, peer), PROTOCOL_CHANNEL, this.decode, DIAL_TIMEOUT_MS).then(
      (link) => {
        d.busy = false;
        d.backoffMs = REDIAL_MS_MIN;
        if (d.failures > 0) this.log(`${this.self} reached ${peer} again`);
        d.failures = 0;
        this.adopt(peer, link, this.self);
      },
      (e: Error) => {
        d.busy = false;
        d.notBefore = performance.now() + d.backoffMs;
        d.backoffMs = Math.min(REDIAL_MS_MAX, d.backoffMs * 2);
        // Said once per outage: a dead peer is dialed again and again while messages wait for it.
        if (d.failures++ === 0) this.log(`${this.self} cannot reach ${peer}: ${e.message}`);
      },
    );
  }

  private onIncoming(link: PeerJsTransport<Message>): void {
    const peer = this.nodeIdOf(link.remoteId);
    if (this.stopped || peer === null || peer === this.self) {
      this.log(`${this.self} refused a protocol link from ${link.remoteId}: not a node of this cluster`);
      link.close();
      return;
    }
    this.adopt(peer, link, peer);
  }

  private adopt(peer: NodeId, link: PeerJsTransport<Message>, dialer: NodeId): void {
    if (this.stopped) {
      link.close();
      return;
    }
    this.slot(peer).attach({ link, dialer, at: performance.now() });
  }
}
