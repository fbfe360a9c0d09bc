import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../src/net/memory.ts';
import { messageDecoder } from '../../src/net/message-codec.ts';
import type { Message } from '../../src/protocol/messages.ts';
import { NodeHost, STATE_PUSH_MS, type HostEvent } from '../../src/host/node-host.ts';
import { makeNode, nodeSpecError, PAGE_SIZE_BYTES } from '../../src/host/make-node.ts';
import { manualEnv, settle, type ManualEnv } from '../support/manual-env.ts';

const decode = messageDecoder(PAGE_SIZE_BYTES);
const hosts: NodeHost[] = [];

/** A host without a disk in a world whose time moves only when the test advances it. */
function host(role: 'cm' | 'client', id: string, env: ManualEnv = manualEnv(0, false)): { host: NodeHost; events: HostEvent[] } {
  const h = new NodeHost(makeNode({ role, id }, env.now()), env);
  const events: HostEvent[] = [];
  h.subscribe((e) => events.push(e));
  hosts.push(h);
  return { host: h, events };
}

/** Every pair joined directly, as the page does with MessageChannels. */
function mesh(nodes: NodeHost[]): Map<string, MemoryTransport<Message>> {
  const raw = new Map<string, MemoryTransport<Message>>();
  nodes.forEach((a, i) =>
    nodes.slice(i + 1).forEach((b) => {
      const [ta, tb] = MemoryTransport.pair(decode);
      a.connect(b.id, ta);
      b.connect(a.id, tb);
      raw.set(`${a.id}->${b.id}`, ta);
      raw.set(`${b.id}->${a.id}`, tb);
    }),
  );
  return raw;
}

/** One CM and three clients on one hand-driven clock. */
function cluster() {
  const env = manualEnv(0, false);
  const cm = host('cm', 'cm1', env);
  const c = [host('client', 'c1', env), host('client', 'c2', env), host('client', 'c3', env)] as const;
  const raw = mesh([cm.host, ...c.map((x) => x.host)]);
  // Clients announce themselves at start; let those reports go before a test counts messages.
  for (const x of c) x.host.tick();
  return { env, cm, c1: c[0], c2: c[1], c3: c[2], raw };
}

/** Lets `ms` pass in 10 ms steps, each run to its end: timers fire and frames in flight arrive. */
async function runFor(env: ManualEnv, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    env.advance(10);
    await settle();
  }
}

const traces = (events: HostEvent[]) => events.flatMap((e) => (e.type === 'trace' ? [`${e.direction} ${e.text}`] : []));
const logs = (events: HostEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.text] : []));

afterEach(() => {
  for (const h of hosts.splice(0)) h.stop();
});

describe('NodeHost', () => {
  it('runs the seed scenario over direct links: write, two reads, a write with invalidation, a read', async () => {
    const { cm, c1, c2, c3 } = cluster();
    expect(await c1.host.submit({ kind: 'read', page: 'P1' })).toMatchObject({ ok: true, value: null, local: false });
    expect(await c1.host.submit({ kind: 'write', page: 'P1', value: 'Content1' })).toMatchObject({ ok: true });
    expect(await c2.host.submit({ kind: 'read', page: 'P1' })).toMatchObject({ ok: true, value: 'Content1', local: false });
    expect(await c3.host.submit({ kind: 'read', page: 'P1' })).toMatchObject({ ok: true, value: 'Content1' });
    await settle();
    const meta = cm.host.snapshot();
    expect(meta.role === 'cm' && meta.snapshot.pages[0]).toMatchObject({ page: 'P1', owner: 'c1', copySet: ['c2', 'c3'] });
    expect(await c3.host.submit({ kind: 'write', page: 'P1', value: 'Content2' })).toMatchObject({ ok: true });
    expect(await c1.host.submit({ kind: 'read', page: 'P1' })).toMatchObject({ ok: true, value: 'Content2', local: false });
    await settle();
    const after = cm.host.snapshot();
    expect(after.role === 'cm' && after.snapshot.pages[0]).toMatchObject({ owner: 'c3', copySet: ['c1'] });
  });

  it('spends three hops and a confirmation on a read fault', async () => {
    const { cm, c1, c2 } = cluster();
    await c1.host.submit({ kind: 'write', page: 'P1', value: 'x' });
    await settle();
    for (const e of [cm.events, c1.events, c2.events]) e.length = 0;
    await c2.host.submit({ kind: 'read', page: 'P1' });
    await settle();
    const sent = [...traces(c2.events), ...traces(cm.events), ...traces(c1.events)].filter((t) => t.startsWith('sent'));
    expect(sent.map((t) => t.split(' ')[2])).toEqual(['READ_REQUEST(RQ)', 'READ_CONFIRMATION(RC)', 'READ_FORWARD(RF)', 'PAGE(RD)']);
  });

  it('publishes state changes to subscribers without being asked', async () => {
    const { env, c1 } = cluster();
    await c1.host.submit({ kind: 'write', page: 'P7', value: 'v' });
    const states = () => c1.events.flatMap((e) => (e.type === 'state' && e.state.role === 'client' ? [e.state.snapshot] : []));
    // State pushes are coalesced: none goes before one push interval has passed, then one does.
    env.advance(STATE_PUSH_MS - 1);
    expect(states()).toEqual([]);
    env.advance(1);
    expect(states().at(-1)?.pages).toEqual([{ page: 'P7', content: 'v', version: 1, access: 'write', owner: true }]);
  });

  it('drops and logs garbage and forged frames, leaving the node unchanged', async () => {
    const { cm, c1, raw } = cluster();
    await settle();
    const before = JSON.stringify(cm.host.snapshot());
    raw.get('c1->cm1')?.postRaw({ ivy: 1, kind: 'frame', body: { type: 'READ_REQUEST', from: 'c1' } });
    raw.get('c2->cm1')?.send({ type: 'WRITE_REQUEST', from: 'c1', to: 'cm1', epoch: 1, page: 'P1', req: 'c1:1' });
    raw.get('c1->cm1')?.postRaw('not even an envelope');
    await settle();
    expect(JSON.stringify(cm.host.snapshot())).toBe(before);
    const lines = logs(cm.events);
    expect(lines.filter((l) => l.includes('dropped a bad frame from c1'))).toHaveLength(2);
    expect(lines.some((l) => l.includes('arrived on the link from c2'))).toBe(true);
    expect(await c1.host.submit({ kind: 'read', page: 'P1' })).toMatchObject({ ok: true });
  });

  it('reports a message for a peer it has no link to', async () => {
    const lonely = host('client', 'c9');
    const pending = lonely.host.submit({ kind: 'read', page: 'P1' });
    await settle();
    expect(logs(lonely.events).some((l) => l.includes('has no link to cm1'))).toBe(true);
    expect(await Promise.race([pending.then(() => 'done'), settle().then(() => 'waiting')])).toBe('waiting');
  });

  it('says once per unreachable peer that it cannot reach it, until a link to it comes back', () => {
    const env = manualEnv(0, false);
    const a = new NodeHost(makeNode({ role: 'client', id: 'c8' }, 0), env);
    hosts.push(a);
    const events: HostEvent[] = [];
    a.subscribe((e) => events.push(e));
    const lost = (to: string) => logs(events).filter((l) => l.includes(`has no link to ${to}`)).length;
    // The announce report and the request are lost, and so are the retries: cm1 first, then cm2.
    void a.submit({ kind: 'read', page: 'P1' });
    for (let i = 0; i < 4; i++) {
      env.advance(200);
      a.tick();
    }
    expect([lost('cm1'), lost('cm2')]).toEqual([1, 1]);
    const [link] = MemoryTransport.pair(decode);
    a.connect('cm1', link);
    link.close();
    for (let i = 0; i < 2; i++) {
      env.advance(200);
      a.tick();
    }
    expect(lost('cm1')).toBe(2);
  });

  it('answers invalid operations at once and operations on a CM with an error', async () => {
    const { cm, c1 } = cluster();
    expect(await c1.host.submit({ kind: 'read', page: 'bad page!' })).toMatchObject({ ok: false, certain: true });
    const big = 'x'.repeat(PAGE_SIZE_BYTES + 1);
    expect(await c1.host.submit({ kind: 'write', page: 'P1', value: big })).toMatchObject({ ok: false });
    expect(await cm.host.submit({ kind: 'read', page: 'P1' })).toMatchObject({ ok: false, error: /central manager/ });
    const s = c1.host.snapshot();
    expect(s.role === 'client' && s.snapshot.pages).toEqual([]);
  });

  it('applies link faults: a partition loses the request', async () => {
    const { c1 } = cluster();
    c1.host.setLinkFaults('cm1', { partitioned: true });
    const pending = c1.host.submit({ kind: 'read', page: 'P1' });
    await settle();
    expect(await Promise.race([pending.then(() => 'done'), settle().then(() => 'waiting')])).toBe('waiting');
    expect(() => c1.host.setLinkFaults('c42', { dropRate: 1 })).toThrow(/no link to c42/);
  });

  it('forgets a link once either end closes it', async () => {
    const { c1, c2, raw } = cluster();
    raw.get('c2->c1')?.close();
    await settle();
    expect(c1.host.peers()).toEqual(['c3', 'cm1']);
    expect(c2.host.peers()).toEqual(['c3', 'cm1']);
    expect(logs(c1.events)).toContain('c1: link to c2 closed');
  });
});

describe('nodeSpecError', () => {
  it('accepts the two CM identities and client ids, and nothing else', () => {
    expect(nodeSpecError({ role: 'cm', id: 'cm1' })).toBeNull();
    expect(nodeSpecError({ role: 'client', id: 'c12' })).toBeNull();
    expect(nodeSpecError({ role: 'cm', id: 'c1' })).toMatch(/cm1 or cm2/);
    expect(nodeSpecError({ role: 'client', id: 'cm1' })).toMatch(/c<n>/);
    expect(nodeSpecError({ role: 'boss', id: 'c1' })).toMatch(/role/);
    expect(nodeSpecError(null)).toMatch(/object/);
  });

  it('checks the restart fields of a spec: CM start, members, durable state (field by field), request numbering', () => {
    expect(
      nodeSpecError({ role: 'cm', id: 'cm2', start: 'restartBackup', members: ['c1'], durable: { epoch: 2, members: [] } }),
    ).toBeNull();
    expect(nodeSpecError({ role: 'client', id: 'c1', seqStart: 1_700_000_000_000, store: 'ivy-registry' })).toBeNull();
    expect(nodeSpecError({ role: 'cm', id: 'cm1', start: 'reboot' })).toMatch(/unknown CM start/);
    expect(nodeSpecError({ role: 'cm', id: 'cm1', members: ['cm3'] })).toMatch(/members/);
    expect(nodeSpecError({ role: 'client', id: 'c1', durable: 'pages' })).toMatch(/durable/);
    const client = {
      cm: 'cm1',
      epoch: 3,
      seq: 7,
      owned: [{ page: 'P1', content: 'x', version: 2, access: 'write' }],
      handoffs: [],
      ghosts: [],
    };
    expect(nodeSpecError({ role: 'client', id: 'c1', restart: true, durable: client })).toBeNull();
    expect(
      nodeSpecError({
        role: 'client',
        id: 'c1',
        durable: { ...client, owned: [{ page: 'P1', content: 'x', version: -2, access: 'write' }] },
      }),
    ).toMatch(/owned pages/);
    expect(nodeSpecError({ role: 'client', id: 'c1', durable: { ...client, ghosts: undefined } })).toMatch(/ghosts/);
    expect(
      nodeSpecError({ role: 'cm', id: 'cm1', durable: { epoch: 3, members: [], replicas: [{ page: 'P1', version: 1, content: null }] } }),
    ).toBeNull();
    expect(nodeSpecError({ role: 'cm', id: 'cm1', durable: { epoch: '3', members: [] } })).toMatch(/CM durable state/);
    // A client's state is no CM's.
    expect(nodeSpecError({ role: 'cm', id: 'cm1', durable: client })).toMatch(/CM durable state/);
    expect(nodeSpecError({ role: 'client', id: 'c1', seqStart: -1 })).toMatch(/seqStart/);
    expect(nodeSpecError({ role: 'client', id: 'c1', store: 7 })).toMatch(/store/);
  });

  it('builds a client that follows the CM its join found acting, and refuses a follow that names no CM', () => {
    const made = makeNode({ role: 'client', id: 'c3', follow: { cm: 'cm2', epoch: 4 } }, 0);
    expect(made.snapshot()).toMatchObject({ role: 'client', snapshot: { cm: 'cm2', epoch: 4 } });
    expect(makeNode({ role: 'client', id: 'c3' }, 0).snapshot()).toMatchObject({ snapshot: { cm: 'cm1', epoch: 1 } });
    expect(nodeSpecError({ role: 'client', id: 'c3', follow: { cm: 'cm2', epoch: 4 } })).toBeNull();
    expect(nodeSpecError({ role: 'client', id: 'c3', follow: { cm: 'c1', epoch: 4 } })).toMatch(/follow/);
    expect(nodeSpecError({ role: 'client', id: 'c3', follow: { cm: 'cm2', epoch: 0 } })).toMatch(/follow/);
  });

  it('finds the acting CM by its heartbeats when, idle, it follows a CM that now stands by', async () => {
    // A tab client whose join found cm1 acting just before cm2 took over: cm2 never heard of it,
    // cm1 now stands by and ignores it, and with nothing to ask it has no retry to find cm2.
    const env = manualEnv(0, false);
    const cm1 = host('cm', 'cm1', env).host;
    const cm2 = host('cm', 'cm2', env).host;
    mesh([cm1, cm2]);
    cm1.startTicking();
    cm2.startTicking();
    await runFor(env, 500);
    cm1.setLinkFaults('cm2', { partitioned: true });
    await runFor(env, 1_000);
    cm1.setLinkFaults('cm2', { partitioned: false });
    await runFor(env, 500);
    const role = (h: NodeHost) => {
      const s = h.snapshot();
      return s.role === 'cm' ? `${s.snapshot.role} e${s.snapshot.epoch}` : null;
    };
    expect([role(cm1), role(cm2)]).toEqual(['standby e2', 'acting e2']);
    const c3 = new NodeHost(makeNode({ role: 'client', id: 'c3', follow: { cm: 'cm1', epoch: 1 } }, env.now()), env);
    hosts.push(c3);
    mesh([c3, cm1]);
    mesh([c3, cm2]);
    c3.startTicking();
    await runFor(env, 2_500);
    expect(c3.snapshot()).toMatchObject({ role: 'client', snapshot: { cm: 'cm2', epoch: 2, leased: true } });
  });

  it("keeps the heartbeats of a lone CM's client on it: a CM that may grant no lease still answers", async () => {
    // cm1 expects a standby (peerExists), which never pulses: it may grant no lease, ever.
    const env = manualEnv(0, false);
    const cm1 = host('cm', 'cm1', env).host;
    const c1 = host('client', 'c1', env).host;
    mesh([cm1, c1]);
    const heartbeatsTo: string[] = [];
    const grants: number[] = [];
    c1.observe({
      sent: (m) => void (m.type === 'LEASE' && heartbeatsTo.push(m.to)),
      received: (m) => void (m.type === 'LEASE_GRANT' && grants.push(m.ms)),
    });
    cm1.startTicking();
    c1.startTicking();
    await runFor(env, 3_000);
    expect(heartbeatsTo.length).toBeGreaterThan(8);
    expect(new Set(heartbeatsTo)).toEqual(new Set(['cm1']));
    expect(grants.length).toBeGreaterThan(8);
    expect(new Set(grants)).toEqual(new Set([0]));
    expect(c1.snapshot()).toMatchObject({ snapshot: { cm: 'cm1', leased: false } });
  });

  it('builds a rebooting CM from its spec: restartCM rejoins, restartBackup stands by, epoch and members kept', () => {
    const state = (spec: Parameters<typeof makeNode>[0]) => {
      const s = makeNode(spec, 0).snapshot();
      return s.role === 'cm' ? [s.snapshot.role, s.snapshot.epoch, s.snapshot.members] : null;
    };
    expect(state({ role: 'cm', id: 'cm1', members: ['c1'] })).toEqual(['acting', 1, ['c1']]);
    expect(state({ role: 'cm', id: 'cm1', start: 'restartCM', durable: { epoch: 3, members: ['c2'] } })).toEqual(['rejoining', 3, ['c2']]);
    expect(state({ role: 'cm', id: 'cm2', start: 'restartBackup', members: ['c1'], durable: { epoch: 4, members: [] } })).toEqual([
      'standby',
      4,
      ['c1'],
    ]);
  });
});
