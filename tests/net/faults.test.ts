import { describe, expect, it } from 'vitest';
import { FaultyTransport, type FaultClock } from '../../src/net/faults.ts';
import { MemoryTransport } from '../../src/net/memory.ts';
import type { TransportEvent } from '../../src/net/transport.ts';
import { manualEnv, settle } from '../support/manual-env.ts';
import { decodeTestFrame, type TestFrame } from '../support/transport-contract.ts';

/** A fault clock on a hand-driven world's clock and timers, drawing the given random numbers in turn. */
function scripted(randoms: number[]): FaultClock & { advance(ms: number): void } {
  const env = manualEnv(0, false);
  return { now: env.now, random: () => randoms.shift() ?? 0.99, after: env.timers.after, advance: env.advance };
}

function link(clock: FaultClock) {
  const [rawA, rawB] = MemoryTransport.pair(decodeTestFrame);
  const a = new FaultyTransport(rawA, clock);
  const b = new FaultyTransport(rawB, clock);
  const atA: TransportEvent<TestFrame>[] = [];
  const atB: TransportEvent<TestFrame>[] = [];
  a.addListener((e) => atA.push(e));
  b.addListener((e) => atB.push(e));
  const got = (events: TransportEvent<TestFrame>[]) => events.flatMap((e) => (e.type === 'frame' ? [e.frame.n] : []));
  return { a, b, atA: () => got(atA), atB: () => got(atB) };
}

const f = (n: number): TestFrame => ({ n, text: String(n) });

describe('FaultyTransport', () => {
  it('drops outgoing frames at the configured rate, decided by the injected randomness', async () => {
    const l = link(scripted([0.1, 0.9, 0.4, 0.6]));
    l.a.setFaults({ dropRate: 0.5 });
    for (const n of [1, 2, 3, 4]) expect(l.a.send(f(n))).toBe(true);
    await settle();
    expect(l.atB()).toEqual([2, 4]);
  });

  it('delays outgoing frames and keeps them in order when the delay is lowered', async () => {
    const clock = scripted([]);
    const l = link(clock);
    l.a.setFaults({ delayMs: 100 });
    l.a.send(f(1));
    l.a.send(f(2));
    l.a.setFaults({ delayMs: 0 });
    l.a.send(f(3));
    clock.advance(99);
    await settle();
    expect(l.atB()).toEqual([]);
    clock.advance(1);
    await settle();
    expect(l.atB()).toEqual([1, 2, 3]);
    l.a.send(f(4));
    await settle();
    expect(l.atB()).toEqual([1, 2, 3, 4]);
  });

  it('a partition cuts both directions until it heals', async () => {
    const l = link(scripted([]));
    l.a.setFaults({ partitioned: true });
    l.a.send(f(1));
    l.b.send(f(2));
    await settle();
    expect(l.atA()).toEqual([]);
    expect(l.atB()).toEqual([]);
    l.a.setFaults({ partitioned: false });
    l.a.send(f(3));
    l.b.send(f(4));
    await settle();
    expect(l.atB()).toEqual([3]);
    expect(l.atA()).toEqual([4]);
  });

  it('rejects fault settings out of range and keeps the old ones', () => {
    const l = link(scripted([]));
    expect(() => l.a.setFaults({ dropRate: 2 })).toThrow(/dropRate/);
    expect(() => l.a.setFaults({ delayMs: -1 })).toThrow(/delayMs/);
    expect(l.a.faults).toEqual({ dropRate: 0, delayMs: 0, partitioned: false });
  });
});
