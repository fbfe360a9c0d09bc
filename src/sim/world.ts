// The simulated world's time: one queue of everything that will happen (a message arriving, a
// timer firing, a disk finishing a commit, a fault), in time order, ties broken by the order
// they were scheduled. Each happening may belong to one life of one node: when that life has
// ended (a crash) it never happens, and while the node is stalled it waits until the stall ends.
import { TimedQueue } from './heap.ts';
import type { Rng } from './rng.ts';

/** One incarnation of a node: from its start to its crash. */
export interface Life {
  readonly node: string;
  alive: boolean;
  /** Until then nothing of this life runs (its thread is stalled); it all runs after, in order. */
  stalledUntil: number;
}

interface Happening {
  life: Life | null;
  run: () => void;
}

export class SimWorld {
  private readonly queue = new TimedQueue<Happening>();
  now = 0;

  constructor(readonly rng: Rng) {}

  /** Schedules `run` at `at` (never earlier than now); `life` null for the world's own events. */
  at(at: number, life: Life | null, run: () => void): void {
    this.queue.push(Math.max(at, this.now), { life, run });
  }

  /** Runs happenings in order until `stop` says so or nothing is left; false when time ran out. */
  run(limitMs: number, stop: () => boolean): boolean {
    for (let h = this.queue.pop(); h; h = this.queue.pop()) {
      if (h.time > limitMs) return false;
      this.now = h.time;
      const { life, run } = h.value;
      if (life !== null && !life.alive) continue;
      if (life !== null && life.stalledUntil > this.now) {
        this.queue.push(life.stalledUntil, h.value);
        continue;
      }
      run();
      if (stop()) return true;
    }
    return true;
  }
}
