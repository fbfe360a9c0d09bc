// A host environment whose time, timers and disk a test moves by hand: time advances only with
// advance(), and each commit waits until the test completes (or fails) it.
import type { HostEnv } from '../../src/host/env.ts';
import type { DurableEntry } from '../../src/protocol/durable.ts';

interface Timer {
  at: number;
  seq: number;
  f: () => void;
  cancelled: boolean;
}

export interface ManualEnv extends HostEnv {
  /** Moves time on, firing every timer that falls due, in order. */
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
      for (;;) {
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
