// `replicas: 1`, stepped by hand: an owner's write is acknowledged only once the acting CM keeps
// a durable replica of it (and, with a standby in term, once the standby has it on record), nobody
// sees a version before that, and a page whose owner is forgotten comes back with its last
// acknowledged value instead of being lost.
import { describe, expect, it } from 'vitest';
import { DRIFT_MARGIN, type Replicas } from '../../src/protocol/config.ts';
import type { CmDurable } from '../../src/protocol/durable.ts';
import type { ClientDurable } from '../../src/protocol/client.ts';
import { Net, outcome, T } from '../support/stepped-net.ts';

const LEASE_GONE_MS = T.leaseMs * (1 + DRIFT_MARGIN);

/** cm1 acting with cm2 pulsing it, leases granted; c1 owns P1 ("a"), c3 owns P2 ("z"). */
function cluster(replicas: Replicas): Net {
  const net = new Net({ clients: 3, replicas });
  net.deliverAll();
  net.tick(0);
  net.deliverAll();
  net.tickUntil(100, 100, true);
  expect(outcome(net.writeValue('c1', 'P1', 'a'))).toEqual({ ok: true, value: 'a' });
  expect(outcome(net.writeValue('c3', 'P2', 'z'))).toEqual({ ok: true, value: 'z' });
  return net;
}

function runTo(net: Net, until: number): void {
  net.tickUntil(until, 50, true);
}

describe('with replicas: 1, an owner’s write', () => {
  it('is acknowledged once the CM and its standby keep it; the page serves nobody before', () => {
    const net = cluster(1);
    const w = net.write('c1', 'P1', 'b');
    // Stored before it leaves: the owner's disk has the version it asks the CM to keep.
    expect((net.disks.get('c1') as ClientDurable).owned).toEqual([{ page: 'P1', content: 'b', version: 2, access: 'write' }]);
    expect(net.pending()).toEqual(['c1->cm1 REPLICATE(RP) P1 c1:2 e1']);
    expect(net.result('c1', w)).toBeUndefined();
    // A reader's forward reaches the owner meanwhile: it is held, not answered with "b".
    const r = net.read('c2', 'P1');
    net.deliver('c2', 'cm1');
    expect(net.deliver('cm1', 'c1').type).toBe('READ_FORWARD');
    expect(net.pending()).toEqual(['c1->cm1 REPLICATE(RP) P1 c1:2 e1']);
    // The CM keeps the replica, and answers only once the standby says it has it too.
    net.deliver('c1', 'cm1');
    expect(net.pending()).toEqual(['cm1->cm2 PULSE_REPLY(PR) e1']);
    expect((net.disks.get('cm1') as CmDurable).replicas).toContainEqual({ page: 'P1', version: 2, content: 'b' });
    net.deliver('cm1', 'cm2');
    expect((net.disks.get('cm2') as CmDurable).replicas).toContainEqual({ page: 'P1', version: 2, content: 'b' });
    expect(net.pending()).toEqual(['cm2->cm1 PULSE(PU) e1']);
    net.deliver('cm2', 'cm1');
    expect(net.pending()).toEqual(['cm1->c1 REPLICA_ACK(RA) P1 c1:2 e1']);
    net.deliverAll();
    expect(outcome(net.result('c1', w))).toEqual({ ok: true, value: 'b' });
    expect(outcome(net.result('c2', r))).toEqual({ ok: true, value: 'b' });
  });

  it('that the CM never answers ends with an unknown outcome, and the page waits for its replica', () => {
    const net = cluster(1);
    net.isolate('cm1');
    net.isolate('cm2');
    const w = net.write('c1', 'P1', 'b');
    runTo(net, net.now + T.requestDeadlineMs + 100);
    expect(net.result('c1', w)).toMatchObject({ ok: false, certain: false, error: expect.stringMatching(/^write to P1 not acknowledged/) });
    // Its own read of the page waits too (its version is on c1 alone), and fails at its deadline.
    const r = net.read('c1', 'P1');
    runTo(net, net.now + T.requestDeadlineMs + 100);
    expect(net.result('c1', r)).toMatchObject({
      ok: false,
      certain: true,
      error: expect.stringMatching(/waits for the CM to keep a replica/),
    });
    net.heal('cm1');
    net.heal('cm2');
    runTo(net, net.now + 1000);
    expect(outcome(net.readValue('c1', 'P1'))).toEqual({ ok: true, value: 'b' });
    expect(outcome(net.readValue('c2', 'P1'))).toEqual({ ok: true, value: 'b' });
  });
});

describe('with replicas: 1, an owner that leaves for good', () => {
  it('leaves its pages with their last acknowledged values once the operator forgets it', () => {
    const net = cluster(1);
    expect(outcome(net.writeValue('c3', 'P2', 'z2'))).toEqual({ ok: true, value: 'z2' });
    net.crash('c3');
    runTo(net, net.now + LEASE_GONE_MS + 200);
    expect(net.readValue('c2', 'P2')).toMatchObject({ ok: false, away: 'c3' });
    expect(net.cm('cm1').forget('c3', net.now)).toBe('forgot c3: back from their replicas: P2');
    expect(outcome(net.readValue('c2', 'P2'))).toEqual({ ok: true, value: 'z2' });
    expect(net.logs.map((l) => l.text)).toContain('cm1 brings P2 back from its replica (v2): it was lost with c3');
    expect(outcome(net.writeValue('c1', 'P2', 'y'))).toEqual({ ok: true, value: 'y' });
    expect(outcome(net.readValue('c2', 'P2'))).toEqual({ ok: true, value: 'y' });
  });

  it('without replicas, loses them', () => {
    const net = cluster(0);
    net.crash('c3');
    runTo(net, net.now + LEASE_GONE_MS + 200);
    net.cm('cm1').forget('c3', net.now);
    expect(outcome(net.readValue('c2', 'P2'))).toEqual({ ok: false, certain: true, error: 'page P2 lost with client c3' });
  });

  it('after which the acting CM fails: the standby took over with the replica', () => {
    const net = cluster(1);
    net.crash('c3');
    net.crash('cm1');
    runTo(net, net.now + 600);
    expect(net.acting()).toEqual([{ id: 'cm2', epoch: 2 }]);
    runTo(net, net.now + LEASE_GONE_MS + 200);
    expect(net.cm('cm2').forget('c3', net.now)).toBe('forgot c3: back from their replicas: P2');
    expect(outcome(net.readValue('c2', 'P2'))).toEqual({ ok: true, value: 'z' });
    // The replica is on cm2's disk too: a restart of cm1 takes it back with the title.
    net.restartCm('cm1', 'restartCM');
    runTo(net, net.now + 600);
    expect(net.acting()).toEqual([{ id: 'cm1', epoch: 3 }]);
    expect(outcome(net.readValue('c1', 'P2'))).toEqual({ ok: true, value: 'z' });
  });
});

describe('with replicas: 1, the CM', () => {
  it('keeps a replica only from the page’s owner on record', () => {
    const net = cluster(1);
    net.inject({ type: 'REPLICATE', from: 'c2', to: 'cm1', epoch: 1, page: 'P1', req: 'c2:99', version: 7, content: 'forged' });
    net.deliverAll();
    expect(net.sent.filter((l) => l.includes('REPLICA_ACK') && l.includes('c2'))).toEqual([]);
    expect((net.disks.get('cm1') as CmDurable).replicas).toEqual([
      { page: 'P1', version: 1, content: 'a' },
      { page: 'P2', version: 1, content: 'z' },
    ]);
  });

  it('acknowledges again what a restarted owner holds, which serves nobody until then', () => {
    const net = cluster(1);
    net.crash('c1');
    net.restartClient('c1', { withDisk: true });
    expect(net.pending()).toContainEqual(expect.stringMatching(/^c1->cm1 REPLICATE\(RP\) P1 c1:\d+ e1$/));
    const r = net.read('c1', 'P1');
    expect(net.result('c1', r)).toBeUndefined();
    net.deliverAll();
    runTo(net, net.now + 200);
    expect(outcome(net.result('c1', r))).toEqual({ ok: true, value: 'a' });
  });
});
