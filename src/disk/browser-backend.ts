// The backend a browser worker keeps its nodes' state in: a log on OPFS where this worker has
// sync access handles, else IndexedDB (idb-backend.ts). One per store and durability in a
// thread, shared by every node the thread runs (a pack's nodes share one log and one flush).
import type { DurableEntry } from '../protocol/durable.ts';
import type { NodeId } from '../protocol/ids.ts';
import { hasNodeDatabase, NodeStore } from '../registry/node-store.ts';
import { randomHex } from '../util/random-hex.ts';
import { LogBackend, type DurableBackend } from './backend.ts';
import { IdbBackend } from './idb-backend.ts';
import { LogWriter } from './log-writer.ts';
import { OpfsVolume, opfsAvailable } from './opfs-volume.ts';
import { browserWindows } from './schedule.ts';
import type { StoreVolume } from './volume.ts';
import type { Durability } from '../protocol/config.ts';

/** Opens the backend of a store; `log` hears what it works around. */
export type OpenBackend = (store: string, durability: Durability) => Promise<DurableBackend>;

/** What an earlier version kept of the node in IndexedDB, if anything (read, never written). */
export async function legacyEntries(store: string, node: NodeId): Promise<DurableEntry[] | null> {
  if (typeof indexedDB === 'undefined' || !(await hasNodeDatabase(store, node))) return null;
  const s = await NodeStore.open(store, node);
  try {
    const entries = await s.entries();
    return entries.length > 0 ? entries : null;
  } finally {
    s.close();
  }
}

export async function openBrowserBackend(store: string, durability: Durability, log: (text: string) => void): Promise<DurableBackend> {
  if (!opfsAvailable()) return new IdbBackend(store, durability, log);
  let volume: OpfsVolume;
  try {
    volume = await OpfsVolume.open(store);
  } catch (e) {
    log(`no log on OPFS here (${(e as Error).message}): state is kept in IndexedDB`);
    return new IdbBackend(store, durability, log);
  }
  return logBackend(volume, store, durability, 'OPFS', log);
}

/** A log backend over `volume` in a browser thread, under a writer id of its own. */
export function logBackend(
  volume: StoreVolume,
  store: string,
  durability: Durability,
  where: string,
  log: (text: string) => void,
): LogBackend {
  const writer = randomHex(8);
  return new LogBackend(
    volume,
    new LogWriter(volume, { writer, durability, windows: browserWindows(), log }),
    writer,
    durability,
    where,
    (node) => legacyEntries(store, node),
    log,
  );
}

/** One backend per store and durability in this thread, opened on first use. */
export function sharedBackends(open: OpenBackend): OpenBackend {
  const opened = new Map<string, Promise<DurableBackend>>();
  return (store, durability) => {
    const key = `${durability} ${store}`;
    let b = opened.get(key);
    if (!b) {
      b = open(store, durability);
      opened.set(key, b);
      b.catch(() => opened.delete(key));
    }
    return b;
  };
}
