// Where the sequence diagram draws things: one vertical lane per node, time going down. Rows
// are ordinal (one per send or receipt in view), not to scale, so a burst of invalidations and
// a quiet minute take the space their events need.
import { clientNumber } from '../../protocol/ids.ts';
import type { Arrow } from './arrows.ts';
import { ellipsize } from '../../console/text.ts';
import { readableReq, reqMatches } from './text.ts';

export interface SequenceFilter {
  page: string | null;
  req: string | null;
  /** Hides PULSE, PULSE_REPLY, REPLICATE and the lease heartbeats (LEASE, LEASE_GRANT), which otherwise fill the view. */
  hideHeartbeat: boolean;
}

export const NO_FILTER: SequenceFilter = { page: null, req: null, hideHeartbeat: true };
export const HEARTBEAT_CODES: ReadonlySet<string> = new Set(['PU', 'PR', 'RP', 'LE', 'LG']);

export interface LaidArrow {
  arrow: Arrow;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  label: string;
  /** Where the label starts (left-aligned, above the arrow's start). */
  labelX: number;
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

/** Arrows laid out at most; the component draws only those on screen. */
export const SEQUENCE_ARROWS_MAX = 4000;
/** A label's characters are about this wide (11 px monospace). */
export const LABEL_CHAR_PX = 6.7;

export const SEQUENCE_DEFAULTS: Omit<SequenceOptions, 'filter' | 'highlightReq' | 'cursor'> = {
  limit: SEQUENCE_ARROWS_MAX,
  laneGap: 150,
  rowHeight: 24,
  margin: 40,
};

/** CMs first, then clients by number. */
export function laneOrder(ids: Iterable<string>): string[] {
  const rank = (id: string): number => clientNumber(id) ?? (id === 'cm1' ? -2 : id === 'cm2' ? -1 : 1e9);
  return [...new Set(ids)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function passes(a: Arrow, f: SequenceFilter): boolean {
  if (f.hideHeartbeat && HEARTBEAT_CODES.has(a.code)) return false;
  if (f.page !== null && a.page !== f.page) return false;
  if (f.req !== null && !reqMatches(a.req, f.req)) return false;
  return true;
}

/** How far a label may run past the lane its arrow ends at. */
function labelOverhang(o: Pick<SequenceOptions, 'laneGap'>): number {
  return Math.round(o.laneGap * 0.4);
}

/** `RQ READ_REQUEST P1 c1:3`; without the type name (`RQ P1 c1:3`) where room is short. */
export function arrowLabel(a: Pick<Arrow, 'code' | 'page' | 'req'> & { type: string | null }): string {
  return [a.code, a.type, a.page, a.req === null ? null : readableReq(a.req)].filter((x) => x !== null).join(' ');
}

function fateText(a: Arrow): string {
  switch (a.fate) {
    case 'delivered':
      return 'delivered';
    case 'lost':
      return `lost (${a.lostWhy ?? 'link partitioned'})`;
    case 'dropped':
      return 'dropped by hand';
    case 'pending':
      return 'in flight or held';
  }
}

/**
 * Times adjusted so that causality holds in the picture: a receipt comes after its send, and
 * each node's own events keep their order. Worker clocks disagree by a few milliseconds while a
 * hop takes less, so raw times can put a receipt above its send. One pass over each node's
 * events in order, a receipt waiting for its send (longest path in the happened-before graph).
 */
export function causalTimes(arrows: readonly Arrow[]): { sent: number[]; end: (number | null)[] } {
  const EPS = 1e-3;
  // Event 2i is arrow i's send, 2i+1 its receipt.
  const raw = (e: number): number => {
    const a = arrows[e >> 1];
    return (e & 1 ? a?.endAt : a?.sentAt) ?? 0;
  };
  const perNode = new Map<string, number[]>();
  const add = (node: string, e: number): void => {
    const list = perNode.get(node);
    if (list) list.push(e);
    else perNode.set(node, [e]);
  };
  arrows.forEach((a, i) => {
    add(a.from, 2 * i);
    if (a.endAt !== null) add(a.to, 2 * i + 1);
  });
  const lists = [...perNode.values()];
  for (const l of lists) l.sort((x, y) => raw(x) - raw(y) || x - y);
  const listOf = new Int32Array(arrows.length * 2).fill(-1);
  lists.forEach((l, k) => {
    for (const e of l) listOf[e] = k;
  });
  const at = new Float64Array(arrows.length * 2).fill(Number.NaN);
  const next = new Array<number>(lists.length).fill(0);
  let left = lists.reduce((n, l) => n + l.length, 0);
  /** Places the head event of list k; false when it is a receipt whose send is not placed yet. */
  const place = (k: number, force: boolean): boolean => {
    const list = lists[k] ?? [];
    const j = next[k] ?? 0;
    const e = list[j];
    if (e === undefined) return false;
    let t = raw(e);
    if (j > 0) t = Math.max(t, (at[list[j - 1] ?? 0] ?? 0) + EPS / 10);
    if (e & 1) {
      const s = at[e - 1] ?? Number.NaN;
      if (Number.isNaN(s) && !force) return false;
      if (!Number.isNaN(s)) t = Math.max(t, s + EPS);
    }
    at[e] = t;
    next[k] = j + 1;
    left -= 1;
    // A placed send may unblock its receipt's node.
    if (!(e & 1) && (listOf[e + 1] ?? -1) >= 0) todo.push(listOf[e + 1] ?? 0);
    return true;
  };
  const todo: number[] = lists.map((_, k) => k);
  while (left > 0) {
    while (todo.length > 0) {
      const k = todo.pop() ?? 0;
      while (place(k, false)) {
        /* runs the list until a receipt waits */
      }
    }
    if (left === 0) break;
    // Only a mispaired receipt can wait on itself: take the earliest waiting one as it is.
    let first = -1;
    lists.forEach((l, k) => {
      const e = l[next[k] ?? 0];
      const best = first < 0 ? undefined : lists[first]?.[next[first] ?? 0];
      if (e !== undefined && (best === undefined || raw(e) < raw(best))) first = k;
    });
    place(first, true);
    todo.push(first);
  }
  return {
    sent: arrows.map((_, i) => at[2 * i] ?? 0),
    end: arrows.map((a, i) => (a.endAt === null ? null : (at[2 * i + 1] ?? 0))),
  };
}

/** One row per send and per receipt, in adjusted time order: no two labels share a row. */
function rowsOf(sent: readonly number[], end: readonly (number | null)[]): { sentRow: number[]; endRow: (number | null)[]; count: number } {
  type Ev = { t: number; i: number; isEnd: boolean };
  const evs: Ev[] = sent.map((t, i) => ({ t, i, isEnd: false }));
  end.forEach((t, i) => {
    if (t !== null) evs.push({ t, i, isEnd: true });
  });
  evs.sort((a, b) => a.t - b.t || Number(a.isEnd) - Number(b.isEnd) || a.i - b.i);
  const sentRow = new Array<number>(sent.length).fill(0);
  const endRow = end.map((): number | null => null);
  evs.forEach((e, row) => {
    if (e.isEnd) endRow[e.i] = row;
    else sentRow[e.i] = row;
  });
  return { sentRow, endRow, count: evs.length };
}

export function layoutSequence(all: readonly Arrow[], nodes: readonly string[], o: SequenceOptions): SequenceLayout {
  const visible = all
    .filter((a) => a.sentAt <= o.cursor && passes(a, o.filter))
    .map((a) => (a.endAt !== null && a.endAt > o.cursor ? { ...a, endAt: null, fate: 'pending' as const } : a));
  const shown = visible.slice(-o.limit);
  const laneIds = laneOrder([...nodes, ...shown.flatMap((a) => [a.from, a.to])]);
  const lanes = laneIds.map((id, i) => ({ id, x: o.margin + i * o.laneGap }));
  const laneX = new Map(lanes.map((l) => [l.id, l.x]));
  const adjusted = causalTimes(shown);
  const rows = rowsOf(adjusted.sent, adjusted.end);
  const top = o.rowHeight;
  const y = (row: number): number => top + row * o.rowHeight;
  const bottom = top + rows.count * o.rowHeight;
  const arrows = shown.map((a, i): LaidArrow => {
    const x1 = laneX.get(a.from) ?? 0;
    const to = laneX.get(a.to) ?? 0;
    const y1 = y(rows.sentRow[i] ?? 0);
    const endRow = rows.endRow[i] ?? null;
    // A frame lost in a partition stops halfway; a pending one reaches the receiver's lane at the bottom.
    const [x2, y2] = endRow !== null ? [to, y(endRow)] : a.fate === 'lost' ? [(x1 + to) / 2, y1 + o.rowHeight / 2] : [to, bottom];
    // The label starts at the arrow's left end and runs at most a little past its right end.
    const room = Math.max(4, Math.floor((Math.max(Math.abs(to - x1), o.laneGap) - 12 + labelOverhang(o)) / LABEL_CHAR_PX));
    const full = arrowLabel(a);
    const short = arrowLabel({ ...a, type: null });
    const label = full.length <= room ? full : ellipsize(short, room);
    const title = `${a.from} → ${a.to}: ${a.type} (${a.code})${a.page ? ` ${a.page}` : ''}${a.req ? ` ${a.req}` : ''} epoch ${a.epoch}, ${fateText(a)}`;
    // Near the sender: after it going right, before it going left, but never past the left lane.
    const labelX = to >= x1 ? x1 + 6 : Math.max(to + 6, x1 - 6 - label.length * LABEL_CHAR_PX);
    return { arrow: a, x1, y1, x2, y2, label, labelX, title, highlighted: o.highlightReq !== null && a.req === o.highlightReq };
  });
  return {
    lanes,
    arrows,
    width: o.margin * 2 + Math.max(0, lanes.length - 1) * o.laneGap + labelOverhang(o),
    height: bottom + o.rowHeight,
    older: visible.length - shown.length,
  };
}
