import { describe, it, expect } from 'vitest';
import { checkLinearizable, pairOperations } from '../../src/check/checker.ts';
import { type HistoryEvent, parseHistory, toJsonLine } from '../../src/check/history.ts';
import { concurrentHistory, expectLinearizable, expectViolation, hist, prng, r, w } from '../support/checker-helpers.ts';

describe('checkLinearizable: linearizable histories', () => {
  it('accepts a sequential history', () => {
    expectLinearizable(hist(...w(1, 'x', 'a'), ...r(2, 'x', 'a'), ...w(2, 'x', 'b'), ...r(1, 'x', 'b')));
  });

  it.each(['a', 'b'])('accepts a read overlapping a write that sees %s', (seen) => {
    expectLinearizable(hist(...w(1, 'x', 'a'), '1 invoke write x b', '2 invoke read x', `2 ok read x ${seen}`, '1 ok write x b'));
  });

  it('accepts a read of the initial null before any write', () => {
    expectLinearizable(hist(...r(1, 'x', '-'), ...w(2, 'x', 'a'), ...r(1, 'x', 'a')));
  });

  it('accepts an info write that is observed later', () => {
    expectLinearizable(hist('1 invoke write x a', '1 info write x a', ...r(2, 'x', '-'), ...r(2, 'x', 'a'), ...r(3, 'x', 'a')));
  });

  it('accepts an info write that is never observed', () => {
    expectLinearizable(hist(...w(3, 'x', 'b'), '1 invoke write x a', '1 info write x -', ...r(2, 'x', 'b')));
  });

  it('treats an invoke the history never completes as info', () => {
    expectLinearizable(hist('1 invoke write x a', ...r(2, 'x', '-'), ...r(2, 'x', 'a')));
  });

  it('accepts a failed write that is never observed', () => {
    expectLinearizable(hist('1 invoke write x a', '1 fail write x a', ...r(2, 'x', '-')));
  });

  it('checks interleaved reads and writes of different keys independently', () => {
    expectLinearizable(
      hist(
        '1 invoke write x a',
        '2 invoke write y b',
        '3 invoke read x',
        '1 ok write x a',
        '4 invoke read y',
        '3 ok read x a',
        '4 ok read y -',
        '2 ok write y b',
        ...r(4, 'y', 'b'),
        ...r(3, 'x', 'a'),
      ),
    );
  });

  it('skips nemesis events, with or without a key', () => {
    const events = hist('nemesis crash c1', ...w(1, 'x', 'a'), 'nemesis partition', ...r(2, 'x', 'a'), 'nemesis heal');
    events.push({ process: 'nemesis', type: 'info', f: 'restart', key: null, value: null, time: 99 });
    expect(pairOperations(events).map((o) => o.process)).toEqual([1, 2]);
    expectLinearizable(events);
  });
});

describe('checkLinearizable: violations', () => {
  it('rejects a stale read after a completed write', () => {
    const bad = expectViolation(hist(...w(1, 'x', 'a'), ...w(1, 'x', 'b'), ...r(2, 'x', 'a')));
    expect(bad.culprit?.[0]).toMatchObject({ process: 2, f: 'read', value: 'a' });
    expect(bad.explanation).toContain('register holds "b"');
    expect(bad.explanation).toContain('p2 read "a"');
  });

  it('rejects a lost write (completed, yet later reads still see the initial null)', () => {
    const bad = expectViolation(hist(...r(3, 'x', '-'), ...w(1, 'x', 'a'), ...r(2, 'x', '-'), ...r(3, 'x', '-')));
    expect(bad.culprit?.[0]).toMatchObject({ process: 2, f: 'read', value: null, invokeIndex: 4 });
    expect(bad.explanation).toContain('p1 write "a"');
  });

  it('rejects a new-then-old inversion between two reads during a write', () => {
    expectViolation(hist(...w(1, 'x', 'a'), '1 invoke write x b', ...r(2, 'x', 'b'), ...r(3, 'x', 'a'), '1 ok write x b'));
  });

  it('rejects an info write observed and then un-observed', () => {
    expectViolation(hist('1 invoke write x a', '1 info write x a', ...r(2, 'x', 'a'), ...r(3, 'x', '-')));
  });

  it('rejects a failed write that a read observes', () => {
    const bad = expectViolation(hist('1 invoke write x a', '1 fail write x a', ...r(2, 'x', 'a')));
    expect(bad.explanation).toContain('failed writes never take effect');
  });

  it('rejects a read of a value never written', () => {
    const bad = expectViolation(hist(...w(1, 'x', 'a'), ...r(2, 'x', 'zzz')));
    expect(bad.culprit).toEqual([expect.objectContaining({ process: 2, value: 'zzz' })]);
  });

  it('rejects a read that sees a write invoked only after the read completed', () => {
    expectViolation(hist(...r(2, 'x', 'a'), '1 invoke write x a', '1 info write x a'));
  });

  it('reports unknown rather than a verdict when the search limit is hit', () => {
    const events = hist('1 invoke write x a', '2 invoke write x b', '3 invoke read x', '3 ok read x b', '1 ok write x a', '2 ok write x b');
    const key = checkLinearizable(events, { maxStates: 1 }).keys[0];
    expect(key).toMatchObject({ key: 'x', ok: false, unknown: true });
    expect(key?.explanation).toContain('unknown: search limit reached');
  });
});

describe('pairOperations', () => {
  it('drops failed operations and info reads, and gives info writes an infinite response', () => {
    const ops = pairOperations(
      hist(
        '1 invoke write x a',
        '1 fail write x a',
        '2 invoke read x',
        '2 info read x',
        '3 invoke write x b',
        '3 info write x -',
        ...r(1, 'x', '-'),
      ),
    );
    expect(ops).toEqual([
      { process: 3, key: 'x', f: 'write', value: 'b', invokeIndex: 4, completeIndex: Infinity, status: 'info' },
      { process: 1, key: 'x', f: 'read', value: null, invokeIndex: 6, completeIndex: 7, status: 'ok' },
    ]);
  });

  it('throws on a completion without an invoke', () => {
    expect(() => pairOperations(hist('1 ok write x a'))).toThrow(/event 0/);
  });

  it('throws on a second invoke while one is open', () => {
    expect(() => pairOperations(hist('1 invoke write x a', '1 invoke read x'))).toThrow(/still open/);
  });

  it('throws when a completion does not match its invoke', () => {
    expect(() => pairOperations(hist('1 invoke write x a', '1 ok write y a'))).toThrow(/invoked write x/);
  });
});

describe('history JSON Lines', () => {
  const events: HistoryEvent[] = [
    { process: 3, type: 'invoke', f: 'read', key: 'P1', value: null, time: 12.5 },
    { process: 'nemesis', type: 'info', f: 'crash', value: 'cm1', time: 13 },
    { process: 'nemesis', type: 'info', f: 'heal', key: null, value: null, time: 13 },
    { process: 3, type: 'ok', f: 'read', key: 'P1', value: 'x "quoted"\n', time: 14 },
  ];

  it('serialises with a stable key order', () => {
    // Key order is fixed even when the object was built in another order.
    const e = { time: 12.5, value: null, key: 'P1', f: 'read', type: 'invoke', process: 3 } as const;
    expect(toJsonLine(e)).toBe('{"process":3,"type":"invoke","f":"read","key":"P1","value":null,"time":12.5}');
  });

  it('round-trips through parseHistory byte for byte', () => {
    const text = events.map(toJsonLine).join('\n') + '\n';
    const parsed = parseHistory(text);
    expect(parsed).toEqual(events);
    expect(parsed.map(toJsonLine).join('\n') + '\n').toBe(text);
  });

  it('names the line of a malformed event', () => {
    const good = toJsonLine(events[0]!);
    expect(() => parseHistory(`${good}\n{"process":1,"type":"done","f":"read","key":"a","value":null,"time":1}`)).toThrow(/line 2/);
    expect(() => parseHistory(`${good}\n\n{not json`)).toThrow(/line 3/);
    expect(() => parseHistory('{"process":1,"type":"ok","f":"read","value":null,"time":1}')).toThrow(/line 1.*key/);
    expect(() => parseHistory('{"process":"nemesis","type":"ok","f":"crash","value":null,"time":1}')).toThrow(/line 1/);
    expect(() => parseHistory(`${toJsonLine(events[3]!)}\n${good}`)).toThrow(/line 2: time goes backwards/);
  });
});

type ReadRecord = { index: number; stale: string | null };

/** Sequential history from a real register; also lists reads that follow an overwrite. */
function sequentialHistory(seed: number, nOps: number): { events: HistoryEvent[]; stale: ReadRecord[] } {
  const rand = prng(seed);
  const current = new Map<string, string | null>();
  const previous = new Map<string, string | null>();
  const events: HistoryEvent[] = [];
  const stale: ReadRecord[] = [];
  for (let i = 0; i < nOps; i++) {
    const process = Math.floor(rand() * 4);
    const key = `k${Math.floor(rand() * 3)}`;
    const time = events.length;
    if (rand() < 0.4) {
      const value = `v${i}`;
      previous.set(key, current.get(key) ?? null);
      current.set(key, value);
      events.push({ process, type: 'invoke', f: 'write', key, value, time }, { process, type: 'ok', f: 'write', key, value, time });
    } else {
      const value = current.get(key) ?? null;
      if (current.has(key)) stale.push({ index: events.length + 1, stale: previous.get(key) ?? null });
      events.push({ process, type: 'invoke', f: 'read', key, value: null, time }, { process, type: 'ok', f: 'read', key, value, time });
    }
  }
  return { events, stale };
}

describe('randomized sequential histories', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('accepts the real history and rejects a stale read (seed %i)', (seed) => {
    const { events, stale } = sequentialHistory(seed, 300);
    expectLinearizable(events);
    const pick = stale[Math.floor(prng(seed * 31)() * stale.length)];
    if (!pick) throw new Error('generator produced no read after a write');
    const target = events[pick.index];
    if (!target || target.process === 'nemesis') throw new Error('bad read index');
    const mutated = events.map((e, i) => (i === pick.index ? { ...target, value: pick.stale } : e));
    const bad = expectViolation(mutated, target.key);
    expect(bad.culprit?.some((o) => o.completeIndex === pick.index)).toBe(true);
  });
});

describe('randomized concurrent histories', () => {
  it.each([11, 12, 13, 14, 15])('accepts a history produced by a real register (seed %i)', (seed) => {
    const events = concurrentHistory(seed, 400);
    expect(pairOperations(events).some((o) => o.status === 'info')).toBe(true);
    expectLinearizable(events);
  });
});
