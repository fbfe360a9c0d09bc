// Merging the clients' timed operations into one history the checker can trust.
import { describe, expect, it } from 'vitest';
import { faultEvent, mergeHistory } from '../../src/experiments/record.ts';
import { checkLinearizable } from '../../src/check/checker.ts';
import { parseHistory, toJsonLine } from '../../src/check/history.ts';
import type { TimedOp } from '../../src/experiments/workload-runner.ts';

const write = (value: string, invokedAt: number, doneAt: number): TimedOp => ({
  kind: 'write',
  page: 'P1',
  written: value,
  invokedAt,
  doneAt,
  outcome: 'ok',
  local: false,
  read: null,
});
const read = (value: string | null, invokedAt: number, doneAt: number): TimedOp => ({
  kind: 'read',
  page: 'P1',
  written: null,
  invokedAt,
  doneAt,
  outcome: 'ok',
  local: true,
  read: value,
});

describe('mergeHistory', () => {
  it('keeps each client in its own order when its timestamps tie', () => {
    const h = mergeHistory([{ process: 1, ops: [write('a', 100, 100), read('a', 100, 100)] }], [], 100);
    expect(h.map((e) => `${e.type} ${e.f}`)).toEqual(['invoke write', 'ok write', 'invoke read', 'ok read']);
    expect(h[0]?.time).toBe(0);
  });

  it('makes operations whose events share an instant concurrent, never ordered', () => {
    // Client 2 starts a read at the instant client 1's write ends: with the invoke first, the
    // read may see either value. Ordered the other way, a read of the old value would be flagged.
    const h = mergeHistory(
      [
        { process: 1, ops: [write('a', 0, 1), write('b', 2, 5)] },
        { process: 2, ops: [read('a', 5, 6)] },
      ],
      [],
      0,
    );
    const readInvoke = h.findIndex((e) => e.process === 2 && e.type === 'invoke');
    const writeOk = h.findIndex((e) => e.process === 1 && e.type === 'ok' && e.value === 'b');
    expect(readInvoke).toBeLessThan(writeOk);
    expect(checkLinearizable(h).ok).toBe(true);
  });

  it('writes the history format: fault events included, lines parse back, stale reads are caught', () => {
    const h = mergeHistory(
      [
        { process: 1, ops: [write('a', 0, 1)] },
        { process: 2, ops: [read(null, 3, 4)] },
      ],
      [faultEvent('kill', 'cm1', 2)],
      0,
    );
    expect(h.map((e) => e.process)).toEqual([1, 1, 'nemesis', 2, 2]);
    expect(parseHistory(h.map(toJsonLine).join('\n'))).toEqual(h);
    expect(checkLinearizable(h).ok).toBe(false);
  });
});
