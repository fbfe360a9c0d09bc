// Where the sequence diagram draws things: one vertical lane per node, time going down. Rows
// are ordinal (one per send or receipt in view), not to scale, so a burst of invalidations and
// a quiet minute take the space their events need.
import { clientNumber } from '../../protocol/ids.ts';
import type { Arrow } from './arrows.ts';

export interface SequenceFilter {
  page: string | null;
  req: string | null;
  /** Hides PULSE, PULSE_REPLY and REPLICATE, which otherwise fill the view. */
  hideHeartbeat: boolean;
}

export const NO_FILTER: SequenceFilter = { page: null, req: null, hideHeartbeat: true };
export const HEARTBEAT_CODES: ReadonlySet<string> = new Set(['PU', 'PR', 'RP']);

export interface LaidArrow {
  arrow: Arrow;
  x1: number; y1: number; x2: number; y2: number;
  label: string;
  /** The full name, for a tooltip and screen readers. */
  title: string;
  highlighted: boolean;
}

export interface SequenceLayout {
  lanes: { id: string; x: number }[];
  arrows: LaidArrow[];
  width: number;
  height: number;
  /** Arrows that passed the filter but fell outside the limit (older ones). */
  older: number;
}

export interface SequenceOptions {
  filter: SequenceFilter;
  highlightReq: string | null;
  /** Nothing after this time is shown; later receipts show as still in flight. */
  cursor: number;
  limit: number;
  laneGap: number;
  rowHeight: number;
  margin: number;
}

export const SEQUENCE_DEFAULTS: Omit<SequenceOptions, 'filter' | 'highlightReq' | 'cursor'> = {
  limit: 120, laneGap: 150, rowHeight: 24, margin: 40,
};

/** CMs first, then clients by number. */
export function laneOrder(ids: Iterable<string>): string[] {
  const rank = (id: string): number => clientNumber(id) ?? (id === 'cm1' ? -2 : id === 'cm2' ? -1 : 1e9);
  return [...new Set(ids)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function passes(a: Arrow, f: SequenceFilter): boolean {
  if (f.hideHeartbeat && HEARTBEAT_CODES.has(a.code)) return false;
  if (f.page !== null && a.page !== f.page) return false;
  if (f.req !== null && a.req !== f.req) return false;
  return true;
}

export function arrowLabel(a: Pick<Arrow, 'code' | 'type' | 'page' | 'req'>): string {
  return [a.code, a.type, a.page, a.req].filter((x) => x !== null).join(' ');
}

function fateText(a: Arrow): string {
  switch (a.fate) {
    case 'delivered': return 'delivered';
    case 'lost': return 'lost (link partitioned)';
    case 'dropped': return 'dropped by hand';
    case 'pending': return 'in flight or held';
  }
}

/**
 * Times adjusted so that causality holds in the picture: a receipt comes after its send, and
 * each node's own events keep their order. Worker clocks agree to about a millisecond while a
 * hop takes less, so raw times can put a forward above the request that caused it.
 */
export function causalTimes(arrows: readonly Arrow[]): { sent: number[]; end: (number | null)[] } {
  const sent = arrows.map((a) => a.sentAt);
  const end = arrows.map((a) => a.endAt);
  type Ev = { node: string; raw: number; get: () => number; set: (t: number) => void };
  const perNode = new Map<string, Ev[]>();
  const add = (e: Ev): void => { perNode.set(e.node, [...(perNode.get(e.node) ?? []), e]); };
  arrows.forEach((a, i) => {
    add({ node: a.from, raw: a.sentAt, get: () => sent[i] ?? 0, set: (t) => { sent[i] = t; } });
    if (a.endAt !== null) add({ node: a.to, raw: a.endAt, get: () => end[i] ?? 0, set: (t) => { end[i] = t; } });
  });
  for (const evs of perNode.values()) evs.sort((x, y) => x.raw - y.raw);
  const EPS = 1e-3;
  for (let pass = 0; pass < 20; pass++) {
    let changed = false;
    arrows.forEach((_, i) => {
      const e = end[i];
      const s = sent[i] ?? 0;
      if (e !== null && e !== undefined && e < s + EPS) { end[i] = s + EPS; changed = true; }
    });
    for (const evs of perNode.values()) {
      for (let k = 1; k < evs.length; k++) {
        const prev = evs[k - 1];
        const cur = evs[k];
        if (prev && cur && cur.get() < prev.get() + EPS / 10) { cur.set(prev.get() + EPS / 10); changed = true; }
      }
    }
    if (!changed) break;
  }
  return { sent, end };
}

export function layoutSequence(all: readonly Arrow[], nodes: readonly string[], o: SequenceOptions): SequenceLayout {
  const visible = all.filter((a) => a.sentAt <= o.cursor && passes(a, o.filter))
    .map((a) => (a.endAt !== null && a.endAt > o.cursor ? { ...a, endAt: null, fate: 'pending' as const } : a));
  const shown = visible.slice(-o.limit);
  const laneIds = laneOrder([...nodes, ...shown.flatMap((a) => [a.from, a.to])]);
  const lanes = laneIds.map((id, i) => ({ id, x: o.margin + i * o.laneGap }));
  const laneX = new Map(lanes.map((l) => [l.id, l.x]));
  const adjusted = causalTimes(shown);
  const times = [...new Set([...adjusted.sent, ...adjusted.end.filter((t): t is number => t !== null)])].sort((a, b) => a - b);
  const row = new Map(times.map((t, i) => [t, i]));
  const top = o.rowHeight;
  const y = (t: number): number => top + (row.get(t) ?? 0) * o.rowHeight;
  const bottom = top + times.length * o.rowHeight;
  const arrows = shown.map((a, i): LaidArrow => {
    const x1 = laneX.get(a.from) ?? 0;
    const to = laneX.get(a.to) ?? 0;
    const y1 = y(adjusted.sent[i] ?? a.sentAt);
    const endAt = adjusted.end[i] ?? null;
    // A lost frame stops halfway; a pending one reaches the receiver's lane at the bottom.
    const [x2, y2] = endAt !== null ? [to, y(endAt)]
      : a.fate === 'lost' ? [(x1 + to) / 2, y1 + o.rowHeight / 2] : [to, bottom];
    const label = arrowLabel(a);
    const title = `${a.from} → ${a.to}: ${a.type} (${a.code})${a.page ? ` ${a.page}` : ''}${a.req ? ` ${a.req}` : ''} epoch ${a.epoch}, ${fateText(a)}`;
    return { arrow: a, x1, y1, x2, y2, label, title, highlighted: o.highlightReq !== null && a.req === o.highlightReq };
  });
  return {
    lanes, arrows,
    width: o.margin * 2 + Math.max(0, lanes.length - 1) * o.laneGap,
    height: bottom + o.rowHeight,
    older: visible.length - shown.length,
  };
}
