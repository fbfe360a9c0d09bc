// The pure parts of tabs as nodes: the prompt words, who a tab becomes from what the CMs answer,
// the join channel's validator, and the per-peer slot that rides on changing links.
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/messages.ts';
import type { PeerJsTransport } from '../../src/net/peerjs.ts';
import type { TransportEvent, TransportListener } from '../../src/net/transport.ts';
import { actingAnswer, identityFor, parseChoice, rosterOf } from '../../src/tab/identity.ts';
import { decodeJoinFrame, serveJoin, type JoinAnswer } from '../../src/tab/join.ts';
import { CLIENT_NUMBER_MAX } from '../../src/protocol/ids.ts';
import { PeerSlot, SLOT_QUEUE_MAX } from '../../src/tab/peer-slot.ts';
import { peerErrorText } from '../../src/tab/peer-errors.ts';

const answer = (
  cm: 'cm1' | 'cm2',
  role: JoinAnswer['role'],
  epoch: number,
  roster: string[] = [],
  offer: string | null = null,
): JoinAnswer => ({ t: 'answer', cm, role, epoch, roster, offer });

describe('the prompt', () => {
  it("takes the seed's words", () => {
    expect(parseChoice('1')).toEqual({ kind: 'cm' });
    expect(parseChoice(' CM ')).toEqual({ kind: 'cm' });
    expect(parseChoice('2')).toEqual({ kind: 'client' });
    expect(parseChoice('restartCM')).toEqual({ kind: 'restartCM' });
    expect(parseChoice('restartBackupCM')).toEqual({ kind: 'restartBackup' });
    expect(parseChoice('restart c7')).toEqual({ kind: 'restartClient', id: 'c7' });
    for (const bad of ['', '3', 'restart', 'restart c0', 'CM now']) expect(parseChoice(bad).kind, bad).toBe('invalid');
  });

  it('makes a CM primary when none answers, backup when the primary does, and refuses a third', () => {
    expect(identityFor({ kind: 'cm' }, [])).toEqual({ role: 'cm', id: 'cm1', start: 'primary' });
    expect(identityFor({ kind: 'cm' }, [answer('cm1', 'acting', 1)])).toEqual({ role: 'cm', id: 'cm2', start: 'backup' });
    expect(identityFor({ kind: 'cm' }, [answer('cm1', 'acting', 1), answer('cm2', 'standby', 1)])).toHaveProperty('error');
    expect(identityFor({ kind: 'cm' }, [answer('cm2', 'acting', 2)])).toEqual({ error: expect.stringContaining('restartCM') });
    expect(identityFor({ kind: 'restartCM' }, [])).toEqual({ role: 'cm', id: 'cm1', start: 'restartCM' });
    expect(identityFor({ kind: 'restartBackup' }, [])).toEqual({ role: 'cm', id: 'cm2', start: 'restartBackup' });
    // Restarting a CM that answered is refused at once, not after the PeerServer refuses its id.
    expect(identityFor({ kind: 'restartCM' }, [answer('cm1', 'acting', 1)])).toEqual({ error: expect.stringContaining('cm1 is running') });
    expect(identityFor({ kind: 'restartBackup' }, [answer('cm2', 'standby', 1)])).toEqual({
      error: expect.stringContaining('cm2 is running'),
    });
  });

  it('follows the acting CM with the newest epoch and dials everyone any CM knows', () => {
    const answers = [answer('cm1', 'acting', 1, ['c1']), answer('cm2', 'acting', 2, ['c2'], 'c3')];
    expect(actingAnswer(answers)?.cm).toBe('cm2');
    expect(rosterOf(answers)).toEqual(['c1', 'c2', 'cm1', 'cm2']);
  });
});

describe('the join channel', () => {
  it('passes well-formed asks and answers only', () => {
    expect(decodeJoinFrame({ t: 'ask', want: 'client-id', atLeast: 3 }).ok).toBe(true);
    expect(decodeJoinFrame(answer('cm1', 'acting', 1, ['c1', 'cm2'], 'c2')).ok).toBe(true);
    const bad = [
      null,
      'ask',
      { t: 'ask', want: 'all', atLeast: 0 },
      { t: 'ask', want: 'roster', atLeast: -1 },
      { t: 'ask', want: 'client-id', atLeast: CLIENT_NUMBER_MAX + 1 },
      { ...answer('cm1', 'acting', 1), cm: 'c1' },
      { ...answer('cm1', 'acting', 1), roster: ['../x'] },
      { ...answer('cm1', 'acting', 1), offer: 'cm2' },
      { ...answer('cm1', 'acting', 1), roster: Array(5000).fill('c1') },
      { ...answer('cm1', 'boss' as never, 1) },
      { t: 'other' },
    ];
    for (const b of bad) expect(decodeJoinFrame(b).ok, JSON.stringify(b)?.slice(0, 60)).toBe(false);
    expect(decodeJoinFrame({ t: 'ask', want: 'client-id', atLeast: 1_000_000 })).toEqual({
      ok: false,
      error: `bad join ask: atLeast must be 0 to ${CLIENT_NUMBER_MAX}`,
    });
  });

  it('never offers an id past the last one, so its answers stay valid for every later newcomer', () => {
    let onLink: ((link: ReturnType<typeof fakeLink>) => void) | null = null;
    const peer = { accept: (_c: string, _d: unknown, f: typeof onLink) => ((onLink = f), () => {}) } as never;
    const lines: string[] = [];
    const members = [`c${CLIENT_NUMBER_MAX - 1}`];
    serveJoin(
      peer,
      () => ({ id: 'cm1', role: 'acting', epoch: 1, members }),
      (l) => lines.push(l),
    );
    const ask = (atLeast: number): unknown => {
      const link = fakeLink();
      onLink?.(link);
      link.deliver({ t: 'ask', want: 'client-id', atLeast } as never);
      return link.sent[0];
    };
    expect(ask(0)).toMatchObject({ offer: `c${CLIENT_NUMBER_MAX}` });
    const full = ask(CLIENT_NUMBER_MAX);
    expect(full).toMatchObject({ offer: null });
    expect(lines).toEqual([expect.stringContaining(`c${CLIENT_NUMBER_MAX} is the last`)]);
    expect(decodeJoinFrame(full).ok).toBe(true);
  });
});

/** A link that records what is sent and lets the test deliver frames or close it. */
function fakeLink(): PeerJsTransport<Message> & { sent: Message[]; deliver(m: Message): void; drop(): void } {
  const listeners = new Set<TransportListener<Message>>();
  const emit = (e: TransportEvent<Message>): void => {
    for (const l of [...listeners]) l(e);
  };
  const link = {
    sent: [] as Message[],
    closed: false,
    send(m: Message) {
      if (link.closed) return false;
      link.sent.push(m);
      return true;
    },
    addListener: (l: TransportListener<Message>) => void listeners.add(l),
    removeListener: (l: TransportListener<Message>) => void listeners.delete(l),
    close() {
      if (!link.closed) {
        link.closed = true;
        emit({ type: 'close' });
      }
    },
    deliver: (m: Message) => emit({ type: 'frame', frame: m }),
    drop() {
      link.close();
    },
  };
  return link as never;
}

const pulse = (n: number): Message => ({ type: 'PULSE', from: 'cm2', to: 'cm1', epoch: n, acked: 0, ack: false });

describe('PeerSlot', () => {
  it('queues while unlinked, asks for a dial, and flushes in order on the first link', () => {
    const wanted: string[] = [];
    const slot = new PeerSlot(
      'cm1',
      (p) => wanted.push(p),
      () => {},
    );
    expect(slot.send(pulse(1))).toBe(true);
    slot.send(pulse(2));
    expect(wanted).toEqual(['cm1', 'cm1']);
    const link = fakeLink();
    slot.attach({ link, dialer: 'cm2', at: 0 });
    expect(link.sent.map((m) => m.epoch)).toEqual([1, 2]);
    slot.send(pulse(3));
    expect(link.sent).toHaveLength(3);
  });

  it('keeps only the newest frames while no link comes', () => {
    const slot = new PeerSlot(
      'cm1',
      () => {},
      () => {},
    );
    for (let i = 0; i < SLOT_QUEUE_MAX + 10; i++) slot.send(pulse(i));
    const link = fakeLink();
    slot.attach({ link, dialer: 'cm2', at: 0 });
    expect(link.sent).toHaveLength(SLOT_QUEUE_MAX);
    expect(link.sent[0]?.epoch).toBe(10);
  });

  it('moves to a newer link (the peer came back) and closes the old one', () => {
    const slot = new PeerSlot(
      'cm1',
      () => {},
      () => {},
    );
    const heard: number[] = [];
    slot.addListener((e) => {
      if (e.type === 'frame') heard.push(e.frame.epoch);
    });
    const old = fakeLink();
    slot.attach({ link: old, dialer: 'cm2', at: 0 });
    const fresh = fakeLink();
    slot.attach({ link: fresh, dialer: 'cm1', at: 60_000 });
    expect(old.closed).toBe(true);
    slot.send(pulse(5));
    expect(fresh.sent.map((m) => m.epoch)).toEqual([5]);
    fresh.deliver(pulse(6));
    expect(heard).toEqual([6]);
    expect(slot.lastHeardAt).not.toBeNull();
  });

  it('when two dials cross, both ends keep the link the smaller id dialed', () => {
    const atCm1 = new PeerSlot(
      'cm2',
      () => {},
      () => {},
    );
    const atCm2 = new PeerSlot(
      'cm1',
      () => {},
      () => {},
    );
    const byCm1 = fakeLink();
    const byCm2 = fakeLink();
    atCm1.attach({ link: byCm1, dialer: 'cm1', at: 0 });
    atCm1.attach({ link: byCm2, dialer: 'cm2', at: 10 });
    atCm2.attach({ link: byCm2, dialer: 'cm2', at: 0 });
    atCm2.attach({ link: byCm1, dialer: 'cm1', at: 10 });
    expect(atCm1.link).toBe(byCm1);
    expect(atCm2.link).toBe(byCm1);
    expect(byCm2.closed).toBe(true);
  });

  it('after its link dies it queues again, and closing it says goodbye on the link', () => {
    const wanted: string[] = [];
    const slot = new PeerSlot(
      'c1',
      (p) => wanted.push(p),
      () => {},
    );
    const link = fakeLink();
    slot.attach({ link, dialer: 'cm1', at: 0 });
    link.drop();
    expect(slot.linked).toBe(false);
    slot.send(pulse(1));
    expect(wanted).toEqual(['c1']);
    const next = fakeLink();
    slot.attach({ link: next, dialer: 'c1', at: 1 });
    const closes: string[] = [];
    slot.addListener((e) => closes.push(e.type));
    slot.close();
    expect(next.closed).toBe(true);
    expect(closes).toEqual(['close']);
    expect(slot.send(pulse(2))).toBe(false);
  });
});

describe('a PeerJS error, as a tab says it', () => {
  it('tells a peer not on the PeerServer as news, and anything else as the error it is', () => {
    expect(peerErrorText('c1', 'peer-unavailable', 'Could not connect to peer ivy-c2')).toBe(
      'c1: ivy-c2 is not on the PeerServer (not started yet, or its tab closed); it is dialled again',
    );
    expect(peerErrorText('c1', 'network', 'Lost connection to server.')).toBe('c1: PeerJS network: Lost connection to server.');
  });
});
