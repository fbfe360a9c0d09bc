// Failover scenarios, stepped by hand: two CMs and three clients on FIFO links, every delivery,
// loss, delay, crash and restart written down in the test, time driven by tick(now). Timing is
// `T` from the helpers (pulse 100 ms x 3 misses, client retry 200 ms, deadline 5000 ms, CM
// re-send 150 ms x 8, queue deadline 4000 ms).
import { describe, expect, it } from 'vitest';
import type { ClientDurable } from '../../src/protocol/client.ts';
import type { ClientReport, Message } from '../../src/protocol/messages.ts';
import { Net, outcome, show, T, type NetOptions } from '../support/stepped-net.ts';

/** A settled cluster at t=0: clients reported to cm1 (epoch 1), cm2 pulsed once and mirrors it. */
function boot(opts: Partial<NetOptions> = {}): Net {
  const net = new Net({ clients: 3, ...opts });
  net.deliverAll();
  net.tick(0);
  net.deliverAll();
  expect(net.acting()).toEqual([{ id: 'cm1', epoch: 1 }]);
  expect(net.cm('cm2').currentRole).toBe('standby');
  expect(net.cm('cm2').epoch).toBe(1);
  return net;
}

/** Ticks every `step` ms up to `until`, delivering everything after each tick. */
function settleTo(net: Net, until: number, step = 50): void {
  net.tickUntil(until, step, true);
}

const isType = (type: Message['type'], from?: string, to?: string) => (m: Message) =>
  m.type === type && (from === undefined || m.from === from) && (to === undefined || m.to === to);

function clientEpochs(net: Net): Array<[string, string, number]> {
  return net.clientIds.map((id) => {
    const s = net.client(id).snapshot();
    return [id, s.cm, s.epoch];
  });
}

/** Drops the CHANGE_CM notices an acting CM sends a peer that does not pulse it. */
function dropCmNotices(net: Net): void {
  for (const line of net.pending().filter((l) => /^cm\d->cm\d CHANGE_CM/.test(l))) net.take(line);
}

// The plain takeover by the backup is a text scenario: testdata/scenarios/takeover.txt.

describe('failover: epoch fencing', () => {
  it('clients ignore READ_FORWARD / WRITE_FORWARD / INVALIDATE from the fenced cm1; cm1 steps down on hearing epoch 2', () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    // cm1 is only partitioned, not dead: it keeps acting under epoch 1.
    net.isolate('cm1');
    settleTo(net, 400, 100);
    expect(net.acting()).toEqual([
      { id: 'cm1', epoch: 1 },
      { id: 'cm2', epoch: 2 },
    ]);
    expect(clientEpochs(net).map(([, cm, e]) => `${cm}/${e}`)).toEqual(['cm2/2', 'cm2/2', 'cm2/2']);
    // Under epoch 2: c1 writes again (write access), c3 writes P2. cm2 acts with nobody pulsing
    // it (cm1 is cut off), so it grants no leases: c2's read of P2 is answered, its copy kept
    // only while the lease cm1 granted runs (cm2 has c2 in the copy set either way).
    expect(outcome(net.writeValue('c1', 'P1', 'a2'))).toEqual({ ok: true, value: 'a2' });
    net.writeValue('c3', 'P2', 'p');
    expect(outcome(net.readValue('c2', 'P2'))).toEqual({ ok: true, value: 'p' });
    expect(net.client('c2').entry('P2') !== undefined).toBe(net.client('c2').leasedAt(net.now));
    expect(net.meta('cm2', 'P2')?.copySet).toContain('c2');
    expect(net.pending()).toEqual([]);

    // The partition heals; orders cm1 sent under epoch 1 arrive late.
    net.heal('cm1');
    const before = net.clientIds.map((id) => net.client(id).snapshot());
    const e1 = { from: 'cm1', epoch: 1 } as const;
    net.inject({ type: 'READ_FORWARD', ...e1, to: 'c1', page: 'P1', req: 'c3:9', requester: 'c3' });
    net.inject({ type: 'WRITE_FORWARD', ...e1, to: 'c1', page: 'P1', req: 'c3:10', requester: 'c3' });
    net.inject({ type: 'WRITE_FORWARD', ...e1, to: 'c3', page: 'P2', req: 'c1:9', requester: 'c1' });
    net.inject({ type: 'INVALIDATE', ...e1, to: 'c2', page: 'P2', req: 'c1:9' });
    net.inject({ type: 'REQUEST_FAILED', ...e1, to: 'c2', page: 'P2', req: 'c2:9', reason: 'x', away: null });
    expect(net.pending()).toEqual([]);
    expect(net.clientIds.map((id) => net.client(id).snapshot())).toEqual(before);
    expect(net.client('c1').entry('P1')).toMatchObject({ access: 'write', owner: true, content: 'a2' });

    // c1's request to cm2 is lost twice, so its second retry (every other retry tries the other
    // CM identity) reaches cm1 with epoch 2. A client's word is not enough to depose a CM (a
    // forged frame could say anything): cm1 serves it under epoch 1, and c1 ignores the grant.
    const opId = net.read('c1', 'P3');
    net.take('c1->cm2 READ_REQUEST(RQ) P3 c1:2 e2');
    net.tick(net.now + 200);
    net.take('c1->cm2 READ_REQUEST(RQ) P3 c1:2 e2');
    net.tick(net.now + 200);
    // The CMs' notices to each other (each acts and hears no pulse) are lost here.
    dropCmNotices(net);
    expect(net.pending()).toEqual(['c1->cm1 READ_REQUEST(RQ) P3 c1:2 e2']);
    net.deliver('c1', 'cm1');
    expect(net.cm('cm1').snapshot()).toMatchObject({ role: 'acting', epoch: 1 });
    net.deliver('cm1', 'c1');
    expect(net.result('c1', opId)).toBeUndefined();
    // The next notice from cm2 gets through: cm1 hears epoch 2 from the other CM and steps down.
    net.tick(net.now + 100);
    net.deliverAllMatching(isType('CHANGE_CM', 'cm2', 'cm1'));
    expect(net.cm('cm1').snapshot()).toMatchObject({ role: 'standby', epoch: 2 });
    expect(net.logs).toContainEqual({ node: 'cm1', level: 'warn', text: 'cm1 steps down: epoch 2 is newer' });
    // The next retry finds cm2; cm1 stays a standby that pulses cm2 and never acts again.
    settleTo(net, net.now + 1000);
    expect(outcome(net.result('c1', opId))).toEqual({ ok: true, value: null });
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    expect(net.cm('cm1').currentRole).toBe('standby');
  });
});

describe('failover: operations caught mid-flight', () => {
  /** c1 owns P1 'a'; c2's write of 'b' reaches c1, whose PAGE to c2 is taken off the wire. */
  function writeInTransit(): { net: Net; opId: number; page: Message } {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    const opId = net.write('c2', 'P1', 'b');
    net.deliver('c2', 'cm1');
    expect(show(net.deliver('cm1', 'c1'))).toBe('cm1->c1 WRITE_FORWARD(WF) P1 c2:1 e1 for c2');
    const page = net.take('c1->c2 PAGE(WD) P1 c2:1 e1 "a" v1');
    expect(net.client('c1').entry('P1')).toBeUndefined();
    net.crash('cm1');
    settleTo(net, 300, 100);
    net.tick(400);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    return { net, opId, page };
  }

  it('a write PAGE delayed across the takeover: cm2 holds the page until the claim, then the requester owns it', () => {
    const { net, opId, page } = writeInTransit();
    net.deliverAllMatching(isType('CHANGE_CM'));
    // c1's report shows the handoff; c2's its write in flight.
    const reports = net.pendingMessages().filter(isType('CLIENT_REPORT')) as ClientReport[];
    expect(reports.find((r) => r.from === 'c1')).toMatchObject({
      pages: [],
      inFlight: null,
      handoffs: [{ page: 'P1', to: 'c2', req: 'c2:1', version: 1 }],
    });
    expect(reports.find((r) => r.from === 'c2')).toMatchObject({
      pages: [],
      inFlight: { req: 'c2:1', kind: 'write', page: 'P1' },
      handoffs: [],
    });
    net.deliverAll();
    expect(net.page('cm2', 'P1')).toMatchObject({
      owner: null,
      active: null,
      queued: ['c2:1'],
      note: 'ownership in transit to c2',
    });
    // A read meanwhile waits: nobody owns P1, and serving a null page would lose 'a'.
    const readId = net.read('c3', 'P1');
    net.deliverAll();
    expect(net.page('cm2', 'P1')).toMatchObject({ owner: null, queued: ['c2:1', 'c3:1'] });
    expect(net.result('c3', readId)).toBeUndefined();

    // The delayed PAGE (epoch 1) arrives: a write PAGE for the request in flight is installed.
    net.inject(page);
    expect(outcome(net.result('c2', opId))).toEqual({ ok: true, value: 'b' });
    expect(net.pending()).toEqual(['c2->cm2 WRITE_CONFIRMATION(WC) P1 c2:1 e2 v2']);
    net.deliverAll();
    expect(outcome(net.result('c3', readId))).toEqual({ ok: true, value: 'b' });
    expect(net.meta('cm2', 'P1')).toEqual({ owner: 'c2', copySet: ['c3'], version: 2 });
    expect(net.page('cm2', 'P1')).toMatchObject({ active: null, queued: [], note: null });
    // Nothing left to re-drive; c1 reads the new value too.
    settleTo(net, net.now + 500);
    expect(outcome(net.readValue('c1', 'P1'))).toEqual({ ok: true, value: 'b' });
    expect(net.opsDone('c2')).toHaveLength(1);
  });

  it('a write PAGE lost across the takeover: cm2 re-sends WRITE_FORWARD to the old owner, whose ghost repeats the page', () => {
    const { net, opId } = writeInTransit();
    net.deliverAll();
    expect(net.page('cm2', 'P1')).toMatchObject({ owner: null, note: 'ownership in transit to c2' });
    const mark = net.delivered.length;
    net.tick(450);
    net.deliverAll();
    expect(net.delivered.slice(mark)).toEqual(
      expect.arrayContaining([
        'cm2->c1 WRITE_FORWARD(WF) P1 c2:1 e2 for c2',
        'c1->c2 PAGE(WD) P1 c2:1 e2 "a" v1',
        'c2->cm2 WRITE_CONFIRMATION(WC) P1 c2:1 e2 v2',
      ]),
    );
    expect(outcome(net.result('c2', opId))).toEqual({ ok: true, value: 'b' });
    expect(net.meta('cm2', 'P1')).toEqual({ owner: 'c2', copySet: [], version: 2 });
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'b' });
  });

  it('a read PAGE granted under epoch 1 that arrives after the client adopted epoch 2 is ignored; the read is served again', () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    const readId = net.read('c2', 'P1');
    net.deliver('c2', 'cm1');
    net.deliver('cm1', 'c1');
    const stale = net.take('c1->c2 PAGE(RD) P1 c2:1 e1 "a" v1');
    net.crash('cm1');
    settleTo(net, 300, 100);
    net.tick(400);
    // c1 and c3 adopt epoch 2 and report; c3 writes 'b', which must invalidate the silent c2.
    net.deliver('cm2', 'c1');
    net.deliver('cm2', 'c3');
    net.deliver('c1', 'cm2');
    net.deliver('c3', 'cm2');
    const writeId = net.write('c3', 'P1', 'b');
    net.deliver('c3', 'cm2');
    expect(net.pending()).toContain('cm2->c2 INVALIDATE(IV) P1 c3:1 e2');
    // Everything flows until c3's write is done at c3 (the write happens there).
    while (net.result('c3', writeId) === undefined) {
      const next = net.pendingMessages()[0];
      if (!next) throw new Error('stuck');
      net.deliver(next.from, next.to);
    }
    expect(outcome(net.result('c3', writeId))).toEqual({ ok: true, value: 'b' });
    expect(net.client('c2').snapshot()).toMatchObject({ epoch: 2, inFlight: { req: 'c2:1', kind: 'read' } });

    // Now the epoch-1 copy of 'a' arrives: accepting it would read 'a' after 'b' was acknowledged.
    net.inject(stale);
    expect(net.result('c2', readId)).toBeUndefined();
    expect(net.logs).toContainEqual({ node: 'c2', level: 'warn', text: 'c2 ignored PAGE P1 c2:1: no such read in flight' });
    net.deliverAll();
    expect(outcome(net.result('c2', readId))).toEqual({ ok: true, value: 'b' });
    expect(net.delivered).toContain('c3->c2 PAGE(RD) P1 c2:1 e2 "b" v2');
    expect(net.opsDone('c2')).toHaveLength(1);
    expect(net.meta('cm2', 'P1')).toEqual({ owner: 'c3', copySet: ['c2'], version: 2 });
  });

  it('a write retried with the same id against the new CM takes effect exactly once', () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    const opId = net.write('c2', 'P1', 'b');
    net.deliver('c2', 'cm1');
    // cm1's forward is lost with cm1.
    net.take('cm1->c1 WRITE_FORWARD(WF) P1 c2:1 e1 for c2');
    net.crash('cm1');
    settleTo(net, 300, 100);
    net.tick(400);
    net.deliverAllMatching(isType('CHANGE_CM'));
    // c2 re-drives c2:1 twice at once: in its report and as a WRITE_REQUEST. Hold the latter.
    const dup = net.take('c2->cm2 WRITE_REQUEST(WQ) P1 c2:1 e2');
    net.deliverAllMatching(isType('CLIENT_REPORT'));
    expect(net.page('cm2', 'P1')).toMatchObject({ owner: 'c1', active: { req: 'c2:1', kind: 'write', phase: 'forwarded' } });
    // The forward is slow: cm2 re-sends it, and c2's timer retries c2:1 meanwhile.
    net.tick(450);
    net.tick(500);
    net.tick(700);
    net.inject(dup);
    const wf = net.pendingMessages().filter(isType('WRITE_FORWARD', 'cm2', 'c1'));
    expect(wf.length).toBeGreaterThanOrEqual(2);
    net.deliverAll();
    expect(outcome(net.result('c2', opId))).toEqual({ ok: true, value: 'b' });
    // c1 sent the page once and repeated it from its ghost; c2 installed it once, and confirmed
    // each repeat again with the version it holds (a CM that missed the first hears it so).
    expect(net.delivered.filter((l) => l.startsWith('c1->c2 PAGE(WD) P1 c2:1'))).toHaveLength(wf.length);
    expect(net.delivered.filter((l) => l.startsWith('c2->cm2 WRITE_CONFIRMATION'))).toEqual(
      Array(wf.length).fill('c2->cm2 WRITE_CONFIRMATION(WC) P1 c2:1 e2 v2'),
    );
    expect(net.client('c2').entry('P1')).toMatchObject({ content: 'b', version: 2, owner: true });
    // A retry that arrives after completion changes nothing; its answer is ignored by c2.
    net.inject(dup);
    expect(net.pending()).toEqual(['cm2->c2 REQUEST_FAILED(RX) P1 c2:1 e2']);
    settleTo(net, 1500);
    expect(net.meta('cm2', 'P1')).toEqual({ owner: 'c2', copySet: [], version: 2 });
    expect(net.opsDone('c2')).toHaveLength(1);
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'b' });
  });

  it('a write whose confirmation died with cm1 is not repeated: cm2 learns the owner from its report', () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    const opId = net.write('c2', 'P1', 'b');
    net.deliver('c2', 'cm1');
    net.deliver('cm1', 'c1');
    net.deliver('c1', 'c2');
    expect(outcome(net.result('c2', opId))).toEqual({ ok: true, value: 'b' });
    net.take('c2->cm1 WRITE_CONFIRMATION(WC) P1 c2:1 e1 v2');
    net.crash('cm1');
    settleTo(net, 400, 100);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    expect(net.meta('cm2', 'P1')).toEqual({ owner: 'c2', copySet: [], version: 2 });
    expect(net.page('cm2', 'P1')).toMatchObject({ active: null, queued: [], note: null });
    expect(outcome(net.readValue('c1', 'P1'))).toEqual({ ok: true, value: 'b' });
    expect(net.client('c2').entry('P1')).toMatchObject({ version: 2 });
  });
});

describe('failover: a request older than its client reported in flight', () => {
  it('is never served by the new CM: a forged one would hand the client a page it must refuse, stranding it', () => {
    const net = boot();
    // Ownership of P1 reached c1 under c1:1; c2 owns it now.
    net.writeValue('c1', 'P1', 'a');
    net.writeValue('c2', 'P1', 'b');
    net.writeValue('c3', 'P2', 'p');
    // cm1 fails while c1 writes P2 (c1:2). cm2 takes over; c2 and c3 report first.
    net.crash('cm1');
    const opId = net.write('c1', 'P2', 'q');
    for (let t = 100; t <= 500 && net.acting()[0]?.id !== 'cm2'; t += 100) {
      net.tick(t);
      net.deliverAllMatching((m) => m.type !== 'CHANGE_CM');
    }
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    net.deliverAllMatching((m) => m.to !== 'c1' && m.from !== 'c1');
    // c1 reports c1:2 in flight, and cm2 forwards it to P2's owner.
    net.deliverAllMatching((m) => m.type === 'CHANGE_CM' || m.type === 'CLIENT_REPORT');
    expect(net.pending()).toContain('cm2->c3 WRITE_FORWARD(WF) P2 c1:2 e2 for c1');
    // A frame on c1's link asks in its name, under the new epoch, for the write it made first.
    net.inject({ type: 'WRITE_REQUEST', from: 'c1', to: 'cm2', epoch: 2, page: 'P1', req: 'c1:1' });
    // c1 gave up every request before c1:2: P1 stays with c2, and c1:2 completes.
    expect(net.pending().filter((l) => l.includes('P1 c1:1'))).toEqual(['cm2->c1 REQUEST_FAILED(RX) P1 c1:1 e2']);
    settleTo(net, net.now + 300);
    expect(outcome(net.result('c1', opId))).toEqual({ ok: true, value: 'q' });
    expect(net.meta('cm2', 'P1')).toMatchObject({ owner: 'c2' });
    expect(net.client('c2').entry('P1')).toMatchObject({ owner: true, content: 'b' });
  });
});

describe('failover: restartCM hands the title back', () => {
  it('cm1 reboots from its durable epoch, sends IM_BACK; cm2 answers CM_STATE and stands by; cm1 acts under epoch 3', () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    net.crash('cm1');
    settleTo(net, 400, 100);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    expect(outcome(net.writeValue('c2', 'P1', 'b'))).toEqual({ ok: true, value: 'b' });
    expect(net.disks.get('cm1')).toEqual({ epoch: 1, members: ['c1', 'c2', 'c3'] });

    net.tick(1000);
    net.restartCm('cm1', 'restartCM');
    expect(net.cm('cm1').currentRole).toBe('rejoining');
    dropCmNotices(net);
    expect(net.pending()).toEqual(['cm1->cm2 IM_BACK(IB) e1']);
    net.deliver('cm1', 'cm2');
    expect(net.cm('cm2').currentRole).toBe('standby');
    const state = net.pendingMessages()[0];
    expect(state).toMatchObject({
      type: 'CM_STATE',
      from: 'cm2',
      to: 'cm1',
      epoch: 2,
      members: ['c1', 'c2', 'c3'],
      meta: [{ page: 'P1', owner: 'c2', copySet: [], version: 2 }],
    });
    net.deliver('cm2', 'cm1');
    expect(net.acting()).toEqual([{ id: 'cm1', epoch: 3 }]);
    expect(net.pending()).toEqual(['cm1->c1 CHANGE_CM(CC) e3', 'cm1->c2 CHANGE_CM(CC) e3', 'cm1->c3 CHANGE_CM(CC) e3']);
    net.deliverAll();
    expect(clientEpochs(net)).toEqual([
      ['c1', 'cm1', 3],
      ['c2', 'cm1', 3],
      ['c3', 'cm1', 3],
    ]);
    expect(net.cm('cm1').snapshot().unreported).toEqual([]);
    expect(net.meta('cm1', 'P1')).toEqual({ owner: 'c2', copySet: [], version: 2 });
    expect(net.disks.get('cm1')).toMatchObject({ epoch: 3 });

    // cm2 resumes pulsing, learns epoch 3 and stays standby; cm1 serves.
    settleTo(net, 1500);
    expect(net.cm('cm2').snapshot()).toMatchObject({ role: 'standby', epoch: 3 });
    const mark = net.delivered.length;
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'b' });
    expect(net.delivered.slice(mark)).toContain('cm1->c2 READ_FORWARD(RF) P1 c3:1 e3 for c3');
    // The standby's mirror learns of the new copy from the reply to its next pulse.
    expect(net.meta('cm2', 'P1')).toEqual({ owner: 'c2', copySet: [], version: 2 });
    settleTo(net, net.now + T.pulseIntervalMs);
    expect(net.meta('cm2', 'P1')).toEqual({ owner: 'c2', copySet: ['c3'], version: 2 });
    expect(net.acting()).toEqual([{ id: 'cm1', epoch: 3 }]);
  });
});

describe('failover: both CMs down', () => {
  it('a request fails certainly with "no central manager reachable"; a rebooted backup recovers and the acknowledged write reads back', () => {
    const net = boot();
    expect(outcome(net.writeValue('c1', 'P1', 'a'))).toEqual({ ok: true, value: 'a' });
    settleTo(net, 1000, 100);
    net.crash('cm1');
    net.crash('cm2');
    const opId = net.write('c2', 'P1', 'lost');
    settleTo(net, 5950);
    expect(net.result('c2', opId)).toBeUndefined();
    // Retries alternate between the two identities.
    expect(net.sent.filter((l) => l.startsWith('c2->cm1 WRITE_REQUEST')).length).toBeGreaterThan(5);
    expect(net.sent.filter((l) => l.startsWith('c2->cm2 WRITE_REQUEST')).length).toBeGreaterThan(5);
    net.tick(6000);
    expect(net.result('c2', opId)).toEqual({ ok: false, error: 'no central manager reachable', certain: true });

    // The backup reboots with no primary to pulse: it takes over after the silence.
    net.restartCm('cm2', 'restartBackup');
    expect(net.cm('cm2').currentRole).toBe('standby');
    settleTo(net, 6300);
    expect(net.acting()).toEqual([]);
    settleTo(net, 6350);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    expect(clientEpochs(net).map(([, cm, e]) => `${cm}/${e}`)).toEqual(['cm2/2', 'cm2/2', 'cm2/2']);
    expect(net.meta('cm2', 'P1')).toEqual({ owner: 'c1', copySet: [], version: 1 });
    // The failed write did not happen; the acknowledged one is there.
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'a' });
    expect(outcome(net.readValue('c2', 'P1'))).toEqual({ ok: true, value: 'a' });
    expect(outcome(net.writeValue('c2', 'P1', 'c'))).toEqual({ ok: true, value: 'c' });
    expect(outcome(net.readValue('c1', 'P1'))).toEqual({ ok: true, value: 'c' });
  });

  it('a rebooted primary with nobody to answer IM_BACK takes over after the silence, under epoch 3', () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    net.crash('cm1');
    settleTo(net, 400, 100);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    net.crash('cm2');
    net.tick(500);
    net.restartCm('cm1', 'restartCM');
    net.deliverAll();
    // IM_BACK at 500, 600 and 700 go unanswered; when the fourth is due cm1 acts.
    net.tick(600);
    net.tick(700);
    net.tick(799);
    expect(net.cm('cm1').currentRole).toBe('rejoining');
    net.tick(800);
    // cm1 only knew epoch 1 (its disk); 3 is still higher than cm2's 2 by parity.
    expect(net.acting()).toEqual([{ id: 'cm1', epoch: 3 }]);
    net.deliverAll();
    expect(clientEpochs(net).map(([, cm, e]) => `${cm}/${e}`)).toEqual(['cm1/3', 'cm1/3', 'cm1/3']);
    expect(outcome(net.readValue('c2', 'P1'))).toEqual({ ok: true, value: 'a' });
  });
});

describe('failover: client crash and restart', () => {
  it('a client restarted from its disk keeps its owned pages, and a write forwarded to it while down completes', () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    net.writeValue('c1', 'P2', 'p2');
    const opId = net.write('c2', 'P1', 'b');
    net.deliver('c2', 'cm1');
    net.crash('c1');
    net.deliverAll(); // the WRITE_FORWARD is lost with c1
    settleTo(net, 400);
    expect(net.result('c2', opId)).toBeUndefined();
    expect(net.page('cm1', 'P1')).toMatchObject({ owner: 'c1', active: { req: 'c2:1', phase: 'forwarded' } });

    const disk = net.disks.get('c1') as ClientDurable;
    expect(disk.owned.map((p) => [p.page, p.content])).toEqual([
      ['P1', 'a'],
      ['P2', 'p2'],
    ]);
    net.restartClient('c1', { withDisk: true });
    // Back with read access only: whether it lent copies before the crash is not on its disk.
    expect(net.client('c1').entry('P2')).toMatchObject({ content: 'p2', owner: true, access: 'read' });
    settleTo(net, 700);
    expect(outcome(net.result('c2', opId))).toEqual({ ok: true, value: 'b' });
    expect(net.meta('cm1', 'P1')).toEqual({ owner: 'c2', copySet: [], version: 2 });
    expect(net.client('c1').entry('P1')).toBeUndefined();
    expect(net.result('c1', net.read('c1', 'P2'))).toEqual({ ok: true, value: 'p2', local: true });
    expect(outcome(net.readValue('c3', 'P2'))).toEqual({ ok: true, value: 'p2' });
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'b' });
  });

  it("a requester that crashed before its write PAGE arrived gets the page again from the old owner's ghost", () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    net.write('c2', 'P1', 'b');
    net.deliver('c2', 'cm1');
    net.deliver('cm1', 'c1');
    net.crash('c2');
    // The PAGE dies with c2: ownership left c1 and is nowhere.
    expect(show(net.deliver('c1', 'c2'))).toBe('c1->c2 PAGE(WD) P1 c2:1 e1 "a" v1');
    expect(net.client('c1').entry('P1')).toBeUndefined();
    // Its disk has reserved its request number, so the PAGE for it, when it comes again, is taken.
    expect((net.disks.get('c2') as ClientDurable).seq).toBeGreaterThanOrEqual(1);
    net.tick(100);
    net.restartClient('c2', { withDisk: true });
    net.deliverAll();
    settleTo(net, 1000);
    // c2 holds the page's data but did not write (its operation died with it).
    expect(net.client('c2').entry('P1')).toMatchObject({ content: 'a', owner: true, version: 1 });
    expect(net.page('cm1', 'P1')).toMatchObject({ owner: 'c2', active: null, queued: [], note: null });
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'a' });
    expect(outcome(net.writeValue('c1', 'P1', 'c'))).toEqual({ ok: true, value: 'c' });
    expect(outcome(net.readValue('c2', 'P1'))).toEqual({ ok: true, value: 'c' });
  });

  it("the restarted requester's claim of the ghost page completes the transfer, though its version is no higher", () => {
    // The exact exchange of the test above. The claim c2 sends for a page it installs without
    // writing carries the version it received (v1), the same the CM has for the old owner c1.
    // It answers the write the CM forwarded, so it is taken as it is: the version is no test.
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    net.write('c2', 'P1', 'b');
    net.deliver('c2', 'cm1');
    net.deliver('cm1', 'c1');
    net.crash('c2');
    net.deliver('c1', 'c2');
    net.restartClient('c2', { withDisk: true });
    net.deliverAll();
    net.tick(150);
    net.deliverAllMatching(isType('WRITE_FORWARD'));
    net.deliverAllMatching(isType('PAGE'));
    expect(net.pending()).toContain('c2->cm1 WRITE_CONFIRMATION(WC) P1 c2:1 e1 v1');
    net.deliverAllMatching(isType('WRITE_CONFIRMATION'));
    expect(net.page('cm1', 'P1')).toMatchObject({ owner: 'c2', version: 1, active: null, queued: [] });
    net.deliverAll();
    settleTo(net, 600);
    expect(net.page('cm1', 'P1')).toMatchObject({ owner: 'c2', version: 1, active: null, queued: [] });
  });
});

describe('failover: a client restarted without its disk', () => {
  /** c1 is P1's only owner ('a', v1), crashes and comes back blank (announcing itself). */
  function blankOwner(announce: boolean): Net {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    net.crash('c1');
    net.restartClient('c1', { withDisk: false, announce });
    net.deliverAll();
    return net;
  }

  it('reads of a page whose only copy died with it fail with "page P1 lost with client c1"; a write re-creates it', () => {
    const net = blankOwner(true);
    expect(net.page('cm1', 'P1')).toMatchObject({ owner: null, note: 'lost with c1' });
    const lost = { ok: false, error: 'page P1 lost with client c1', certain: true };
    expect(net.readValue('c2', 'P1')).toEqual(lost);
    expect(net.readValue('c3', 'P1')).toEqual(lost);
    // A write re-creates the page from nothing, as a first write would.
    expect(outcome(net.writeValue('c3', 'P1', 'new'))).toEqual({ ok: true, value: 'new' });
    expect(outcome(net.readValue('c2', 'P1'))).toEqual({ ok: true, value: 'new' });
  });

  // Regression: a blank client once numbered its requests from 1 again and the CM dropped
  // every id it had already served, silently; now hosts pass seqStart and the CM answers.
  it("the blank owner's own read of the lost page is answered (request ids reused after a blank restart are dropped)", () => {
    const net = blankOwner(true);
    const r = net.readValue('c1', 'P1');
    expect(r).toEqual({ ok: false, error: 'page P1 lost with client c1', certain: true });
  });

  // Regression: without the announce report the CM learns of the loss from the report it asks
  // for on its first re-send; the read in flight must then fail with the loss, not a timeout.
  it('a read in flight when the CM learns the page is lost fails with "page P1 lost with client c1"', () => {
    const net = blankOwner(false);
    expect(net.pending()).toEqual([]);
    const r = net.readValue('c2', 'P1');
    expect(r).toEqual({ ok: false, error: 'page P1 lost with client c1', certain: true });
  });

  // Regression (safety): a reused request id once matched an old ghost at the page's current
  // owner, which re-sent the stale page and kept its own: two owners. Now ids never repeat
  // (seqStart) and an owner ignores a forward whose ghost it has outlived.
  it("a blank client's reused request id never makes a second owner out of an old ghost", () => {
    const net = boot();
    net.writeValue('c2', 'P1', 'a');
    net.writeValue('c1', 'P1', 'x');
    net.writeValue('c2', 'P1', 'y');
    net.crash('cm1');
    settleTo(net, 400, 100);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    net.crash('c1');
    net.restartClient('c1', { withDisk: false, announce: true });
    net.deliverAll();
    const opId = net.write('c1', 'P1', 'z');
    settleTo(net, net.now + 1000);
    const owners = net.clientIds.filter((id) => net.client(id).entry('P1')?.owner);
    expect(net.result('c1', opId)?.ok).toBe(true);
    expect(owners).toHaveLength(1);
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'z' });
  });
});

describe("periodic replication (the seed's scheme) is unsafe", () => {
  /** c1 writes 'a'; cm2 snapshots; c3 then reads a copy; cm1 dies before the next snapshot. */
  function staleSnapshot(replication: 'periodic' | 'streaming'): Net {
    const net = boot({ replication });
    net.writeValue('c1', 'P1', 'a');
    settleTo(net, 100, 100);
    expect(net.meta('cm2', 'P1')).toEqual({ owner: 'c1', copySet: [], version: 1 });
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'a' });
    expect(net.meta('cm1', 'P1')).toEqual({ owner: 'c1', copySet: ['c3'], version: 1 });
    net.crash('cm1');
    settleTo(net, 500, 100);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    expect(outcome(net.writeValue('c2', 'P1', 'b'))).toEqual({ ok: true, value: 'b' });
    return net;
  }

  it('periodic: the takeover trusts a snapshot without c3\'s copy, the write skips it, c3 reads "a" after "b" was acknowledged', () => {
    const net = staleSnapshot('periodic');
    expect(net.delivered.some((l) => l.startsWith('cm2->c3 INVALIDATE'))).toBe(false);
    expect(net.meta('cm2', 'P1')).toEqual({ owner: 'c2', copySet: [], version: 2 });
    // A stale read: not linearizable.
    expect(net.result('c3', net.read('c3', 'P1'))).toEqual({ ok: true, value: 'a', local: true });
  });

  it('streaming (the default): the same run invalidates c3 and reads "b"', () => {
    const net = staleSnapshot('streaming');
    expect(net.delivered).toContain('cm2->c3 INVALIDATE(IV) P1 c2:1 e2');
    expect(outcome(net.readValue('c3', 'P1'))).toEqual({ ok: true, value: 'b' });
  });
});

// Keeps the timing the scenarios' arithmetic relies on in sight.
it('scenario timing', () => {
  expect(T).toMatchObject({ pulseIntervalMs: 100, pulseMissesMax: 3, retryIntervalMs: 200, requestDeadlineMs: 5000, cmResendMs: 150 });
});
