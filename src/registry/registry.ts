// The cluster registry in IndexedDB, shared by every tab of the origin. Each registration is one
// readwrite transaction, which IndexedDB runs one at a time per store across all connections:
// two tabs racing "Start client" therefore read different highest ids. Durable node state is
// not kept here but in a database per node (node-store.ts), for the same reason.
import { openDB, unwrap, wrap, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { clientDurableOf, cmDurableOf, type DurableEntry } from '../protocol/durable.ts';
import { BACKUP_CM, clientNodeId, clientNumber, isNodeId, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import { isRecord } from '../util/checks.ts';
import { describeError } from '../util/errors.ts';
import { REGISTRY_DB_NAME, REGISTRY_VERSION, type ClientRecord, type ClientStatus, type CmRecord, type RegistrySchema } from './schema.ts';
import { deleteDatabase, isNodeDatabaseOf, NodeStore } from './node-store.ts';
import { entriesOfStoredState, entriesOfWholeState, type DurableOf, type NodeKind } from './whole-state.ts';

/** Each kind's whole state out of its table: indexed by kind, loadDurable's result follows the kind asked. */
const DURABLE_OF: { [K in NodeKind]: (entries: DurableEntry[]) => DurableOf[K] | undefined } = {
  cm: cmDurableOf,
  client: clientDurableOf,
};
const ALL_STORES = ['cms', 'clients'] as const;
/** The stores of version 2 that held every node's durable state; version 3 moves it out. */
const OLD_DURABLE_STORES: ReadonlyArray<[NodeKind, string]> = [
  ['cm', 'cmDurable'],
  ['client', 'clientDurable'],
];

/** A node's table on its way out of a version-2 registry into the node's own database. */
interface Moving {
  nodeId: NodeId;
  entries: DurableEntry[];
}

export type Registered<R> = { ok: true; record: R } | { ok: false; error: string };

export interface RegistryContents {
  cms: CmRecord[];
  clients: ClientRecord[];
}

/** `c999999` is the longest client id the wire format accepts. */
export const CLIENT_ID_MAX = 999_999;

export class Registry {
  /** This connection's node databases, opened by the first save of each node. */
  private readonly nodeStores = new Map<NodeId, Promise<NodeStore>>();
  /** The connection, a new one while the database is made again after it was lost. */
  private db: Promise<IDBPDatabase<RegistrySchema>>;
  /** The last record this connection wrote of each node: what it puts back if the registry is lost. */
  private readonly mine = new Map<NodeId, CmRecord | ClientRecord>();
  /** Which of them this tab runs, and where what happens to the registry is said (keepRegistered). */
  private keep: { runs: (id: NodeId) => boolean; say: (text: string) => void } = { runs: () => false, say: () => {} };
  private closed = false;
  /** The last attempt to make the database again failed: the next use tries again. */
  private unmade = false;

  private constructor(
    /** The database's name: node workers open their own connection to it to persist state. */
    readonly name: string,
    db: IDBPDatabase<RegistrySchema>,
  ) {
    this.db = Promise.resolve(db);
  }

  static async open(name: string = REGISTRY_DB_NAME): Promise<Registry> {
    let registry: Registry | null = null;
    const { db, moving } = await connect(name, (why) => registry?.lost(why));
    registry = new Registry(name, db);
    // What version 2 kept goes to each node's own database before anyone can start the node.
    for (const r of await moving) await registry.replaceTable(r.nodeId, r.entries);
    return registry;
  }

  /**
   * Has the registry put back the records of the nodes `runs` says this tab runs, at once, when
   * its database is deleted under it (another tab's deleteDatabase, Clear site data): the nodes
   * run on, and a Restart of them later must still find them registered. `say` hears it.
   */
  keepRegistered(runs: (id: NodeId) => boolean, say: (text: string) => void): void {
    this.keep = { runs, say };
  }

  /** The database went from under this connection: a new one makes it again and re-registers. */
  private lost(why: string): void {
    if (this.closed) return;
    const records = [...this.mine.values()].filter((r) => this.keep.runs(r.nodeId));
    const ids = records.map((r) => r.nodeId).join(', ') || 'none';
    this.keep.say(`the cluster registry (IndexedDB database ${this.name}) was ${why}: registering again the nodes this tab runs (${ids})`);
    const next = connect(this.name, (w) => {
      if (this.db === next) this.lost(w);
    }).then(async ({ db }) => {
      const taken = await putBack(db, records);
      this.keep.say(
        taken.length === 0
          ? `the cluster registry ${this.name} holds the nodes this tab runs again (${ids})`
          : `the cluster registry ${this.name} was made again, but ${taken.join(', ')} had been registered anew by another tab meanwhile and were left as it registered them`,
      );
      return db;
    });
    this.db = next;
    next.catch((e: unknown) => {
      this.keep.say(`could not make the cluster registry ${this.name} again (${(e as Error).message}): tried again at its next use`);
      if (this.db === next) this.unmade = true;
    });
  }

  /** The connection, made again first if the last attempt after a loss failed. */
  private connection(): Promise<IDBPDatabase<RegistrySchema>> {
    if (this.unmade) {
      this.unmade = false;
      this.lost('still missing');
    }
    return this.db;
  }

  /** A record this connection's committed write left: put back should the registry be lost. */
  private wrote(record: CmRecord | ClientRecord): void {
    this.mine.set(record.nodeId, record);
  }

  /** The seed's "Start CM": primary when none is registered, else backup; never a third. */
  async registerCm(address: string, now: number = Date.now()): Promise<Registered<CmRecord>> {
    const tx = (await this.connection()).transaction('cms', 'readwrite');
    const [primary, backup] = await Promise.all([tx.store.get('primary'), tx.store.get('backup')]);
    let record: CmRecord | null = null;
    if (!primary) record = { role: 'primary', nodeId: PRIMARY_CM, address, registeredAt: now };
    else if (!backup) record = { role: 'backup', nodeId: BACKUP_CM, address, registeredAt: now };
    if (record) await tx.store.add(record);
    await tx.done;
    if (record) this.wrote(record);
    if (!record) {
      return {
        ok: false,
        error:
          `a primary (${PRIMARY_CM}) and a backup (${BACKUP_CM}) CM are already registered; ` +
          'a cluster has at most two. Reset the cluster to start again.',
      };
    }
    return { ok: true, record };
  }

  /** The seed's "Start client": the highest registered id + 1, read and written in one transaction. */
  async registerClient(address: string, now: number = Date.now()): Promise<Registered<ClientRecord>> {
    const tx = (await this.connection()).transaction('clients', 'readwrite');
    const highest = await tx.store.openCursor(null, 'prev');
    const id = (highest?.value.id ?? 0) + 1;
    if (id > CLIENT_ID_MAX) {
      await tx.done;
      return { ok: false, error: `client ids are used up (at most ${CLIENT_ID_MAX}); reset the cluster` };
    }
    const record: ClientRecord = { id, nodeId: clientNodeId(id), address, status: 'started', registeredAt: now };
    await tx.store.add(record);
    await tx.done;
    this.wrote(record);
    return { ok: true, record };
  }

  async setClientStatus(id: number, status: ClientStatus): Promise<void> {
    const tx = (await this.connection()).transaction('clients', 'readwrite');
    const record = await tx.store.get(id);
    const now = record && { ...record, status };
    if (now) await tx.store.put(now);
    await tx.done;
    if (now) this.wrote(now);
  }

  /**
   * A registered node started again in the tab at `address`: its record says where it runs now
   * (a client's status is `started` again). False when `nodeId` is not registered.
   */
  async restarted(nodeId: NodeId, address: string): Promise<boolean> {
    const n = clientNumber(nodeId);
    if (n !== null) {
      const tx = (await this.connection()).transaction('clients', 'readwrite');
      const record = await tx.store.get(n);
      const now = record && { ...record, address, status: 'started' as const };
      if (now) await tx.store.put(now);
      await tx.done;
      if (now) this.wrote(now);
      return record !== undefined;
    }
    const tx = (await this.connection()).transaction('cms', 'readwrite');
    const record = await tx.store.get(nodeId === PRIMARY_CM ? 'primary' : 'backup');
    const now = record?.nodeId === nodeId ? { ...record, address } : undefined;
    if (now) await tx.store.put(now);
    await tx.done;
    if (now) this.wrote(now);
    return record?.nodeId === nodeId;
  }

  async list(): Promise<RegistryContents> {
    const tx = (await this.connection()).transaction(['cms', 'clients'], 'readonly');
    const [cms, clients] = await Promise.all([tx.objectStore('cms').getAll(), tx.objectStore('clients').getAll()]);
    await tx.done;
    // Primary before backup, whatever the key order.
    cms.sort((x, y) => (x.role === y.role ? 0 : x.role === 'primary' ? -1 : 1));
    return { cms, clients };
  }

  /**
   * Replaces the whole table `nodeId` keeps in IndexedDB (the fallback disk, and where earlier
   * versions kept it), in the node's own database.
   */
  async saveDurable<K extends NodeKind>(kind: K, nodeId: NodeId, durable: DurableOf[K]): Promise<void> {
    await this.replaceTable(nodeId, entriesOfWholeState(kind, durable));
  }

  private async replaceTable(nodeId: NodeId, entries: DurableEntry[]): Promise<void> {
    let store = this.nodeStores.get(nodeId);
    if (
      store !== undefined &&
      !(await store.then(
        (s) => s.usable,
        () => false,
      ))
    )
      store = undefined;
    if (store === undefined) {
      store = NodeStore.open(this.name, nodeId);
      this.nodeStores.set(nodeId, store);
      store.catch(() => this.nodeStores.delete(nodeId));
    }
    await (await store).commit(entries, true);
  }

  /** What `nodeId` keeps in IndexedDB, if it kept anything there as this kind of node. */
  async loadDurable<K extends NodeKind>(kind: K, nodeId: NodeId): Promise<DurableOf[K] | undefined> {
    // Opened for this read only: a connection left open would hold up a reset in another tab.
    const store = await NodeStore.open(this.name, nodeId);
    try {
      const entries = await store.entries();
      return DURABLE_OF[kind](entries);
    } finally {
      store.close();
    }
  }

  /**
   * The seed's "empty the /data folder", and every node database of the registry with it (the
   * store's log files are the disk's: disk/opfs-volume.ts removes them).
   */
  async reset(idb: IDBFactory = indexedDB): Promise<void> {
    const tx = (await this.connection()).transaction(ALL_STORES, 'readwrite');
    await Promise.all(ALL_STORES.map((name) => tx.objectStore(name).clear()));
    await tx.done;
    // Nothing is put back for what a reset emptied.
    this.mine.clear();
    this.closeNodeStores();
    const names = (await idb.databases()).map((d) => d.name ?? '').filter((n) => isNodeDatabaseOf(this.name, n));
    await Promise.all(names.map((n) => deleteDatabase(n, idb)));
  }

  close(): void {
    this.closed = true;
    this.closeNodeStores();
    this.db.then(
      (db) => db.close(),
      () => {},
    );
  }

  private closeNodeStores(): void {
    for (const store of this.nodeStores.values())
      store.then(
        (s) => s.close(),
        () => {},
      );
    this.nodeStores.clear();
  }
}

/**
 * Opens the registry's database, made or upgraded as needed; `moving` is what version 2 kept of
 * node state. `lost` hears when the database goes from under the connection.
 */
async function connect(
  name: string,
  lost: (why: string) => void,
): Promise<{ db: IDBPDatabase<RegistrySchema>; moving: Promise<Moving[]> }> {
  let moving: Promise<Moving[]> = Promise.resolve([]);
  let unreadable: Error | null = null;
  const opening = openDB<RegistrySchema>(name, REGISTRY_VERSION, {
    upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        db.createObjectStore('cms', { keyPath: 'role' });
        db.createObjectStore('clients', { keyPath: 'id' });
      }
      // A state that cannot be read undoes the upgrade: every node's stays where it was.
      if (oldVersion === 2)
        moving = takeOldDurable(tx).catch((e: unknown) => {
          unreadable = new Error(`the cluster registry ${name} holds a node state this version cannot read: ${describeError(e)}`, {
            cause: e,
          });
          // The open's failure says why; the transaction's own is not news.
          tx.done.catch(() => {});
          tx.abort();
          return [];
        });
    },
    // Let a newer tab upgrade the schema, or another delete the database, instead of leaving it
    // blocked on this connection; a deletion is then made good (Registry.lost).
    blocking(_current, wanted) {
      db.close();
      if (wanted === null) lost('deleted (by another tab?)');
    },
    // The browser closed it: Clear site data, which deletes it.
    terminated() {
      lost('closed by the browser (Clear site data?)');
    },
  });
  const db = await opening.catch((e: unknown) => {
    throw unreadable ?? e;
  });
  return { db, moving };
}

/**
 * Registers `records` again in a registry made anew, each unless its key was taken meanwhile
 * (a newcomer registered in the emptied registry): the node ids of those are returned.
 */
async function putBack(db: IDBPDatabase<RegistrySchema>, records: Array<CmRecord | ClientRecord>): Promise<NodeId[]> {
  const tx = db.transaction(['cms', 'clients'], 'readwrite');
  const taken: NodeId[] = [];
  for (const r of records) {
    if ('role' in r) {
      const there = await tx.objectStore('cms').get(r.role);
      if (there) taken.push(r.nodeId);
      else await tx.objectStore('cms').add(r);
    } else {
      const there = await tx.objectStore('clients').get(r.id);
      if (there) taken.push(r.nodeId);
      else await tx.objectStore('clients').add(r);
    }
  }
  await tx.done;
  return taken;
}

/**
 * Reads out and removes the version-2 stores of durable state, inside the upgrade transaction.
 * They are not in RegistrySchema, so they are read through the plain transaction, as unknown.
 */
async function takeOldDurable(tx: IDBPTransaction<RegistrySchema, StoreNames<RegistrySchema>[], 'versionchange'>): Promise<Moving[]> {
  const out: Moving[] = [];
  const plain = unwrap(tx);
  for (const [kind, name] of OLD_DURABLE_STORES) {
    if (!plain.objectStoreNames.contains(name)) continue;
    const records: unknown[] = await wrap(plain.objectStore(name).getAll());
    for (const r of records) {
      if (!isRecord(r) || !isNodeId(r.nodeId)) throw new Error(`a record of ${name} names no node`);
      try {
        out.push({ nodeId: r.nodeId, entries: entriesOfStoredState(kind, r.durable) });
      } catch (e) {
        throw new Error(`${r.nodeId}: ${describeError(e)}`, { cause: e });
      }
    }
    plain.db.deleteObjectStore(name);
  }
  return out;
}
