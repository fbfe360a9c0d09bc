// The checker cuts a key's history where no operation is open and searches the parts apart.
// These tests hold it to histories that must be refuted only because of what crosses a cut, to
// ones that must pass although an indeterminate write spans cuts, and to a brute-force oracle
// that shares no code with it.
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../../src/check/checker.ts';
import type { ClientEvent, HistoryEvent } from '../../src/check/history.ts';
import {
  concurrentHistory,
  type ConcurrentShape,
  expectLinearizable,
  expectViolation,
  hist,
  prng,
  r,
  w,
} from '../support/checker-helpers.ts';

function partsOf(events: HistoryEvent[], key = 'x'): number | undefined {
  return checkLinearizable(events).keys.find((k) => k.key === key)?.parts;
}

describe('cuts: refuted only through what crosses a cut', () => {
  it('refutes two values both written before a cut and both read after it', () => {
    const events = hist(
      '1 invoke write x a',
      '2 invoke write x b',
      '1 ok write x a',
      '2 ok write x b',
      ...r(3, 'x', 'a'),
      ...r(3, 'x', 'b'),
    );
    expect(partsOf(events)).toBe(3);
    const bad = expectViolation(events);
    expect(bad.explanation).toContain('p3 read');
  });

  it('refutes a value read again after a part that had to overwrite it', () => {
    const bad = expectViolation(hist(...w(1, 'x', 'a'), ...r(2, 'x', 'a'), ...w(3, 'x', 'b'), ...r(2, 'x', 'b'), ...r(4, 'x', 'a')));
    expect(bad.culprit?.[0]).toMatchObject({ process: 4, f: 'read', value: 'a' });
  });

  it('refutes an info write observed, overwritten and observed again in a later part', () => {
    expectViolation(
      hist('1 invoke write x a', '1 info write x a', ...r(2, 'x', 'a'), ...w(3, 'x', 'b'), ...r(2, 'x', 'b'), ...r(4, 'x', 'a')),
    );
  });

  it('refutes a later part that reads null once the register was written', () => {
    expectViolation(hist(...r(1, 'x', '-'), '2 invoke write x a', ...r(1, 'x', '-'), '2 ok write x a', ...r(3, 'x', '-')));
  });

  it('refutes when the only order that fits a part leaves the wrong value for the next', () => {
    // Part 2 must end with "b" (read in part 3) but must also keep "a" until its own late read.
    const events = hist(
      ...w(1, 'x', 'a'),
      '2 invoke write x b',
      '3 invoke read x',
      '2 ok write x b',
      '3 ok read x a',
      ...r(4, 'x', 'b'),
      ...r(4, 'x', 'a'),
    );
    expect(partsOf(events)).toBe(4);
    expectViolation(events);
  });
});

describe('cuts: linearizable histories with state carried across them', () => {
  it('accepts a value read in parts long after it was written', () => {
    const events = hist(...w(1, 'x', 'a'), ...r(2, 'x', 'a'), ...r(3, 'x', 'a'), ...r(1, 'x', 'a'));
    expect(partsOf(events)).toBe(4);
    expectLinearizable(events);
  });

  it('accepts an info write that takes effect several parts after its invoke, after a later write', () => {
    const events = hist(
      '1 invoke write x a',
      ...r(2, 'x', '-'),
      ...w(3, 'x', 'b'),
      ...r(2, 'x', 'b'),
      ...r(4, 'x', 'a'),
      ...r(2, 'x', 'a'),
    );
    expect(partsOf(events)).toBe(5);
    expectLinearizable(events);
  });

  it('accepts an info write spanning cuts that nobody reads', () => {
    expectLinearizable(
      hist('1 invoke write x a', '1 info write x a', ...w(2, 'x', 'b'), ...r(3, 'x', 'b'), ...w(2, 'x', 'c'), ...r(3, 'x', 'c')),
    );
  });

  it('accepts a part whose reads of the old value go first, then the new value carried on', () => {
    const events = hist(...w(1, 'x', 'a'), '2 invoke write x b', '3 invoke read x', '3 ok read x a', '2 ok write x b', ...r(4, 'x', 'b'));
    expect(partsOf(events)).toBe(3);
    expectLinearizable(events);
  });

  it('searches a history with a repeated value whole, without cuts', () => {
    const events = hist(...w(1, 'x', 'a'), ...w(2, 'x', 'b'), ...w(1, 'x', 'a'), ...r(3, 'x', 'a'));
    expect(partsOf(events)).toBe(1);
    expectLinearizable(events);
  });
});

type OracleOp = { f: 'read' | 'write'; value: string | null; invoke: number; complete: number; info: boolean };

/** Operations of one key, paired here independently of the checker's own pairing. */
function oracleOps(events: HistoryEvent[], key: string): OracleOp[] {
  const open = new Map<number, { e: ClientEvent; at: number }>();
  const ops: OracleOp[] = [];
  const add = (call: { e: ClientEvent; at: number }, done: ClientEvent | null, at: number): void => {
    if (call.e.key !== key || done?.type === 'fail') return;
    const info = done === null || done.type === 'info';
    if (call.e.f === 'read' && info) return;
    const value = call.e.f === 'write' ? call.e.value : (done?.value ?? null);
    ops.push({ f: call.e.f, value, invoke: call.at, complete: info ? Infinity : at, info });
  };
  events.forEach((e, at) => {
    if (e.process === 'nemesis') return;
    if (e.type === 'invoke') open.set(e.process, { e, at });
    else {
      const call = open.get(e.process);
      open.delete(e.process);
      if (call) add(call, e, at);
    }
  });
  for (const call of open.values()) add(call, null, Infinity);
  return ops;
}

/** Tries every order that respects real time; info writes may also never happen. */
function bruteForce(ops: OracleOp[]): boolean {
  const seen = new Set<string>();
  const required = ops.reduce((m, o, i) => (o.info ? m : m | (1 << i)), 0);
  const go = (placed: number, held: string | null): boolean => {
    if ((placed & required) === required) return true;
    const memo = `${placed}/${held}`;
    if (seen.has(memo)) return false;
    seen.add(memo);
    return ops.some((o, i) => {
      if (placed & (1 << i)) return false;
      const mustWait = ops.some((p, j) => j !== i && !(placed & (1 << j)) && p.complete < o.invoke);
      if (mustWait) return false;
      if (o.f === 'read') return o.value === held && go(placed | (1 << i), held);
      return go(placed | (1 << i), o.value);
    });
  };
  return go(0, null);
}

/** A random history from a real register, maybe with one read's value swapped for another. */
function candidate(seed: number, shape: ConcurrentShape): HistoryEvent[] {
  const events = concurrentHistory(seed, 10, { keys: 1, ...shape });
  const rand = prng(seed * 7919);
  if (rand() < 0.4) return events;
  const reads = events.flatMap((e, i) => (e.process !== 'nemesis' && e.type === 'ok' && e.f === 'read' ? [i] : []));
  const written = [null, ...events.flatMap((e) => (e.process !== 'nemesis' && e.type === 'invoke' && e.f === 'write' ? [e.value] : []))];
  const at = reads[Math.floor(rand() * reads.length)];
  const value = written[Math.floor(rand() * written.length)] ?? null;
  return events.map((e, i) => (i === at && e.process !== 'nemesis' ? { ...e, value } : e));
}

describe('cuts agree with a brute-force oracle on small random histories', () => {
  const shapes: [string, ConcurrentShape][] = [
    ['unique values, gaps between operations', { processes: 3, invokeChance: 0.3 }],
    ['unique values, busy', { processes: 4 }],
    ['repeated values (searched whole)', { processes: 3, invokeChance: 0.4, distinctValues: 2 }],
  ];
  it.each(shapes)('%s', (_name, shape) => {
    const tally = { linearizable: 0, refuted: 0, cut: 0 };
    for (let seed = 1; seed <= 400; seed++) {
      const events = candidate(seed, shape);
      const expected = bruteForce(oracleOps(events, 'k0'));
      const result = checkLinearizable(events);
      const key = result.keys[0];
      expect({ seed, ok: result.ok, unknown: key?.unknown }).toEqual({ seed, ok: expected, unknown: undefined });
      if (!expected) expect(key?.culprit?.length, `seed ${seed}`).toBeGreaterThan(0);
      tally[expected ? 'linearizable' : 'refuted']++;
      if ((key?.parts ?? 0) > 1) tally.cut++;
    }
    // The generator must exercise both verdicts (and cuts where values are unique).
    expect(tally.linearizable).toBeGreaterThan(40);
    expect(tally.refuted).toBeGreaterThan(40);
    if (shape.distinctValues === undefined) expect(tally.cut).toBeGreaterThan(100);
  });
});

describe('large concurrent histories are decided', () => {
  // 64 processes on one register: far too concurrent for the plain search's 5 million states.
  const events = concurrentHistory(64, 4000, { processes: 64, keys: 1 });

  it('proves a history from a real register linearizable', () => {
    const key = checkLinearizable(events).keys[0];
    expect(key).toMatchObject({ ok: true });
    expect(key?.unknown).toBeUndefined();
  });

  it('refutes it once a late read is made stale', () => {
    const reads = events.flatMap((e, i) => (e.process !== 'nemesis' && e.type === 'ok' && e.f === 'read' && e.value !== null ? [i] : []));
    const at = reads[reads.length - 10] ?? 0;
    const stale = events.map((e, i) => (i === at && e.process !== 'nemesis' ? { ...e, value: null } : e));
    const bad = expectViolation(stale, 'k0');
    expect(bad.culprit?.some((o) => o.completeIndex === at)).toBe(true);
  });
});
