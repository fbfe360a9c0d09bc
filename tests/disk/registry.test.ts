import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDatabase, hasNodeDatabase } from '../../src/registry/node-store.ts';
import { Registry } from '../../src/registry/registry.ts';
import { withDeadline } from '../../src/util/deadline.ts';

let dbCount = 0;
const opened: Registry[] = [];

/** A fresh database per test, and a second connection to it when a test wants a "second tab". */
async function fresh(): Promise<{ name: string; reg: Registry }> {
  const name = `registry-test-${++dbCount}`;
  const reg = await Registry.open(name);
  opened.push(reg);
  return { name, reg };
}

async function connect(name: string): Promise<Registry> {
  const reg = await Registry.open(name);
  opened.push(reg);
  return reg;
}

/** Makes a database as an earlier version left it: `fill` runs in its upgrade. */
function makeOld(name: string, version: number, fill: (db: IDBDatabase) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = () => fill(req.result);
    req.onsuccess = () => {
      req.result.close();
      resolve();
    };
    req.onerror = () => reject(req.error);
  });
}

/** The version and the stores a database has now. */
function shape(name: string): Promise<{ version: number; stores: string[] }> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => {
      const db = req.result;
      resolve({ version: db.version, stores: [...db.objectStoreNames].sort() });
      db.close();
    };
    req.onerror = () => reject(req.error);
  });
}

afterEach(() => {
  for (const r of opened.splice(0)) r.close();
});

describe('Registry', () => {
  it('makes the first CM the primary, the second the backup, and refuses a third', async () => {
    const { reg } = await fresh();
    const first = await reg.registerCm('tab:a');
    const second = await reg.registerCm('tab:b');
    expect(first).toMatchObject({ ok: true, record: { role: 'primary', nodeId: 'cm1', address: 'tab:a' } });
    expect(second).toMatchObject({ ok: true, record: { role: 'backup', nodeId: 'cm2', address: 'tab:b' } });
    const third = await reg.registerCm('tab:c');
    expect(third.ok).toBe(false);
    if (!third.ok) expect(third.error).toMatch(/at most two/);
    expect((await reg.list()).cms.map((c) => c.nodeId)).toEqual(['cm1', 'cm2']);
  });

  it('numbers clients from the highest registered id, not from a count', async () => {
    const { reg } = await fresh();
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const r = await reg.registerClient('tab:a');
      if (r.ok) ids.push(r.record.nodeId);
    }
    expect(ids).toEqual(['c1', 'c2', 'c3']);
    await reg.setClientStatus(2, 'killed');
    const next = await reg.registerClient('tab:a');
    expect(next).toMatchObject({ ok: true, record: { id: 4, nodeId: 'c4', status: 'started' } });
    const { clients } = await reg.list();
    expect(clients.map((c) => [c.nodeId, c.status])).toEqual([
      ['c1', 'started'],
      ['c2', 'killed'],
      ['c3', 'started'],
      ['c4', 'started'],
    ]);
  });

  it('gives distinct ids to registrations racing from two connections', async () => {
    const { name, reg } = await fresh();
    const other = await connect(name);
    const racing = Array.from({ length: 20 }, (_, i) => (i % 2 ? reg : other).registerClient(`tab:${i % 2}`));
    const results = await Promise.all(racing);
    const ids = results.map((r) => (r.ok ? r.record.id : -1)).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('gives one CM role to each of two racing registrations', async () => {
    const { name, reg } = await fresh();
    const other = await connect(name);
    const results = await Promise.all([reg.registerCm('tab:a'), other.registerCm('tab:b'), reg.registerCm('tab:c')]);
    const roles = results.map((r) => (r.ok ? r.record.role : 'refused')).sort();
    expect(roles).toEqual(['backup', 'primary', 'refused']);
  });

  it('keeps its contents across connections and empties on reset', async () => {
    const { name, reg } = await fresh();
    await reg.registerCm('tab:a');
    await reg.registerClient('tab:a');
    reg.close();
    const again = await connect(name);
    const kept = await again.list();
    expect(kept.cms.map((c) => c.nodeId)).toEqual(['cm1']);
    expect(kept.clients.map((c) => c.nodeId)).toEqual(['c1']);
    await again.reset();
    expect(await again.list()).toEqual({ cms: [], clients: [] });
    expect(await again.registerClient('tab:a')).toMatchObject({ ok: true, record: { nodeId: 'c1' } });
  });

  it('records the tab a registered node restarted in, and nothing for one that is not registered', async () => {
    const { reg } = await fresh();
    await reg.registerCm('tab:a');
    await reg.registerClient('tab:a');
    await reg.setClientStatus(1, 'killed');
    expect(await reg.restarted('cm1', 'tab:b')).toBe(true);
    expect(await reg.restarted('c1', 'tab:b')).toBe(true);
    expect(await reg.restarted('cm2', 'tab:b')).toBe(false);
    expect(await reg.restarted('c7', 'tab:b')).toBe(false);
    const { cms, clients } = await reg.list();
    expect(cms.map((c) => [c.nodeId, c.address])).toEqual([['cm1', 'tab:b']]);
    expect(clients.map((c) => [c.nodeId, c.address, c.status])).toEqual([['c1', 'tab:b', 'started']]);
  });

  it('ignores a status change for a client that is not registered', async () => {
    const { reg } = await fresh();
    await reg.setClientStatus(9, 'killed');
    expect((await reg.list()).clients).toEqual([]);
  });

  it('keeps the latest durable state per node, per kind, across connections, until reset', async () => {
    const { name, reg } = await fresh();
    expect(await reg.loadDurable('cm', 'cm1')).toBeUndefined();
    await reg.saveDurable('cm', 'cm1', { epoch: 1, members: ['c1'] });
    await reg.saveDurable('cm', 'cm1', { epoch: 3, members: ['c1', 'c2'] });
    await reg.saveDurable('cm', 'cm2', { epoch: 2, members: [] });
    const owned = [{ page: 'P1', content: 'kept', version: 4, access: 'write' as const }];
    await reg.saveDurable('client', 'c1', { cm: 'cm2', epoch: 2, seq: 9, owned, handoffs: [], ghosts: [] });
    const other = await connect(name);
    expect(await other.loadDurable('cm', 'cm1')).toEqual({ epoch: 3, members: ['c1', 'c2'] });
    expect(await other.loadDurable('cm', 'cm2')).toEqual({ epoch: 2, members: [] });
    expect(await other.loadDurable('client', 'c1')).toMatchObject({ seq: 9, owned });
    // A load for the wrong kind of node finds nothing.
    expect(await other.loadDurable('cm', 'c1')).toBeUndefined();
    // Each node has a database of its own, so that commits of different nodes never queue on one store.
    const names = (await indexedDB.databases())
      .map((d) => d.name)
      .filter((n) => n?.startsWith(`${name}/`))
      .sort();
    expect(names).toEqual([`${name}/c1`, `${name}/cm1`, `${name}/cm2`]);
    await other.reset();
    expect((await indexedDB.databases()).filter((d) => d.name?.startsWith(`${name}/`))).toEqual([]);
    expect(await reg.loadDurable('cm', 'cm1')).toBeUndefined();
    expect(await reg.loadDurable('client', 'c1')).toBeUndefined();
    // A node that runs on after a reset in another tab starts afresh in a new database.
    await reg.saveDurable('cm', 'cm1', { epoch: 5, members: [] });
    expect(await other.loadDurable('cm', 'cm1')).toEqual({ epoch: 5, members: [] });
  });

  it("moves durable state kept by a version-2 registry into each node's own database", async () => {
    const name = `registry-test-${++dbCount}`;
    await makeOld(name, 2, (db) => {
      db.createObjectStore('cms', { keyPath: 'role' });
      db.createObjectStore('clients', { keyPath: 'id' });
      db.createObjectStore('cmDurable', { keyPath: 'nodeId' }).add({ nodeId: 'cm1', durable: { epoch: 3, members: ['c1'] }, savedAt: 1 });
      db.createObjectStore('clientDurable', { keyPath: 'nodeId' }).add({
        nodeId: 'c1',
        durable: { cm: 'cm1', epoch: 3, seq: 7, owned: [], handoffs: [], ghosts: [] },
        savedAt: 1,
      });
    });
    const reg = await connect(name);
    expect(await reg.loadDurable('cm', 'cm1')).toEqual({ epoch: 3, members: ['c1'] });
    expect(await reg.loadDurable('client', 'c1')).toMatchObject({ seq: 7 });
  });

  it('leaves a version-2 registry as it was, and does not open, when a node state in it cannot be read', async () => {
    const name = `registry-test-${++dbCount}`;
    await makeOld(name, 2, (db) => {
      db.createObjectStore('cms', { keyPath: 'role' });
      db.createObjectStore('clients', { keyPath: 'id' });
      db.createObjectStore('cmDurable', { keyPath: 'nodeId' }).add({ nodeId: 'cm1', durable: { epoch: 3, members: ['c1'] }, savedAt: 1 });
      db.createObjectStore('clientDurable', { keyPath: 'nodeId' }).add({
        nodeId: 'c1',
        durable: { cm: 'cm1', epoch: 3, seq: 7, owned: 'P1', handoffs: [], ghosts: [] },
        savedAt: 1,
      });
    });
    await expect(Registry.open(name)).rejects.toThrow(
      `the cluster registry ${name} holds a node state this version cannot read: c1: bad owned pages in a durable state`,
    );
    expect(await shape(name)).toEqual({ version: 2, stores: ['clientDurable', 'clients', 'cmDurable', 'cms'] });
    expect(await hasNodeDatabase(name, 'cm1')).toBe(false);
  });

  it('turns a node database of version 1 (one record holding the whole state) into one record per entry', async () => {
    const name = `registry-test-${++dbCount}`;
    const owned = [{ page: 'P1', content: 'kept', version: 4, access: 'write', owner: true }];
    await makeOld(`${name}/c1`, 1, (db) =>
      db
        .createObjectStore('durable')
        .put(
          { nodeId: 'c1', kind: 'client', durable: { cm: 'cm1', epoch: 3, seq: 7, owned, handoffs: [], ghosts: [] }, savedAt: 1 },
          'state',
        ),
    );
    const reg = await connect(name);
    expect(await reg.loadDurable('client', 'c1')).toMatchObject({
      cm: 'cm1',
      epoch: 3,
      seq: 7,
      owned: [{ page: 'P1', content: 'kept', version: 4, access: 'write' }],
    });
  });

  it('leaves a node database of version 1 as it was, and does not open it, when its state cannot be read', async () => {
    const name = `registry-test-${++dbCount}`;
    await makeOld(`${name}/cm1`, 1, (db) =>
      db.createObjectStore('durable').put({ nodeId: 'cm1', kind: 'cm', durable: { epoch: -1, members: [] }, savedAt: 1 }, 'state'),
    );
    const reg = await connect(name);
    await expect(reg.loadDurable('cm', 'cm1')).rejects.toThrow(
      `IndexedDB database ${name}/cm1 holds a state this version cannot read: bad CM durable state (epoch or members)`,
    );
    expect(await shape(`${name}/cm1`)).toEqual({ version: 1, stores: ['durable'] });
  });

  it('upgrades a version-1 registry without losing its registrations', async () => {
    const name = `registry-test-${++dbCount}`;
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore('cms', { keyPath: 'role' });
        req.result
          .createObjectStore('clients', { keyPath: 'id' })
          .add({ id: 1, nodeId: 'c1', address: 'tab:old', status: 'started', registeredAt: 0 });
      };
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const reg = await connect(name);
    expect((await reg.list()).clients.map((c) => c.nodeId)).toEqual(['c1']);
    await reg.saveDurable('cm', 'cm1', { epoch: 1, members: ['c1'] });
    expect(await reg.loadDurable('cm', 'cm1')).toEqual({ epoch: 1, members: ['c1'] });
  });

  it('registers again at once the nodes this tab runs when another tab deletes the registry', async () => {
    const { name, reg } = await fresh();
    await reg.registerCm('tab:a');
    await reg.registerClient('tab:a');
    await reg.registerClient('tab:a');
    await reg.setClientStatus(2, 'killed');
    const said: string[] = [];
    let done = (): void => {};
    const again = new Promise<void>((resolve) => (done = resolve));
    // c2 was killed here: nothing runs it, so nothing puts it back.
    reg.keepRegistered(
      (id) => id !== 'c2',
      (text) => {
        said.push(text);
        if (said.length === 2) done();
      },
    );
    await deleteDatabase(name);
    await withDeadline(again, 5_000, 'the nodes registered again');
    // Another tab, later, sees the running nodes registered, and a Restart of them finds them.
    const other = await connect(name);
    const { cms, clients } = await other.list();
    expect(cms.map((c) => [c.nodeId, c.address])).toEqual([['cm1', 'tab:a']]);
    expect(clients.map((c) => [c.nodeId, c.status])).toEqual([['c1', 'started']]);
    expect(await other.restarted('c1', 'tab:b')).toBe(true);
    expect(said[0]).toMatch(`the cluster registry (IndexedDB database ${name}) was deleted`);
    expect(said[0]).toMatch('(cm1, c1)');
    // This tab's connection works on (c2 was not put back, so its id is free again).
    expect(await reg.registerClient('tab:a')).toMatchObject({ ok: true, record: { nodeId: 'c2' } });
  });
});
