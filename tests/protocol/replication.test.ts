// Replication to the standby, in streaming mode: the acting CM's metadata changes ride on the
// replies to the standby's pulses, each changed page once with its latest entry; a reply the
// standby did not get has its entries sent again; a standby that stopped listening is sent the
// whole metadata and forgets what it had; and no reply holds more than one frame may.
import { describe, expect, it } from 'vitest';
import { CLUSTER_PAGES_MAX, FRAME_ITEMS_MAX, PAGE_SIZE_BYTES_DEFAULT } from '../../src/protocol/limits.ts';
import { CentralManager } from '../../src/protocol/manager.ts';
import type { HeldPage, Message, MetaEntry, PulseReply } from '../../src/protocol/messages.ts';
import { parseMessage } from '../../src/protocol/validate.ts';
import { T } from '../support/stepped-net.ts';

/** The acting cm1 and its standby cm2, the test carrying every message between them by hand. */
class Pair {
  readonly cm1 = new CentralManager({ id: 'cm1', start: 'primary', timing: T, now: 0 });
  readonly cm2 = new CentralManager({ id: 'cm2', start: 'backup', timing: T, now: 0 });
  now = 0;
  /** What cm1 sent anyone but cm2 (the clients, played by the test, never answer). */
  toClients: Message[] = [];

  constructor() {
    this.cm1.ready();
    this.cm2.ready();
  }

  /** Replies cm1 sent on its own (to have a grant on cm2's record), as cm2 got them. */
  urgent: PulseReply[] = [];

  /** A client's message to cm1 at the current time. */
  client(m: Message): void {
    this.cm1.step(m, this.now);
    this.exchange();
  }

  /**
   * Carries what cm1 sent: to cm2 (replies it sends on its own, which must be urgent), and cm2's
   * acknowledgements back, until both are quiet. Client-bound messages are kept.
   */
  private exchange(): void {
    for (;;) {
      const out = this.cm1.ready().messages;
      if (out.length === 0) return;
      for (const o of out) {
        if (o.to !== 'cm2') {
          this.toClients.push(o);
          continue;
        }
        expect(o.type).toBe('PULSE_REPLY');
        if (this.owed > 0) this.owed -= 1;
        else {
          expect(o, `${o.type} to cm2 outside a pulse reply`).toMatchObject({ urgent: true });
          this.urgent.push(o as PulseReply);
        }
        this.toCm2(o);
      }
    }
  }

  /** Replies cm1 owes for pulses cm2 sent at once (acknowledgements): those are pulse replies too. */
  private owed = 0;

  private toCm2(m: Message): void {
    this.cm2.step(m, this.now);
    for (const back of this.cm2.ready().messages) {
      // An acknowledgement (PULSE.ack) is not answered; any other pulse is.
      if (back.type === 'PULSE' && !back.ack) this.owed += 1;
      this.cm1.step(back, this.now);
    }
  }

  /** Time passes to `at`: cm2 pulses, and cm1's reply is delivered unless `lose`. */
  pulse(at: number, lose = false): PulseReply {
    this.now = at;
    this.cm2.tick(at);
    const pulses = this.cm2.ready().messages;
    expect(pulses.map((m) => m.type)).toEqual(['PULSE']);
    this.cm1.step(pulses[0]!, at);
    const replies = this.cm1.ready().messages.filter((m): m is PulseReply => m.type === 'PULSE_REPLY');
    expect(replies).toHaveLength(1);
    const reply = replies[0]!;
    const parsed = parseMessage(JSON.parse(JSON.stringify(reply)), PAGE_SIZE_BYTES_DEFAULT);
    expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
    if (!lose) {
      this.toCm2(reply);
      this.exchange();
    }
    return reply;
  }

  mirror(): MetaEntry[] {
    return this.cm2.snapshot().pages.map(({ page, owner, copySet, version }) => ({ page, owner, copySet, version }));
  }

  directory(): MetaEntry[] {
    return this.cm1.snapshot().pages.map(({ page, owner, copySet, version }) => ({ page, owner, copySet, version }));
  }
}

const head = (from: string, page: string, req: string) => ({ from, to: 'cm1', epoch: 1, page, req });

/** c wrote `page` (the CM granted it, nobody else held it) and owns it at `version`. */
function write(p: Pair, c: string, page: string, n: number, version: number): void {
  p.client({ type: 'WRITE_REQUEST', ...head(c, page, `${c}:${n}`) });
  p.client({ type: 'WRITE_CONFIRMATION', ...head(c, page, `${c}:${n}`), version });
}

function read(p: Pair, c: string, page: string, n: number): void {
  p.client({ type: 'READ_REQUEST', ...head(c, page, `${c}:${n}`) });
  p.client({ type: 'READ_CONFIRMATION', ...head(c, page, `${c}:${n}`) });
}

const pages = (r: PulseReply): string[] => r.meta.map((e) => e.page);

describe('replication on pulse replies', () => {
  it('sends no message of its own but for a first write: each changed page rides once, with its latest entry, on the next reply', () => {
    const p = new Pair();
    // Before any standby pulsed, nobody could take over with a record: the grant goes at once.
    write(p, 'c1', 'P1', 1, 1);
    expect(p.urgent).toEqual([]);
    // The first reply starts the standby's copy over with everything.
    expect(p.pulse(100)).toMatchObject({ full: true, meta: [{ page: 'P1', owner: 'c1', copySet: [], version: 1 }] });
    read(p, 'c2', 'P1', 1);
    read(p, 'c3', 'P1', 1);
    expect(p.urgent).toEqual([]);
    // A page nobody owns is granted only once cm2 has the grantee on record: one reply of its
    // own, acknowledged at once, which also carries what changed meanwhile.
    write(p, 'c4', 'P2', 1, 1);
    expect(p.urgent.map((r) => r.meta)).toEqual([
      [
        { page: 'P1', owner: 'c1', copySet: ['c2', 'c3'], version: 1 },
        { page: 'P2', owner: 'c4', copySet: [], version: 0 },
      ],
    ]);
    expect(p.toClients.filter((m) => m.type === 'PAGE' && m.to === 'c4')).toHaveLength(1);
    const r = p.pulse(200);
    expect(r.full).toBe(false);
    expect(r.meta).toEqual([{ page: 'P2', owner: 'c4', copySet: [], version: 1 }]);
    expect(p.mirror()).toEqual(p.directory());
    // Nothing changed since: the next reply carries nothing.
    expect(p.pulse(300).meta).toEqual([]);
    expect(p.urgent).toHaveLength(1);
  });

  it('grants a page nobody owns only once the standby acknowledged a reply naming the grantee', () => {
    const p = new Pair();
    p.pulse(100);
    // cm2 stops answering: the grant waits, and its request fails, saying why, rather than
    // leaving unrecorded.
    const cm2 = p.cm2;
    cm2.step = () => undefined;
    p.client({ type: 'WRITE_REQUEST', ...head('c1', 'P1', 'c1:1') });
    expect(p.toClients.filter((m) => m.type === 'PAGE')).toEqual([]);
    for (let t = 100; t <= 100 + T.cmResendMs * (T.cmAttemptsMax + 2); t += 50) {
      p.now = t;
      p.cm1.step({ type: 'LEASE', from: 'c1', to: 'cm1', epoch: 1, n: t }, t);
      p.cm1.tick(t);
      p.cm1.ready().messages.forEach((m) => m.to !== 'cm2' && p.toClients.push(m));
    }
    expect(p.toClients.filter((m) => m.type === 'PAGE')).toEqual([]);
    expect(p.toClients.find((m) => m.type === 'REQUEST_FAILED')).toMatchObject({
      req: 'c1:1',
      reason: expect.stringContaining('standby CM did not put this first write on record'),
    });
  });

  it('never lets acknowledgements and replies feed each other, even with pulses crossing a full reply', () => {
    const p = new Pair();
    write(p, 'c1', 'P1', 1, 1);
    // Two pulses of cm2 reach cm1 before any reply reaches cm2: each is answered with a whole copy.
    const queue: Message[] = [];
    for (const t of [100, 200]) {
      p.cm2.tick(t);
      queue.push(...p.cm2.ready().messages);
    }
    expect(queue.map((m) => m.type)).toEqual(['PULSE', 'PULSE']);
    let carried = 0;
    for (let m = queue.shift(); m !== undefined && carried < 100; m = queue.shift(), carried++) {
      const to = m.to === 'cm1' ? p.cm1 : p.cm2;
      to.step(m, 250);
      queue.push(...to.ready().messages.filter((o) => o.to === 'cm1' || o.to === 'cm2'));
    }
    // Two pulses, two full replies, two acknowledgements, unanswered: then quiet.
    expect(carried).toBe(6);
    expect(p.mirror()).toEqual(p.directory());
  });

  it("sends a lost reply's entries again with the next one", () => {
    const p = new Pair();
    write(p, 'c1', 'P1', 1, 1);
    p.pulse(100);
    write(p, 'c2', 'P2', 1, 1);
    expect(pages(p.pulse(200, true))).toEqual(['P2']);
    write(p, 'c3', 'P3', 1, 1);
    // cm2's last acknowledgement names the reply before: P2 goes again, with P3's grant, on
    // the reply that has P3 on record; the next carries what P3's confirmation changed.
    expect(pages(p.urgent.at(-1)!).sort()).toEqual(['P2', 'P3']);
    expect(pages(p.pulse(300))).toEqual(['P3']);
    expect(p.mirror()).toEqual(p.directory());
    expect(p.pulse(400).meta).toEqual([]);
  });

  it('starts over with a standby that stopped listening, which forgets what it had', () => {
    const p = new Pair();
    write(p, 'c1', 'P1', 1, 1);
    p.pulse(100);
    write(p, 'c2', 'P2', 1, 1);
    // A stale entry in cm2's copy (as an older acting CM might have left it).
    p.cm2.step(
      {
        type: 'CM_STATE',
        from: 'cm1',
        to: 'cm2',
        epoch: 1,
        members: [],
        meta: [{ page: 'P9', owner: 'c5', copySet: [], version: 4 }],
        complete: false,
        replicas: [],
        uncertain: [],
      },
      150,
    );
    expect(p.mirror().map((e) => e.page)).toEqual(['P1', 'P2', 'P9']);
    // cm2 is silent for longer than cm1 counts it as listening, then pulses again.
    const r = p.pulse(100 + T.pulseIntervalMs * T.pulseMissesMax + 1);
    expect(r.full).toBe(true);
    expect(pages(r)).toEqual(['P1', 'P2']);
    expect(p.mirror()).toEqual(p.directory());
  });

  it('holds no more than one frame may: the entries beyond it follow with the next replies', () => {
    const p = new Pair();
    p.pulse(100);
    // Sixteen members hold read copies of as many pages as a cluster may have: each entry costs
    // seventeen items of the frame.
    const held: HeldPage[] = Array.from({ length: CLUSTER_PAGES_MAX }, (_, i) => ({
      page: `P${i}`,
      access: 'read',
      owner: false,
      version: 0,
    }));
    for (let c = 1; c <= 16; c++)
      p.client({ type: 'CLIENT_REPORT', answers: 1, from: `c${c}`, to: 'cm1', epoch: 1, pages: held, inFlight: null, handoffs: [] });
    const fits = Math.floor((FRAME_ITEMS_MAX - 16) / 17);
    expect(fits).toBeLessThan(held.length);
    const first = p.pulse(200);
    expect(first.meta).toHaveLength(fits);
    const second = p.pulse(300);
    expect(second.meta).toHaveLength(held.length - fits);
    expect(p.mirror()).toHaveLength(held.length);
    expect(p.mirror()).toEqual(p.directory());
  });
});
