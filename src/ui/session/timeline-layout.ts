// Where the operation timeline draws things, as Jepsen draws histories: one row per client
// (one sub-row per overlapping operation of it), a bar from invoke to completion coloured by
// outcome, on a real-time axis; failure events as ticks on the same axis.
import type { FailureEvent, OpRecord } from './types.ts';
import { laneOrder } from './sequence-layout.ts';
import { PROCESS_SLOT_STRIDE } from './ops.ts';

export interface TimelineOptions {
  t0: number;
  t1: number;
  width: number;
  rowHeight: number;
  labelWidth: number;
}

export interface Bar {
  op: OpRecord;
  x: number;
  y: number;
  w: number;
  label: string;
}

export interface TimelineLayout {
  rows: { node: string; y: number; height: number }[];
  bars: Bar[];
  marks: { event: FailureEvent; x: number }[];
  height: number;
}

export function opLabel(op: OpRecord): string {
  const v = op.value === null ? '∅' : op.value;
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
    return { op, x: x1, w: Math.max(3, x2 - x1), y: (rowY.get(op.node) ?? 0) + slot * o.rowHeight, label: opLabel(op) };
  });
  const marks = failures.filter((f) => f.at >= o.t0 && f.at <= o.t1).map((event) => ({ event, x: x(event.at) }));
  return { rows, bars, marks, height: Math.max(yNext, o.rowHeight) };
}
