// Shared by the checker's tests: a compact history notation, verdict expectations and
// reproducible random histories.
import { expect } from 'vitest';
import { checkLinearizable, type KeyResult } from '../../src/check/checker.ts';
import type { HistoryEvent } from '../../src/check/history.ts';

// Compact history notation: "<process> <type> <f> <key> <value>", one event per string, in
// real-time order. "-" means null. Nemesis lines are "nemesis <fault> [<value>]".
export function hist(...lines: string[]): HistoryEvent[] {
  return lines.map((line, time): HistoryEvent => {
    const [p = '', a = '', b = '', key = '', v = '-'] = line.split(' ');
    if (p === 'nemesis') return { process: 'nemesis', type: 'info', f: a, value: b === '' ? null : b, time };
    const type = a as HistoryEvent['type'];
    const f = b as 'read' | 'write';
    return { process: Number(p), type, f, key, value: v === '-' ? null : v, time };
  });
}

/** A completed write or read with nothing concurrent. */
export const w = (p: number, key: string, v: string): string[] => [`${p} invoke write ${key} ${v}`, `${p} ok write ${key} ${v}`];
export const r = (p: number, key: string, v: string): string[] => [`${p} invoke read ${key}`, `${p} ok read ${key} ${v}`];

export function expectLinearizable(events: HistoryEvent[]): void {
  const result = checkLinearizable(events);
  expect(result.keys.filter((k) => !k.ok).map((k) => k.explanation)).toEqual([]);
  expect(result.ok).toBe(true);
}

export function expectViolation(events: HistoryEvent[], key = 'x'): KeyResult {
  const result = checkLinearizable(events);
  expect(result.ok).toBe(false);
  const bad = result.keys.find((k) => k.key === key);
  expect(bad?.ok).toBe(false);
  expect(bad?.unknown).toBeUndefined();
  expect(bad?.culprit?.length).toBeGreaterThan(0);
  return bad!;
}

/** Small deterministic PRNG (mulberry32) so the randomized tests are reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Concurrent history from a real register: each operation takes effect at a random moment
 * between its invoke and completion. Some writes crash (info), possibly taking effect much
 * later or never; some fail before taking effect.
 */
export type ConcurrentShape = {
  processes?: number;
  keys?: number;
  /** Chance that an idle process starts its next operation when picked; below 1 leaves gaps. */
  invokeChance?: number;
  /** How many distinct values writes cycle through; unset: every written value is unique. */
  distinctValues?: number;
};

export function concurrentHistory(seed: number, nOps: number, shape: ConcurrentShape = {}): HistoryEvent[] {
  const { processes = 5, keys = 2, invokeChance = 1, distinctValues } = shape;
  const rand = prng(seed);
  const register = new Map<string, string | null>();
  const open = new Map<number, { f: 'read' | 'write'; key: string; value: string | null; done: boolean }>();
  const late: { key: string; value: string | null }[] = [];
  const events: HistoryEvent[] = [];
  for (let started = 0, t = 0; started < nOps || open.size > 0; t++) {
    if (late.length > 0 && rand() < 0.05) {
      const [lw] = late.splice(Math.floor(rand() * late.length), 1);
      if (lw) register.set(lw.key, lw.value);
    }
    const process = Math.floor(rand() * processes);
    const op = open.get(process);
    if (!op) {
      if (started >= nOps || (invokeChance < 1 && rand() >= invokeChance)) continue;
      const f = rand() < 0.5 ? 'read' : 'write';
      const key = `k${Math.floor(rand() * keys)}`;
      const value = f === 'write' ? `v${distinctValues === undefined ? started : started % distinctValues}` : null;
      open.set(process, { f, key, value, done: false });
      events.push({ process, type: 'invoke', f, key, value, time: t });
      started++;
    } else if (!op.done) {
      const roll = rand();
      if (op.f === 'write' && roll < 0.15) {
        if (roll < 0.1) late.push(op);
        events.push({ process, type: roll < 0.1 ? 'info' : 'fail', f: op.f, key: op.key, value: op.value, time: t });
        open.delete(process);
        continue;
      }
      if (op.f === 'write') register.set(op.key, op.value);
      else op.value = register.get(op.key) ?? null;
      op.done = true;
    } else {
      events.push({ process, type: 'ok', f: op.f, key: op.key, value: op.value, time: t });
      open.delete(process);
    }
  }
  return events;
}
