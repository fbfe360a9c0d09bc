// The cluster registry in IndexedDB, shared by every tab of the origin. Each registration is one
// readwrite transaction, which IndexedDB runs one at a time per store across all connections:
// two tabs racing "Start client" therefore read different highest ids.
import { openDB, type IDBPDatabase } from 'idb';
import type { ClientDurable } from '../protocol/client.ts';
import { BACKUP_CM, clientNodeId, clientNumber, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import type { CmDurable } from '../protocol/manager.ts';
import {
  REGISTRY_DB_NAME, REGISTRY_VERSION,
  type ClientRecord, type ClientStatus, type CmRecord, type RegistrySchema,
} from './schema.ts';

/** The durable state each kind of node persists, and the store that holds it. */
export interface DurableOf {
  cm: CmDurable;
  client: ClientDurable;
}
const DURABLE_STORE = { cm: 'cmDurable', client: 'clientDurable' } as const;
const ALL_STORES = ['cms', 'clients', 'cmDurable', 'clientDurable'] as const;

export type Registered<R> = { ok: true; record: R } | { ok: false; error: string };

export interface RegistryContents {
  cms: CmRecord[];
  clients: ClientRecord[];
}

/** `c999999` is the longest client id the wire format accepts. */
export const CLIENT_ID_MAX = 999_999;

export class Registry {
  private constructor(private readonly db: IDBPDatabase<RegistrySchema>) {}

  static async open(name: string = REGISTRY_DB_NAME): Promise<Registry> {
    const db = await openDB<RegistrySchema>(name, REGISTRY_VERSION, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) {
          db.createObjectStore('cms', { keyPath: 'role' });
          db.createObjectStore('clients', { keyPath: 'id' });
        }
        if (oldVersion < 2) {
          db.createObjectStore('cmDurable', { keyPath: 'nodeId' });
          db.createObjectStore('clientDurable', { keyPath: 'nodeId' });
        }
      },
      // Let a newer tab upgrade the schema instead of leaving it blocked on this connection.
      blocking() {
        db.close();
      },
    });
    return new Registry(db);
  }

  /** The database's name: node workers open their own connection to it to persist state. */
  get name(): string {
    return this.db.name;
  }

  /** The seed's "Start CM": primary when none is registered, else backup; never a third. */
  async registerCm(address: string, now: number = Date.now()): Promise<Registered<CmRecord>> {
    const tx = this.db.transaction('cms', 'readwrite');
    const [primary, backup] = await Promise.all([tx.store.get('primary'), tx.store.get('backup')]);
    let record: CmRecord | null = null;
    if (!primary) record = { role: 'primary', nodeId: PRIMARY_CM, address, registeredAt: now };
    else if (!backup) record = { role: 'backup', nodeId: BACKUP_CM, address, registeredAt: now };
    if (record) await tx.store.add(record);
    await tx.done;
    if (!record) {
      return {
        ok: false,
        error: `a primary (${PRIMARY_CM}) and a backup (${BACKUP_CM}) CM are already registered; ` +
          'a cluster has at most two. Reset the cluster to start again.',
      };
    }
    return { ok: true, record };
  }

  /** The seed's "Start client": the highest registered id + 1, read and written in one transaction. */
  async registerClient(address: string, now: number = Date.now()): Promise<Registered<ClientRecord>> {
    const tx = this.db.transaction('clients', 'readwrite');
    const highest = await tx.store.openCursor(null, 'prev');
    const id = (highest?.value.id ?? 0) + 1;
    if (id > CLIENT_ID_MAX) {
      await tx.done;
      return { ok: false, error: `client ids are used up (at most ${CLIENT_ID_MAX}); reset the cluster` };
    }
    const record: ClientRecord = { id, nodeId: clientNodeId(id), address, status: 'started', registeredAt: now };
    await tx.store.add(record);
    await tx.done;
    return { ok: true, record };
  }

  async setClientStatus(id: number, status: ClientStatus): Promise<void> {
    const tx = this.db.transaction('clients', 'readwrite');
    const record = await tx.store.get(id);
    if (record) await tx.store.put({ ...record, status });
    await tx.done;
  }

  /**
   * A registered node started again in the tab at `address`: its record says where it runs now
   * (a client's status is `started` again). False when `nodeId` is not registered.
   */
  async restarted(nodeId: NodeId, address: string): Promise<boolean> {
    const n = clientNumber(nodeId);
    if (n !== null) {
      const tx = this.db.transaction('clients', 'readwrite');
      const record = await tx.store.get(n);
      if (record) await tx.store.put({ ...record, address, status: 'started' });
      await tx.done;
      return record !== undefined;
    }
    const tx = this.db.transaction('cms', 'readwrite');
    const record = await tx.store.get(nodeId === PRIMARY_CM ? 'primary' : 'backup');
    if (record?.nodeId === nodeId) await tx.store.put({ ...record, address });
    await tx.done;
    return record?.nodeId === nodeId;
  }

  async list(): Promise<RegistryContents> {
    const tx = this.db.transaction(['cms', 'clients'], 'readonly');
    const [cms, clients] = await Promise.all([
      tx.objectStore('cms').getAll(), tx.objectStore('clients').getAll(),
    ]);
    await tx.done;
    // Primary before backup, whatever the key order.
    cms.sort((x, y) => (x.role === y.role ? 0 : x.role === 'primary' ? -1 : 1));
    return { cms, clients };
  }

  /** Replaces what `nodeId` persisted last; one put, so a reader sees the old or the new value whole. */
  async saveDurable<R extends keyof DurableOf>(role: R, nodeId: NodeId, durable: DurableOf[R], now: number = Date.now()): Promise<void> {
    // The union of the two stores' value types is what idb checks `put` against; the key
    // mapping above ties each role to its own store.
    await this.db.put(DURABLE_STORE[role], { nodeId, durable: durable as never, savedAt: now });
  }

  /** What `nodeId` persisted before its last crash, if it ever persisted anything. */
  async loadDurable<R extends keyof DurableOf>(role: R, nodeId: NodeId): Promise<DurableOf[R] | undefined> {
    const record = await this.db.get(DURABLE_STORE[role], nodeId);
    return record?.durable as DurableOf[R] | undefined;
  }

  /** The seed's "empty the /data folder", and every node's durable state with it. */
  async reset(): Promise<void> {
    const tx = this.db.transaction(ALL_STORES, 'readwrite');
    await Promise.all(ALL_STORES.map((name) => tx.objectStore(name).clear()));
    await tx.done;
  }

  close(): void {
    this.db.close();
  }
}
