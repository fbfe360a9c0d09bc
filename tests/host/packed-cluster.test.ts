// Packed placement, driven from the page side exactly as the dashboard drives it: nodes spread
// over two in-process packs (pack.ts behind real Comlink), co-located nodes linked in memory,
// the others over MessageChannels; kill, restart, partitions and step mode act per node.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HostEvent } from '../../src/host/node-host.ts';
import type { HeldFrame } from '../../src/host/trace.ts';
import type { NodeId } from '../../src/protocol/ids.ts';
import { Registry } from '../../src/registry/registry.ts';
import { withDeadline } from '../../src/util/deadline.ts';
import { ClusterModel } from '../../src/ui/cluster-model.ts';
import { Cluster } from '../../src/workers/cluster.ts';
import type { MakeApi } from '../../src/workers/pack.ts';
import { packedSpawner } from '../../src/workers/placement.ts';
import { createWorkerApi, type NodeWorkerApi } from '../../src/workers/worker-api.ts';
import { inProcessPackSpawner, inProcessSpawner } from '../support/in-process-worker.ts';

const cleanups: Array<() => void> = [];
let dbCount = 0;

afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** Every node api the packs made, by node id (latest life last), with how each was linked. */
interface Made {
  apis: Map<NodeId, NodeWorkerApi[]>;
  links: { channel: string[]; memory: string[] };
}

function packedCluster(): { cluster: Cluster; made: Made } {
  const made: Made = { apis: new Map(), links: { channel: [], memory: [] } };
  const makeApi: MakeApi = (thread) => {
    const api = createWorkerApi(thread);
    const start = api.start;
    let id: NodeId = '?';
    const wrapped: NodeWorkerApi = {
      ...api,
      async start(spec) {
        const info = await start(spec);
        id = spec.id;
        made.apis.set(id, [...(made.apis.get(id) ?? []), wrapped]);
        return info;
      },
      connect(peer, port, origin) {
        made.links.channel.push(`${id}-${peer}`);
        api.connect(peer, port, origin);
      },
      connectLocal(peer) {
        made.links.memory.push(`${id}-${peer}`);
        api.connectLocal(peer);
      },
    };
    return wrapped;
  };
  const packs = packedSpawner(inProcessPackSpawner(cleanups, makeApi), 2);
  const cluster = new Cluster(
    { 'worker-per-node': inProcessSpawner(cleanups), packed: packs.spawn },
    { startMs: 5000, controlMs: 5000, operationMs: 8000 },
  );
  cluster.setPlacement('packed');
  cleanups.push(() => {
    cluster.killAll();
    packs.close();
  });
  return { cluster, made };
}

async function packedModel(): Promise<{ model: ClusterModel; made: Made; registry: Registry }> {
  const db = `packed-${++dbCount}`;
  const { cluster, made } = packedCluster();
  const registry = await Registry.open(db);
  const model = new ClusterModel(registry, cluster, 'tab:a', null);
  cleanups.push(() => {
    model.dispose();
    registry.close();
  });
  await model.refresh();
  return { model, made, registry };
}

const threads = (cluster: Cluster): string[] => cluster.nodes().map((h) => `${h.id}@${h.thread ?? 'own'}`);

describe('packed placement', () => {
  it('spreads nodes over the packs, links neighbours in memory and the rest over channels', async () => {
    const { cluster, made } = packedCluster();
    for (const id of ['cm1', 'c1', 'c2', 'c3']) {
      await cluster.start(id === 'cm1' ? { role: 'cm', id } : { role: 'client', id });
    }
    expect(threads(cluster)).toEqual(['cm1@pack-1', 'c1@pack-2', 'c2@pack-1', 'c3@pack-2']);
    expect(made.links.memory.sort()).toEqual(['c1-c3', 'cm1-c2']);
    expect(made.links.channel.sort()).toEqual(['c1-c2', 'c1-cm1', 'c2-c1', 'c2-c3', 'c3-c2', 'c3-cm1', 'cm1-c1', 'cm1-c3']);
    const [c1, c2, c3] = ['c1', 'c2', 'c3'].map((id) => cluster.get(id)!);
    expect(await c2!.writePage('P1', 'one')).toMatchObject({ ok: true });
    expect(await c1!.readPage('P1')).toMatchObject({ ok: true, value: 'one', local: false });
    expect(await c3!.writePage('P1', 'two')).toMatchObject({ ok: true });
    expect(await c2!.readPage('P1')).toMatchObject({ ok: true, value: 'two', local: false });
    // A worker per node is still there to choose; such a node links to packed ones over channels.
    cluster.setPlacement('worker-per-node');
    const { handle } = await cluster.start({ role: 'client', id: 'c4' });
    expect(handle.thread).toBeUndefined();
    expect(await handle.readPage('P1')).toMatchObject({ ok: true, value: 'two' });
  });

  it('kills a node beside others as a terminated worker ends: they go on, it restarts from what it stored', async () => {
    const { model, made, registry } = await packedModel();
    await model.startCm();
    await model.startCm();
    for (let i = 0; i < 3; i++) await model.startClient();
    expect(threads(model.cluster)).toEqual(['cm1@pack-1', 'cm2@pack-2', 'c1@pack-1', 'c2@pack-2', 'c3@pack-1']);
    const c1 = model.cluster.get('c1')!;
    expect(await c1.writePage('P1', 'kept')).toMatchObject({ ok: true });
    await vi.waitFor(async () => expect((await registry.loadDurable('client', 'c1'))?.owned).toHaveLength(1));
    const [old] = made.apis.get('c1') ?? [];
    await model.kill('c1');
    // Its host stopped and it left the thread: nothing it held answers, no neighbour can reach it.
    await vi.waitFor(async () => expect(await old!.readPage('P2')).toMatchObject({ ok: false, error: 'c1 is stopped' }));
    expect(() => made.apis.get('c3')![0]!.connectLocal('c1')).toThrow('c1 does not run in this worker');
    // Its neighbours in the pack (cm1, c3) and the other pack go on.
    expect(await model.cluster.get('c3')!.writePage('P2', 'on')).toMatchObject({ ok: true });
    expect(await model.cluster.get('c2')!.readPage('P2')).toMatchObject({ ok: true, value: 'on' });
    expect(model.acting()).toMatchObject({ id: 'cm1', role: 'acting' });
    expect(await model.restart('c1')).toBe('started client c1 again (1 owned page(s) persisted)');
    expect(model.cluster.get('c1')?.thread).toBe('pack-1');
    expect(made.apis.get('c1')).toHaveLength(2);
    expect(await model.cluster.get('c1')!.readPage('P1')).toEqual({ ok: true, value: 'kept', local: true });
    expect(await model.cluster.get('c3')!.readPage('P1')).toMatchObject({ ok: true, value: 'kept' });
  });

  it('restarts a killed neighbour at once, in the same pack, linked again each time', async () => {
    const { cluster } = packedCluster();
    await cluster.start({ role: 'cm', id: 'cm1' });
    await cluster.start({ role: 'client', id: 'c1' });
    await cluster.start({ role: 'client', id: 'c2' });
    expect(cluster.get('c2')!.thread).toBe(cluster.get('cm1')!.thread);
    for (let life = 1; life <= 3; life++) {
      cluster.kill('c2');
      // A new life numbers its requests afresh (the dashboard counts from the clock, too).
      const { handle } = await cluster.start({ role: 'client', id: 'c2', seqStart: life * 1000 });
      expect(handle.thread).toBe(cluster.get('cm1')!.thread);
      expect(await handle.writePage('P1', `life ${life}`)).toMatchObject({ ok: true });
      expect(await cluster.get('c1')!.readPage('P1')).toMatchObject({ ok: true, value: `life ${life}` });
    }
  });

  it('partitions an in-memory link and heals it, per node', async () => {
    const { cluster } = packedCluster();
    await cluster.start({ role: 'cm', id: 'cm1' });
    await cluster.start({ role: 'client', id: 'c1' });
    await cluster.start({ role: 'client', id: 'c2' });
    const c2 = cluster.get('c2')!;
    expect(c2.thread).toBe(cluster.get('cm1')!.thread);
    const lost: string[] = [];
    await c2.subscribe((e: HostEvent) => {
      if (e.type === 'trace' && e.message.fate === 'lost') lost.push(e.message.type);
    });
    await c2.setLinkFaults('cm1', { partitioned: true });
    const write = c2.writePage('P1', 'through');
    await vi.waitFor(() => expect(lost).toContain('WRITE_REQUEST'));
    await c2.setLinkFaults('cm1', { partitioned: false });
    // The client re-sends its request under the same id once the link is back.
    expect(await write).toMatchObject({ ok: true });
    expect(await cluster.get('c1')!.readPage('P1')).toMatchObject({ ok: true, value: 'through' });
  });

  it('holds frames between neighbours in step mode until they are delivered by hand', async () => {
    const { cluster } = packedCluster();
    await cluster.start({ role: 'cm', id: 'cm1' });
    await cluster.start({ role: 'client', id: 'c1' });
    await cluster.start({ role: 'client', id: 'c2' });
    const held = new Map<NodeId, HeldFrame[]>();
    // The nodes run on real timers behind real MessagePorts, so the test waits for what they tell
    // (every change to what a node holds is a 'held' event), never for a length of time; the
    // deadline only turns a hang into a failure that says what was awaited.
    let changed = (): void => {};
    const nextChange = (): Promise<void> => new Promise((resolve) => (changed = resolve));
    for (const h of cluster.nodes())
      await h.subscribe((e) => {
        if (e.type !== 'held') return;
        held.set(h.id, e.held);
        changed();
      });
    const heldAt = (id: NodeId): string[] => held.get(id)?.map((f) => `${f.message.from}:${f.message.type}`) ?? [];
    await cluster.setStepSettings({ hold: true, delayMs: 0, freezeTimers: true });
    let settled = false;
    const write = cluster
      .get('c2')!
      .writePage('P1', 'stepped')
      .finally(() => {
        settled = true;
      });
    // c2's request waits at cm1 (its neighbour) for a person, and cm1 has not acted on it.
    while (!heldAt('cm1').includes('c2:WRITE_REQUEST')) await withDeadline(nextChange(), 5_000, "c2's request held at cm1");
    expect(heldAt('cm1')).toEqual(['c2:WRITE_REQUEST']);
    const cm = await cluster.get('cm1')!.snapshot();
    expect(cm.role === 'cm' && cm.snapshot.pages).toEqual([]);
    expect(settled).toBe(false);
    // Each node's first held frame is delivered, again after every change, until the write is done.
    while (!settled) {
      const change = nextChange();
      for (const [id, frames] of held) {
        const first = frames[0];
        if (first)
          await cluster
            .get(id)!
            .deliverHeld(first.id)
            .catch(() => {});
      }
      await withDeadline(Promise.race([change, write]), 5_000, 'a held frame or the end of the write');
    }
    expect(await write).toMatchObject({ ok: true });
  });
});
