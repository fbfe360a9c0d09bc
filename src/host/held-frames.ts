// Incoming frames a host keeps back: by hand in step mode, or for an added delay. One FIFO per
// host; frames from one sender leave in the order they came (links are FIFO and the protocol
// relies on it), while frames from different senders may be delivered in any order.
import type { NodeId } from '../protocol/ids.ts';

export interface Waiting<F> {
  id: number;
  from: NodeId;
  frame: F;
  arrivedAt: number;
  /** When it leaves by itself; null while held for a person. */
  dueAt: number | null;
}

export const HELD_FRAMES_MAX = 10_000;

export class HeldFrames<F> {
  private readonly items: Waiting<F>[] = [];
  private nextId = 1;

  get size(): number {
    return this.items.length;
  }

  list(): readonly Waiting<F>[] {
    return this.items;
  }

  /** Returns false when full: the frame is lost, as on an overloaded link. */
  push(from: NodeId, frame: F, arrivedAt: number, dueAt: number | null): boolean {
    if (this.items.length >= HELD_FRAMES_MAX) return false;
    // A later frame never overtakes an earlier one by a shorter delay.
    const last = this.items[this.items.length - 1]?.dueAt;
    const due = dueAt === null ? null : Math.max(dueAt, last ?? -Infinity);
    this.items.push({ id: this.nextId++, from, frame, arrivedAt, dueAt: due });
    return true;
  }

  /** Why frame `id` may not be delivered now (an older frame from its sender waits), or null. */
  blocker(id: number): string | null {
    const i = this.items.findIndex((w) => w.id === id);
    const w = this.items[i];
    if (!w) return `no held frame ${id}`;
    const older = this.items.slice(0, i).find((o) => o.from === w.from);
    return older ? `frame ${older.id} from ${w.from} came first; links are FIFO` : null;
  }

  /** Takes frame `id` out, if it may leave (see blocker). */
  take(id: number): Waiting<F> | null {
    if (this.blocker(id) !== null) return null;
    const i = this.items.findIndex((w) => w.id === id);
    return this.items.splice(i, 1)[0] ?? null;
  }

  /** Removes any frame, in any order: a dropped frame is lost, which links may do. */
  remove(id: number): Waiting<F> | null {
    const i = this.items.findIndex((w) => w.id === id);
    return i < 0 ? null : (this.items.splice(i, 1)[0] ?? null);
  }

  /** Frames due by `now`, oldest first, stopping at the first that is not (keeps FIFO). */
  takeDue(now: number): Waiting<F>[] {
    const out: Waiting<F>[] = [];
    while (this.items[0] && this.items[0].dueAt !== null && this.items[0].dueAt <= now) {
      const w = this.items.shift();
      if (w) out.push(w);
    }
    return out;
  }

  /** Earliest time something leaves by itself; null when all are held. */
  nextDue(): number | null {
    return this.items[0]?.dueAt ?? null;
  }

  /** Every frame held for a person gets a due time (or every due one is held, with null). */
  setDue(dueAt: number | null): void {
    for (const w of this.items) w.dueAt = dueAt;
  }
}
