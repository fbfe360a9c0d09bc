// The fallback where a worker cannot keep a log on OPFS: a page served over plain http to
// another machine (not a secure context, so no OPFS), or a browser without sync access handles
// (Safari before 15.2, Firefox before 111, Chromium before 102). Each commit is one IndexedDB
// transaction in the node's own database (registry/node-store.ts); a life's first commit
// replaces the table whole, later ones put and delete the changed entries. At `process`
// durability the transaction's `complete` is enough (IndexedDB's default, which survives a crash
// of the tab, the worker or the browser); at `disk` it is a `strict` transaction.
import type { Disk } from '../host/env.ts';
import type { DurableEntry } from '../protocol/durable.ts';
import type { NodeId } from '../protocol/ids.ts';
import { hasNodeDatabase, NodeStore } from '../registry/node-store.ts';
import type { DurableBackend, Recovered } from './backend.ts';
import type { Durability } from '../protocol/config.ts';

export class IdbBackend implements DurableBackend {
  readonly describe: string;
  private readonly stores = new Map<NodeId, Promise<NodeStore>>();

  constructor(
    private readonly registryName: string,
    readonly durability: Durability,
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
    const opened = NodeStore.open(this.registryName, node);
    this.stores.set(node, opened);
    let whole = true;
    const strict = this.durability === 'disk';
    return {
      commit: (changes, done) => {
        opened
          .then((store) => {
            if (!store.usable) throw new Error(`the database of ${node} was closed or deleted`);
            const replace = whole;
            return store.commit(replace ? entries() : changes, replace, strict).then(() => {
              whole = false;
            });
          })
          .then(
            () => done(null),
            (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
          );
      },
    };
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
