// The host's core on its own, as the simulator runs it, and the inspector as only a watcher: the
// core tells its observers the bare facts, an observer that throws cannot stop the node, and a
// cluster whose hosts are inspected sends exactly the messages of one whose hosts are not.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../src/net/memory.ts';
import { messageDecoder } from '../../src/net/message-codec.ts';
import { describeMessage, type Message } from '../../src/protocol/messages.ts';
import { HostCore, type HostObserver } from '../../src/host/host-core.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import { makeNode, PAGE_SIZE_BYTES } from '../../src/host/make-node.ts';
import { manualEnv, settle, type ManualEnv } from '../support/manual-env.ts';

const decode = messageDecoder(PAGE_SIZE_BYTES);
const cores: HostCore[] = [];

afterEach(() => {
  for (const c of cores.splice(0)) c.stop();
});

/** cm1 and two clients joined directly on one hand-driven clock, built bare or inspected. */
function cluster(inspected: boolean, env: ManualEnv = manualEnv(0, false)) {
  const build = (role: 'cm' | 'client', id: string): HostCore => {
    const made = makeNode({ role, id }, env.now());
    const core = inspected ? new NodeHost(made, env) : new HostCore(made, env);
    // Everything an inspected host can tell, watched, so that every event is built.
    if (core instanceof NodeHost) core.subscribe(() => undefined);
    cores.push(core);
    return core;
  };
  const nodes = [build('cm', 'cm1'), build('client', 'c1'), build('client', 'c2')] as const;
  nodes.forEach((a, i) =>
    nodes.slice(i + 1).forEach((b) => {
      const [ta, tb] = MemoryTransport.pair(decode);
      a.connect(b.id, ta);
      b.connect(a.id, tb);
    }),
  );
  return { env, cm: nodes[0], c1: nodes[1], c2: nodes[2] };
}

/** Records each fact an observer hears, as a line. */
function recorder(): { lines: string[]; observer: HostObserver } {
  const lines: string[] = [];
  const observer: HostObserver = {
    received: (m) => lines.push(`received ${m.type}`),
    sent: (m, outcome) => lines.push(`${outcome} ${m.type}`),
    invoked: (_, op) => lines.push(`invoked ${op.kind} ${op.page}`),
    answered: (e) => lines.push(`answered ${e.kind} ${e.page} ${e.result.ok}`),
  };
  return { lines, observer };
}

describe('HostCore', () => {
  it('runs a write and a read with no inspector, telling an observer each fact in order', async () => {
    const { c1, c2 } = cluster(false);
    const watch = recorder();
    c2.observe(watch.observer);
    expect(await c1.submit({ kind: 'write', page: 'P1', value: 'v1' })).toMatchObject({ ok: true });
    expect(await c2.submit({ kind: 'read', page: 'P1' })).toMatchObject({ ok: true, value: 'v1' });
    await settle();
    // A client announces itself with its first output, which the read's request follows.
    expect(watch.lines).toEqual([
      'invoked read P1',
      'sent CLIENT_REPORT',
      'sent READ_REQUEST',
      'received PAGE',
      'sent READ_CONFIRMATION',
      'answered read P1 true',
    ]);
  });

  it('drops an observer that throws, and the node goes on as if it had never been watched', async () => {
    const { c1, c2 } = cluster(false);
    let calls = 0;
    const unsubscribe = c1.observe({
      invoked: () => {
        calls++;
        throw new Error('a broken watcher');
      },
    });
    const watch = recorder();
    c1.observe(watch.observer);
    expect(await c1.submit({ kind: 'write', page: 'P1', value: 'v1' })).toMatchObject({ ok: true });
    expect(await c1.submit({ kind: 'write', page: 'P1', value: 'v2' })).toMatchObject({ ok: true });
    expect(await c2.submit({ kind: 'read', page: 'P1' })).toMatchObject({ ok: true, value: 'v2' });
    expect(calls).toBe(1);
    // The observer after it heard both operations.
    expect(watch.lines.filter((l) => l.startsWith('invoked'))).toHaveLength(2);
    unsubscribe();
  });

  it('sends the same messages at the same times whether or not an inspector watches', async () => {
    const run = async (inspected: boolean): Promise<string[]> => {
      const { env, cm, c1, c2 } = cluster(inspected);
      const sent: string[] = [];
      for (const core of [cm, c1, c2]) core.observe({ sent: (m: Message) => sent.push(`${env.now()} ${describeMessage(m)}`) });
      for (const core of [cm, c1, c2]) core.startTicking();
      await c1.submit({ kind: 'write', page: 'P1', value: 'a' });
      await c2.submit({ kind: 'read', page: 'P1' });
      env.advance(1_000);
      await c2.submit({ kind: 'write', page: 'P1', value: 'b' });
      await c1.submit({ kind: 'read', page: 'P1' });
      env.advance(1_000);
      await settle();
      for (const c of cores.splice(0)) c.stop();
      return sent;
    };
    const bare = await run(false);
    const inspected = await run(true);
    expect(bare.length).toBeGreaterThan(20);
    expect(inspected).toEqual(bare);
  });
});
