// Where a tab node keeps its state: its log writer runs beside it on the main thread, its files
// in a log worker of its own (remote-volume.ts); IndexedDB where the worker has no OPFS sync
// access (idb-backend.ts).
import * as Comlink from 'comlink';
import { randomHex } from '../util/random-hex.ts';
import { LogBackend, type DurableBackend } from './backend.ts';
import { IdbBackend } from './idb-backend.ts';
import type { LogWorkerApi } from './log-worker-api.ts';
import { LogWriter } from './log-writer.ts';
import { RemoteVolume } from './remote-volume.ts';
import { browserWindows } from './schedule.ts';
import type { Durability } from './volume.ts';
import { legacyEntries } from './browser-backend.ts';

export async function openTabBackend(
  store: string,
  durability: Durability,
  name: string,
  log: (text: string) => void,
): Promise<DurableBackend> {
  const worker = new Worker(new URL('./log.worker.ts', import.meta.url), { type: 'module', name });
  const remote = Comlink.wrap<LogWorkerApi>(worker);
  let opened = false;
  try {
    opened = await remote.open(store);
  } catch (e) {
    log(`no log on OPFS here (${(e as Error).message}): state is kept in IndexedDB`);
  }
  if (!opened) {
    worker.terminate();
    return new IdbBackend(store, durability);
  }
  const volume = new RemoteVolume(remote);
  const writer = randomHex(8);
  const backend = new LogBackend(
    volume,
    new LogWriter(volume, { writer, durability, windows: browserWindows(), log }),
    writer,
    durability,
    'OPFS (log worker)',
    (node) => legacyEntries(store, node),
    log,
  );
  return backend;
}
