// Pairs each message's send with its receipt, so the sequence diagram can draw one arrow from
// the sender's lane at send time to the receiver's lane at delivery time.
//
// Frames carry no trace id (the wire format is the protocol's), so a receipt is matched to the
// latest unmatched send of the same message (same link, kind, page, request, epoch) that left no
// later than the frame arrived. Arrival, not delivery, is used because in step mode a frame may
// wait a long time; "latest" skips repeats that were lost on the way (a pulse into a dead peer).
import type { TracedMessage } from '../../host/trace.ts';

/** delivered: it reached the node; lost: a partition ate it; dropped: dropped by hand; pending: not arrived or still held. */
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
  /** When the receiver got it (or it was dropped); null while pending or lost. */
  endAt: number | null;
  fate: ArrowFate;
}

/** Worker clocks share an origin but are read in different threads: allow a little skew. */
export const CLOCK_SKEW_MS = 2;

function keyOf(m: TracedMessage): string {
  return `${m.from}>${m.to}|${m.type}|${m.code}|${m.page ?? ''}|${m.req ?? ''}|${m.epoch}`;
}

function arrow(m: TracedMessage, sentAt: number, endAt: number | null, fate: ArrowFate): Arrow {
  const { from, to, type, code, page, req, epoch } = m;
  return { from, to, type, code, page, req, epoch, sentAt, endAt, fate };
}

/** Arrows in send order. A receipt whose send is not in the list (trimmed away) starts where it arrived. */
export function matchArrows(messages: readonly TracedMessage[]): Arrow[] {
  const sends = new Map<string, { m: TracedMessage; arrow: Arrow }[]>();
  const out: Arrow[] = [];
  // Every send first: with clocks a little apart, a receipt can carry an earlier time than its send.
  for (const m of [...messages].sort((a, b) => a.at - b.at)) {
    if (m.fate !== 'sent' && m.fate !== 'lost') continue;
    const a = arrow(m, m.at, null, m.fate === 'lost' ? 'lost' : 'pending');
    out.push(a);
    if (m.fate === 'lost') continue;
    const list = sends.get(keyOf(m)) ?? [];
    list.push({ m, arrow: a });
    sends.set(keyOf(m), list);
  }
  const receipts = messages.filter((m) => m.fate === 'received' || m.fate === 'dropped')
    .sort((a, b) => (a.arrivedAt ?? a.at) - (b.arrivedAt ?? b.at));
  for (const m of receipts) {
    const arrived = m.arrivedAt ?? m.at;
    const list = sends.get(keyOf(m)) ?? [];
    let pick = -1;
    for (let i = list.length - 1; i >= 0; i--) {
      if ((list[i]?.m.at ?? Infinity) <= arrived + CLOCK_SKEW_MS) { pick = i; break; }
    }
    const fate = m.fate === 'dropped' ? 'dropped' : 'delivered';
    const match = pick >= 0 ? list[pick]?.arrow : null;
    if (match) {
      // The receiver's own clock: it may read a little before the send (see causalTimes).
      match.endAt = m.at;
      match.fate = fate;
      list.splice(pick, 1);
    } else {
      out.push(arrow(m, arrived, m.at, fate));
    }
  }
  return out.sort((a, b) => a.sentAt - b.sentAt);
}
