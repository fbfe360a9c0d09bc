// Where a tab node keeps its state: its log writer runs beside it on the main thread, its files
// in a log worker of its own (remote-volume.ts); IndexedDB where the worker has no OPFS sync
// access (idb-backend.ts).
import * as Comlink from 'comlink';
import type { DurableBackend } from './backend.ts';
import { logBackend } from './browser-backend.ts';
import { IdbBackend } from './idb-backend.ts';
import type { LogWorkerApi } from './log-worker-api.ts';
import { RemoteVolume } from './remote-volume.ts';
import type { Durability } from '../protocol/config.ts';

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
    return new IdbBackend(store, durability, log);
  }
  return logBackend(new RemoteVolume(remote), store, durability, 'OPFS (log worker)', log);
}
