// The one link a tab node's host holds to one peer, for the host's whole life. Underneath, the
// PeerJS link it rides on comes and goes: a peer tab that closes leaves a link that still looks
// open (WebRTC notices ~5 s later, PeerJS often never), and the same node reopened in a new tab
// dials in afresh. So the host is never told about link churn; the slot sends on its newest
// link, queues (bounded) while there is none, and asks for a dial when it has to.
import type { Message } from '../protocol/messages.ts';
import type { NodeId } from '../protocol/ids.ts';
import type { PeerJsTransport } from '../net/peerjs.ts';
import { ListenedTransport, type Transport, type TransportEvent } from '../net/transport.ts';

/** Frames kept while no link is up; older ones are dropped past this (the protocol retries). */
export const SLOT_QUEUE_MAX = 256;
/**
 * Two links to one peer opened this close together are two dials that crossed, not a peer that
 * came back: both ends then keep the one dialed by the smaller node id, so they agree.
 */
export const CROSSED_DIAL_WINDOW_MS = 3_000;

export interface SlotLink {
  link: PeerJsTransport<Message>;
  /** The node that dialed this link: this tab's node or the peer. */
  dialer: NodeId;
  at: number;
}

export class PeerSlot extends ListenedTransport<Message> implements Transport<Message> {
  private current: SlotLink | null = null;
  private readonly queue: Message[] = [];
  private readonly detach = new Map<PeerJsTransport<Message>, () => void>();
  private isClosed = false;
  /** When a frame last arrived from the peer (performance.now()), for the live link status. */
  lastHeardAt: number | null = null;

  constructor(
    readonly peer: NodeId,
    /** Asked for a link whenever a frame waits and none is up; the owner throttles. */
    private readonly wantLink: (peer: NodeId) => void,
    private readonly log: (line: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    super();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** True while a link is up (it may still lead to a tab that has gone: pulses tell). */
  get linked(): boolean {
    return this.current !== null && !this.current.link.closed;
  }

  get link(): PeerJsTransport<Message> | null {
    return this.linked ? (this.current?.link ?? null) : null;
  }

  send(frame: Message): boolean {
    if (this.isClosed) return false;
    const link = this.link;
    if (link) return link.send(frame);
    if (this.queue.length >= SLOT_QUEUE_MAX) this.queue.shift();
    this.queue.push(frame);
    this.wantLink(this.peer);
    return true;
  }

  /** Takes a fresh authenticated link to the peer; returns false when it was a crossed duplicate and closed. */
  attach(next: SlotLink): boolean {
    if (this.isClosed) {
      next.link.close();
      return false;
    }
    const cur = this.current;
    if (cur && !cur.link.closed && cur.dialer !== next.dialer && next.at - cur.at < CROSSED_DIAL_WINDOW_MS) {
      const keepNext = next.dialer < cur.dialer;
      const dropped = keepNext ? cur : next;
      this.log(`two links to ${this.peer} crossed; keeping the one ${keepNext ? next.dialer : cur.dialer} dialed`);
      if (!keepNext) {
        next.link.close();
        return false;
      }
      this.current = next;
      this.listen(next.link);
      this.drop(dropped.link);
    } else {
      // Newest wins: the peer came back in a new tab, or the old link had died quietly.
      this.current = next;
      this.listen(next.link);
      if (cur) this.drop(cur.link);
    }
    for (const m of this.queue.splice(0)) next.link.send(m);
    return true;
  }

  /** The host is done with this peer: the goodbye reaches it if its tab is still there. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.queue.length = 0;
    for (const link of [...this.detach.keys()]) this.drop(link);
    this.current = null;
    this.emit({ type: 'close' });
    this.dropListeners();
  }

  private listen(link: PeerJsTransport<Message>): void {
    const listener = (e: TransportEvent<Message>): void => {
      if (e.type === 'close') {
        this.detach.get(link)?.();
        this.detach.delete(link);
        if (this.current?.link === link) this.current = null;
        return;
      }
      if (e.type === 'frame') this.lastHeardAt = this.now();
      this.emit(e);
    };
    link.addListener(listener);
    this.detach.set(link, () => link.removeListener(listener));
  }

  private drop(link: PeerJsTransport<Message>): void {
    this.detach.get(link)?.();
    this.detach.delete(link);
    link.close();
  }
}
