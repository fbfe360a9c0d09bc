// Membership with leases, stepped by hand: members that leave for good stop holding anything up
// once their lease has run out, pages they held fail at once naming them, a member that comes
// back rejoins, a CM grants leases only while no other CM can act, and a fenced CM is not
// deposed by a client's word. Lease traffic flows on the harness's side channel.
import { describe, expect, it } from 'vitest';
import { ClientNode } from '../../src/protocol/client.ts';
import { DRIFT_MARGIN, TIMING_DEFAULTS } from '../../src/protocol/config.ts';
import { CentralManager } from '../../src/protocol/manager.ts';
import type { Message } from '../../src/protocol/messages.ts';
import { Net, outcome, T } from '../support/stepped-net.ts';

const LEASE_GONE_MS = T.leaseMs * (1 + DRIFT_MARGIN);

/** cm1 acting with cm2 pulsing it, leases granted; c1 owns P1 read by c3, c3 owns P2. */
function cluster(): Net {
  const net = new Net({ clients: 3 });
  net.deliverAll();
  net.tick(0);
  net.deliverAll();
  net.tickUntil(100, 100, true);
  expect(outcome(net.writeValue('c1', 'P1', 'a'))).toEqual({ ok: true, value: 'a' });
  expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'a' });
  expect(outcome(net.writeValue('c3', 'P2', 'z'))).toEqual({ ok: true, value: 'z' });
  expect(net.client('c3').entry('P1')).toMatchObject({ access: 'read', content: 'a' });
  return net;
}

/** Runs time on in 50 ms ticks, delivering everything, until `until`. */
function runTo(net: Net, until: number): void {
  net.tickUntil(until, 50, true);
}

describe('a client that leaves for good', () => {
  it('holds up writes to pages it read only until its lease has run out; its own pages fail at once, naming it', () => {
    const net = cluster();
    const leftAt = net.now;
    net.crash('c3');
    const writeId = net.write('c1', 'P1', 'b');
    // The invalidation to c3 goes unanswered: the write waits while c3 may still serve its copy.
    runTo(net, leftAt + T.leaseMs - 100);
    expect(net.result('c1', writeId)).toBeUndefined();
    // Once c3 has been silent for a lease and the drift margin, the CM deems it away.
    runTo(net, leftAt + LEASE_GONE_MS + 200);
    expect(outcome(net.result('c1', writeId))).toEqual({ ok: true, value: 'b' });
    expect(net.cm('cm1').snapshot().away).toEqual([{ id: 'c3', forMs: expect.any(Number) }]);
    // P2 was c3's: unavailable, at once, with the page, the owner and how long.
    const r = net.readValue('c2', 'P2');
    expect(r).toMatchObject({
      ok: false,
      certain: true,
      away: 'c3',
      error: expect.stringMatching(/^page P2 unavailable: its owner c3 has been away for \d+\.\d s$/),
    });
    // Every other page goes on.
    expect(outcome(net.writeValue('c2', 'P3', 'x'))).toEqual({ ok: true, value: 'x' });
    expect(outcome(net.readValue('c2', 'P1'))).toEqual({ ok: true, value: 'b' });
  });

  it('after which the acting CM fails too: the new CM knows c3 is away from the replies, and serves without waiting a lease', () => {
    const net = cluster();
    net.crash('c3');
    runTo(net, net.now + LEASE_GONE_MS + 200);
    expect(net.cm('cm1').snapshot().away).toEqual([{ id: 'c3', forMs: expect.any(Number) }]);
    net.crash('cm1');
    const crashedAt = net.now;
    // cm2 takes over after its pulses go unanswered; c1 and c2 report, c3 is away already.
    runTo(net, crashedAt + 600);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    expect(net.cm('cm2').snapshot()).toMatchObject({ unreported: [], away: [{ id: 'c3', forMs: expect.any(Number) }] });
    expect(net.logs.filter((l) => l.node === 'cm2' && l.text.includes('c3')).map((l) => l.text)).toEqual([
      'cm2 deems c3 away: cm1 deemed it away before this takeover, its copies no longer hold up writes',
    ]);
    const writeId = net.write('c1', 'P1', 'c');
    runTo(net, crashedAt + 600 + T.retryIntervalMs);
    expect(outcome(net.result('c1', writeId))).toEqual({ ok: true, value: 'c' });
    // P2, which the standby's record says c3 owned, fails naming c3. A page nobody ever wrote
    // reads as empty: cm1 would have granted it to c3 only once the standby had that on record.
    expect(net.readValue('c2', 'P2')).toMatchObject({ ok: false, away: 'c3', error: expect.stringContaining('holder on record') });
    expect(outcome(net.readValue('c2', 'P9'))).toEqual({ ok: true, value: null });
    expect(outcome(net.writeValue('c2', 'P9', 'n'))).toEqual({ ok: true, value: 'n' });
  });

  it('and the acting CM fails before any reply told the standby: the new CM waits for its report at most a lease, then serves', () => {
    const net = cluster();
    net.crash('c3');
    // cm1 deems c3 away on a tick, and fails before answering another pulse.
    const leftAt = net.now;
    for (let t = leftAt + 10; t <= leftAt + 2 * LEASE_GONE_MS && net.cm('cm1').snapshot().away.length === 0; t += 10) {
      net.deliverAll();
      net.tick(t);
    }
    expect(net.cm('cm1').snapshot().away).toEqual([{ id: 'c3', forMs: 0 }]);
    net.crash('cm1');
    const crashedAt = net.now;
    runTo(net, crashedAt + 600);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    expect(net.cm('cm2').snapshot().unreported).toEqual(['c3']);
    const writeId = net.write('c1', 'P1', 'c');
    // Unlike the takeover above, this one waits: for all cm2 knows, c3 may hold a lease cm1 granted.
    runTo(net, crashedAt + LEASE_GONE_MS);
    expect(net.result('c1', writeId)).toBeUndefined();
    runTo(net, crashedAt + 600 + LEASE_GONE_MS + 300);
    expect(outcome(net.result('c1', writeId))).toEqual({ ok: true, value: 'c' });
    expect(net.cm('cm2').snapshot().unreported).toEqual([]);
  });

  it('while a page it handed on was lost by its receiver: the page fails naming it, not held up by the given-up write', () => {
    const net = cluster();
    // c3's write of P1 (c1 owns it): c1 hands the page on, and c3 crashes before it arrives.
    net.write('c3', 'P1', 'c');
    net.deliverAllMatching((m) => !(m.type === 'PAGE' && m.to === 'c3'));
    net.take((m) => m.type === 'PAGE' && m.to === 'c3');
    net.crash('c3');
    // The CM learns of the handoff from c1's report; the ghost it has c1 send again is lost too.
    runTo(net, net.now + 400);
    expect(net.page('cm1', 'P1')).toMatchObject({ owner: null, active: { kind: 'write', requester: 'c3', phase: 'forwarded' } });
    // c3 comes back without the page and without that write in flight; then c1 leaves for good.
    net.restartClient('c3', { withDisk: true });
    net.crash('c1');
    runTo(net, net.now + LEASE_GONE_MS + 300);
    // The page is with c1's ghost: it fails at once, naming c1, rather than waiting behind c3's write.
    const r = net.readValue('c2', 'P1');
    expect(r).toMatchObject({ ok: false, away: 'c1', error: expect.stringContaining('went away while handing it to c3') });
  });

  it('with a page the old CM had just granted it: the new CM never serves that page as unwritten, whatever the mirror says', () => {
    const net = cluster();
    // The standby's mirror learns of P5 with nobody owning it (c1 holds a read copy of it).
    expect(outcome(net.readValue('c1', 'P5'))).toEqual({ ok: true, value: null });
    runTo(net, net.now + 200);
    expect(
      net
        .cm('cm2')
        .snapshot()
        .pages.find((p) => p.page === 'P5'),
    ).toMatchObject({ owner: null });
    // cm1 grants P5 to c2 itself and c2 writes; cm1 fails before c2's confirmation reaches it.
    const writeId = net.write('c2', 'P5', 'x');
    net.deliverAllMatching((m) => m.type !== 'WRITE_CONFIRMATION');
    expect(outcome(net.result('c2', writeId))).toEqual({ ok: true, value: 'x' });
    net.crash('cm1');
    net.crash('c2');
    runTo(net, net.now + 600 + LEASE_GONE_MS + 300);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    // The standby had the grant on record before it left: P5 fails naming c2, rather than
    // reading as never written.
    expect(net.readValue('c3', 'P5')).toMatchObject({ ok: false, away: 'c2', error: expect.stringContaining('holder on record') });
  });
});

describe('the record a takeover starts from', () => {
  it('is incomplete after the standby restarted and never got a whole copy: unclaimed pages wait for every member', () => {
    const net = cluster();
    net.crash('c3');
    net.crash('cm2');
    net.restartCm('cm2', 'restartBackup');
    // cm2 pulses, but no reply reaches it before cm1 fails: it has no copy of cm1's record.
    const restartedAt = net.now;
    for (let t = restartedAt + 50; t <= restartedAt + 400; t += 50) {
      net.deliverAllMatching((m) => m.type !== 'PULSE_REPLY');
      net.dropAll((m) => m.type === 'PULSE_REPLY');
      net.tick(t);
    }
    net.crash('cm1');
    runTo(net, net.now + 600 + LEASE_GONE_MS + 300);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    expect(net.logs.some((l) => l.node === 'cm2' && l.text.includes('without a full record'))).toBe(true);
    // c3 may have been granted anything: a page nobody claims fails naming it, as before.
    expect(net.readValue('c1', 'P9')).toMatchObject({ ok: false, away: 'c3', error: expect.stringContaining('without a full record') });
    expect(outcome(net.readValue('c2', 'P1'))).toEqual({ ok: true, value: 'a' });
  });
});

describe('forget, the operator saying a member is gone for good', () => {
  it("declares what only it held lost: a read fails, a write starts the page over; others' pages go on", () => {
    const net = cluster();
    net.crash('c3');
    runTo(net, net.now + LEASE_GONE_MS + 200);
    expect(net.readValue('c1', 'P2')).toMatchObject({ ok: false, away: 'c3' });
    const answer = net.cm('cm1').forget('c3', net.now);
    expect(answer).toBe('forgot c3: declared lost: P2; a read of a lost page fails, a write starts it over');
    net.deliverAll();
    expect(net.cm('cm1').snapshot()).toMatchObject({ away: [], members: ['c1', 'c2'] });
    expect(net.readValue('c1', 'P2')).toMatchObject({ ok: false, error: 'page P2 lost with client c3' });
    expect(outcome(net.writeValue('c1', 'P2', 'again'))).toEqual({ ok: true, value: 'again' });
    expect(outcome(net.readValue('c2', 'P2'))).toEqual({ ok: true, value: 'again' });
    expect(outcome(net.readValue('c2', 'P1'))).toEqual({ ok: true, value: 'a' });
    expect(net.cm('cm1').forget('c7', net.now)).toBe('error: c7 is not a member of this cluster');
    expect(net.cm('cm2').forget('c1', net.now)).toMatch(/^error: cm2 is not the acting CM/);
  });

  it('of the backup CM: first writes, which wait for its record, go on without it', () => {
    const net = cluster();
    net.crash('cm2');
    const writeId = net.write('c1', 'P7', 'first');
    runTo(net, net.now + T.cmResendMs * (T.cmAttemptsMax + 2));
    expect(net.result('c1', writeId)).toMatchObject({
      ok: false,
      certain: true,
      error: expect.stringContaining('standby CM did not put this first write on record'),
    });
    // A page that has an owner needs no record: it moves by handoff.
    expect(outcome(net.writeValue('c2', 'P1', 'b'))).toEqual({ ok: true, value: 'b' });
    expect(net.cm('cm1').forget('cm2', net.now)).toMatch(/^forgot cm2: first writes no longer wait/);
    expect(outcome(net.writeValue('c1', 'P7', 'first'))).toEqual({ ok: true, value: 'first' });
  });
});

describe('a member that comes back', () => {
  it('rejoins without running an operation, though it follows a CM that is gone', () => {
    const net = cluster();
    // c3 is cut off while cm1 fails and cm2 takes over: it never hears of epoch 2.
    net.isolate('c3');
    net.crash('cm1');
    runTo(net, net.now + 600 + LEASE_GONE_MS + 200);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    expect(
      net
        .cm('cm2')
        .snapshot()
        .away.map((a) => a.id),
    ).toEqual(['c3']);
    expect(net.readValue('c1', 'P2')).toMatchObject({ ok: false, away: 'c3' });
    // Back, idle, heartbeating the dead cm1: cm2 tells it who acts within a lease, and its
    // report brings P2 back.
    net.heal('c3');
    runTo(net, net.now + T.leaseMs + 200);
    expect(net.client('c3').snapshot()).toMatchObject({ cm: 'cm2', epoch: 2 });
    expect(net.cm('cm2').snapshot().away).toEqual([]);
    expect(outcome(net.readValue('c1', 'P2'))).toEqual({ ok: true, value: 'z' });
  });

  it('gets no lease until it has reported, and brings its pages back into service', () => {
    const net = cluster();
    net.isolate('c3');
    runTo(net, net.now + LEASE_GONE_MS + 200);
    // c3's lease ran out: it dropped its copy of P1 and serves no read hit from it.
    expect(net.client('c3').entry('P1')).toBeUndefined();
    expect(net.client('c3').entry('P2')).toMatchObject({ owner: true });
    expect(outcome(net.writeValue('c1', 'P1', 'b'))).toEqual({ ok: true, value: 'b' });
    net.heal('c3');
    runTo(net, net.now + 500);
    expect(net.cm('cm1').snapshot().away).toEqual([]);
    // The CM's log tells both moments (the dashboard's failure log shows them).
    expect(net.logs.filter((l) => l.node === 'cm1' && l.text.includes('c3')).map((l) => l.text)).toEqual([
      'cm1 deems c3 away: silent past its lease, its copies no longer hold up writes',
      'cm1 hears from c3 again: it is back, and asked to report before it gets a lease',
    ]);
    expect(net.page('cm1', 'P2')).toMatchObject({ owner: 'c3', note: null });
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'b' });
    expect(outcome(net.readValue('c1', 'P2'))).toEqual({ ok: true, value: 'z' });
  });
  it('gets no lease until the standby knows it is back, so a takeover can never take it for away while it holds one', () => {
    const net = cluster();
    net.isolate('c3');
    runTo(net, net.now + LEASE_GONE_MS + 200);
    expect(net.cm('cm1').snapshot().away).toEqual([{ id: 'c3', forMs: expect.any(Number) }]);
    net.heal('c3');
    // c3 reports and asks for leases while cm1's replies to cm2 are held: cm1 may grant (its
    // role lease holds) and grants c1, but not c3, whom cm2 still knows as away.
    const held: Message[] = [];
    const healedAt = net.now;
    for (let t = healedAt + 10; t <= healedAt + 200; t += 10) {
      net.tick(t);
      net.deliverAllMatching((m) => m.type !== 'PULSE_REPLY');
      held.push(...net.dropAll((m) => m.type === 'PULSE_REPLY'));
    }
    expect(net.cm('cm1').snapshot()).toMatchObject({ away: [], unreported: [] });
    expect(net.client('c1').snapshot().leased).toBe(true);
    expect(net.client('c3').snapshot().leased).toBe(false);
    expect(held.length).toBeGreaterThan(0);
    // Once a reply sent after c3's return reached cm2 and cm2 said so, c3's lease comes.
    runTo(net, net.now + 300);
    expect(net.client('c3').snapshot().leased).toBe(true);
  });
});

describe('the right to grant leases', () => {
  it('lapses when the standby stops pulsing: copies then answer their read only, and hits stop', () => {
    const net = cluster();
    net.crash('cm2');
    runTo(net, net.now + LEASE_GONE_MS + 300);
    // cm1 cannot know that cm2 will not take over: no grant, so every lease ran out.
    expect(net.clientIds.map((id) => net.client(id).snapshot().leased)).toEqual([false, false, false]);
    expect(net.client('c3').entry('P1')).toBeUndefined();
    const before = net.delivered.length;
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'a' });
    expect(net.delivered.slice(before).some((l) => l.startsWith('c3->cm1 READ_REQUEST'))).toBe(true);
    // Nobody is deemed away for that: members keep sending heartbeats.
    expect(net.cm('cm1').snapshot().away).toEqual([]);
    // A restarted backup pulses again, and the leases come back.
    net.restartCm('cm2', 'restartBackup');
    runTo(net, net.now + 400);
    expect(net.clientIds.map((id) => net.client(id).snapshot().leased)).toEqual([true, true, true]);
  });
});

describe('a client that says a newer epoch exists', () => {
  it('makes a healthy acting CM ask the other CM, which denies it: nothing changes', () => {
    const net = cluster();
    net.inject({ type: 'READ_REQUEST', from: 'c2', to: 'cm1', epoch: 5, page: 'P1', req: 'c2:77' });
    runTo(net, net.now + 1000);
    expect(net.acting()).toEqual([{ id: 'cm1', epoch: 1 }]);
    expect(net.logs).toContainEqual({ node: 'cm1', level: 'info', text: 'cm1 asks cm2 whether it acts: c2 follows epoch 5' });
  });

  it('makes a fenced CM whose peer is gone act above that epoch, so that the clients follow it again', () => {
    const cm1 = new CentralManager({ id: 'cm1', start: 'primary', timing: TIMING_DEFAULTS, now: 0 });
    cm1.ready();
    cm1.step({ type: 'WRITE_REQUEST', from: 'c1', to: 'cm1', epoch: 2, page: 'P1', req: 'c1:1' }, 10);
    for (let t = 100; t <= 600; t += 100) cm1.tick(t);
    const r = cm1.ready();
    expect([cm1.currentRole, cm1.epoch]).toEqual(['acting', 3]);
    expect(r.messages.filter((m) => m.type === 'PULSE')).toHaveLength(3);
    expect(r.events).toContainEqual({
      type: 'log',
      level: 'warn',
      text: 'cm1 heard nothing from cm2, which clients follow at epoch 2: acting above it',
    });
  });
});

describe('a client and its lease', () => {
  it('serves hits from a copy only while the lease runs, and drops its copies when it runs out', () => {
    const c = new ClientNode({ id: 'c2', timing: TIMING_DEFAULTS });
    c.tick(0);
    const beat = c.ready().messages.find((m) => m.type === 'LEASE');
    expect(beat).toMatchObject({ type: 'LEASE', to: 'cm1', n: 1 });
    c.step({ type: 'LEASE_GRANT', from: 'cm1', to: 'c2', epoch: 1, n: 1, ms: 1000 }, 5);
    c.submit({ kind: 'read', page: 'P1' }, 10);
    c.ready();
    c.step({ type: 'PAGE', from: 'c1', to: 'c2', epoch: 1, page: 'P1', req: 'c2:1', access: 'read', content: 'x', version: 1 }, 20);
    c.ready();
    c.submit({ kind: 'read', page: 'P1' }, 500);
    expect(c.ready().events).toContainEqual(expect.objectContaining({ result: { ok: true, value: 'x', local: true } }));
    // Counted from the heartbeat's send time (0), on its own clock: gone at 1000.
    c.tick(1000);
    expect(c.entry('P1')).toBeUndefined();
    c.submit({ kind: 'read', page: 'P1' }, 1001);
    expect(c.ready().messages).toContainEqual(expect.objectContaining({ type: 'READ_REQUEST', page: 'P1' }));
  });

  it('takes a grant only from the CM it follows, and only for a heartbeat it sent', () => {
    const c = new ClientNode({ id: 'c2', timing: TIMING_DEFAULTS });
    c.tick(0);
    c.ready();
    c.step({ type: 'LEASE_GRANT', from: 'cm2', to: 'c2', epoch: 1, n: 1, ms: 1000 }, 5);
    c.step({ type: 'LEASE_GRANT', from: 'cm1', to: 'c2', epoch: 1, n: 99, ms: 1000 }, 5);
    expect(c.snapshot().leased).toBe(false);
  });
});
