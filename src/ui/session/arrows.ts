// Pairs each message's send with its receipt, so the sequence diagram can draw one arrow from
// the sender's lane at send time to the receiver's lane at delivery time.
//
// Frames carry no trace id (the wire format is the protocol's), and each worker stamps its own
// events, so times cannot pair them: two workers' clocks may disagree by more than a hop takes.
// Links are FIFO instead, so the k-th send on link a->b of a message with one identity (type,
// page, request, epoch) is the k-th receipt of that identity on that link. What breaks the count
// is known from the session's own events: a frame sent into a partition is traced `lost`; frames
// in flight to a node that is killed are lost at the kill; frames caught in flight by a
// partition are lost unless they arrive before it heals; frames of a sender's earlier life are
// lost once it starts again; frames that reached a node before the session heard from it (its
// `start`) were delivered unseen.
import type { TracedMessage } from '../../host/trace.ts';
import type { FailureEvent } from './types.ts';

/** delivered: it reached the node; lost: a partition or a kill ate it; dropped: dropped by hand; pending: not arrived or still held. */
export type ArrowFate = 'delivered' | 'lost' | 'dropped' | 'pending';

export interface Arrow {
  from: string;
  to: string;
  type: string;
  code: string;
  page: string | null;
  req: string | null;
  epoch: number;
  sentAt: number;
  /** When the receiver got it (or it was dropped, or lost at a kill); null while pending or lost in a partition. */
  endAt: number | null;
  fate: ArrowFate;
  /** Why a lost frame was lost. */
  lostWhy?: string;
}

/**
 * A receipt recorded before its send (the two come from different workers' event streams, and
 * one may lag the other by far more than a hop takes) waits for its send. A send stamped this
 * much later than the receipt's arrival cannot be its send (the clocks of a page's workers
 * disagree by milliseconds, by tens seen under load): that receipt's send was trimmed from the buffer.
 */
export const EARLY_RECEIPT_MS = 50;

/** The events of a session that change what a link delivers. */
type LinkEvent = Pick<FailureEvent, 'at' | 'kind' | 'node' | 'peer'>;

function keyOf(m: TracedMessage): string {
  return `${m.from}>${m.to}|${m.type}|${m.code}|${m.page ?? ''}|${m.req ?? ''}|${m.epoch}`;
}

function arrowOf(m: TracedMessage, sentAt: number, endAt: number | null, fate: ArrowFate): Arrow {
  const { from, to, type, code, page, req, epoch } = m;
  return { from, to, type, code, page, req, epoch, sentAt, endAt, fate };
}

interface Sent {
  arrow: Arrow;
  /** Set once a partition caught the frame on its way. */
  doomedAt: number | null;
}

interface Early {
  m: TracedMessage;
  out: number;
}

class Pairing {
  readonly out: (Arrow | null)[] = [];
  /** Unmatched sends per identity, oldest first. */
  private readonly sends = new Map<string, Sent[]>();
  /** Receipts seen before their sends, per identity. */
  private readonly early = new Map<string, Early[]>();
  private readonly down = new Set<string>();
  /** When each node was last killed: sends from before it belong to its earlier life. */
  private readonly killedAt = new Map<string, number>();

  send(m: TracedMessage): void {
    if (m.fate === 'lost') {
      this.out.push({ ...arrowOf(m, m.at, null, 'lost'), lostWhy: 'link partitioned' });
      return;
    }
    const key = keyOf(m);
    this.expireEarly(key, m.at);
    if (this.down.has(m.to)) {
      this.out.push({ ...arrowOf(m, m.at, m.at, 'lost'), lostWhy: `${m.to} is down` });
      return;
    }
    const waiting = this.early.get(key);
    const first = waiting?.[0];
    if (waiting && first) {
      waiting.shift();
      this.out[first.out] = this.delivered(arrowOf(m, m.at, null, 'pending'), first.m);
      return;
    }
    const arrow = arrowOf(m, m.at, null, 'pending');
    this.out.push(arrow);
    this.list(this.sends, key).push({ arrow, doomedAt: null });
  }

  receipt(m: TracedMessage): void {
    const key = keyOf(m);
    const oldest = this.sends.get(key)?.shift();
    if (oldest) {
      this.delivered(oldest.arrow, m);
      return;
    }
    // Only a send can tell that an earlier receipt lost its send: the receiver's stream may be
    // far ahead of the sender's.
    this.list(this.early, key).push({ m, out: this.out.length });
    this.out.push(null);
  }

  event(e: LinkEvent): void {
    const node = e.node;
    if (node === null) return;
    switch (e.kind) {
      case 'kill':
        this.down.add(node);
        this.killedAt.set(node, e.at);
        this.loseWhere((a) => a.to === node, e.at, `${node} was killed`);
        break;
      case 'start': {
        // `start` is when the session began hearing the node: what reached it before went unseen.
        this.down.delete(node);
        const killed = this.killedAt.get(node) ?? -Infinity;
        this.loseWhere((a) => a.from === node && a.sentAt <= killed, e.at, `${node} restarted`);
        this.settleWhere((a) => a.to === node, e.at);
        break;
      }
      case 'partition':
        for (const list of this.sends.values()) {
          for (const s of list) if (onLink(s.arrow, node, e.peer)) s.doomedAt ??= e.at;
        }
        break;
      case 'heal':
        this.loseDoomed((a) => onLink(a, node, e.peer));
        break;
      default:
        break;
    }
  }

  /** Receipts whose sends never came start where they arrived; caught frames are lost. */
  finish(): Arrow[] {
    for (const list of this.early.values()) for (const e of list) this.out[e.out] = this.orphan(e.m);
    this.early.clear();
    this.loseDoomed(() => true);
    return this.out.filter((a): a is Arrow => a !== null);
  }

  private delivered(a: Arrow, receipt: TracedMessage): Arrow {
    // The receiver's own clock: it may read a little before the send (see causalTimes).
    a.endAt = receipt.at;
    a.fate = receipt.fate === 'dropped' ? 'dropped' : 'delivered';
    return a;
  }

  private orphan(m: TracedMessage): Arrow {
    const arrived = m.arrivedAt ?? m.at;
    return arrowOf(m, arrived, m.at, m.fate === 'dropped' ? 'dropped' : 'delivered');
  }

  private expireEarly(key: string, now: number): void {
    const list = this.early.get(key);
    while (list?.[0] && (list[0].m.arrivedAt ?? list[0].m.at) < now - EARLY_RECEIPT_MS) {
      const e = list.shift();
      if (e) this.out[e.out] = this.orphan(e.m);
    }
  }

  private loseWhere(match: (a: Arrow) => boolean, at: number, why: string): void {
    for (const list of this.sends.values()) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i];
        if (!s || !match(s.arrow)) continue;
        Object.assign(s.arrow, { fate: 'lost', endAt: Math.max(at, s.arrow.sentAt), lostWhy: why });
        list.splice(i, 1);
      }
    }
  }

  /** Frames that reached a node before the session heard from it: delivered, by then at the latest. */
  private settleWhere(match: (a: Arrow) => boolean, at: number): void {
    for (const list of this.sends.values()) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i];
        if (!s || !match(s.arrow)) continue;
        Object.assign(s.arrow, { fate: 'delivered', endAt: Math.max(at, s.arrow.sentAt) });
        list.splice(i, 1);
      }
    }
  }

  private loseDoomed(match: (a: Arrow) => boolean): void {
    for (const list of this.sends.values()) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i];
        if (!s || s.doomedAt === null || !match(s.arrow)) continue;
        Object.assign(s.arrow, { fate: 'lost', endAt: null, lostWhy: 'caught in flight by a partition' });
        list.splice(i, 1);
      }
    }
  }

  private list<T>(map: Map<string, T[]>, key: string): T[] {
    let l = map.get(key);
    if (!l) map.set(key, (l = []));
    return l;
  }
}

function onLink(a: Pick<Arrow, 'from' | 'to'>, x: string, y: string | undefined): boolean {
  return (a.from === x && a.to === y) || (a.from === y && a.to === x);
}

const LINK_KINDS: ReadonlySet<string> = new Set(['kill', 'start', 'partition', 'heal']);

/**
 * Arrows in send order. `messages` are in the order the page recorded them; `events` (kills,
 * starts, partitions, heals) are taken in time order between them.
 */
export function matchArrows(messages: readonly TracedMessage[], events: readonly LinkEvent[] = []): Arrow[] {
  const pairing = new Pairing();
  const linkEvents = events.filter((e) => LINK_KINDS.has(e.kind)).sort((a, b) => a.at - b.at);
  let next = 0;
  for (const m of messages) {
    const t = m.fate === 'sent' || m.fate === 'lost' ? m.at : (m.arrivedAt ?? m.at);
    for (; next < linkEvents.length && (linkEvents[next]?.at ?? Infinity) <= t; next++) {
      const e = linkEvents[next];
      if (e) pairing.event(e);
    }
    if (m.fate === 'sent' || m.fate === 'lost') pairing.send(m);
    else pairing.receipt(m);
  }
  for (; next < linkEvents.length; next++) {
    const e = linkEvents[next];
    if (e) pairing.event(e);
  }
  return pairing.finish().sort((a, b) => a.sentAt - b.sentAt);
}
