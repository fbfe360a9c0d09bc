// A host environment whose time, timers and disk a test moves by hand: time advances only with
// advance(), and each commit waits until the test completes (or fails) it. With settle(), what a
// test does instead of sleeping: time passes when the test says so, and work already handed over
// (a frame on an in-memory link) is run to its end without waiting for any length of time.
import type { HostEnv } from '../../src/host/env.ts';
import type { DurableEntry } from '../../src/protocol/durable.ts';

/** More timers than this firing in one advance() is a timer that re-arms itself at the same instant. */
const TIMERS_PER_ADVANCE_MAX = 100_000;

interface Timer {
  at: number;
  seq: number;
  f: () => void;
  cancelled: boolean;
}

export interface ManualEnv extends HostEnv {
  /**
   * Moves time on, firing every timer that falls due, in order (timers armed meanwhile too); throws
   * rather than spin when timers keep falling due without end.
   */
  advance(ms: number): void;
  /** Batches of changes handed to the disk whose commit is still open, oldest first. */
  readonly pending: Array<readonly DurableEntry[]>;
  /** Batches whose commit completed, oldest first. */
  readonly committed: Array<readonly DurableEntry[]>;
  /** Completes the oldest open commit (or fails it with `error`). */
  completeCommit(error?: Error): void;
}

export function manualEnv(start = 0, withDisk = true): ManualEnv {
  let t = start;
  let seq = 0;
  const timers: Timer[] = [];
  const open: Array<{ state: readonly DurableEntry[]; done: (e: Error | null) => void }> = [];
  const committed: Array<readonly DurableEntry[]> = [];
  const env: ManualEnv = {
    now: () => t,
    traceNow: () => t,
    random: () => 0.5,
    timers: {
      after(ms, f) {
        const timer: Timer = { at: t + Math.max(0, ms), seq: seq++, f, cancelled: false };
        timers.push(timer);
        return () => {
          timer.cancelled = true;
        };
      },
    },
    disk: withDisk ? { commit: (state, done) => open.push({ state, done }) } : null,
    advance(ms) {
      const until = t + ms;
      for (let fired = 0; ; fired++) {
        if (fired > TIMERS_PER_ADVANCE_MAX)
          throw new Error(`over ${TIMERS_PER_ADVANCE_MAX} timers fell due by ${until}: one re-arms itself without end`);
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers.find((x) => !x.cancelled && x.at <= until);
        if (!next) break;
        timers.splice(timers.indexOf(next), 1);
        t = next.at;
        next.f();
      }
      t = until;
    },
    get pending() {
      return open.map((o) => o.state);
    },
    committed,
    completeCommit(error) {
      const o = open.shift();
      if (!o) throw new Error('no commit is open');
      if (!error) committed.push(o.state);
      o.done(error ?? null);
    },
  };
  return env;
}

/**
 * Resolves once everything already queued in this process has run: every microtask, and every
 * one those queue in turn (in-memory links deliver on microtasks, so a whole exchange of frames
 * between hosts in a manual world), since a macrotask (setImmediate) runs only after the
 * microtask queue is empty. It moves no clock and waits for no length of time: what stands for
 * time passing in the product is advance()'s.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
