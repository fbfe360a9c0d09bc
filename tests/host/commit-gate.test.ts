// Store before you send, in the host: a node's messages and acknowledgements wait for the
// commit of the durable changes they depend on and no longer (an output about another page
// leaves at once, in its link's order), a burst of steps shares one commit, a crash drops what
// had not been committed, and a failed commit holds everything until a retry works.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../src/net/memory.ts';
import type { Transport, TransportEvent } from '../../src/net/transport.ts';
import { messageDecoder } from '../../src/net/message-codec.ts';
import { SEQ_BLOCK } from '../../src/protocol/client.ts';
import { TIMING_DEFAULTS } from '../../src/protocol/config.ts';
import type { DurableEntry } from '../../src/protocol/durable.ts';
import { isPageMessage, type Message } from '../../src/protocol/messages.ts';
import type { OpResult } from '../../src/protocol/node.ts';
import { COMMIT_RETRY_MS } from '../../src/host/commit-gate.ts';
import { makeNode, PAGE_SIZE_BYTES } from '../../src/host/make-node.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import { manualEnv, settle, type ManualEnv } from '../support/manual-env.ts';

const hosts: NodeHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.stop();
});

/** A client host whose link to cm1 is a transport the test reads and writes by hand. */
function client(env: ManualEnv): { host: NodeHost; sent: Message[]; cm: Transport<Message> } {
  const host = new NodeHost(makeNode({ role: 'client', id: 'c1' }, env.now()), env);
  hosts.push(host);
  const [mine, theirs] = MemoryTransport.pair(messageDecoder(PAGE_SIZE_BYTES));
  const sent: Message[] = [];
  // Lease heartbeats come and go with the clock; the test follows the protocol's messages.
  theirs.addListener((e: TransportEvent<Message>) => {
    if (e.type === 'frame' && e.frame.type !== 'LEASE') sent.push(e.frame);
  });
  host.connect('cm1', mine);
  return { host, sent, cm: theirs };
}

/** What the browser throws when the origin's quota is used up: a DOMException with no message. */
function quotaExceeded(): Error {
  const e = new Error('');
  e.name = 'QuotaExceededError';
  return e;
}

function listenLogs(host: NodeHost): string[] {
  const logs: string[] = [];
  host.subscribe(
    (e) => {
      if (e.type === 'log') logs.push(e.text);
    },
    ['log'],
  );
  return logs;
}
const page = (req: string, version: number): Message => ({
  type: 'PAGE',
  from: 'cm1',
  to: 'c1',
  epoch: 1,
  page: 'P1',
  req,
  access: 'write',
  content: null,
  version,
});

/** The entries of a pending batch, by kind. */
function entriesOf(batch: readonly DurableEntry[] | undefined, kind: DurableEntry['kind']): DurableEntry[] {
  return (batch ?? []).filter((e) => e.kind === kind);
}

/** A client that owns P1 and P2 (both written once and committed), its report sent. */
async function owner(env: ManualEnv) {
  const c = client(env);
  const peer = second(c.host);
  c.host.tick();
  env.completeCommit();
  for (const [p, n] of [
    ['P1', 1],
    ['P2', 2],
  ] as const) {
    c.host.submitOp({ kind: 'write', page: p, value: `${p}-0` }, () => {});
    if (n === 1) env.completeCommit(); // the block of request numbers
    await settle();
    c.cm.send({ ...page(`c1:${n}`, 0), page: p } as Message);
    await settle();
    env.completeCommit();
    await settle();
  }
  c.sent.length = 0;
  return { ...c, peer };
}

/** A second link, to client c2, whose frames the test reads. */
function second(host: NodeHost): Message[] {
  const [mine, theirs] = MemoryTransport.pair(messageDecoder(PAGE_SIZE_BYTES));
  const got: Message[] = [];
  theirs.addListener((e: TransportEvent<Message>) => {
    if (e.type === 'frame') got.push(e.frame);
  });
  host.connect('c2', mine);
  return got;
}

describe('the commit gate', () => {
  it('sends a request only once its sequence number is stored, and acknowledges a write only once the page is', async () => {
    const env = manualEnv();
    const { host, sent, cm } = client(env);
    host.tick();
    await settle();
    // A life's first commit holds its identity: the announcing report waits for it.
    expect(sent).toEqual([]);
    expect(entriesOf(env.pending[0], 'client')).toEqual([expect.objectContaining({ seq: 0 })]);
    env.completeCommit();
    await settle();
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT']);
    let result: OpResult | null = null;
    host.submitOp({ kind: 'write', page: 'P1', value: 'v' }, (r) => {
      result = r;
    });
    await settle();
    // A block of request numbers is being reserved: nothing has left yet.
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT']);
    expect(env.pending).toEqual([[expect.objectContaining({ kind: 'client', seq: SEQ_BLOCK })]]);
    env.completeCommit();
    await settle();
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT', 'WRITE_REQUEST']);
    // The page arrives: the write happens, but neither its claim nor its answer leaves before the commit.
    cm.send(page('c1:1', 0));
    await settle();
    expect(result).toBeNull();
    expect(sent).toHaveLength(2);
    // Only what changed is committed: the page, and the number it came under.
    expect(env.pending[0]).toEqual([
      { kind: 'page', page: 'P1', owned: { content: 'v', version: 1, access: 'write' } },
      { kind: 'got', page: 'P1', seq: 1 },
    ]);
    env.completeCommit();
    await settle();
    expect(result).toEqual({ ok: true, value: 'v', local: false });
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT', 'WRITE_REQUEST', 'WRITE_CONFIRMATION']);
  });

  it('holds a read hit behind a write still on its way to disk, and groups a burst into one commit', async () => {
    const env = manualEnv();
    const { host, cm } = client(env);
    host.submitOp({ kind: 'write', page: 'P1', value: 'v0' }, () => {});
    env.completeCommit();
    await settle();
    cm.send(page('c1:1', 0));
    await settle();
    env.completeCommit();
    const done: string[] = [];
    // Three local writes and a read, one after the other: the first starts a commit, the rest
    // pile up behind it and go to disk together.
    for (const v of ['v1', 'v2', 'v3']) host.submitOp({ kind: 'write', page: 'P1', value: v }, () => done.push(v));
    host.submitOp({ kind: 'read', page: 'P1' }, (r) => done.push(`read ${r.ok ? r.value : r.error}`));
    expect(env.pending).toHaveLength(1);
    env.completeCommit();
    expect(done).toEqual(['v1']);
    expect(env.pending).toHaveLength(1);
    expect(env.pending[0]).toEqual([{ kind: 'page', page: 'P1', owned: { content: 'v3', version: 4, access: 'write' } }]);
    env.completeCommit();
    expect(done).toEqual(['v1', 'v2', 'v3', 'read v3']);
    expect(env.committed).toHaveLength(4);
  });

  it("lets an output about another page leave while a commit is under way, in its link's order", async () => {
    const env = manualEnv();
    const { host, cm, sent, peer } = await owner(env);
    const done: string[] = [];
    host.submitOp({ kind: 'write', page: 'P1', value: 'P1-1' }, () => done.push('write P1'));
    expect(env.pending).toHaveLength(1);
    // c2 asks for a read copy of P2: the PAGE depends on nothing uncommitted and leaves now.
    cm.send({ type: 'READ_FORWARD', from: 'cm1', to: 'c1', epoch: 1, page: 'P2', req: 'c2:1', requester: 'c2' });
    await settle();
    expect(peer.map((m) => `${m.type} ${isPageMessage(m) ? m.page : ''}`)).toEqual(['PAGE P2']);
    // The same for P1 waits for P1's commit.
    cm.send({ type: 'READ_FORWARD', from: 'cm1', to: 'c1', epoch: 1, page: 'P1', req: 'c2:2', requester: 'c2' });
    await settle();
    expect(peer).toHaveLength(1);
    // A repeat of the transfer that brought P1 is confirmed again; that answer is about P1 and waits.
    cm.send(page('c1:1', 0));
    // An invalidation of P3, which c1 does not hold, depends on nothing uncommitted, but its
    // answer goes to cm1 behind the one that waits: a link keeps its order.
    cm.send({ type: 'INVALIDATE', from: 'cm1', to: 'c1', epoch: 1, page: 'P3', req: 'c2:3' });
    await settle();
    expect(done).toEqual([]);
    expect(sent).toEqual([]);
    env.completeCommit();
    await settle();
    expect(done).toEqual(['write P1']);
    expect(peer.map((m) => `${m.type} ${isPageMessage(m) ? m.page : ''}`)).toEqual(['PAGE P2', 'PAGE P1']);
    expect(sent.map((m) => `${m.type} ${isPageMessage(m) ? m.page : ''}`)).toEqual(['WRITE_CONFIRMATION P1', 'INVALIDATE_CONFIRMATION P3']);
  });

  it('holds an output about no single page behind every commit', async () => {
    const env = manualEnv();
    const { host, cm, sent } = await owner(env);
    host.submitOp({ kind: 'write', page: 'P1', value: 'P1-1' }, () => {});
    // A newer CM asks for a report: the report tells of P1 too, so it waits for P1's commit.
    cm.send({ type: 'CHANGE_CM', from: 'cm1', to: 'c1', epoch: 3, ask: 1 });
    await settle();
    expect(sent).toEqual([]);
    env.completeCommit();
    await settle();
    expect(sent).toEqual([]);
    // The epoch it adopted is the next commit's: the report leaves after it.
    expect(entriesOf(env.pending[0], 'client')).toEqual([expect.objectContaining({ epoch: 3 })]);
    env.completeCommit();
    await settle();
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT']);
  });

  it('drops what waits for the disk when the host stops, as a crash would', async () => {
    const env = manualEnv();
    const { host, sent } = client(env);
    let answered = false;
    host.submitOp({ kind: 'write', page: 'P1', value: 'v' }, () => {
      answered = true;
    });
    host.stop();
    env.completeCommit();
    await settle();
    expect(answered).toBe(false);
    expect(sent).toEqual([]);
  });

  it('holds everything after a failed commit, says why, and retries with what changed since merged in', async () => {
    const env = manualEnv();
    const { host, sent } = client(env);
    const logs: string[] = [];
    host.subscribe(
      (e) => {
        if (e.type === 'log') logs.push(e.text);
      },
      ['log'],
    );
    host.submitOp({ kind: 'write', page: 'P1', value: 'v' }, () => {});
    env.completeCommit(new Error('QuotaExceededError'));
    await settle();
    expect(sent).toEqual([]);
    expect(logs).toEqual([expect.stringContaining('could not store its state (QuotaExceededError)')]);
    expect(env.pending).toEqual([]);
    env.advance(COMMIT_RETRY_MS);
    expect(env.pending).toEqual([[expect.objectContaining({ kind: 'client', seq: SEQ_BLOCK })]]);
    env.completeCommit();
    await settle();
    expect(sent.map((m) => m.type)).toContain('WRITE_REQUEST');
  });

  it('on a full quota, fails at once a write whose commit was refused (outcome unknown), saying why, and stores it later', async () => {
    const env = manualEnv();
    const { host, sent } = await owner(env);
    const logs = listenLogs(host);
    const results: OpResult[] = [];
    host.submitOp({ kind: 'write', page: 'P1', value: 'hit' }, (r) => results.push(r));
    await settle();
    env.completeCommit(quotaExceeded());
    await settle();
    expect(results).toEqual([
      {
        ok: false,
        certain: false,
        error: expect.stringMatching(
          /c1 could not store this write \(the browser's storage quota for this site is full \(QuotaExceededError\): free space/,
        ),
      },
    ]);
    expect(logs).toEqual([
      expect.stringMatching(/c1 could not store its state: the browser's storage quota .* Operations that need a commit fail/),
    ]);
    // A read of the page rests on that write: it fails too, certainly (a read takes no effect).
    host.submitOp({ kind: 'read', page: 'P1' }, (r) => results.push(r));
    await settle();
    expect(results[1]).toMatchObject({ ok: false, certain: true, error: expect.stringContaining('QuotaExceededError') });
    // Room freed: the write is stored after all, and nothing answers the operations twice.
    env.advance(COMMIT_RETRY_MS);
    env.completeCommit();
    await settle();
    expect(results).toHaveLength(2);
    expect(env.committed.at(-1)).toEqual([{ kind: 'page', page: 'P1', owned: { content: 'hit', version: 2, access: 'write' } }]);
    expect(logs.at(-1)).toBe('c1 stores its state again');
    expect(sent).toEqual([]);
  });

  it("on a full quota, releases the client's own give-up at once rather than behind the refused commit", async () => {
    const env = manualEnv();
    const { host, sent } = client(env);
    host.tick();
    env.completeCommit();
    await settle();
    let result: OpResult | null = null;
    host.submitOp({ kind: 'write', page: 'P1', value: 'v' }, (r) => {
      result = r;
    });
    await settle();
    // The block of request numbers cannot be stored: the request never leaves.
    env.completeCommit(quotaExceeded());
    await settle();
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT']);
    expect(result).toBeNull();
    // Every retry is refused too; at the client's deadline its give-up is told, with the reason.
    for (let t = 0; t < TIMING_DEFAULTS.requestDeadlineMs; t += COMMIT_RETRY_MS) {
      env.advance(COMMIT_RETRY_MS);
      host.tick();
      if (env.pending.length > 0) env.completeCommit(quotaExceeded());
    }
    await settle();
    expect(result).toEqual({
      ok: false,
      certain: true,
      error: expect.stringMatching(/\(c1 could not store its state: the browser's storage quota/),
    });
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT']);
  });

  it('releases a log line after the commit it waited for, stamped with when the node said it', async () => {
    const env = manualEnv();
    const host = new NodeHost(makeNode({ role: 'cm', id: 'cm2', members: ['c1'] }, env.now()), env);
    hosts.push(host);
    const said: Array<{ text: string; at: number }> = [];
    host.subscribe(
      (e) => {
        if (e.type === 'log') said.push({ text: e.text, at: e.at });
      },
      ['log'],
    );
    host.startTicking();
    env.completeCommit(); // what it starts with
    // No primary answers its pulses: cm2 takes over, under an epoch that must be stored first.
    const taking = (): boolean => env.pending.some((batch) => batch.some((e) => e.kind === 'cm' && e.epoch === 2));
    while (!taking() && env.now() < 5_000) env.advance(1);
    const decidedAt = env.now();
    expect(taking()).toBe(true);
    env.advance(250); // the disk is slow
    await settle();
    const acts = (): { at: number } | undefined => said.find((l) => / acts as CM, epoch 2,/.test(l.text));
    expect(acts()).toBeUndefined();
    env.completeCommit();
    await settle();
    expect(acts()?.at).toBe(decidedAt);
  });
});
