// One node id runs once per browser profile. Tabs of one profile share IndexedDB, so two of them
// could each start cm1 from the same registry: two cm1s, one epoch sequence, followers split.
// Each running node holds a Web Lock named for its store and id (locks are per profile, as
// IndexedDB is), taken without waiting: a second start is refused at once. A dashboard node's
// worker holds its own lock, so terminating the worker frees it; a tab node's page holds it, so
// closing the tab frees it. Web Locks exist only in secure contexts (https, localhost): elsewhere
// (a LAN address over http) nodes run unguarded, and the hosts say so.
import type { NodeId } from '../protocol/ids.ts';

export interface NodeLocks {
  /** Takes the lock now and returns its release, or returns null at once when it is held. */
  tryHold(name: string): Promise<(() => void) | null>;
  /** The names of every lock held in this profile, by any tab or worker. */
  held(): Promise<Set<string>>;
}

/** The lock a node with durable store `store` holds while it runs. */
export function nodeLockName(store: string, id: NodeId): string {
  return `ivy-node ${store} ${id}`;
}

/** What a refused start throws; its name survives Comlink, so the page can tell it apart. */
export class NodeRunsElsewhere extends Error {
  override name = 'NodeRunsElsewhere';

  constructor(id: NodeId) {
    super(`${id} already runs in another tab of this browser`);
  }
}

export function isNodeRunsElsewhere(e: unknown): boolean {
  return e instanceof Error && e.name === 'NodeRunsElsewhere';
}

/** What a host says when it starts a node without a lock. */
export const UNGUARDED = 'Web Locks need a secure context (https or localhost), so another tab of this browser could run it too';

/** This context's Web Locks, or null outside a secure context. */
export function browserLocks(): NodeLocks | null {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (!locks) return null;
  return {
    tryHold: (name) =>
      new Promise((resolve, reject) => {
        locks
          .request(name, { ifAvailable: true }, (lock) => {
            if (!lock) return resolve(null);
            // Held until released: the callback's promise is the lock's lifetime.
            return new Promise<void>((release) => resolve(() => release()));
          })
          .catch(reject);
      }),
    held: async () => new Set(((await locks.query()).held ?? []).flatMap((l) => (l.name ? [l.name] : []))),
  };
}

const RELEASE_POLL_MS = 10;

/**
 * Waits until nobody holds `name`, at most `ms`; true when it is free. Used after terminating a
 * worker here: the browser frees its locks a moment later, and a restart must not race that.
 * It only looks (query), never takes the lock, so it cannot make another tab's start fail.
 */
export async function released(locks: NodeLocks, name: string, ms: number): Promise<boolean> {
  for (const end = performance.now() + ms; ;) {
    if (!(await locks.held()).has(name)) return true;
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, RELEASE_POLL_MS));
  }
}
