// Each node's durable state lives in a database of its own, named after the registry and the
// node. IndexedDB runs readwrite transactions on one object store one at a time, across every
// connection of the origin: with one shared store, every node's commit queued behind every
// other node's, and a fault that needs three commits on three nodes paid for the whole
// cluster's. Separate databases commit side by side.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { NodeId } from '../protocol/ids.ts';

/** What a node asked its host to keep across a crash (`ready().persist`). */
export interface DurableRecord {
  nodeId: NodeId;
  /** A CM's and a client's state differ in shape: a load for the wrong kind finds nothing. */
  kind: 'cm' | 'client';
  durable: unknown;
  savedAt: number;
}

interface NodeSchema extends DBSchema {
  durable: { key: 'state'; value: DurableRecord };
}

const NODE_DB_VERSION = 1;

export function nodeDatabaseName(registryName: string, nodeId: NodeId): string {
  return `${registryName}/${nodeId}`;
}

/** Whether `name` is one of the node databases of the registry `registryName`. */
export function isNodeDatabaseOf(registryName: string, name: string): boolean {
  return name.startsWith(`${registryName}/`);
}

export class NodeStore {
  private closed = false;

  private constructor(private readonly db: IDBPDatabase<NodeSchema>) {}

  static async open(registryName: string, nodeId: NodeId): Promise<NodeStore> {
    let store: NodeStore | null = null;
    const db = await openDB<NodeSchema>(nodeDatabaseName(registryName, nodeId), NODE_DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('durable');
      },
      // A reset deletes this database: let it, rather than blocking it on this connection.
      blocking() {
        if (store) store.closed = true;
        db.close();
      },
    });
    store = new NodeStore(db);
    return store;
  }

  /** False once closed, by close() or by a reset elsewhere deleting the database. */
  get usable(): boolean {
    return !this.closed;
  }

  /** Replaces what the node persisted last; one put, so a reader sees the old or the new value whole. */
  async save(record: DurableRecord): Promise<void> {
    await this.db.put('durable', record, 'state');
  }

  async load(): Promise<DurableRecord | undefined> {
    return this.db.get('durable', 'state');
  }

  close(): void {
    this.closed = true;
    this.db.close();
  }
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
