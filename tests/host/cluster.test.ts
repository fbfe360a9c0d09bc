// The page-side cluster driving node workers through real Comlink over real MessageChannels;
// only the worker thread itself is replaced by an in-process endpoint.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cluster } from '../../src/workers/cluster.ts';
import type { HostEvent } from '../../src/host/node-host.ts';
import type { SpawnWorker } from '../../src/workers/node-handle.ts';
import { createWorkerApi } from '../../src/workers/worker-api.ts';
import { inProcessSpawner } from '../support/in-process-worker.ts';
import { MemoryLocks } from '../support/memory-locks.ts';

const stops: Array<() => void> = [];

const inProcess: SpawnWorker = inProcessSpawner(stops);

/** A worker that never answers, like one whose module failed to load. */
const silent: SpawnWorker = () => {
  const channel = new MessageChannel();
  stops.push(() => channel.port1.close());
  return { endpoint: channel.port2, terminate: () => channel.port1.close() };
};

const fast = { startMs: 2000, controlMs: 2000, operationMs: 2000 };

afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

async function threeClients(): Promise<Cluster> {
  const cluster = new Cluster(inProcess, fast);
  await cluster.start({ role: 'cm', id: 'cm1' });
  for (const id of ['c1', 'c2', 'c3']) await cluster.start({ role: 'client', id });
  return cluster;
}

describe('Cluster', () => {
  it('links every pair of nodes and runs operations through the handles', async () => {
    const cluster = await threeClients();
    expect(cluster.nodes().map((n) => n.id)).toEqual(['cm1', 'c1', 'c2', 'c3']);
    const [c1, c2, c3] = ['c1', 'c2', 'c3'].map((id) => cluster.get(id)!);
    expect(await c1!.writePage('P1', 'Content1')).toMatchObject({ ok: true });
    expect(await c2!.readPage('P1')).toMatchObject({ ok: true, value: 'Content1', local: false });
    expect(await c3!.writePage('P1', 'Content2')).toMatchObject({ ok: true });
    expect(await c1!.readPage('P1')).toMatchObject({ ok: true, value: 'Content2' });
    const meta = await cluster.get('cm1')!.snapshot();
    expect(meta.role === 'cm' && meta.snapshot.pages).toMatchObject([{ page: 'P1', owner: 'c3', copySet: ['c1'] }]);
    cluster.killAll();
  });

  it('streams live events to a subscriber through a Comlink proxy', async () => {
    const cluster = await threeClients();
    const events: HostEvent[] = [];
    await cluster.get('cm1')!.subscribe((e) => events.push(e));
    await cluster.get('c1')!.writePage('P2', 'hello');
    await vi.waitFor(() => {
      const states = events.filter((e) => e.type === 'state');
      expect(states.at(-1)).toMatchObject({ state: { role: 'cm', snapshot: { pages: [{ page: 'P2', owner: 'c1' }] } } });
    });
    cluster.killAll();
  });

  it('kills a node: its calls fail at once, the others drop their links to it', async () => {
    const cluster = await threeClients();
    const c2 = cluster.get('c2')!;
    expect(cluster.kill('c2')).toBe(true);
    expect(cluster.kill('c2')).toBe(false);
    expect(c2.alive).toBe(false);
    await expect(c2.readPage('P1')).rejects.toThrow('c2 was killed');
    expect(cluster.nodes().map((n) => n.id)).toEqual(['cm1', 'c1', 'c3']);
    expect(await cluster.get('c1')!.writePage('P1', 'still works')).toMatchObject({ ok: true });
    cluster.killAll();
  });

  it('fails a call the worker never answers with a clear error', async () => {
    const cluster = new Cluster(silent, { startMs: 50, controlMs: 50, operationMs: 50 });
    await expect(cluster.start({ role: 'cm', id: 'cm1' })).rejects.toThrow('cm1 start: no answer within 50 ms');
    expect(cluster.nodes()).toEqual([]);
  });

  it('refuses a node id already running and a spec the worker rejects', async () => {
    const cluster = new Cluster(inProcess, fast);
    await cluster.start({ role: 'client', id: 'c1' });
    await expect(cluster.start({ role: 'client', id: 'c1' })).rejects.toThrow('already running');
    await expect(cluster.start({ role: 'cm', id: 'c5' })).rejects.toThrow('a CM is cm1 or cm2');
    expect(cluster.nodes().map((n) => n.id)).toEqual(['c1']);
    cluster.killAll();
  });

  it('reports the CM refusing readPage and writePage', async () => {
    const cluster = new Cluster(inProcess, fast);
    const { handle } = await cluster.start({ role: 'cm', id: 'cm1' });
    expect(await handle.readPage('P1')).toMatchObject({ ok: false, error: /central manager/ });
    cluster.killAll();
  });

  it('lets a node with a store run once per browser: the second worker refuses at once, a kill frees the id', async () => {
    const locks = new MemoryLocks();
    const spawn = inProcessSpawner(stops, () => createWorkerApi({ locks }));
    const [a, b] = [new Cluster(spawn, fast, {}, locks), new Cluster(spawn, fast, {}, locks)];
    const spec = { role: 'client' as const, id: 'c1', store: 'cluster-test-locks' };
    await a.start(spec);
    await expect(b.start(spec)).rejects.toMatchObject({
      name: 'NodeRunsElsewhere',
      message: 'c1 already runs in another tab of this browser',
    });
    expect(b.nodes()).toEqual([]);
    // Without a store a node is private to its cluster (experiments): no lock, no refusal.
    await b.start({ role: 'client', id: 'c2' });
    await a.start({ role: 'client', id: 'c2' });
    a.kill('c1');
    await a.ended('c1');
    await b.start(spec);
    expect(b.nodes().map((n) => n.id)).toEqual(['c1', 'c2']);
  });
});
