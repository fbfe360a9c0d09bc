// What a host needs from the world it runs in, and nothing more: a clock, timers, a disk and
// a source of randomness. A worker, a tab and the simulator each supply their own; the host
// core that runs on top (host-core.ts) is the same code in all three, so what the simulator
// checks is what the browser runs.
import type { DurableEntry } from '../protocol/durable.ts';

/** Cancels a timer; calling it after the timer fired does nothing. */
export type Cancel = () => void;

export interface Timers {
  /** Runs `f` once, `ms` milliseconds from now (on the host's own clock). */
  after(ms: number, f: () => void): Cancel;
}

/**
 * Durable storage for one node. `commit` stores a batch of changed entries of the node's durable
 * table (protocol/durable.ts) and calls `done` once they are as safe as the disk's durability
 * level promises (src/disk), or with the error that kept them from being stored. A disk may call
 * `done` before `commit` returns. The host never overlaps commits: one at a time.
 */
export interface Disk {
  commit(changes: readonly DurableEntry[], done: (error: Error | null) => void): void;
}

export interface HostEnv {
  /** The node's clock in milliseconds: timeouts and pulses are measured on it. */
  now(): number;
  /** The clock trace times are on, shared by every host whose traces are drawn together. */
  traceNow(): number;
  timers: Timers;
  /** Where durable state goes; null keeps nothing (a node that forgets everything on a crash). */
  disk: Disk | null;
  random(): number;
}

/** Milliseconds on the clock every worker of a page shares. */
export function commonNow(): number {
  return performance.timeOrigin + performance.now();
}

/** setTimeout as Timers; whole milliseconds rounded up, so that a timer never fires before its time. */
export const realTimers: Timers = {
  after(ms, f) {
    const t = setTimeout(f, Math.max(0, Math.ceil(ms)));
    return () => clearTimeout(t);
  },
};

/**
 * A node's clock that counts a suspended machine's sleep. `performance.now()` stops while the
 * operating system is suspended (Linux, macOS), so a lease measured on it alone would outlive a
 * laptop's sleep; the wall clock goes on, but may be stepped back or forth by a person or NTP.
 * Each reading advances by the larger of the two clocks' advances since the last one (never by
 * a wall clock step back): never slower than real time, so leases and role leases can only end
 * early, which is the safe way (docs/fault-tolerance.md, the clock assumption).
 */
export function sleepProofClock(mono: () => number = () => performance.now(), wall: () => number = () => Date.now()): () => number {
  let lastMono = mono();
  let lastWall = wall();
  let t = lastMono;
  return () => {
    const m = mono();
    const w = wall();
    t += Math.max(m - lastMono, w - lastWall, 0);
    lastMono = m;
    lastWall = w;
    return t;
  };
}

/** The browser's (or Node's) own clock, timers and randomness, with the disk given. */
export function realEnv(disk: Disk | null, now: () => number = sleepProofClock()): HostEnv {
  return { now, traceNow: commonNow, timers: realTimers, disk, random: () => Math.random() };
}
