// What a client commits, and what it comes back with: the commits a fault costs decide what
// durability before acknowledgement costs in the browser (one IndexedDB transaction each), so
// each one left out must still leave a restarted client unable to serve a stale value or use a
// request number twice.
import { describe, expect, it, vi } from 'vitest';
import { SEQ_BLOCK, type ClientDurable } from '../../src/protocol/client.ts';
import type { ClientReport } from '../../src/protocol/messages.ts';
import { Net } from '../support/stepped-net.ts';

function boot(): Net {
  const net = new Net({ clients: 3 });
  net.deliverAll();
  net.tick(0);
  net.deliverAll();
  return net;
}

function commitsOf(net: Net, id: string): () => number {
  const set = vi.spyOn(net.disks, 'set');
  return () => set.mock.calls.filter(([who]) => who === id).length;
}

describe('what a client commits', () => {
  it('reserves request numbers a block at a time: a read fault by a reader costs it no commit', () => {
    const net = boot();
    expect(net.writeValue('c1', 'P1', 'a')).toMatchObject({ ok: true });
    const commits = commitsOf(net, 'c2');
    expect(net.readValue('c2', 'P1')).toMatchObject({ ok: true, value: 'a' });
    const first = commits();
    expect(first).toBe(1); // the block
    net.writeValue('c1', 'P1', 'b');
    expect(net.readValue('c2', 'P1')).toMatchObject({ ok: true, value: 'b' });
    expect(commits()).toBe(first);
    expect((net.disks.get('c2') as ClientDurable).seq).toBe(SEQ_BLOCK);
  });

  it('numbers a restarted client past its whole reserved block', () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    net.readValue('c1', 'P2');
    net.crash('c1');
    net.restartClient('c1', { withDisk: true });
    net.deliverAll();
    net.write('c1', 'P3', 'x');
    const request = net.pendingMessages().find((m) => m.type === 'WRITE_REQUEST' && m.from === 'c1');
    expect(request && 'req' in request ? request.req : null).toBe(`c1:${SEQ_BLOCK + 1}`);
  });

  it('an owner does not commit lending a read copy, and after a restart it asks before writing again', () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    const commits = commitsOf(net, 'c1');
    expect(net.readValue('c3', 'P1')).toMatchObject({ ok: true, value: 'a' });
    expect(commits()).toBe(0);
    // The disk still says write access; the copy c3 holds is not on it.
    expect((net.disks.get('c1') as ClientDurable).owned).toEqual([expect.objectContaining({ page: 'P1', access: 'write' })]);
    net.crash('c1');
    net.restartClient('c1', { withDisk: true });
    expect(net.client('c1').entry('P1')).toMatchObject({ owner: true, access: 'read', content: 'a' });
    net.deliverAll();
    // Its write goes through the CM, which invalidates c3's copy first: no stale read after it.
    expect(net.writeValue('c1', 'P1', 'b')).toMatchObject({ ok: true, value: 'b' });
    expect(net.delivered.some((l) => l.includes('cm1->c3 INVALIDATE') && l.includes('P1'))).toBe(true);
    expect(net.readValue('c3', 'P1')).toMatchObject({ ok: true, value: 'b' });
  });
});

describe('ownership against forged request numbers and claims', () => {
  it('takes the page that answers its write in flight though a forged transfer raised what it took', () => {
    const net = boot();
    net.writeValue('c2', 'P1', 'a');
    net.write('c1', 'P1', 'b');
    net.deliver('c1', 'cm1');
    net.deliver('cm1', 'c2');
    // A PAGE in c1's name under a far higher number arrives first (a frame a hostile link carried).
    net.inject({
      type: 'PAGE',
      from: 'c3',
      to: 'c1',
      epoch: 1,
      page: 'P1',
      req: 'c1:900000',
      access: 'write',
      content: 'forged',
      version: 7,
    });
    const answer = net.deliver('c2', 'c1');
    expect(answer).toMatchObject({ type: 'PAGE', req: 'c1:1' });
    net.deliverAll();
    expect(net.client('c1').entry('P1')).toMatchObject({ owner: true, content: 'b' });
  });

  it('sets aside a claim from the sender of the transfer on record when its own report lists that handoff', () => {
    const net = boot();
    net.writeValue('c1', 'P1', 'a');
    net.write('c2', 'P1', 'b');
    net.deliver('c2', 'cm1');
    net.deliver('cm1', 'c1');
    net.crash('c2');
    net.deliver('c1', 'c2'); // the PAGE dies with c2
    net.tick(200);
    net.deliverAll();
    expect(net.page('cm1', 'P1')).toMatchObject({ owner: null });
    const { handoffs } = net.disks.get('c1') as ClientDurable;
    expect(handoffs).toEqual([expect.objectContaining({ page: 'P1', to: 'c2', req: 'c2:1' })]);
    // c1's true report (no pages, that handoff) plus a claim of P1 on top.
    const forged: ClientReport = {
      type: 'CLIENT_REPORT',
      answers: 1,
      from: 'c1',
      to: 'cm1',
      epoch: 1,
      pages: [{ page: 'P1', access: 'write', owner: true, version: 5 }],
      inFlight: null,
      handoffs,
    };
    net.inject(forged);
    expect(net.meta('cm1', 'P1')?.owner).toBeNull();
    // c2 comes back and takes the page from c1's ghost: the transfer completes as it would have.
    net.restartClient('c2', { withDisk: true });
    net.tickUntil(1500, 50, true);
    expect(net.meta('cm1', 'P1')?.owner).toBe('c2');
    expect(net.readValue('c3', 'P1')).toMatchObject({ ok: true, value: 'a' });
  });
});
