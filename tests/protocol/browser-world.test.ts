// Regressions for what only a world as hostile as the browser's showed (issue 9): a frame that
// bricked the cluster with an extreme epoch, a page lost after many timed-out writes while its
// owner was away, and a stalled standby deposing a healthy primary. Each is stepped by hand.
import { describe, expect, it } from 'vitest';
import { CentralManager } from '../../src/protocol/manager.ts';
import { EPOCH_MAX } from '../../src/protocol/limits.ts';
import type { Message } from '../../src/protocol/messages.ts';
import { parseMessage } from '../../src/protocol/validate.ts';
import { Net, outcome, T } from '../support/stepped-net.ts';

function boot(): Net {
  const net = new Net({ clients: 3 });
  net.deliverAll();
  net.tick(0);
  net.deliverAll();
  return net;
}

describe('a client frame with an extreme epoch', () => {
  it('is refused by the validator past the bound, and below it moves no CM', () => {
    const net = boot();
    expect(
      parseMessage({ type: 'READ_REQUEST', from: 'c1', to: 'cm1', epoch: Number.MAX_SAFE_INTEGER, page: 'P1', req: 'c1:9' }, 4096).ok,
    ).toBe(false);
    for (const type of ['READ_REQUEST', 'WRITE_CONFIRMATION', 'CLIENT_REPORT', 'IM_BACK', 'PULSE_REPLY'] as const) {
      const forged = {
        type,
        from: 'c1',
        to: 'cm1',
        epoch: EPOCH_MAX,
        page: 'P1',
        req: 'c1:99',
        version: 5,
        pages: [],
        inFlight: null,
        handoffs: [],
        acting: true,
        members: [],
        away: ['c2'],
        meta: [],
        full: false,
        seq: 1,
        uncertain: [],
        urgent: false,
        answers: 1,
        replicas: [],
      };
      const parsed = parseMessage(forged, 4096);
      if (!parsed.ok) throw new Error(parsed.error);
      net.inject(parsed.message);
    }
    // cm1 still acts at epoch 1, cm2 stands by, and the cluster serves as before.
    expect(net.acting()).toEqual([{ id: 'cm1', epoch: 1 }]);
    expect(net.cm('cm2').epoch).toBe(1);
    expect(outcome(net.writeValue('c2', 'P1', 'after'))).toEqual({ ok: true, value: 'after' });
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'after' });
    expect(net.logs.filter((l) => l.text.includes('only the other CM sends it'))).toHaveLength(2);
  });

  it('a CM never takes an epoch past the bound', () => {
    const cm = new CentralManager({ id: 'cm2', start: 'backup', durable: { epoch: EPOCH_MAX - 1, members: [] }, timing: T, now: 0 });
    cm.ready();
    for (let t = 0; t <= 1000; t += 100) cm.tick(t);
    const r = cm.ready();
    expect(cm.currentRole).toBe('standby');
    expect(cm.epoch).toBe(EPOCH_MAX - 1);
    expect(r.events).toContainEqual({
      type: 'log',
      level: 'error',
      text: `cm2 cannot act: epoch ${EPOCH_MAX + 1} would pass the limit ${EPOCH_MAX}`,
    });
  });
});

describe('an owner away through many writes', () => {
  it('keeps its page: requests fail at once naming it, nothing piles up, and the page comes back with it', () => {
    const net = boot();
    expect(outcome(net.writeValue('c1', 'P1', 'a'))).toEqual({ ok: true, value: 'a' });
    net.crash('c1');
    // c2 tries 70 writes while c1 is away. Once c1 has been silent for a lease, the CM deems it
    // away and fails them at once, naming the page, the owner and how long it has been away.
    let longestQueue = 0;
    const errors: string[] = [];
    for (let i = 0; i < 70; i++) {
      const opId = net.write('c2', 'P1', `w${i}`);
      while (net.result('c2', opId) === undefined) {
        net.tick(net.now + 50);
        net.deliverAll();
        longestQueue = Math.max(longestQueue, net.page('cm1', 'P1')?.queued.length ?? 0);
      }
      const r = net.result('c2', opId);
      expect(r).toMatchObject({ ok: false, certain: true });
      if (r && !r.ok) errors.push(r.error);
    }
    expect(longestQueue).toBeLessThanOrEqual(2);
    expect(errors.at(-1)).toMatch(/^page P1 unavailable: its owner c1 .*away for \d+\.\d s\)?$/);
    expect(net.result('c2', 70)).toMatchObject({ away: 'c1' });
    // c1 comes back with its disk and reports what it owns: P1 is in service again, as it was.
    net.restartClient('c1', { withDisk: true });
    for (const end = net.now + 1000; net.now < end;) {
      net.tick(net.now + 50);
      net.deliverAll();
    }
    expect(net.page('cm1', 'P1')).toMatchObject({ owner: 'c1', active: null, note: null });
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'a' });
    expect(outcome(net.writeValue('c2', 'P1', 'b'))).toEqual({ ok: true, value: 'b' });
    expect(outcome(net.readValue('c1', 'P1'))).toEqual({ ok: true, value: 'b' });
  });
});

describe('a standby whose timer stalls', () => {
  /** Two CMs whose messages arrive at once; each ticks on its own schedule. */
  function pair(): { cm1: CentralManager; cm2: CentralManager; run: (until: number, every1: number, every2: number) => void } {
    const cm1 = new CentralManager({ id: 'cm1', start: 'primary', timing: T, now: 0 });
    const cm2 = new CentralManager({ id: 'cm2', start: 'backup', timing: T, now: 0 });
    const byId = { cm1, cm2 };
    let now = 0;
    const pump = (): void => {
      for (let moved = true; moved;) {
        moved = false;
        for (const from of [cm1, cm2]) {
          for (const m of from.ready().messages as Message[]) {
            const to = byId[m.to as 'cm1' | 'cm2'];
            if (!to) continue;
            to.step(m, now);
            moved = true;
          }
        }
      }
    };
    const run = (until: number, every1: number, every2: number): void => {
      for (let t = now + 10; t <= until; t += 10) {
        now = t;
        if (t % every1 === 0) cm1.tick(t);
        if (t % every2 === 0) cm2.tick(t);
        pump();
      }
    };
    pump();
    return { cm1, cm2, run };
  }

  it('ticking every 400 ms never takes over from a healthy primary', () => {
    const { cm1, cm2, run } = pair();
    run(10_000, 10, 400);
    expect([cm1.currentRole, cm1.epoch, cm2.currentRole]).toEqual(['acting', 1, 'standby']);
  });

  it('nor do two CMs both ticking once a second', () => {
    const { cm1, cm2, run } = pair();
    run(10_000, 1000, 1000);
    expect([cm1.currentRole, cm1.epoch, cm2.currentRole]).toEqual(['acting', 1, 'standby']);
  });

  it('yet a stalled standby still takes over once the primary is really gone', () => {
    const { cm2, run } = pair();
    const alone = new CentralManager({ id: 'cm2', start: 'backup', timing: T, now: 0 });
    // Without cm1 to answer, pulses go unanswered however slowly they are sent.
    for (let t = 0; t <= 2000; t += 400) alone.tick(t);
    expect(alone.currentRole).toBe('acting');
    run(1000, 10, 400);
    expect(cm2.currentRole).toBe('standby');
  });
});
