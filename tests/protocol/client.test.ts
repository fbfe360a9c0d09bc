// ClientNode on its own: the test plays the CM and the other clients by handing it messages.
import { describe, it, expect } from 'vitest';
import { TIMING_DEFAULTS } from '../../src/protocol/config.ts';
import { ClientNode, type OpRequest } from '../../src/protocol/client.ts';
import { EPOCH_JUMP_MAX } from '../../src/protocol/limits.ts';
import type { Message, PageMessage } from '../../src/protocol/messages.ts';
import type { NodeEvent, Ready } from '../../src/protocol/node.ts';
import { describeResult } from '../../src/console/format.ts';

type OpDone = Extract<NodeEvent, { type: 'op-done' }>;

function opsDone(r: Ready): OpDone[] {
  return r.events.filter((e): e is OpDone => e.type === 'op-done');
}

function logs(r: Ready, level: 'info' | 'warn' | 'error'): string[] {
  return r.events.flatMap((e) => (e.type === 'log' && e.level === level ? [e.text] : []));
}

/**
 * Plays the CM granting the client's lease (its first heartbeat, sent at `now`), so that its
 * read copies count; the outbox is drained.
 */
function leased(c: ClientNode, now = 0): ClientNode {
  c.tick(now);
  const beat = c.ready().messages.find((m) => m.type === 'LEASE');
  if (beat?.type !== 'LEASE') throw new Error(`${c.id} sent no heartbeat at ${now}`);
  c.step({ type: 'LEASE_GRANT', from: 'cm1', to: c.id, epoch: 1, n: beat.n, ms: TIMING_DEFAULTS.leaseMs }, now);
  c.ready();
  return c;
}

/** A client that owns `page` with write access and `content`, its outbox drained. */
function owner(id: string, page: string, content: string): ClientNode {
  const c = leased(new ClientNode({ id }));
  c.submit({ kind: 'write', page, value: content }, 0);
  const req = c.snapshot().inFlight?.req ?? 'none';
  c.step({ type: 'PAGE', from: 'cm1', to: id, epoch: 1, page, req, access: 'write', content: null, version: 0 }, 1);
  c.ready();
  return c;
}

/** A client holding a read copy of `page`, its outbox drained. */
function reader(id: string, page: string, content: string, version: number, ownerId = 'c1'): ClientNode {
  const c = leased(new ClientNode({ id }));
  c.submit({ kind: 'read', page }, 0);
  const req = c.snapshot().inFlight?.req ?? 'none';
  c.step({ type: 'PAGE', from: ownerId, to: id, epoch: 1, page, req, access: 'read', content, version }, 1);
  c.ready();
  return c;
}

describe('ClientNode: faults and hits', () => {
  it('serves a read hit locally without any message', () => {
    const c = owner('c1', 'P1', 'a');
    c.submit({ kind: 'read', page: 'P1' }, 2);
    const r = c.ready();
    expect(r.messages).toEqual([]);
    expect(opsDone(r)).toEqual([{ type: 'op-done', opId: 2, kind: 'read', page: 'P1', result: { ok: true, value: 'a', local: true } }]);
  });

  it('serves a read hit from a read copy too', () => {
    const c = reader('c2', 'P1', 'x', 3);
    c.submit({ kind: 'read', page: 'P1' }, 2);
    const r = c.ready();
    expect(r.messages).toEqual([]);
    expect(opsDone(r).map((e) => e.result)).toEqual([{ ok: true, value: 'x', local: true }]);
  });

  it('sends READ_REQUEST to the CM with the next request id and its epoch on a read fault', () => {
    const c = new ClientNode({ id: 'c3', epoch: 7 });
    c.submit({ kind: 'read', page: 'P1' }, 0);
    const r = c.ready();
    expect(r.messages).toEqual([{ type: 'READ_REQUEST', from: 'c3', to: 'cm1', epoch: 7, page: 'P1', req: 'c3:1' }]);
    expect(opsDone(r)).toEqual([]);
    expect(c.snapshot().inFlight).toEqual({ req: 'c3:1', kind: 'read', page: 'P1' });
  });

  it('addresses a configured CM', () => {
    const c = new ClientNode({ id: 'c1', cm: 'cm2' });
    c.submit({ kind: 'read', page: 'P1' }, 0);
    expect(c.ready().messages.map((m) => m.to)).toEqual(['cm2']);
  });

  it('installs a PAGE with read access, sends READ_CONFIRMATION and completes the read', () => {
    const c = leased(new ClientNode({ id: 'c3' }));
    c.submit({ kind: 'read', page: 'P1' }, 0);
    c.ready();
    c.step({ type: 'PAGE', from: 'c1', to: 'c3', epoch: 1, page: 'P1', req: 'c3:1', access: 'read', content: 'hello', version: 3 }, 1);
    const r = c.ready();
    expect(c.entry('P1')).toEqual({ content: 'hello', version: 3, access: 'read', owner: false });
    expect(r.messages).toEqual([{ type: 'READ_CONFIRMATION', from: 'c3', to: 'cm1', epoch: 1, page: 'P1', req: 'c3:1' }]);
    expect(opsDone(r)).toEqual([
      { type: 'op-done', opId: 1, kind: 'read', page: 'P1', result: { ok: true, value: 'hello', local: false } },
    ]);
    expect(c.snapshot().inFlight).toBeNull();
  });

  it('answers a read without a lease but keeps no copy, and says so in the result', () => {
    const c = new ClientNode({ id: 'c3' });
    c.submit({ kind: 'read', page: 'P1' }, 0);
    c.ready();
    c.step({ type: 'PAGE', from: 'c1', to: 'c3', epoch: 1, page: 'P1', req: 'c3:1', access: 'read', content: 'hello', version: 3 }, 1);
    const r = c.ready();
    expect(c.entry('P1')).toBeUndefined();
    expect(opsDone(r).map((e) => e.result)).toEqual([{ ok: true, value: 'hello', local: false, unkept: true }]);
    expect(describeResult('read', 'P1', opsDone(r)[0]!.result).text).toBe(
      'P1: hello (via the CM; no copy kept until this client holds a lease)',
    );
  });

  it('installs a never-written page (content null) from the CM', () => {
    const c = leased(new ClientNode({ id: 'c2' }));
    c.submit({ kind: 'read', page: 'P9' }, 0);
    c.ready();
    c.step({ type: 'PAGE', from: 'cm1', to: 'c2', epoch: 1, page: 'P9', req: 'c2:1', access: 'read', content: null, version: 0 }, 1);
    const r = c.ready();
    expect(c.entry('P9')).toEqual({ content: null, version: 0, access: 'read', owner: false });
    expect(opsDone(r).map((e) => e.result)).toEqual([{ ok: true, value: null, local: false }]);
  });

  it('on a write fault sends WRITE_REQUEST, then installs the PAGE as owner, writes and confirms the new version', () => {
    const c = new ClientNode({ id: 'c2' });
    c.submit({ kind: 'write', page: 'P1', value: 'new' }, 0);
    expect(c.ready().messages).toEqual([{ type: 'WRITE_REQUEST', from: 'c2', to: 'cm1', epoch: 1, page: 'P1', req: 'c2:1' }]);
    c.step({ type: 'PAGE', from: 'c1', to: 'c2', epoch: 1, page: 'P1', req: 'c2:1', access: 'write', content: 'old', version: 4 }, 1);
    const r = c.ready();
    expect(c.entry('P1')).toEqual({ content: 'new', version: 5, access: 'write', owner: true });
    expect(r.messages).toEqual([{ type: 'WRITE_CONFIRMATION', from: 'c2', to: 'cm1', epoch: 1, page: 'P1', req: 'c2:1', version: 5 }]);
    expect(opsDone(r).map((e) => e.result)).toEqual([{ ok: true, value: 'new', local: false }]);
  });

  it('writes locally only with write access: a read copy faults', () => {
    const c = reader('c2', 'P1', 'x', 3);
    c.submit({ kind: 'write', page: 'P1', value: 'y' }, 2);
    const r = c.ready();
    expect(r.messages).toEqual([{ type: 'WRITE_REQUEST', from: 'c2', to: 'cm1', epoch: 1, page: 'P1', req: 'c2:2' }]);
    expect(opsDone(r)).toEqual([]);
    expect(c.entry('P1')).toEqual({ content: 'x', version: 3, access: 'read', owner: false });
  });

  it('writes locally with write access: no message, content and version move on', () => {
    const c = owner('c1', 'P1', 'a');
    expect(c.entry('P1')).toEqual({ content: 'a', version: 1, access: 'write', owner: true });
    c.submit({ kind: 'write', page: 'P1', value: 'b' }, 2);
    const r = c.ready();
    expect(r.messages).toEqual([]);
    expect(opsDone(r).map((e) => e.result)).toEqual([{ ok: true, value: 'b', local: true }]);
    expect(c.entry('P1')).toEqual({ content: 'b', version: 2, access: 'write', owner: true });
  });
});

describe('ClientNode: serving the CM as owner', () => {
  it('on READ_FORWARD downgrades to read, stays owner and sends PAGE(read) to the requester', () => {
    const c = owner('c1', 'P1', 'a');
    c.step({ type: 'READ_FORWARD', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c2:1', requester: 'c2' }, 2);
    const r = c.ready();
    expect(r.messages).toEqual([
      { type: 'PAGE', from: 'c1', to: 'c2', epoch: 1, page: 'P1', req: 'c2:1', access: 'read', content: 'a', version: 1 },
    ]);
    expect(c.entry('P1')).toEqual({ content: 'a', version: 1, access: 'read', owner: true });
    // The next write must fault now.
    c.submit({ kind: 'write', page: 'P1', value: 'b' }, 3);
    expect((c.ready().messages as PageMessage[]).map((m) => `${m.type} ${m.req}`)).toEqual(['WRITE_REQUEST c1:2']);
  });

  it('on WRITE_FORWARD sends PAGE(write) to the requester and drops the page', () => {
    const c = owner('c1', 'P1', 'a');
    c.step({ type: 'WRITE_FORWARD', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c2:1', requester: 'c2' }, 2);
    const r = c.ready();
    expect(r.messages).toEqual([
      { type: 'PAGE', from: 'c1', to: 'c2', epoch: 1, page: 'P1', req: 'c2:1', access: 'write', content: 'a', version: 1 },
    ]);
    expect(c.entry('P1')).toBeUndefined();
    // Without a copy, a read faults.
    c.submit({ kind: 'read', page: 'P1' }, 3);
    expect(c.ready().messages.map((m) => m.type)).toEqual(['READ_REQUEST']);
  });

  it('upgrades in place with no PAGE message when the write is forwarded to itself', () => {
    const c = owner('c1', 'P1', 'a');
    c.step({ type: 'READ_FORWARD', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c2:1', requester: 'c2' }, 2);
    c.ready();
    c.submit({ kind: 'write', page: 'P1', value: 'b' }, 3);
    c.ready();
    c.step({ type: 'WRITE_FORWARD', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c1:2', requester: 'c1' }, 4);
    const r = c.ready();
    expect(r.messages).toEqual([{ type: 'WRITE_CONFIRMATION', from: 'c1', to: 'cm1', epoch: 1, page: 'P1', req: 'c1:2', version: 2 }]);
    expect(c.entry('P1')).toEqual({ content: 'b', version: 2, access: 'write', owner: true });
    expect(opsDone(r).map((e) => e.result)).toEqual([{ ok: true, value: 'b', local: false }]);
  });

  it('ignores forwards for a page it does not own, with a warning', () => {
    const c = reader('c2', 'P1', 'x', 3);
    c.step({ type: 'WRITE_FORWARD', from: 'cm1', to: 'c2', epoch: 1, page: 'P1', req: 'c3:1', requester: 'c3' }, 2);
    c.step({ type: 'READ_FORWARD', from: 'cm1', to: 'c2', epoch: 1, page: 'P2', req: 'c3:2', requester: 'c3' }, 3);
    const r = c.ready();
    expect(r.messages).toEqual([]);
    expect(logs(r, 'warn')).toHaveLength(2);
    expect(c.entry('P1')).toEqual({ content: 'x', version: 3, access: 'read', owner: false });
  });
});

describe('ClientNode: invalidation', () => {
  it('drops a read copy on INVALIDATE and confirms; a repeated INVALIDATE is confirmed again', () => {
    const c = reader('c2', 'P1', 'x', 3);
    const inv: Message = { type: 'INVALIDATE', from: 'cm1', to: 'c2', epoch: 1, page: 'P1', req: 'c3:1' };
    const confirm = { type: 'INVALIDATE_CONFIRMATION', from: 'c2', to: 'cm1', epoch: 1, page: 'P1', req: 'c3:1' };
    c.step(inv, 2);
    expect(c.ready().messages).toEqual([confirm]);
    expect(c.entry('P1')).toBeUndefined();
    c.step(inv, 3);
    expect(c.ready().messages).toEqual([confirm]);
    expect(c.entry('P1')).toBeUndefined();
  });

  it('refuses to invalidate the page it owns (the only copy), with an error log and no confirmation', () => {
    const c = owner('c1', 'P1', 'a');
    c.step({ type: 'INVALIDATE', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c3:1' }, 2);
    const r = c.ready();
    expect(r.messages).toEqual([]);
    expect(logs(r, 'error')).toHaveLength(1);
    expect(c.entry('P1')).toEqual({ content: 'a', version: 1, access: 'write', owner: true });
  });
});

describe('ClientNode: stray and failed replies', () => {
  it('keeps ownership that answers no write in flight without access until the CM forwards to it, and takes each transfer once', () => {
    const c = new ClientNode({ id: 'c2', timing: { ...TIMING_DEFAULTS, requestDeadlineMs: 100 } });
    c.submit({ kind: 'write', page: 'P1', value: 'mine' }, 0);
    c.ready();
    c.tick(100); // the write is given up: a certain failure, nothing written
    expect(opsDone(c.ready())).toEqual([expect.objectContaining({ result: expect.objectContaining({ ok: false, certain: true }) })]);
    const page = {
      type: 'PAGE',
      from: 'c1',
      to: 'c2',
      epoch: 1,
      page: 'P1',
      req: 'c2:1',
      access: 'write',
      content: 'a',
      version: 3,
    } as const;
    c.step(page, 200);
    // Kept as it came (the sender no longer has it), but serving nothing, and claimed.
    expect(c.entry('P1')).toEqual({ content: 'a', version: 3, access: 'nil', owner: true });
    let r = c.ready();
    expect(r.messages).toEqual([{ type: 'WRITE_CONFIRMATION', from: 'c2', to: 'cm1', epoch: 1, page: 'P1', req: 'c2:1', version: 3 }]);
    expect(c.holdings().pages).toEqual([{ page: 'P1', access: 'read', owner: false, version: 3 }]);
    // A read faults to the CM, which forwards to the owner it recorded: this client.
    c.submit({ kind: 'read', page: 'P1' }, 300);
    expect(c.ready().messages).toEqual([expect.objectContaining({ type: 'READ_REQUEST', req: 'c2:2' })]);
    c.step({ type: 'READ_FORWARD', from: 'cm1', to: 'c2', epoch: 1, page: 'P1', req: 'c2:2', requester: 'c2' }, 301);
    r = c.ready();
    expect(opsDone(r)).toEqual([expect.objectContaining({ result: { ok: true, value: 'a', local: false } })]);
    expect(c.entry('P1')).toMatchObject({ access: 'read', owner: true });
    // A repeat of the same transfer is not installed again, only confirmed.
    c.step(page, 302);
    expect(c.entry('P1')).toMatchObject({ access: 'read', owner: true });
    expect(c.ready().messages).toEqual([expect.objectContaining({ type: 'WRITE_CONFIRMATION', req: 'c2:1', version: 3 })]);
    expect(c.durable().got).toEqual([{ page: 'P1', seq: 1 }]);
  });

  it('never lets a forged transfer make it a second writer, take what it owns, or hold up an invalidation', () => {
    const c = owner('c2', 'P1', 'mine');
    const forged = { type: 'PAGE', from: 'c3', to: 'c2', epoch: 1, access: 'write', content: 'forged', version: 9 } as const;
    // A request number it never issued, for a page it owns and for one it holds a copy of.
    c.step({ ...forged, page: 'P1', req: 'c2:77' }, 2);
    expect(c.entry('P1')).toEqual({ content: 'mine', version: 1, access: 'write', owner: true });
    expect(logs(c.ready(), 'warn')).toEqual([expect.stringContaining('holds the page as owner already')]);
    c.submit({ kind: 'read', page: 'P2' }, 3);
    c.step({ type: 'PAGE', from: 'c1', to: 'c2', epoch: 1, page: 'P2', req: 'c2:2', access: 'read', content: 'r', version: 1 }, 4);
    c.ready();
    c.step({ ...forged, page: 'P2', req: 'c2:900' }, 5);
    c.ready();
    // No hit is served from it: the read goes to the CM.
    c.submit({ kind: 'read', page: 'P2' }, 6);
    let r = c.ready();
    expect(opsDone(r)).toEqual([]);
    expect(r.messages).toEqual([expect.objectContaining({ type: 'READ_REQUEST', page: 'P2' })]);
    // The CM, which still counts this client among P2's copy holders, gets its confirmation.
    c.step({ type: 'INVALIDATE', from: 'cm1', to: 'c2', epoch: 1, page: 'P2', req: 'c3:5' }, 7);
    r = c.ready();
    expect(logs(r, 'error')).toEqual([]);
    expect(r.messages).toEqual([expect.objectContaining({ type: 'INVALIDATE_CONFIRMATION', page: 'P2', req: 'c3:5' })]);
    // A number above any it used does not mark a transfer taken: its own later ones stay new.
    expect(c.durable().got).toEqual([{ page: 'P1', seq: 1 }]);
  });

  it('lets a page it only keeps give way to a transfer the CM drives again, so a forgery cannot refuse the real page', () => {
    const c = leased(new ClientNode({ id: 'c2' }));
    c.submit({ kind: 'write', page: 'P1', value: 'x' }, 1);
    c.ready();
    // Its write gives up; meanwhile a forged transfer of P1 arrives and is kept without access.
    c.tick(1 + TIMING_DEFAULTS.requestDeadlineMs + 1);
    c.ready();
    c.step(
      { type: 'PAGE', from: 'c3', to: 'c2', epoch: 1, page: 'P1', req: 'c2:900', access: 'write', content: 'forged', version: 467 },
      6000,
    );
    expect(c.entry('P1')).toMatchObject({ content: 'forged', access: 'nil', owner: true });
    c.ready();
    // The real transfer of its given-up write (its sender's ghost, driven again by the CM) takes its place.
    c.step({ type: 'PAGE', from: 'c1', to: 'c2', epoch: 1, page: 'P1', req: 'c2:1', access: 'write', content: 'real', version: 15 }, 6001);
    expect(c.entry('P1')).toMatchObject({ content: 'real', version: 15, access: 'nil', owner: true });
    expect(c.ready().messages).toEqual([expect.objectContaining({ type: 'WRITE_CONFIRMATION', req: 'c2:1', version: 15 })]);
  });

  it('repeats a handoff the CM drives again even while it keeps a page (sweep seed 151): a kept page may be forged', () => {
    const c = owner('c1', 'P1', 'a');
    c.step({ type: 'WRITE_FORWARD', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c2:1', requester: 'c2' }, 2);
    c.ready();
    // A forged transfer of P1 in c1's name is kept without access; the real receiver may have lost the page.
    c.step({ type: 'PAGE', from: 'c3', to: 'c1', epoch: 1, page: 'P1', req: 'c1:900', access: 'write', content: 'forged', version: 9 }, 3);
    expect(c.entry('P1')).toMatchObject({ content: 'forged', access: 'nil', owner: true });
    c.ready();
    c.step({ type: 'WRITE_FORWARD', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c2:1', requester: 'c2' }, 4);
    expect(c.ready().messages).toEqual([
      { type: 'PAGE', from: 'c1', to: 'c2', epoch: 1, page: 'P1', req: 'c2:1', access: 'write', content: 'a', version: 1 },
    ]);
  });

  it('ignores a PAGE for a request not in flight, logging a warning', () => {
    const c = new ClientNode({ id: 'c2' });
    c.step({ type: 'PAGE', from: 'c1', to: 'c2', epoch: 1, page: 'P1', req: 'c2:1', access: 'read', content: 'x', version: 1 }, 1);
    let r = c.ready();
    expect(r.messages).toEqual([]);
    expect(opsDone(r)).toEqual([]);
    expect(logs(r, 'warn')).toEqual([expect.stringContaining('ignored PAGE P1 c2:1')]);
    expect(c.entry('P1')).toBeUndefined();

    // In flight, but the PAGE names another request, another page or the other access.
    c.submit({ kind: 'read', page: 'P1' }, 2);
    c.ready();
    const base = { type: 'PAGE', from: 'c1', to: 'c2', epoch: 1, content: 'x', version: 1 } as const;
    c.step({ ...base, page: 'P1', req: 'c2:9', access: 'read' }, 3);
    c.step({ ...base, page: 'P2', req: 'c2:1', access: 'read' }, 4);
    c.step({ ...base, page: 'P1', req: 'c2:1', access: 'write' }, 5);
    r = c.ready();
    expect(r.messages).toEqual([]);
    expect(opsDone(r)).toEqual([]);
    expect(logs(r, 'warn')).toHaveLength(3);
    expect(c.snapshot().pages).toEqual([]);
    expect(c.snapshot().inFlight).toEqual({ req: 'c2:1', kind: 'read', page: 'P1' });
  });

  it('ends the in-flight op on REQUEST_FAILED as a certain failure and starts the next one', () => {
    const c = new ClientNode({ id: 'c1' });
    c.submit({ kind: 'write', page: 'P1', value: 'v' }, 0);
    c.submit({ kind: 'read', page: 'P2' }, 0);
    c.ready();
    // Another request's failure is not ours.
    c.step({ type: 'REQUEST_FAILED', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c1:7', reason: 'nope', away: null }, 1);
    expect(opsDone(c.ready())).toEqual([]);
    c.step({ type: 'REQUEST_FAILED', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c1:1', reason: 'owner lost', away: null }, 2);
    const r = c.ready();
    expect(opsDone(r)).toEqual([
      { type: 'op-done', opId: 1, kind: 'write', page: 'P1', result: { ok: false, error: 'owner lost', certain: true } },
    ]);
    expect(r.messages).toEqual([{ type: 'READ_REQUEST', from: 'c1', to: 'cm1', epoch: 1, page: 'P2', req: 'c1:2' }]);
    expect(c.entry('P1')).toBeUndefined();
  });

  it('follows a CM only under an epoch a takeover could have made: its own parity, not too far beyond', () => {
    const c = new ClientNode({ id: 'c1', epoch: 1 });
    c.ready();
    // Several takeovers missed while away: followed at once.
    c.step({ type: 'CHANGE_CM', from: 'cm2', to: 'c1', epoch: 8, ask: 1 }, 1);
    expect(c.snapshot()).toMatchObject({ cm: 'cm2', epoch: 8 });
    expect(c.ready().messages).toEqual([expect.objectContaining({ type: 'CLIENT_REPORT', answers: 1, to: 'cm2', epoch: 8 })]);
    for (const m of [
      { type: 'CHANGE_CM', from: 'cm1', to: 'c1', epoch: 2 ** 31 - 1, ask: 1 },
      { type: 'CHANGE_CM', from: 'cm1', to: 'c1', epoch: 8 + EPOCH_JUMP_MAX + 1, ask: 1 },
      { type: 'CHANGE_CM', from: 'cm1', to: 'c1', epoch: 10, ask: 1 },
      { type: 'LEASE_GRANT', from: 'cm2', to: 'c1', epoch: 9, n: 1, ms: 1000 },
    ] as const) {
      c.step(m, 2);
      const r = c.ready();
      expect(r.messages, JSON.stringify(m)).toEqual([]);
      expect(logs(r, 'warn'), JSON.stringify(m)).toEqual([expect.stringContaining(`dropped ${m.type} from ${m.from}`)]);
    }
    expect(c.snapshot()).toMatchObject({ cm: 'cm2', epoch: 8 });
    expect(c.durable()).toMatchObject({ cm: 'cm2', epoch: 8 });
    // The real CM is still followed.
    c.step({ type: 'CHANGE_CM', from: 'cm1', to: 'c1', epoch: 9, ask: 1 }, 3);
    expect(c.snapshot()).toMatchObject({ cm: 'cm1', epoch: 9 });
  });

  it('a client built blank bounds the first CM it hears from epoch 1: that first frame may be the forged one', () => {
    const c = new ClientNode({ id: 'c1' });
    c.step({ type: 'CHANGE_CM', from: 'cm2', to: 'c1', epoch: 2 + EPOCH_JUMP_MAX, ask: 1 }, 1);
    expect(c.snapshot()).toMatchObject({ cm: 'cm1', epoch: 1 });
    c.step({ type: 'CHANGE_CM', from: 'cm2', to: 'c1', epoch: EPOCH_JUMP_MAX, ask: 1 }, 2);
    expect(c.snapshot()).toMatchObject({ cm: 'cm2', epoch: EPOCH_JUMP_MAX });
  });

  it('drops messages only a CM handles, with a warning', () => {
    const c = owner('c1', 'P1', 'a');
    const before = c.snapshot();
    c.step({ type: 'WRITE_REQUEST', from: 'c2', to: 'c1', epoch: 1, page: 'P1', req: 'c2:1' }, 2);
    const r = c.ready();
    expect(r.messages).toEqual([]);
    expect(logs(r, 'warn')).toHaveLength(1);
    expect(c.snapshot()).toEqual(before);
  });
});

describe('ClientNode: input checks on submit', () => {
  /** Submits one op to a client that already owns P1 and has a read of P2 in flight. */
  function rejects(op: OpRequest, pageSizeBytes?: number): string {
    const c = new ClientNode(pageSizeBytes === undefined ? { id: 'c1' } : { id: 'c1', pageSizeBytes });
    c.submit({ kind: 'write', page: 'P1', value: 'a' }, 0);
    c.step({ type: 'PAGE', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c1:1', access: 'write', content: null, version: 0 }, 1);
    c.submit({ kind: 'read', page: 'P2' }, 2);
    c.ready();
    const before = c.snapshot();

    const opId = c.submit(op, 3);
    const r = c.ready();
    expect(r.messages).toEqual([]);
    expect(c.snapshot()).toEqual(before);
    const done = opsDone(r);
    expect(done).toHaveLength(1);
    const d = done[0]!;
    expect(d).toMatchObject({ opId, kind: op.kind, page: op.page, result: { ok: false, certain: true } });
    return d.result.ok ? '' : d.result.error;
  }

  /** The same, for ops that must be accepted: the client faults (P3 is not held) or hits. */
  function accepts(op: OpRequest, pageSizeBytes?: number): void {
    const c = new ClientNode(pageSizeBytes === undefined ? { id: 'c1' } : { id: 'c1', pageSizeBytes });
    c.submit(op, 0);
    const r = c.ready();
    expect(opsDone(r)).toEqual([]);
    expect(r.messages.map((m) => m.type)).toEqual([op.kind === 'read' ? 'READ_REQUEST' : 'WRITE_REQUEST']);
  }

  it('rejects bad page ids at once', () => {
    for (const page of ['', 'P 1', 'P/1', 'é', 'x'.repeat(65), '__proto__ ']) {
      expect(rejects({ kind: 'read', page })).toMatch(/invalid page id/);
      expect(rejects({ kind: 'write', page, value: 'v' })).toMatch(/invalid page id/);
    }
    accepts({ kind: 'read', page: 'x'.repeat(64) });
    accepts({ kind: 'read', page: 'a-B_9' });
  });

  it('rejects content over the default 4096-byte page', () => {
    expect(rejects({ kind: 'write', page: 'P3', value: 'x'.repeat(4097) })).toBe(
      'content is 4097 characters, more than the page size of 4096 bytes',
    );
    accepts({ kind: 'write', page: 'P3', value: 'x'.repeat(4096) });
    accepts({ kind: 'write', page: 'P3', value: '' });
  });

  it('honours a configured pageSizeBytes', () => {
    expect(rejects({ kind: 'write', page: 'P3', value: '123456789' }, 8)).toBe(
      'content is 9 characters, more than the page size of 8 bytes',
    );
    accepts({ kind: 'write', page: 'P3', value: '12345678' }, 8);
  });

  it('counts multi-byte UTF-8 in bytes, not characters', () => {
    // é is 2 bytes, € is 3, 😀 is 4 (and two UTF-16 code units).
    accepts({ kind: 'write', page: 'P3', value: 'éééé' }, 8);
    expect(rejects({ kind: 'write', page: 'P3', value: 'ééééé' }, 8)).toBe('content is 10 bytes; the page size is 8 bytes');
    expect(rejects({ kind: 'write', page: 'P3', value: '€€€' }, 8)).toBe('content is 9 bytes; the page size is 8 bytes');
    accepts({ kind: 'write', page: 'P3', value: '😀😀' }, 8);
    expect(rejects({ kind: 'write', page: 'P3', value: '😀😀a' }, 8)).toBe('content is 9 bytes; the page size is 8 bytes');
  });

  it('rejects content with a lone surrogate', () => {
    for (const value of ['\uD800', 'a\uDC00', '\uD83D', '😀\uDE00', '\uDE00\uD83D']) {
      expect(rejects({ kind: 'write', page: 'P3', value })).toMatch(/lone surrogate/);
    }
  });

  it('rejects non-string content from an untyped caller', () => {
    const op = { kind: 'write', page: 'P3', value: 42 } as unknown as OpRequest;
    expect(rejects(op)).toBe('content must be a string');
  });
});

describe('ClientNode: one operation at a time', () => {
  it('queues later operations behind the fault in flight and runs them in order', () => {
    const c = leased(new ClientNode({ id: 'c1' }));
    const a = c.submit({ kind: 'read', page: 'P1' }, 0);
    const b = c.submit({ kind: 'read', page: 'P1' }, 0);
    const d = c.submit({ kind: 'write', page: 'P2', value: 'v' }, 0);
    expect((c.ready().messages as PageMessage[]).map((m) => `${m.type} ${m.page} ${m.req}`)).toEqual(['READ_REQUEST P1 c1:1']);
    expect(c.snapshot().queued).toBe(2);

    c.step({ type: 'PAGE', from: 'c2', to: 'c1', epoch: 1, page: 'P1', req: 'c1:1', access: 'read', content: 'x', version: 1 }, 1);
    const r = c.ready();
    // The second read is now a hit; the write faults with the next sequence number.
    expect(opsDone(r).map((e) => [e.opId, e.result])).toEqual([
      [a, { ok: true, value: 'x', local: false }],
      [b, { ok: true, value: 'x', local: true }],
    ]);
    expect((r.messages as PageMessage[]).map((m) => `${m.type} ${m.page} ${m.req}`)).toEqual([
      'READ_CONFIRMATION P1 c1:1',
      'WRITE_REQUEST P2 c1:2',
    ]);
    expect(c.snapshot().inFlight).toEqual({ req: 'c1:2', kind: 'write', page: 'P2' });
    expect(c.snapshot().queued).toBe(0);
    expect(d).toBe(3);
  });
});
