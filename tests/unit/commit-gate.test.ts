// Store before you send, in the host: a node's messages and acknowledgements wait for the
// commit of the durable state they depend on, a burst of steps shares one commit, a crash
// drops what had not been committed, and a failed commit holds everything until a retry works.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../src/net/memory.ts';
import type { Transport, TransportEvent } from '../../src/net/transport.ts';
import { messageDecoder } from '../../src/net/message-codec.ts';
import { SEQ_BLOCK, type ClientDurable } from '../../src/protocol/client.ts';
import type { CmDurable } from '../../src/protocol/manager.ts';
import type { Message } from '../../src/protocol/messages.ts';
import type { OpResult } from '../../src/protocol/node.ts';
import { COMMIT_RETRY_MS } from '../../src/host/commit-gate.ts';
import { makeNode, PAGE_SIZE_BYTES } from '../../src/host/make-node.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import { manualEnv, type ManualEnv } from './manual-env.ts';
import { sleep } from '../../src/util/sleep.ts';

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

const flush = (): Promise<void> => sleep(0);
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

describe('the commit gate', () => {
  it('sends a request only once its sequence number is stored, and acknowledges a write only once the page is', async () => {
    const env = manualEnv();
    const { host, sent, cm } = client(env);
    host.tick(); // the announcing report waits for nothing durable
    await flush();
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT']);
    let result: OpResult | null = null;
    host.submitOp({ kind: 'write', page: 'P1', value: 'v' }, (r) => {
      result = r;
    });
    await flush();
    // A block of request numbers is being reserved: nothing has left yet.
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT']);
    expect(env.pending).toEqual([expect.objectContaining({ seq: SEQ_BLOCK })]);
    env.completeCommit();
    await flush();
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT', 'WRITE_REQUEST']);
    // The page arrives: the write happens, but neither its claim nor its answer leaves before the commit.
    cm.send(page('c1:1', 0));
    await flush();
    expect(result).toBeNull();
    expect(sent).toHaveLength(2);
    const durable = env.pending[0] as ClientDurable;
    expect(durable.owned).toEqual([expect.objectContaining({ page: 'P1', content: 'v', version: 1, owner: true })]);
    env.completeCommit();
    await flush();
    expect(result).toEqual({ ok: true, value: 'v', local: false });
    expect(sent.map((m) => m.type)).toEqual(['CLIENT_REPORT', 'WRITE_REQUEST', 'WRITE_CONFIRMATION']);
  });

  it('holds a read hit behind a write still on its way to disk, and groups a burst into one commit', async () => {
    const env = manualEnv();
    const { host, cm } = client(env);
    host.submitOp({ kind: 'write', page: 'P1', value: 'v0' }, () => {});
    env.completeCommit();
    await flush();
    cm.send(page('c1:1', 0));
    await flush();
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
    expect((env.pending[0] as ClientDurable).owned[0]).toMatchObject({ content: 'v3', version: 4 });
    env.completeCommit();
    expect(done).toEqual(['v1', 'v2', 'v3', 'read v3']);
    expect(env.committed).toHaveLength(4);
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
    await flush();
    expect(answered).toBe(false);
    expect(sent).toEqual([]);
  });

  it('holds everything after a failed commit, says why, and retries with the latest state', async () => {
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
    await flush();
    expect(sent).toEqual([]);
    expect(logs).toEqual([expect.stringContaining('could not store its state (QuotaExceededError)')]);
    expect(env.pending).toEqual([]);
    env.advance(COMMIT_RETRY_MS);
    expect(env.pending).toEqual([expect.objectContaining({ seq: SEQ_BLOCK })]);
    env.completeCommit();
    await flush();
    expect(sent.map((m) => m.type)).toContain('WRITE_REQUEST');
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
    const taking = (): boolean => env.pending.some((d) => (d as CmDurable).epoch === 2);
    while (!taking() && env.now() < 5_000) env.advance(1);
    const decidedAt = env.now();
    expect(taking()).toBe(true);
    env.advance(250); // the disk is slow
    await flush();
    const acts = (): { at: number } | undefined => said.find((l) => / acts as CM, epoch 2$/.test(l.text));
    expect(acts()).toBeUndefined();
    env.completeCommit();
    await flush();
    expect(acts()?.at).toBe(decidedAt);
  });
});
