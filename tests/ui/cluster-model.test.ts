import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deleteDatabase } from '../../src/registry/node-store.ts';
import { Registry } from '../../src/registry/registry.ts';
import { ClusterModel } from '../../src/ui/cluster-model.ts';
import { Cluster } from '../../src/workers/cluster.ts';
import { DEFAULT_TIMEOUTS, type SpawnWorker } from '../../src/workers/node-handle.ts';
import { createWorkerApi } from '../../src/workers/worker-api.ts';
import { inProcessSpawner } from '../support/in-process-worker.ts';
import { MemoryLocks } from '../support/memory-locks.ts';

const cleanups: Array<() => void> = [];

const inProcess: SpawnWorker = inProcessSpawner(cleanups);

let dbCount = 0;

/**
 * One "tab": its own registry connection, cluster and tab channel, on a shared database; with
 * `locks`, the node locks of the browser profile the tabs share.
 */
async function tab(db: string, address: string, locks: MemoryLocks | null = null): Promise<ClusterModel> {
  const registry = await Registry.open(db);
  const channel = new BroadcastChannel(`test-${db}`);
  const cluster = locks
    ? new Cluster(
        inProcessSpawner(cleanups, () => createWorkerApi({ locks })),
        DEFAULT_TIMEOUTS,
        {},
        locks,
      )
    : new Cluster(inProcess);
  const model = new ClusterModel(registry, cluster, address, channel);
  cleanups.push(() => {
    model.cluster.killAll();
    model.dispose();
    channel.close();
    registry.close();
  });
  await model.refresh();
  return model;
}

afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

describe('ClusterModel', () => {
  it('starts CMs and clients with the registry choosing roles and ids', async () => {
    const m = await tab(`model-${++dbCount}`, 'tab:a');
    expect(await m.startCm()).toBe('started primary CM cm1');
    expect(await m.startCm()).toBe('started backup CM cm2');
    await expect(m.startCm()).rejects.toThrow(/at most two/);
    expect(await m.startClient()).toBe('started client c1');
    expect(m.cluster.nodes().map((n) => n.id)).toEqual(['cm1', 'cm2', 'c1']);
    expect(m.rows().map((r) => [r.nodeId, r.role, r.status, r.runningHere])).toEqual([
      ['cm1', 'primary CM', 'running', true],
      ['cm2', 'backup CM', 'running', true],
      ['c1', 'client', 'running', true],
    ]);
  });

  it('kills a client: worker gone, registry says killed, the id is not reused', async () => {
    const m = await tab(`model-${++dbCount}`, 'tab:a');
    await m.startCm();
    await m.startClient();
    expect(await m.kill('c1')).toContain('killed c1');
    expect(m.rows().find((r) => r.nodeId === 'c1')).toMatchObject({ status: 'stopped', runningHere: false });
    await expect(m.kill('c1')).rejects.toThrow('not running in this tab');
    expect(await m.startClient()).toBe('started client c2');
  });

  it('resets: registry emptied, nodes stopped here and in other tabs', async () => {
    const db = `model-${++dbCount}`;
    const a = await tab(db, 'tab:a');
    const b = await tab(db, 'tab:b');
    await a.startCm();
    await b.startClient();
    await vi.waitFor(() => expect(a.rows().map((r) => r.nodeId)).toEqual(['cm1', 'c1']));
    expect(a.rows().find((r) => r.nodeId === 'c1')).toMatchObject({ address: 'tab:b', status: 'not in this tab', runningHere: false });
    await a.reset();
    expect(a.rows()).toEqual([]);
    expect(a.cluster.nodes()).toEqual([]);
    await vi.waitFor(() => expect(b.cluster.nodes()).toEqual([]));
    await vi.waitFor(() => expect(b.rows()).toEqual([]));
  });

  it('registers again the nodes each tab runs when the registry is deleted under them, so a Restart later finds them', async () => {
    const db = `model-${++dbCount}`;
    const a = await tab(db, 'tab:a');
    const b = await tab(db, 'tab:b');
    await a.startCm();
    await b.startClient();
    // Another tab (or Clear site data) deletes the registry while the nodes run.
    await deleteDatabase(db);
    await b.kill('c1');
    expect(await b.restart('c1')).toContain('started client c1 again');
    await vi.waitFor(() => expect(a.registryNotice).toMatch(`the cluster registry ${db} holds the nodes this tab runs again (cm1)`));
    expect(b.registryNotice).toMatch(`the cluster registry ${db} holds the nodes this tab runs again (c1)`);
    await b.refresh();
    expect(b.rows().map((r) => [r.nodeId, r.address])).toEqual([
      ['cm1', 'tab:a'],
      ['c1', 'tab:b'],
    ]);
  });

  it('gives tabs racing "Start client" distinct ids', async () => {
    const db = `model-${++dbCount}`;
    const a = await tab(db, 'tab:a');
    const b = await tab(db, 'tab:b');
    const started = await Promise.all([a.startClient(), b.startClient(), a.startClient(), b.startClient()]);
    expect(started.map((s) => s.replace('started client ', '')).sort()).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('restarts a killed client on its id with the pages it owned, from IndexedDB', async () => {
    const db = `model-${++dbCount}`;
    const m = await tab(db, 'tab:a');
    await m.startCm();
    await m.startClient();
    await m.startClient();
    expect(await m.cluster.get('c1')?.writePage('P1', 'kept')).toMatchObject({ ok: true });
    const registry = await Registry.open(db);
    cleanups.push(() => registry.close());
    await vi.waitFor(async () => expect((await registry.loadDurable('client', 'c1'))?.owned).toHaveLength(1));
    await m.kill('c1');
    await expect(m.restart('c2')).rejects.toThrow('c2 is running in this tab');
    await expect(m.restart('c9')).rejects.toThrow('c9 is not registered');
    expect(await m.restart('c1')).toBe('started client c1 again (1 owned page(s) persisted)');
    expect(m.rows().find((r) => r.nodeId === 'c1')).toMatchObject({ status: 'running', runningHere: true });
    expect(await m.cluster.get('c1')?.readPage('P1')).toEqual({ ok: true, value: 'kept', local: true });
    expect(await m.cluster.get('c2')?.readPage('P1')).toMatchObject({ ok: true, value: 'kept' });
    // Its request ids continue from the wall clock, never from a persisted number that may lag.
    expect(await m.cluster.get('c1')?.writePage('P2', 'new')).toMatchObject({ ok: true });
    await vi.waitFor(async () => expect((await registry.loadDurable('client', 'c1'))?.seq).toBeGreaterThan(1e12));
  });

  it('fails over when the primary is killed; restartCM takes the title back, restartBackup stands by', async () => {
    const m = await tab(`model-${++dbCount}`, 'tab:a');
    await m.startCm();
    await m.startCm();
    await m.startClient();
    await vi.waitFor(() =>
      expect(m.cmStatuses()).toEqual([
        { id: 'cm1', role: 'acting', epoch: 1 },
        { id: 'cm2', role: 'standby', epoch: 1 },
      ]),
    );
    expect(await m.cluster.get('c1')?.writePage('P1', 'before')).toMatchObject({ ok: true });
    await m.kill('cm1');
    await vi.waitFor(() => expect(m.acting()).toEqual({ id: 'cm2', role: 'acting', epoch: 2 }), { timeout: 5000 });
    // A client started now follows cm2 from its first step: cm1 is down, and an idle client that
    // followed it would never hear of cm2.
    await m.startClient();
    expect(await m.cluster.get('c2')?.snapshot()).toMatchObject({ role: 'client', snapshot: { cm: 'cm2', epoch: 2 } });
    await expect(m.restart('cm2')).rejects.toThrow('kill it before restarting it');
    expect(await m.restart('cm1')).toBe('started cm1 again with restartCM (last epoch 1)');
    await vi.waitFor(
      () =>
        expect(m.cmStatuses()).toEqual([
          { id: 'cm1', role: 'acting', epoch: 3 },
          { id: 'cm2', role: 'standby', epoch: 3 },
        ]),
      { timeout: 5000 },
    );
    await m.kill('cm2');
    expect(await m.restart('cm2')).toBe('started cm2 again with restartBackup (last epoch 3)');
    await vi.waitFor(
      () =>
        expect(m.cmStatuses()).toEqual([
          { id: 'cm1', role: 'acting', epoch: 3 },
          { id: 'cm2', role: 'standby', epoch: 3 },
        ]),
      { timeout: 5000 },
    );
    expect(await m.cluster.get('c1')?.writePage('P2', 'after')).toMatchObject({ ok: true });
    expect(await m.cluster.get('c1')?.readPage('P1')).toMatchObject({ ok: true, value: 'before' });
  });

  it('runs one node id once across the tabs of a browser: a second start is refused, naming the tab that runs it', async () => {
    const db = `model-${++dbCount}`;
    const locks = new MemoryLocks();
    const a = await tab(db, 'tab:a', locks);
    const b = await tab(db, 'tab:b', locks);
    await a.startCm();
    await a.startClient();
    await b.refresh();
    expect(b.rows().map((r) => [r.nodeId, r.status])).toEqual([
      ['cm1', 'running in another tab'],
      ['c1', 'running in another tab'],
    ]);
    await expect(b.restart('cm1')).rejects.toThrow(
      'cm1 already runs in another tab of this browser (started by tab:a): kill it there first',
    );
    await expect(b.restart('c1')).rejects.toThrow('c1 already runs in another tab of this browser (started by tab:a): kill it there first');
    expect(b.cluster.nodes()).toEqual([]);
    // The first keeps running, unharmed.
    expect(await a.cluster.get('c1')?.writePage('P1', 'kept')).toMatchObject({ ok: true, local: false });

    // Killed there, it is free: the other tab is told, restarts it, and the registry says where it runs now.
    await a.kill('c1');
    await vi.waitFor(() => expect(b.rows().find((r) => r.nodeId === 'c1')?.status).toBe('stopped'));
    expect(await b.restart('c1')).toMatch(/^started client c1 again/);
    await vi.waitFor(() =>
      expect(a.rows().find((r) => r.nodeId === 'c1')).toMatchObject({ status: 'running in another tab', address: 'tab:b' }),
    );
    expect(await b.cluster.get('c1')?.readPage('P1')).toMatchObject({ ok: true, value: 'kept' });
    await expect(a.restart('c1')).rejects.toThrow('c1 already runs in another tab of this browser (started by tab:b)');
  });
});
