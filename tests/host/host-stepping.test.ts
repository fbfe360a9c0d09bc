// Step mode in the node host: incoming frames wait until delivered or dropped by hand, leave in
// FIFO order per sender, and every message and operation is reported as data.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../src/net/memory.ts';
import { messageDecoder } from '../../src/net/message-codec.ts';
import type { Message } from '../../src/protocol/messages.ts';
import { NodeHost, type HostEvent } from '../../src/host/node-host.ts';
import { HeldFrames } from '../../src/host/held-frames.ts';
import { makeNode, PAGE_SIZE_BYTES } from '../../src/host/make-node.ts';
import { NO_STEPPING, stepSettingsError } from '../../src/host/trace.ts';
import { manualEnv, settle, type ManualEnv } from '../support/manual-env.ts';

const decode = messageDecoder(PAGE_SIZE_BYTES);
const hosts: NodeHost[] = [];

function node(role: 'cm' | 'client', id: string, env: ManualEnv): { host: NodeHost; events: HostEvent[] } {
  const host = new NodeHost(makeNode({ role, id }, env.now()), env);
  const events: HostEvent[] = [];
  host.subscribe((e) => events.push(e));
  hosts.push(host);
  return { host, events };
}

/** A CM and two clients, without disks, on one clock that moves only when the test advances it. */
function cluster() {
  const env = manualEnv(0, false);
  const cm = node('cm', 'cm1', env);
  const c1 = node('client', 'c1', env);
  const c2 = node('client', 'c2', env);
  const all = [cm.host, c1.host, c2.host];
  all.forEach((a, i) =>
    all.slice(i + 1).forEach((b) => {
      const [ta, tb] = MemoryTransport.pair<Message>(decode);
      a.connect(b.id, ta);
      b.connect(a.id, tb);
    }),
  );
  for (const h of all) h.tick();
  return { env, cm, c1, c2, all };
}

afterEach(() => {
  for (const h of hosts.splice(0)) h.stop();
});

const hold = { ...NO_STEPPING, hold: true };

describe('NodeHost step mode', () => {
  it("holds a write fault's invalidation until a person delivers it", async () => {
    const { env, cm, c1, c2, all } = cluster();
    await c1.host.submit({ kind: 'write', page: 'P1', value: 'a' });
    await c2.host.submit({ kind: 'read', page: 'P1' });
    await settle();
    for (const h of all) h.setStepSettings(hold);
    await settle();
    let done = false;
    // c1 owns P1 and c2 holds a copy: c1's write needs c2's copy invalidated.
    const write = c1.host.submit({ kind: 'write', page: 'P1', value: 'b' }).then((r) => {
      done = true;
      return r;
    });
    await settle();
    expect(cm.host.heldFrames().map((f) => f.message.code)).toEqual(['WQ']);
    cm.host.deliverHeld(cm.host.heldFrames()[0]?.id ?? -1);
    await settle();
    const iv = c2.host.heldFrames();
    expect(iv.map((f) => `${f.message.code} ${f.message.from}->${f.message.to}`)).toEqual(['IV cm1->c2']);
    expect(c2.events.some((e) => e.type === 'held' && e.held.length === 1)).toBe(true);
    // Time passes; the write still waits for the invalidation held for a person.
    env.advance(1_000);
    await settle();
    expect(done).toBe(false);
    c2.host.deliverHeld(iv[0]?.id ?? -1);
    // Deliver whatever waits, in order, until the write is done.
    for (let i = 0; i < 20 && !done; i++) {
      await settle();
      for (const h of all) for (const f of h.heldFrames()) h.deliverHeld(f.id);
    }
    expect(await write).toMatchObject({ ok: true });
    const seen = c2.events.flatMap((e) => (e.type === 'trace' ? [`${e.message.fate} ${e.message.code}`] : []));
    expect(seen).toContain('received IV');
    expect(seen).toContain('sent IC');
  });

  it('keeps frames from one sender in order, drops by hand, and releases the rest when step mode ends', async () => {
    const { env, cm, c1 } = cluster();
    cm.host.setStepSettings(hold);
    void c1.host.submit({ kind: 'write', page: 'P1', value: 'a' });
    await settle();
    // Held at the CM: c1's start-up report, its first lease heartbeat, then its write request.
    const held = cm.host.heldFrames();
    const fromC1 = held.filter((f) => f.message.from === 'c1');
    expect(fromC1.map((f) => f.message.code)).toEqual(['CR', 'LE', 'WQ']);
    expect(() => cm.host.deliverHeld(fromC1[2]?.id ?? -1)).toThrow(/links are FIFO/);
    cm.host.dropHeld(fromC1[0]?.id ?? -1);
    expect(cm.events.some((e) => e.type === 'trace' && e.message.fate === 'dropped' && e.message.code === 'CR')).toBe(true);
    cm.host.deliverHeld(fromC1[1]?.id ?? -1);
    cm.host.deliverHeld(fromC1[2]?.id ?? -1);
    cm.host.setStepSettings(NO_STEPPING);
    // The rest leave on a timer due at once.
    env.advance(0);
    await settle();
    expect(cm.host.heldFrames()).toEqual([]);
  });

  it('reports operations with their request ids, and a partitioned send as lost', async () => {
    const { c1, c2 } = cluster();
    await c1.host.submit({ kind: 'write', page: 'P1', value: 'a' });
    const ops = c1.events.flatMap((e) => (e.type === 'op' ? [e.op.phase] : []));
    expect(ops).toEqual(['invoke', 'req', 'done']);
    const req = c1.events.find((e) => e.type === 'op' && e.op.phase === 'req');
    expect(req?.type === 'op' && req.op.phase === 'req' && req.op.req).toMatch(/^c1:\d+$/);
    c1.host.setLinkFaults('cm1', { partitioned: true });
    void c1.host.submit({ kind: 'read', page: 'P9' });
    await settle();
    expect(c1.events.some((e) => e.type === 'trace' && e.message.fate === 'lost' && e.message.code === 'RQ')).toBe(true);
    expect(c2.events.length).toBeGreaterThan(0);
  });

  it('delays every incoming frame by the added delay, keeping their order', async () => {
    const { env, cm, c1 } = cluster();
    cm.host.setStepSettings({ ...NO_STEPPING, delayMs: 40 });
    let answer: boolean | null = null;
    void c1.host.submit({ kind: 'read', page: 'P1' }).then((r) => (answer = r.ok));
    await settle();
    // c1's start-up report, its first lease heartbeat and its read request all came at 0: each
    // waits at the CM until 40.
    const fromC1 = (): string[] => cm.host.heldFrames().flatMap((f) => (f.message.from === 'c1' ? [`${f.message.code} ${f.dueAt}`] : []));
    expect(fromC1()).toEqual(['CR 40', 'LE 40', 'RQ 40']);
    const received = (): string[] =>
      cm.events.flatMap((e) => (e.type === 'trace' && e.message.fate === 'received' && e.message.from === 'c1' ? [e.message.code] : []));
    env.advance(39);
    await settle();
    expect([received(), answer]).toEqual([[], null]);
    env.advance(1);
    await settle();
    expect(received()).toEqual(['CR', 'LE', 'RQ']);
    expect(answer).toBe(true);
    // The read's confirmation, sent at 40, waits in its turn.
    expect(fromC1()).toEqual(['RC 80']);
  });

  it('checks step settings', () => {
    expect(stepSettingsError({ hold: true, delayMs: 2500, freezeTimers: true })).toMatch(/delayMs/);
    expect(stepSettingsError(NO_STEPPING)).toBeNull();
    const q = new HeldFrames<string>();
    q.push('a', 'x', 0, 10);
    q.push('b', 'y', 0, 5);
    expect(q.takeDue(6)).toEqual([]);
    expect(q.takeDue(10).map((w) => w.frame)).toEqual(['x', 'y']);
  });
});
