// The IndexedDB fallback (a worker without OPFS sync access): a life's first commit replaces the
// node's table whole, later ones put and delete the entries that changed, and a recovery gives
// the table back in the order its entries were last written, as a log would.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IdbBackend } from '../../src/disk/idb-backend.ts';
import type { DurableEntry } from '../../src/protocol/durable.ts';
import { deleteDatabase, nodeDatabaseName } from '../../src/registry/node-store.ts';
import { withDeadline } from '../../src/util/deadline.ts';

let count = 0;
const commit = (disk: { commit: (c: DurableEntry[], d: (e: Error | null) => void) => void }, changes: DurableEntry[]): Promise<void> =>
  new Promise((resolve, reject) => disk.commit(changes, (e) => (e ? reject(e) : resolve())));
const ghost = (req: string): DurableEntry => ({
  kind: 'ghost',
  req,
  page: 'P1',
  ghost: { page: 'P1', to: 'c2', content: req, version: 1 },
});

describe('the IndexedDB fallback', () => {
  it("replaces the table at a life's first commit, then keeps changes, and gives entries back in the order they were written", async () => {
    const store = `idb-backend-test-${++count}`;
    const first = new IdbBackend(store, 'process');
    expect(await first.recover('c1')).toEqual({ entries: null, lsn: 0, notes: [] });
    // An earlier life left entries the new one no longer holds.
    const stale = first.attach('c1', 0, () => [ghost('c1:1')]);
    await commit(stale, []);
    await first.detach('c1');

    const table: DurableEntry[] = [{ kind: 'client', cm: 'cm1', epoch: 1, seq: 1024 }];
    const life = new IdbBackend(store, 'disk');
    const disk = life.attach('c1', 0, () => table);
    await commit(disk, []);
    // Written in this order: a key order would put c1:10 before c1:9.
    for (const req of ['c1:9', 'c1:10', 'c1:11']) await commit(disk, [ghost(req)]);
    await commit(disk, [{ kind: 'ghost', req: 'c1:10', page: 'P1', ghost: null }]);
    await life.detach('c1');
    const back = await life.recover('c1');
    expect(back.entries?.map((e) => (e.kind === 'ghost' ? e.req : e.kind))).toEqual(['client', 'c1:9', 'c1:11']);
  });

  it('writes the whole table again at once into a new database when another tab deletes it, so a crash after loses nothing acknowledged', async () => {
    const store = `idb-backend-test-${++count}`;
    const said: string[] = [];
    let storedAgain = (): void => {};
    const again = new Promise<void>((resolve) => (storedAgain = resolve));
    const life = new IdbBackend(store, 'process', (text) => {
      said.push(text);
      if (text.includes('stored again')) storedAgain();
    });
    const table: DurableEntry[] = [{ kind: 'client', cm: 'cm1', epoch: 1, seq: 1024 }, ghost('c1:1')];
    const disk = life.attach('c1', 0, () => table);
    await commit(disk, []);
    // Another tab deletes the running node's database. A crash then (nothing detached, a new
    // life reads what is stored) must find what was acknowledged, with no commit in between.
    await deleteDatabase(nodeDatabaseName(store, 'c1'));
    await withDeadline(again, 5_000, 'the table stored again');
    const reqs = async (): Promise<string[] | undefined> =>
      (await new IdbBackend(store, 'process').recover('c1')).entries?.map((e) => (e.kind === 'ghost' ? e.req : e.kind));
    expect(await reqs()).toEqual(['client', 'c1:1']);
    expect(said[0]).toMatch(`IndexedDB database ${store}/c1, which held the state of c1, was deleted`);
    // And the node's commits go on, a change at a time, into the new database.
    table.push(ghost('c1:2'));
    await commit(disk, [ghost('c1:2')]);
    expect(await reqs()).toEqual(['client', 'c1:1', 'c1:2']);
    life.close();
  });

  it('refuses to recover a table holding a record this version cannot read, naming the database, rather than start from it', async () => {
    const store = `idb-backend-test-${++count}`;
    const life = new IdbBackend(store, 'process');
    await commit(
      life.attach('c1', 0, () => [{ kind: 'client', cm: 'cm1', epoch: 1, seq: 1024 }]),
      [],
    );
    await life.detach('c1');
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(nodeDatabaseName(store, 'c1'));
      req.onsuccess = () => {
        const tx = req.result.transaction('entries', 'readwrite');
        tx.objectStore('entries').put(
          { entry: { kind: 'page', page: 'P1', owned: { content: 7, version: 1, access: 'write' } }, order: 1 },
          'page P1',
        );
        tx.oncomplete = () => {
          req.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
      req.onerror = () => reject(req.error);
    });
    await expect(life.recover('c1')).rejects.toThrow(
      `IndexedDB database ${store}/c1 holds a record this version cannot read: bad page entry`,
    );
  });
});
