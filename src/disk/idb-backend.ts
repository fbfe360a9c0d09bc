// The fallback where a worker cannot keep a log on OPFS: a page served over plain http to
// another machine (not a secure context, so no OPFS), or a browser without sync access handles
// (Safari before 15.2, Firefox before 111, Chromium before 102). Each commit is one IndexedDB
// transaction in the node's own database (registry/node-store.ts); a life's first commit
// replaces the table whole, later ones put and delete the changed entries. At `process`
// durability the transaction's `complete` is enough (IndexedDB's default, which survives a crash
// of the tab, the worker or the browser); at `disk` it is a `strict` transaction.
// A database deleted or closed under a running node (another tab, a reset, Clear site data) is
// said, opened anew and given the node's whole table at once, so what the node acknowledged
// before survives a crash after.
import type { Disk } from '../host/env.ts';
import type { DurableEntry } from '../protocol/durable.ts';
import type { NodeId } from '../protocol/ids.ts';
import { hasNodeDatabase, nodeDatabaseName, NodeStore } from '../registry/node-store.ts';
import type { DurableBackend, Recovered } from './backend.ts';
import type { Durability } from '../protocol/config.ts';

export class IdbBackend implements DurableBackend {
  readonly describe: string;
  private readonly stores = new Map<NodeId, Promise<NodeStore>>();

  constructor(
    private readonly registryName: string,
    readonly durability: Durability,
    /** Where a database lost from under a running node is told. */
    private readonly log: (text: string) => void = () => {},
  ) {
    this.describe = `IndexedDB (no OPFS sync access here), ${durability} durability`;
  }

  async recover(node: NodeId): Promise<Recovered> {
    if (!(await hasNodeDatabase(this.registryName, node))) return { entries: null, lsn: 0, notes: [] };
    const store = await NodeStore.open(this.registryName, node);
    try {
      const entries = await store.entries();
      return { entries: entries.length > 0 ? entries : null, lsn: 0, notes: [] };
    } finally {
      store.close();
    }
  }

  attach(node: NodeId, _lsn: number, entries: () => DurableEntry[]): Disk {
    const strict = this.durability === 'disk';
    const database = nodeDatabaseName(this.registryName, node);
    let opened: Promise<NodeStore>;
    // The connection whose database holds the node's whole table: each new connection's first
    // commit replaces the table whole (a life's first, and the first after a database was lost).
    let whole: NodeStore | null = null;
    const open = (): void => {
      const mine = NodeStore.open(this.registryName, node, (why) => lost(mine, why));
      opened = mine;
      this.stores.set(node, mine);
      // A connection that could not be opened is opened again by the next commit.
      mine.catch(() => {});
    };
    const write = (changes: readonly DurableEntry[], done: (e: Error | null) => void): void => {
      const current = opened;
      current
        .then(
          (store) => store,
          () => {
            if (this.stores.get(node) === current) open();
            return opened;
          },
        )
        .then((store) => {
          if (!store.usable) throw new Error(`the database of ${node} was closed`);
          const replace = whole !== store;
          return store.commit(replace ? entries() : changes, replace, strict).then(() => {
            if (replace) whole = store;
          });
        })
        .then(
          () => done(null),
          (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
        );
    };
    // The node's database went from under it: what it acknowledged is gone from the disk, and
    // a commit of changes alone would not bring it back. Its whole table is written at once into
    // a new database (IndexedDB opens it after the deletion), as the log does for a removed file.
    const lost = (connection: Promise<NodeStore>, why: string): void => {
      if (this.stores.get(node) !== connection) return; // detached, or already replaced
      this.log(
        `IndexedDB database ${database}, which held the state of ${node}, was ${why} while ${node} ran: ` +
          'its whole state is written again in a new one',
      );
      open();
      write([], (e) =>
        this.log(
          e
            ? `could not store the state of ${node} again in ${database} (${e.message}): it is kept nowhere a restart ` +
                'would find it until its next commit succeeds'
            : `the state of ${node} is stored again, whole, in IndexedDB database ${database}`,
        ),
      );
    };
    open();
    return { commit: write };
  }
  async detach(node: NodeId): Promise<void> {
    const store = this.stores.get(node);
    this.stores.delete(node);
    (await store?.catch(() => null))?.close();
  }

  close(): void {
    for (const s of this.stores.values()) s.then((x) => x.close()).catch(() => {});
    this.stores.clear();
  }
}
