// A node's durable table in IndexedDB: the fallback where a worker cannot keep a log on OPFS
// (disk/idb-backend.ts), and where versions before the log kept it (read once, then never
// written). Each node has a database of its own, named after the registry and the node:
// IndexedDB runs readwrite transactions on one object store one at a time across every
// connection of the origin, so with one shared store every node's commit queued behind every
// other node's. Separate databases commit side by side.
import { openDB, unwrap, wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { entryKey, isDeletion, type DurableEntry } from '../protocol/durable.ts';
import { assertDurableEntry } from '../protocol/durable-checks.ts';
import type { NodeId } from '../protocol/ids.ts';
import { isCount, isRecord } from '../util/checks.ts';
import { describeError } from '../util/errors.ts';
import { entriesOfStoredState } from './whole-state.ts';

/**
 * One entry and when it was last written: a restarted node evicts its oldest handoffs and ghosts
 * first, and IndexedDB hands records back in key order, not in the order they were written.
 */
interface Stored {
  entry: DurableEntry;
  order: number;
}

interface NodeSchema extends DBSchema {
  /** The node's table, one record per entry, under the entry's key. */
  entries: { key: string; value: Stored };
}

/** 1: one record holding the whole state (`durable`, key `state`). 2: one record per entry. */
const NODE_DB_VERSION = 2;

export function nodeDatabaseName(registryName: string, nodeId: NodeId): string {
  return `${registryName}/${nodeId}`;
}

/** Whether `name` is one of the node databases of the registry `registryName`. */
export function isNodeDatabaseOf(registryName: string, name: string): boolean {
  return name.startsWith(`${registryName}/`);
}

export class NodeStore {
  private closed = false;
  /** The order the next entry written gets (see Stored); a replace starts it over. */
  private order = 0;

  private constructor(private readonly db: IDBPDatabase<NodeSchema>) {}

  /**
   * `lost` hears when the connection is closed by anyone but close(): the database deleted by
   * another tab or a reset (`blocking`), or the browser closing it (Clear site data: `terminated`).
   */
  static async open(registryName: string, nodeId: NodeId, lost?: (why: string) => void): Promise<NodeStore> {
    let store: NodeStore | null = null;
    const name = nodeDatabaseName(registryName, nodeId);
    let unreadable: Error | null = null;
    const opening = openDB<NodeSchema>(name, NODE_DB_VERSION, {
      upgrade(db, oldVersion, _newVersion, tx) {
        db.createObjectStore('entries');
        // Its requests keep the upgrade's transaction open until they are done. A state that
        // cannot be read undoes the upgrade: it stays where it was, and the node does not start.
        if (oldVersion === 1)
          takeWholeState(tx).catch((e: unknown) => {
            unreadable = new Error(`IndexedDB database ${name} holds a state this version cannot read: ${describeError(e)}`, { cause: e });
            // The open's failure says why; the transaction's own is not news.
            tx.done.catch(() => {});
            tx.abort();
          });
      },
      // A reset deletes this database: let it, rather than blocking it on this connection.
      blocking(_current, wanted) {
        if (store) store.closed = true;
        db.close();
        lost?.(wanted === null ? 'deleted (another tab, or a reset)' : `upgraded to version ${wanted} elsewhere`);
      },
      terminated() {
        if (store) store.closed = true;
        lost?.('closed by the browser (Clear site data?)');
      },
    });
    const db = await opening.catch((e: unknown) => {
      throw unreadable ?? e;
    });
    store = new NodeStore(db);
    return store;
  }

  /** False once closed, by close() or by a reset elsewhere deleting the database. */
  get usable(): boolean {
    return !this.closed;
  }

  /**
   * Stores a batch of changes in one transaction, or (`replace`) the node's whole table in place
   * of what was there. `strict` waits for the device (IndexedDB's `strict` durability).
   */
  async commit(changes: readonly DurableEntry[], replace: boolean, strict = false): Promise<void> {
    const tx = this.db.transaction('entries', 'readwrite', { durability: strict ? 'strict' : 'default' });
    if (replace) {
      void tx.store.clear();
      this.order = 0;
    }
    for (const e of changes) {
      if (isDeletion(e)) void tx.store.delete(entryKey(e));
      else void tx.store.put({ entry: e, order: this.order++ }, entryKey(e));
    }
    await tx.done;
  }

  /**
   * The node's table, in the order its entries were last written. Throws, naming the database,
   * if a record is not one this version writes: a node must not start from less than it stored.
   */
  async entries(): Promise<DurableEntry[]> {
    const stored: unknown[] = await this.db.getAll('entries');
    let read: Stored[];
    try {
      read = stored.map(readStored);
    } catch (e) {
      throw new Error(`IndexedDB database ${this.db.name} holds a record this version cannot read: ${describeError(e)}`, { cause: e });
    }
    return read.sort((a, b) => a.order - b.order).map((s) => s.entry);
  }

  close(): void {
    this.closed = true;
    this.db.close();
  }
}

function readStored(x: unknown): Stored {
  if (!isRecord(x) || !isCount(x.order)) throw new Error('a record without its order');
  const entry = x.entry;
  assertDurableEntry(entry);
  return { entry, order: x.order };
}

/**
 * Turns version 1's single record into entries, inside the upgrade transaction. Its store is not
 * in NodeSchema, so it is read through the plain transaction, as what it is: unknown.
 */
async function takeWholeState(tx: IDBPTransaction<NodeSchema, StoreNames<NodeSchema>[], 'versionchange'>): Promise<void> {
  const plain = unwrap(tx);
  if (!plain.objectStoreNames.contains('durable')) return;
  const old: unknown = await wrap(plain.objectStore('durable').get('state'));
  if (old !== undefined) {
    if (!isRecord(old)) throw new Error('its record is not an object');
    const entries = entriesOfStoredState(old.kind, old.durable);
    for (const [order, e] of entries.entries()) await tx.objectStore('entries').put({ entry: e, order }, entryKey(e));
  }
  plain.db.deleteObjectStore('durable');
}

/**
 * Deletes a database. Settles early when another connection holds it open (a worker that is
 * still being terminated): the deletion then happens as that connection closes, and IndexedDB
 * queues any later open of the same name behind it, so nobody can read the old state.
 */
export function deleteDatabase(name: string, idb: IDBFactory = indexedDB): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = idb.deleteDatabase(name);
    req.onsuccess = req.onblocked = () => resolve();
    req.onerror = () => reject(req.error ?? new Error(`could not delete database ${name}`));
  });
}

/** Whether the node has a database of its own (opening one that is not there would make it). */
export async function hasNodeDatabase(registryName: string, nodeId: NodeId, idb: IDBFactory = indexedDB): Promise<boolean> {
  const name = nodeDatabaseName(registryName, nodeId);
  return (await idb.databases()).some((d) => d.name === name);
}
