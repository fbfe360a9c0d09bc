// The clock browser hosts run nodes by: a machine's sleep stops performance.now() but not the wall
// clock, and a lease must not outlive the sleep (a client would serve a read hit on a page written
// meanwhile on another machine).
import { describe, expect, it } from 'vitest';
import { sleepProofClock } from '../../src/host/env.ts';
import { ClientNode } from '../../src/protocol/client.ts';
import { TIMING_DEFAULTS } from '../../src/protocol/config.ts';

/** Hand-moved monotonic and wall clocks. */
function clocks(): { mono: number; wall: number; now: () => number } {
  const c = { mono: 1000, wall: 1_700_000_000_000, now: () => 0 };
  c.now = sleepProofClock(
    () => c.mono,
    () => c.wall,
  );
  return c;
}

describe('the sleep-proof clock', () => {
  it('runs with the monotonic clock while both run alike', () => {
    const c = clocks();
    const t0 = c.now();
    c.mono += 250;
    c.wall += 249;
    expect(c.now() - t0).toBe(250);
  });

  it('counts a sleep that stopped the monotonic clock, as the wall clock saw it', () => {
    const c = clocks();
    const t0 = c.now();
    c.wall += 60_000;
    c.mono += 2;
    expect(c.now() - t0).toBe(60_000);
  });

  it('never runs back, nor stands still, when the wall clock is stepped back', () => {
    const c = clocks();
    const t0 = c.now();
    c.wall -= 3_600_000;
    c.mono += 40;
    const t1 = c.now();
    expect(t1 - t0).toBe(40);
    c.mono += 10;
    c.wall += 10;
    expect(c.now() - t1).toBe(10);
  });
});

describe('a client whose machine sleeps through its lease', () => {
  it('wakes without it: its read copy serves no hit', () => {
    const c = clocks();
    const client = new ClientNode({ id: 'c1' });
    client.tick(c.now());
    const beat = client.ready().messages.find((m) => m.type === 'LEASE');
    if (beat?.type !== 'LEASE') throw new Error('no heartbeat');
    client.step({ type: 'LEASE_GRANT', from: 'cm1', to: 'c1', epoch: 1, n: beat.n, ms: TIMING_DEFAULTS.leaseMs }, c.now());
    expect(client.leasedAt(c.now())).toBe(true);
    // Suspended for a minute: performance.now() moved 5 ms, the wall clock 60 s.
    c.mono += 5;
    c.wall += 60_000;
    expect(client.leasedAt(c.now())).toBe(false);
  });
});
