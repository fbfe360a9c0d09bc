// The subtle branches of the CM's page directory, each driven on purpose and held to its coverage
// mark (src/util/marks.ts): most exist because a sweep seed once found the road without them
// (tests/sim/seeds-replicas.test.ts), and a seed that changes shape may stop reaching them. The
// test plays every client against one CM, frame by frame.
import { describe, expect, it } from 'vitest';
import type { NodeId, PageId, ReqId } from '../../src/protocol/ids.ts';
import { CentralManager } from '../../src/protocol/manager.ts';
import type { Handoff, HeldPage, Message } from '../../src/protocol/messages.ts';
import { checkMark, countMarks } from '../../src/util/marks.ts';
import { show } from '../support/stepped-net.ts';

/** A frame from a client, made when it is sent: under the epoch of the CM it goes to. */
type Frame = (epoch: number) => Message;

const MEMBERS = ['c1', 'c2', 'c3'];

/** A CM acting alone (basic Ivy: no standby, so no grant waits for a record), stepped by hand. */
class Cm {
  readonly cm: CentralManager;
  now = 0;
  /** The last ask (CHANGE_CM.ask) sent to each member: a report answering it is current. */
  private readonly asked = new Map<NodeId, number>();
  /** The failure reasons sent, in order. */
  readonly failures: string[] = [];

  constructor(cm = new CentralManager({ id: 'cm1', start: 'primary', members: MEMBERS, peerExists: false })) {
    this.cm = cm;
    cm.ready();
  }

  /** Steps each frame (sent under the CM's epoch) and returns what the CM sent meanwhile. */
  send(...ms: Frame[]): string[] {
    for (const m of ms) this.cm.step(m(this.cm.epoch), this.now);
    return this.drain();
  }

  tick(now: number): string[] {
    this.now = now;
    this.cm.tick(now);
    return this.drain();
  }

  /** The ask a report from `c` answers if it was written after the last one it got. */
  askOf(c: NodeId): number {
    return this.asked.get(c) ?? 0;
  }

  private drain(): string[] {
    const out = this.cm.ready().messages;
    for (const m of out) {
      if (m.type === 'CHANGE_CM') this.asked.set(m.to, m.ask);
      if (m.type === 'REQUEST_FAILED') this.failures.push(m.reason);
    }
    return out.filter((m) => m.type !== 'LEASE_GRANT').map(show);
  }

  forget(id: NodeId): string {
    const said = this.cm.forget(id, this.now);
    this.drain();
    return said;
  }

  page(page: PageId): { owner: NodeId | null; note: string | null | undefined } | undefined {
    const p = this.cm.snapshot().pages.find((x) => x.page === page);
    return p && { owner: p.owner, note: p.note };
  }
}

const head = (from: NodeId, page: PageId, req: ReqId, epoch: number) => ({ from, to: 'cm1', epoch, page, req });
const RQ =
  (from: NodeId, page: PageId, req: ReqId): Frame =>
  (e) => ({ type: 'READ_REQUEST', ...head(from, page, req, e) });
const WQ =
  (from: NodeId, page: PageId, req: ReqId): Frame =>
  (e) => ({ type: 'WRITE_REQUEST', ...head(from, page, req, e) });
const RC =
  (from: NodeId, page: PageId, req: ReqId): Frame =>
  (e) => ({ type: 'READ_CONFIRMATION', ...head(from, page, req, e) });
const WC =
  (from: NodeId, page: PageId, req: ReqId, version: number): Frame =>
  (e) => ({ type: 'WRITE_CONFIRMATION', ...head(from, page, req, e), version });
const LEASE =
  (from: NodeId, n: number): Frame =>
  (e) => ({ type: 'LEASE', from, to: 'cm1', epoch: e, n });
const REPLICATE =
  (from: NodeId, page: PageId, req: ReqId, version: number, content: string): Frame =>
  (e) => ({ type: 'REPLICATE', ...head(from, page, req, e), version, content });
const REPORT =
  (from: NodeId, answers: number, pages: HeldPage[] = [], handoffs: Handoff[] = []): Frame =>
  (e) => ({ type: 'CLIENT_REPORT', from, to: e % 2 === 1 ? 'cm1' : 'cm2', epoch: e, answers, pages, inFlight: null, handoffs });
const owns = (page: PageId, version: number): HeldPage => ({ page, access: 'write', owner: true, version });

/** c1 owns P1 at version 1 (its first write), which moved it at ask 0. */
function ownedByC1(): Cm {
  const cm = new Cm();
  expect(cm.send(WQ('c1', 'P1', 'c1:1'))).toEqual(['cm1->c1 PAGE(WD) P1 c1:1 e1 null v0']);
  cm.send(WC('c1', 'P1', 'c1:1', 1));
  expect(cm.page('P1')).toEqual({ owner: 'c1', note: null });
  return cm;
}

/** As ownedByC1, and c2 claimed P1 too (a forged or garbled report): its claim is set aside. */
function withRival(): Cm {
  const cm = ownedByC1();
  checkMark('directory.claim-set-aside', () => cm.send(REPORT('c2', 1, [owns('P1', 1)])));
  expect(cm.page('P1')).toEqual({ owner: 'c1', note: null });
  return cm;
}

describe('a claim of a page another member owns on record', () => {
  it('is set aside (the claimant becomes a rival), but a claim by the owner itself is not', () => {
    const cm = withRival();
    const hits = countMarks(() => cm.send(REPORT('c1', 1, [owns('P1', 1)])));
    expect(hits.get('directory.claim-set-aside')).toBeUndefined();
  });

  it('when the owner disowns the page, makes the CM ask the rival before declaring the page lost', () => {
    const cm = withRival();
    const asks = checkMark('directory.rivals-asked', () => {
      expect(cm.send(REPORT('c1', 1))).toEqual(['cm1->c2 CHANGE_CM(CC) e1']);
    });
    expect(asks).toBe(1);
    expect(cm.page('P1')).toEqual({ owner: null, note: 'asking c2, who claimed it, after c1 disowned it' });
    // The rival holds nothing either: only now is the page lost, with the member that disowned it.
    checkMark('directory.lost-after-rivals', () => cm.send(REPORT('c2', cm.askOf('c2'))));
    expect(cm.page('P1')).toEqual({ owner: null, note: 'lost with c1' });
    expect(cm.send(RQ('c3', 'P1', 'c3:1'))).toEqual(['cm1->c3 REQUEST_FAILED(RX) P1 c3:1 e1']);
    expect(cm.failures).toEqual(['page P1 lost with client c1']);
  });

  it('when the owner disowns the page and the rival does hold it, makes the rival its owner', () => {
    const cm = withRival();
    cm.send(REPORT('c1', 1));
    const hits = countMarks(() => cm.send(REPORT('c2', cm.askOf('c2'), [owns('P1', 1)])));
    expect(hits.get('directory.lost-after-rivals')).toBeUndefined();
    expect(cm.page('P1')).toEqual({ owner: 'c2', note: null });
  });

  it('when the owner is forgotten, is asked first; forgetting the rival too loses the page with it', () => {
    const cm = withRival();
    checkMark('directory.rivals-asked', () => expect(cm.forget('c1')).toBe('forgot c1: no page was only its'));
    expect(cm.page('P1')?.note).toBe('asking c2, who claimed it, after c1 disowned it');
    // Seed 145: c2 will never answer now. If it held the page, the page went with it.
    checkMark('directory.forgotten-while-asked', () => {
      expect(cm.forget('c2')).toBe('forgot c2: declared lost: P1; a read of a lost page fails, a write starts it over');
    });
    expect(cm.page('P1')).toEqual({ owner: null, note: 'lost with c2' });
  });
});

describe('a handoff to a forgotten member', () => {
  /** cm2 acting after cm1 fell silent, with no record (it never heard cm1's replies). */
  function tookOver(): Cm {
    const cm = new Cm(new CentralManager({ id: 'cm2', start: 'backup', members: MEMBERS }));
    for (let t = 100; cm.cm.currentRole !== 'acting'; t += 100) cm.tick(t);
    expect(cm.cm.epoch).toBe(2);
    return cm;
  }

  it('declares the page lost with the member it went to; told again, changes nothing', () => {
    const cm = tookOver();
    cm.forget('c3');
    // c1 handed P1 to c3 under cm1, which cm2 never heard of: the page went with c3.
    const handoff: Handoff = { page: 'P1', to: 'c3', req: 'c3:4', version: 1 };
    checkMark('directory.handoff-to-forgotten', () => cm.send(REPORT('c1', 1, [], [handoff])));
    cm.send(REPORT('c2', 1));
    expect(cm.page('P1')).toEqual({ owner: null, note: 'lost with c3' });
    // Seed 126: every report repeats the sender's last handoff; each one moved the page anew,
    // asking the sender again, which reported again: a storm of asks and reports.
    const hits = countMarks(() => expect(cm.send(REPORT('c1', 1, [], [handoff]))).toEqual([]));
    expect(hits.get('directory.handoff-to-forgotten-repeated')).toBe(1);
    expect(hits.get('directory.handoff-to-forgotten')).toBeUndefined();
    expect(cm.page('P1')).toEqual({ owner: null, note: 'lost with c3' });
  });
});

describe('a report that answers no ask since the page last moved', () => {
  it('has no say on the page; its sender is asked again at once, but at most once a resend interval', () => {
    const cm = ownedByC1();
    // Written before c1's write took the page (it answers ask 0, the page moved at ask 0): it
    // says c1 holds no P1, which may no longer be true.
    checkMark('directory.report-predates-move', () => {
      expect(cm.send(REPORT('c1', 0))).toEqual(['cm1->c1 CHANGE_CM(CC) e1']);
    });
    expect(cm.page('P1')).toEqual({ owner: 'c1', note: "asking c1 again: its report may predate the page's last move" });
    cm.now = 10;
    checkMark('directory.refresh-ask-held', () => expect(cm.send(REPORT('c1', 0))).toEqual([]));
    // tickPage asks again once the interval is up, and a report answering that ask is taken.
    expect(cm.tick(150)).toEqual(['cm1->c1 CHANGE_CM(CC) e1']);
    cm.send(REPORT('c1', cm.askOf('c1'), [owns('P1', 1)]));
    expect(cm.page('P1')).toEqual({ owner: 'c1', note: null });
  });
});

describe('a forward to a requester that goes away', () => {
  /** c1 owns P1; c3's write of it is forwarded to c1, which (the test decides) never gets it. */
  function forwarded(): Cm {
    const cm = ownedByC1();
    expect(cm.send(WQ('c3', 'P1', 'c3:1'))).toEqual(['cm1->c1 WRITE_FORWARD(WF) P1 c3:1 e1 for c3']);
    return cm;
  }

  it('forgotten: asks the owner, which may never have carried it out, before the page is lost (seed 805)', () => {
    const cm = forwarded();
    checkMark('directory.inferred-transit-asks-owner', () => expect(cm.forget('c3')).toBe('forgot c3: no page was only its'));
    expect(cm.page('P1')?.note).toBe('asking c1, who claimed it, after c3 disowned it');
    cm.send(REPORT('c1', cm.askOf('c1'), [owns('P1', 1)]));
    expect(cm.page('P1')).toEqual({ owner: 'c1', note: null });
    expect(cm.send(RQ('c2', 'P1', 'c2:1'))).toEqual(['cm1->c1 READ_FORWARD(RF) P1 c2:1 e1 for c2']);
  });

  it('away: the page is deemed on its way to it, until the owner says the transfer never left', () => {
    const cm = forwarded();
    for (let t = 100; !cm.cm.snapshot().away.some((a) => a.id === 'c3'); t += 100) {
      cm.send(LEASE('c1', t), LEASE('c2', t));
      cm.tick(t);
    }
    expect(cm.page('P1')).toEqual({ owner: null, note: expect.stringMatching(/^it was handed to c3, away/) });
    checkMark('directory.transfer-never-left', () => cm.send(REPORT('c1', cm.askOf('c1'), [owns('P1', 1)])));
    expect(cm.page('P1')).toEqual({ owner: 'c1', note: null });
  });
});

describe('a page lost with a forgotten owner', () => {
  it('comes back from its replica at its next request', () => {
    const cm = ownedByC1();
    expect(cm.send(REPLICATE('c1', 'P1', 'c1:2', 2, 'b'))).toEqual(['cm1->c1 REPLICA_ACK(RA) P1 c1:2 e1']);
    expect(cm.forget('c1')).toBe('forgot c1: back from their replicas: P1');
    const hits = checkMark('directory.replica-restore', () => {
      expect(cm.send(RQ('c2', 'P1', 'c2:1'))).toEqual(['cm1->c2 PAGE(RD) P1 c2:1 e1 "b" v2']);
    });
    expect(hits).toBe(1);
  });
});

describe('a request that waited while a later one of its client was served', () => {
  it('is refused when its turn comes: its client gave it up', () => {
    const cm = ownedByC1();
    cm.send(WQ('c3', 'P1', 'c3:1'));
    // c2's read of P1 waits behind c3's write; c2 gives it up and reads P2, which is served.
    cm.send(RQ('c2', 'P1', 'c2:1'));
    expect(cm.send(RQ('c2', 'P2', 'c2:2'))).toEqual(['cm1->c2 PAGE(RD) P2 c2:2 e1 null v0']);
    cm.send(RC('c2', 'P2', 'c2:2'));
    checkMark('directory.request-overtaken', () => {
      expect(cm.send(WC('c3', 'P1', 'c3:1', 2))).toEqual(['cm1->c2 REQUEST_FAILED(RX) P1 c2:1 e1']);
    });
    expect(cm.failures).toEqual(['request c2:1 was overtaken by a later request of c2']);
  });
});
