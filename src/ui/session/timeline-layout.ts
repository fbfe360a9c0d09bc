// Where the operation timeline draws things, as Jepsen draws histories: one row per client
// (one sub-row per overlapping operation of it), a bar from invoke to completion coloured by
// outcome, on a real-time axis; failure events as ticks on the same axis.
import type { FailureEvent, OpRecord } from './types.ts';
import { laneOrder } from './sequence-layout.ts';
import { PROCESS_SLOT_STRIDE } from './ops.ts';
import { ellipsize } from '../../console/text.ts';

export interface TimelineOptions {
  t0: number;
  t1: number;
  width: number;
  rowHeight: number;
  labelWidth: number;
  /** Operations always drawn on their own (selected, blamed), never merged into a neighbour. */
  keep?: ReadonlySet<number>;
}

/** A label's characters are about this wide in the timeline's units. */
export const TIMELINE_CHAR = 6.2;
const VALUE_LABEL_MAX = 24;

export interface Bar {
  op: OpRecord;
  x: number;
  y: number;
  w: number;
  /** Empty when there is no room for it (the bar's tooltip has it all). */
  label: string;
  /** Where the label starts: inside a wide bar, else just after it. */
  labelX: number;
  /** Operations of the same outcome drawn under this bar, too close together to tell apart. */
  merged: number;
}

export interface TimelineLayout {
  rows: { node: string; y: number; height: number }[];
  bars: Bar[];
  marks: { event: FailureEvent; x: number }[];
  width: number;
  height: number;
}

export function opLabel(op: OpRecord): string {
  const v = op.value === null ? '∅' : ellipsize(op.value, VALUE_LABEL_MAX);
  if (op.kind === 'write') return `W ${op.page}=${v}`;
  return op.outcome === 'ok' ? `R ${op.page}→${v}` : `R ${op.page}`;
}

export function layoutTimeline(ops: readonly OpRecord[], failures: readonly FailureEvent[], o: TimelineOptions): TimelineLayout {
  const span = Math.max(1, o.t1 - o.t0);
  const plot = Math.max(10, o.width - o.labelWidth);
  const x = (t: number): number => o.labelWidth + ((Math.min(Math.max(t, o.t0), o.t1) - o.t0) / span) * plot;
  const inView = ops.filter((op) => (op.doneAt ?? Infinity) >= o.t0 && op.invokeAt <= o.t1);
  const slots = new Map<string, number>();
  for (const op of inView) {
    const slot = Math.floor(op.process / PROCESS_SLOT_STRIDE);
    slots.set(op.node, Math.max(slots.get(op.node) ?? 0, slot + 1));
  }
  let yNext = 0;
  const rows = laneOrder(slots.keys()).map((node) => {
    const height = (slots.get(node) ?? 1) * o.rowHeight;
    const r = { node, y: yNext, height };
    yNext += height;
    return r;
  });
  const rowY = new Map(rows.map((r) => [r.node, r.y]));
  const bars = inView.map((op): Bar => {
    const x1 = x(op.invokeAt);
    const x2 = x(op.doneAt ?? o.t1);
    const slot = Math.floor(op.process / PROCESS_SLOT_STRIDE);
    return {
      op,
      x: x1,
      w: Math.max(3, x2 - x1),
      y: (rowY.get(op.node) ?? 0) + slot * o.rowHeight,
      label: opLabel(op),
      labelX: x1,
      merged: 0,
    };
  });
  const marks = failures.filter((f) => f.at >= o.t0 && f.at <= o.t1).map((event) => ({ event, x: x(event.at) }));
  return {
    rows,
    bars: placeLabels(mergeBars(bars, o.keep ?? new Set()), o.width),
    marks,
    width: o.width,
    height: Math.max(yNext, o.rowHeight),
  };
}

/**
 * Thousands of operations in a thousand units of width: one client's operations follow each
 * other, so a bar that starts under the last drawn bar of its row (it is drawn at least 3 units
 * wide) with the same outcome is counted into it, which stretches to cover both.
 */
function mergeBars(bars: readonly Bar[], keep: ReadonlySet<number>): Bar[] {
  const out: Bar[] = [];
  const last = new Map<number, Bar>();
  for (const b of [...bars].sort((p, q) => p.y - q.y || p.x - q.x)) {
    const prev = last.get(b.y);
    if (prev && !keep.has(b.op.id) && !keep.has(prev.op.id) && prev.op.outcome === b.op.outcome && b.x < prev.x + prev.w) {
      prev.merged += 1;
      prev.w = Math.max(prev.w, b.x + b.w - prev.x);
      continue;
    }
    const copy = { ...b };
    out.push(copy);
    last.set(b.y, copy);
  }
  return out.sort((p, q) => p.op.id - q.op.id);
}

/** Each label inside its bar when it fits, else after it up to the next bar; cut, or left out. */
function placeLabels(bars: Bar[], width: number): Bar[] {
  const byRow = new Map<number, Bar[]>();
  for (const b of bars) {
    const row = byRow.get(b.y);
    if (row) row.push(b);
    else byRow.set(b.y, [b]);
  }
  for (const row of byRow.values()) {
    row.sort((p, q) => p.x - q.x);
    let freeFrom = 0;
    row.forEach((b, i) => {
      const next = row[i + 1]?.x ?? width;
      const text = b.merged > 0 ? `${b.merged + 1} ops` : b.label;
      const inside = Math.floor((b.w - 8) / TIMELINE_CHAR);
      const after = Math.floor((next - (b.x + b.w) - 8) / TIMELINE_CHAR);
      // Inside when it fits whole, else wherever more of it fits.
      const [labelX, room] = inside >= text.length || inside >= after ? [b.x + 4, inside] : [b.x + b.w + 3, after];
      const fits = labelX >= freeFrom && room >= 4;
      b.label = fits ? ellipsize(text, room) : '';
      b.labelX = labelX;
      if (fits) freeFrom = labelX + b.label.length * TIMELINE_CHAR + 4;
    });
  }
  return bars;
}
