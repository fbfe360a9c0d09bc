// CentralManager: driven directly (the test plays every client) for the fine-grained rules,
// and through the harness for a full scenario with real clients.
import { describe, it, expect } from 'vitest';
import type { PageId, ReqId, NodeId } from '../../src/protocol/ids.ts';
import { CentralManager } from '../../src/protocol/manager.ts';
import { CLUSTER_PAGES_MAX } from '../../src/protocol/limits.ts';
import type { Message } from '../../src/protocol/messages.ts';
import { Net, show } from '../support/stepped-net.ts';

const head = (from: NodeId, page: PageId, req: ReqId) => ({ from, to: 'cm1', epoch: 1, page, req });
const RQ = (from: NodeId, page: PageId, req: ReqId): Message => ({ type: 'READ_REQUEST', ...head(from, page, req) });
const WQ = (from: NodeId, page: PageId, req: ReqId): Message => ({ type: 'WRITE_REQUEST', ...head(from, page, req) });
const RC = (from: NodeId, page: PageId, req: ReqId): Message => ({ type: 'READ_CONFIRMATION', ...head(from, page, req) });
const IC = (from: NodeId, page: PageId, req: ReqId): Message => ({ type: 'INVALIDATE_CONFIRMATION', ...head(from, page, req) });
const WC = (from: NodeId, page: PageId, req: ReqId, version: number): Message => ({
  type: 'WRITE_CONFIRMATION',
  ...head(from, page, req),
  version,
});

/** Steps the CM with each message in turn and returns what the last step sent. */
function step(cm: CentralManager, ...ms: Message[]): string[] {
  let out: string[] = [];
  for (const m of ms) {
    cm.step(m, 0);
    out = cm.ready().messages.map(show);
  }
  return out;
}

function view(cm: CentralManager, page: PageId) {
  const p = cm.snapshot().pages.find((x) => x.page === page);
  return p && { owner: p.owner, copySet: p.copySet, version: p.version, active: p.active?.req ?? null, queued: p.queued };
}

/** A CM where c1 owns P1 (version 1) and `readers` hold read copies. */
/** The CM's view of one page in a stepped net, without the version. */
function pageView(net: Net, page: PageId): { owner: NodeId | null; copySet: NodeId[] } | undefined {
  const p = net.meta('cm1', page);
  return p && { owner: p.owner, copySet: p.copySet };
}

function ownedBy1(...readers: NodeId[]): CentralManager {
  const cm = new CentralManager();
  step(cm, WQ('c1', 'P1', 'c1:1'), WC('c1', 'P1', 'c1:1', 1));
  for (const r of readers) step(cm, RQ(r, 'P1', `${r}:1`), RC(r, 'P1', `${r}:1`));
  expect(view(cm, 'P1')).toMatchObject({ owner: 'c1', copySet: [...readers].sort(), active: null });
  return cm;
}

describe('CentralManager: reads', () => {
  it('answers a read of a never-written page itself with PAGE null; the reader is in the copy set after confirming', () => {
    const cm = new CentralManager();
    expect(step(cm, RQ('c2', 'P1', 'c2:1'))).toEqual(['cm1->c2 PAGE(RD) P1 c2:1 e1 null v0']);
    expect(view(cm, 'P1')).toMatchObject({ owner: null, active: 'c2:1' });
    expect(step(cm, RC('c2', 'P1', 'c2:1'))).toEqual([]);
    expect(view(cm, 'P1')).toEqual({ owner: null, copySet: ['c2'], version: 0, active: null, queued: [] });
  });

  it('sends READ_FORWARD to the owner naming the requester', () => {
    const cm = ownedBy1();
    expect(step(cm, RQ('c2', 'P1', 'c2:1'))).toEqual(['cm1->c1 READ_FORWARD(RF) P1 c2:1 e1 for c2']);
    step(cm, RC('c2', 'P1', 'c2:1'));
    expect(view(cm, 'P1')).toEqual({ owner: 'c1', copySet: ['c2'], version: 1, active: null, queued: [] });
  });

  it('keeps the copy set a sorted set: no duplicates, and never the owner', () => {
    const cm = ownedBy1('c3', 'c2');
    // c2 reads again (say it lost its copy to a stale INVALIDATE): it is not added twice.
    step(cm, RQ('c2', 'P1', 'c2:2'), RC('c2', 'P1', 'c2:2'));
    // The owner's own read goes to itself and does not put it in the copy set.
    expect(step(cm, RQ('c1', 'P1', 'c1:2'))).toEqual(['cm1->c1 READ_FORWARD(RF) P1 c1:2 e1 for c1']);
    step(cm, RC('c1', 'P1', 'c1:2'));
    expect(view(cm, 'P1')).toMatchObject({ owner: 'c1', copySet: ['c2', 'c3'], active: null });
  });
});

describe('CentralManager: writes', () => {
  it('invalidates every holder but the requester at once, and forwards only after the last confirmation', () => {
    const cm = ownedBy1('c2', 'c3', 'c4');
    // All INVALIDATEs leave in the one ready() after the request; none to the requester or owner.
    expect(step(cm, WQ('c3', 'P1', 'c3:2'))).toEqual(['cm1->c2 INVALIDATE(IV) P1 c3:2 e1', 'cm1->c4 INVALIDATE(IV) P1 c3:2 e1']);
    expect(cm.snapshot().pages[0]?.active).toEqual({ kind: 'write', req: 'c3:2', requester: 'c3', phase: 'invalidating' });
    expect(step(cm, IC('c4', 'P1', 'c3:2'))).toEqual([]);
    expect(cm.snapshot().pages[0]?.active?.phase).toBe('invalidating');
    expect(step(cm, IC('c2', 'P1', 'c3:2'))).toEqual(['cm1->c1 WRITE_FORWARD(WF) P1 c3:2 e1 for c3']);
    expect(cm.snapshot().pages[0]?.active?.phase).toBe('forwarded');
    // Confirmed holders left the copy set; the requester stays until it becomes the owner.
    expect(view(cm, 'P1')).toMatchObject({ owner: 'c1', copySet: ['c3'] });
  });

  it('records the writer as owner with an empty copy set and its version after WRITE_CONFIRMATION', () => {
    const cm = ownedBy1('c2', 'c3');
    step(cm, WQ('c3', 'P1', 'c3:2'), IC('c2', 'P1', 'c3:2'));
    expect(step(cm, WC('c3', 'P1', 'c3:2', 2))).toEqual([]);
    expect(view(cm, 'P1')).toEqual({ owner: 'c3', copySet: [], version: 2, active: null, queued: [] });
  });

  it('forwards at once when nobody else holds a copy', () => {
    const cm = ownedBy1();
    expect(step(cm, WQ('c2', 'P1', 'c2:1'))).toEqual(['cm1->c1 WRITE_FORWARD(WF) P1 c2:1 e1 for c2']);
    // The requester being the only copy holder needs no invalidation either.
    const cm2 = ownedBy1('c2');
    expect(step(cm2, WQ('c2', 'P1', 'c2:2'))).toEqual(['cm1->c1 WRITE_FORWARD(WF) P1 c2:2 e1 for c2']);
  });

  it("forwards the owner's own write to itself, after invalidating the readers", () => {
    const cm = ownedBy1('c2');
    expect(step(cm, WQ('c1', 'P1', 'c1:2'))).toEqual(['cm1->c2 INVALIDATE(IV) P1 c1:2 e1']);
    expect(step(cm, IC('c2', 'P1', 'c1:2'))).toEqual(['cm1->c1 WRITE_FORWARD(WF) P1 c1:2 e1 for c1']);
    step(cm, WC('c1', 'P1', 'c1:2', 2));
    expect(view(cm, 'P1')).toMatchObject({ owner: 'c1', copySet: [], version: 2 });
  });

  it('sends PAGE(write, null) itself for a page nobody owns, after invalidating its null readers', () => {
    const cm = new CentralManager();
    expect(step(cm, WQ('c1', 'P1', 'c1:1'))).toEqual(['cm1->c1 PAGE(WD) P1 c1:1 e1 null v0']);
    const cm2 = new CentralManager();
    step(cm2, RQ('c2', 'P1', 'c2:1'), RC('c2', 'P1', 'c2:1'));
    expect(step(cm2, WQ('c1', 'P1', 'c1:1'))).toEqual(['cm1->c2 INVALIDATE(IV) P1 c1:1 e1']);
    expect(step(cm2, IC('c2', 'P1', 'c1:1'))).toEqual(['cm1->c1 PAGE(WD) P1 c1:1 e1 null v0']);
  });
});

describe('CentralManager: queueing and idempotence', () => {
  it('serialises requests per page while another page proceeds in parallel', () => {
    const cm = ownedBy1();
    expect(step(cm, RQ('c2', 'P1', 'c2:1'))).toEqual(['cm1->c1 READ_FORWARD(RF) P1 c2:1 e1 for c2']);
    expect(step(cm, WQ('c3', 'P1', 'c3:1'))).toEqual([]);
    expect(view(cm, 'P1')).toMatchObject({ active: 'c2:1', queued: ['c3:1'] });
    // P2 does not wait for P1.
    expect(step(cm, RQ('c4', 'P2', 'c4:1'))).toEqual(['cm1->c4 PAGE(RD) P2 c4:1 e1 null v0']);
    // The write starts only when the read is confirmed, and it must invalidate the new reader.
    expect(step(cm, RC('c2', 'P1', 'c2:1'))).toEqual(['cm1->c2 INVALIDATE(IV) P1 c3:1 e1']);
    expect(view(cm, 'P1')).toMatchObject({ active: 'c3:1', queued: [] });
    expect(view(cm, 'P2')).toMatchObject({ active: 'c4:1' });
  });

  it('treats a repeated request id as a no-op while queued, while active and after completion', () => {
    const cm = ownedBy1();
    step(cm, RQ('c2', 'P1', 'c2:1'), WQ('c3', 'P1', 'c3:1'));
    // Active.
    expect(step(cm, RQ('c2', 'P1', 'c2:1'))).toEqual([]);
    // Queued.
    expect(step(cm, WQ('c3', 'P1', 'c3:1'))).toEqual([]);
    expect(view(cm, 'P1')).toMatchObject({ active: 'c2:1', queued: ['c3:1'] });
    // Completed: c3's write runs once; repeating either id afterwards changes nothing.
    step(cm, RC('c2', 'P1', 'c2:1'), IC('c2', 'P1', 'c3:1'), WC('c3', 'P1', 'c3:1', 2));
    const done = view(cm, 'P1');
    expect(done).toEqual({ owner: 'c3', copySet: [], version: 2, active: null, queued: [] });
    // A repeat after completion is answered (its client, done already, ignores the answer).
    expect(step(cm, WQ('c3', 'P1', 'c3:1'))).toEqual(['cm1->c3 REQUEST_FAILED(RX) P1 c3:1 e1']);
    expect(step(cm, RQ('c2', 'P1', 'c2:1'))).toEqual(['cm1->c2 REQUEST_FAILED(RX) P1 c2:1 e1']);
    expect(view(cm, 'P1')).toEqual(done);
    // A fresh id from the same client is served.
    expect(step(cm, RQ('c2', 'P1', 'c2:2'))).toEqual(['cm1->c3 READ_FORWARD(RF) P1 c2:2 e1 for c2']);
  });

  it('drops a request whose id names another client than its sender', () => {
    const cm = new CentralManager();
    cm.step(RQ('c2', 'P1', 'c3:1'), 0);
    const r = cm.ready();
    expect(r.messages).toEqual([]);
    expect(r.events).toEqual([{ type: 'log', level: 'warn', text: expect.stringContaining('c3:1') }]);
    expect(cm.snapshot().pages).toEqual([]);
    // The forged id does not stop c3's genuine request.
    expect(step(cm, RQ('c3', 'P1', 'c3:1'))).toEqual(['cm1->c3 PAGE(RD) P1 c3:1 e1 null v0']);
  });

  it('ignores read confirmations from the wrong node, for the wrong request, page or kind', () => {
    const cm = ownedBy1();
    step(cm, RQ('c2', 'P1', 'c2:1'), WQ('c3', 'P1', 'c3:1'));
    step(cm, RC('c3', 'P1', 'c2:1'), RC('c2', 'P1', 'c2:9'), RC('c2', 'P2', 'c2:1'), WC('c2', 'P1', 'c2:1', 7));
    expect(view(cm, 'P1')).toMatchObject({ owner: 'c1', version: 1, active: 'c2:1', queued: ['c3:1'] });
    expect(step(cm, RC('c2', 'P1', 'c2:1'))).toEqual(['cm1->c2 INVALIDATE(IV) P1 c3:1 e1']);
  });

  it('ignores invalidation confirmations from non-holders, for the wrong request, or repeated', () => {
    const cm = ownedBy1('c2', 'c4');
    step(cm, WQ('c3', 'P1', 'c3:1'));
    expect(
      step(cm, IC('c1', 'P1', 'c3:1'), IC('c3', 'P1', 'c3:1'), IC('c2', 'P1', 'c9:1'), IC('c2', 'P1', 'c3:1'), IC('c2', 'P1', 'c3:1')),
    ).toEqual([]);
    // A premature WRITE_CONFIRMATION while invalidating does not complete the write.
    step(cm, WC('c3', 'P1', 'c3:1', 2));
    expect(cm.snapshot().pages[0]?.active?.phase).toBe('invalidating');
    expect(view(cm, 'P1')).toMatchObject({ owner: 'c1', copySet: ['c4'], version: 1 });
    expect(step(cm, IC('c4', 'P1', 'c3:1'))).toEqual(['cm1->c1 WRITE_FORWARD(WF) P1 c3:1 e1 for c3']);
  });

  it('ignores a write confirmation from another node than the writer', () => {
    const cm = ownedBy1();
    step(cm, WQ('c2', 'P1', 'c2:1'), WC('c1', 'P1', 'c2:1', 5));
    expect(view(cm, 'P1')).toMatchObject({ owner: 'c1', version: 1, active: 'c2:1' });
  });

  it('drops messages only a client handles, with a warning', () => {
    const cm = new CentralManager();
    cm.step({ type: 'INVALIDATE', from: 'c1', to: 'cm1', epoch: 1, page: 'P1', req: 'c1:1' }, 0);
    const r = cm.ready();
    expect(r.messages).toEqual([]);
    expect(r.events.map((e) => e.type === 'log' && e.level)).toEqual(['warn']);
    expect(cm.snapshot().pages).toEqual([]);
  });
});

describe('CentralManager: the bound on pages', () => {
  it('refuses a page beyond CLUSTER_PAGES_MAX, from a request or a report, and leaves the directory as it was', () => {
    const cm = new CentralManager();
    for (let i = 0; i < CLUSTER_PAGES_MAX; i++) cm.step(RQ('c1', `P${i}`, `c1:${i + 1}`), 0);
    cm.ready();
    cm.step(RQ('c2', 'Pnew', 'c2:1'), 0);
    expect(cm.ready().messages).toEqual([
      expect.objectContaining({
        type: 'REQUEST_FAILED',
        to: 'c2',
        reason: `page Pnew refused: the cluster holds at most ${CLUSTER_PAGES_MAX} pages`,
      }),
    ]);
    // Pages it holds already go on.
    expect(step(cm, RQ('c2', 'P7', 'c2:2'))).toEqual([]);
    cm.step(
      {
        type: 'CLIENT_REPORT',
        answers: 1,
        from: 'c3',
        to: 'cm1',
        epoch: 1,
        pages: [{ page: 'Q1', access: 'write', owner: true, version: 1 }],
        inFlight: null,
        handoffs: [{ page: 'Q2', to: 'c1', req: 'c3:1', version: 1 }],
      },
      0,
    );
    const r = cm.ready();
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: 'log', text: expect.stringContaining("ignored 1 page(s) of c3's report") }),
    );
    const pages = cm.snapshot().pages.map((p) => p.page);
    expect(pages).toHaveLength(CLUSTER_PAGES_MAX);
    expect(pages).not.toContain('Q1');
    expect(pages).not.toContain('Q2');
  });
});

describe('CentralManager with real clients: c1 writes, c2 and c3 read, c3 writes, c1 reads', () => {
  it('moves ownership and copy sets as the protocol says at every stage', () => {
    const net = new Net({ clients: 3, backup: false });
    const entry = (c: NodeId) => net.client(c).entry('P1');

    // c1 writes a page nobody has written: the CM sends it the empty page.
    const w1 = net.write('c1', 'P1', 'v1');
    expect(net.pending()).toEqual(['c1->cm1 WRITE_REQUEST(WQ) P1 c1:1 e1']);
    net.deliverAll();
    expect(net.delivered).toEqual([
      'c1->cm1 WRITE_REQUEST(WQ) P1 c1:1 e1',
      'cm1->c1 PAGE(WD) P1 c1:1 e1 null v0',
      'c1->cm1 WRITE_CONFIRMATION(WC) P1 c1:1 e1 v1',
    ]);
    expect(net.result('c1', w1)).toEqual({ ok: true, value: 'v1', local: false });
    expect(pageView(net, 'P1')).toEqual({ owner: 'c1', copySet: [] });
    expect(entry('c1')).toEqual({ content: 'v1', version: 1, access: 'write', owner: true });

    // c2 reads: forwarded to the owner, which keeps a read copy. No CM here grants leases, so the
    // readers' copies answer their reads but are not kept (`unkept`).
    const r2 = net.read('c2', 'P1');
    net.deliverAll();
    expect(net.delivered.slice(3)).toEqual([
      'c2->cm1 READ_REQUEST(RQ) P1 c2:1 e1',
      'cm1->c1 READ_FORWARD(RF) P1 c2:1 e1 for c2',
      'c1->c2 PAGE(RD) P1 c2:1 e1 "v1" v1',
      'c2->cm1 READ_CONFIRMATION(RC) P1 c2:1 e1',
    ]);
    expect(net.result('c2', r2)).toEqual({ ok: true, value: 'v1', local: false, unkept: true });
    expect(pageView(net, 'P1')).toEqual({ owner: 'c1', copySet: ['c2'] });
    expect(entry('c1')).toMatchObject({ access: 'read', owner: true });

    // c3 reads too.
    const r3 = net.read('c3', 'P1');
    net.deliverAll();
    expect(net.result('c3', r3)).toEqual({ ok: true, value: 'v1', local: false, unkept: true });
    expect(pageView(net, 'P1')).toEqual({ owner: 'c1', copySet: ['c2', 'c3'] });

    // c3 writes: c2 is invalidated (not c3, the requester, nor c1, the owner), then c1 hands over.
    const w3 = net.write('c3', 'P1', 'v3');
    net.deliverTo('cm1');
    expect(net.pending()).toEqual(['cm1->c2 INVALIDATE(IV) P1 c3:2 e1']);
    net.deliverTo('c2');
    expect(entry('c2')).toBeUndefined();
    expect(net.pending()).toEqual(['c2->cm1 INVALIDATE_CONFIRMATION(IC) P1 c3:2 e1']);
    expect(pageView(net, 'P1')).toEqual({ owner: 'c1', copySet: ['c2', 'c3'] });
    net.deliverNext();
    expect(net.pending()).toEqual(['cm1->c1 WRITE_FORWARD(WF) P1 c3:2 e1 for c3']);
    expect(pageView(net, 'P1')).toEqual({ owner: 'c1', copySet: ['c3'] });
    net.deliverNext();
    expect(entry('c1')).toBeUndefined();
    expect(net.pending()).toEqual(['c1->c3 PAGE(WD) P1 c3:2 e1 "v1" v1']);
    net.deliverNext();
    expect(net.result('c3', w3)).toEqual({ ok: true, value: 'v3', local: false });
    expect(entry('c3')).toEqual({ content: 'v3', version: 2, access: 'write', owner: true });
    expect(pageView(net, 'P1')).toEqual({ owner: 'c1', copySet: ['c3'] });
    net.deliverNext();
    expect(net.pending()).toEqual([]);
    expect(pageView(net, 'P1')).toEqual({ owner: 'c3', copySet: [] });

    // c1 reads the new value from the new owner.
    const r1 = net.read('c1', 'P1');
    net.deliverAll();
    expect(net.result('c1', r1)).toEqual({ ok: true, value: 'v3', local: false, unkept: true });
    expect(pageView(net, 'P1')).toEqual({ owner: 'c3', copySet: ['c1'] });
    expect(entry('c3')).toMatchObject({ access: 'read', owner: true });
    expect(entry('c2')).toBeUndefined();

    // Nothing went astray on the way.
    expect(net.logs).toEqual([]);
    expect(
      net
        .cm('cm1')
        .snapshot()
        .pages.map((p) => p.version),
    ).toEqual([2]);
  });

  it('a second writer waits behind the first and reads its value, while another page runs in parallel', () => {
    const net = new Net({ clients: 3, backup: false });
    const a = net.write('c1', 'P1', 'a');
    const b = net.write('c2', 'P1', 'b');
    const c = net.write('c3', 'P2', 'c');
    net.deliverTo('cm1');
    net.deliverTo('cm1');
    net.deliverTo('cm1');
    // c1's write and c3's write (other page) are served; c2's waits in the P1 queue.
    expect(net.pending()).toEqual(['cm1->c1 PAGE(WD) P1 c1:1 e1 null v0', 'cm1->c3 PAGE(WD) P2 c3:1 e1 null v0']);
    expect(
      net
        .cm('cm1')
        .snapshot()
        .pages.find((p) => p.page === 'P1')?.queued,
    ).toEqual(['c2:1']);
    net.deliverAll();
    expect([net.result('c1', a), net.result('c2', b), net.result('c3', c)].map((r) => r?.ok)).toEqual([true, true, true]);
    expect(pageView(net, 'P1')).toEqual({ owner: 'c2', copySet: [] });
    expect(pageView(net, 'P2')).toEqual({ owner: 'c3', copySet: [] });
    expect(net.client('c2').entry('P1')).toEqual({ content: 'b', version: 2, access: 'write', owner: true });
    expect(net.client('c1').entry('P1')).toBeUndefined();
  });

  it('the harness can hold and drop messages', () => {
    const net = new Net({ clients: 2, backup: false });
    net.read('c1', 'P1');
    net.read('c2', 'P1');
    const held = net.take('c1->cm1');
    net.deliverAll();
    // c2 went first; c1's request has not reached the CM.
    expect(pageView(net, 'P1')).toEqual({ owner: null, copySet: ['c2'] });
    net.release(held);
    net.deliverAll();
    expect(pageView(net, 'P1')).toEqual({ owner: null, copySet: ['c1', 'c2'] });
    // A lost INVALIDATE_CONFIRMATION leaves the write stuck invalidating (no retry exists yet).
    net.write('c1', 'P1', 'x');
    net.deliverTo('cm1');
    net.deliverTo('c2');
    expect(net.pending()).toEqual(['c2->cm1 INVALIDATE_CONFIRMATION(IC) P1 c1:2 e1']);
    net.take('INVALIDATE_CONFIRMATION');
    net.deliverAll();
    expect(net.cm('cm1').snapshot().pages[0]?.active).toMatchObject({ req: 'c1:2', phase: 'invalidating' });
    expect(net.opsDone('c1').map((e) => e.kind)).toEqual(['read']);
  });
});

describe('a report written before a move it arrives after', () => {
  it('has no say on that page: the CM keeps the move and asks for a fresh report', () => {
    const cm = new CentralManager({ id: 'cm1', start: 'primary', members: ['c1', 'c2'], peerExists: false });
    const at = (t: number, m: Message): string[] => {
      cm.step(m, t);
      return cm.ready().messages.map(show);
    };
    cm.ready();
    at(0, WQ('c1', 'P1', 'c1:1'));
    at(1, WC('c1', 'P1', 'c1:1', 1));
    // c2's write is forwarded to c1, which is slow: cm1 forwards again and asks both to report.
    at(2, WQ('c2', 'P1', 'c2:1'));
    cm.tick(200);
    const asks = cm.ready().messages.filter((m) => m.type === 'CHANGE_CM' && m.to === 'c1');
    expect(asks).toEqual([expect.objectContaining({ ask: 1 })]);
    // c1 writes its report (it still owns P1), but the report is held up on its way; c1 then
    // hands P1 to c2 and falls silent. Once c1 is away, cm1 takes P1 as on its way to c2.
    const report: Message = {
      type: 'CLIENT_REPORT',
      from: 'c1',
      to: 'cm1',
      epoch: 1,
      answers: 1,
      pages: [{ page: 'P1', access: 'write', owner: true, version: 1 }],
      inFlight: null,
      handoffs: [],
    };
    for (let t = 250; t <= 1400; t += 50) {
      at(t, { type: 'LEASE', from: 'c2', to: 'cm1', epoch: 1, n: t });
      cm.tick(t);
      cm.ready();
    }
    expect(cm.snapshot().away.map((a) => a.id)).toEqual(['c1']);
    expect(view(cm, 'P1')).toMatchObject({ owner: null });
    // The held report arrives: it answers an ask from before the move, so it moves nothing.
    const out = at(1450, report);
    expect(view(cm, 'P1')).toMatchObject({ owner: null });
    expect(cm.snapshot().pages.find((p) => p.page === 'P1')?.note).toBe('ownership in transit to c2');
    expect(out.filter((l) => l.startsWith('cm1->c1 CHANGE_CM')).length).toBeGreaterThan(0);
  });
});
