// Where an experiment runs: real Web Workers and IndexedDB in a browser page, or in-process
// workers and an in-memory database in unit tests.
import { Registry } from '../registry/registry.ts';
import type { SpawnWorker } from '../workers/node-handle.ts';
import { commonNow } from '../host/env.ts';
import type { DurableStore } from './exp-cluster.ts';

export interface ScenarioEnv {
  spawn: SpawnWorker;
  /** A fresh registry database for one run's durable state. */
  openStore(name: string): Promise<DurableStore>;
  /** The clock the workers time operations on. */
  now(): number;
}

export async function openRegistryStore(name: string, idb: IDBFactory = indexedDB): Promise<DurableStore> {
  const registry = await Registry.open(name);
  return {
    name,
    loadCm: (id) => registry.loadDurable('cm', id),
    drop: () => new Promise<void>((resolve) => {
      registry.close();
      const req = idb.deleteDatabase(name);
      // A worker's connection may still be open for a moment; the database goes when it closes.
      req.onsuccess = req.onerror = req.onblocked = () => resolve();
    }),
  };
}

/** Real experiment workers, one dedicated module worker per node. */
export const spawnExperimentWorker: SpawnWorker = (name) => {
  const worker = new Worker(new URL('./node.worker.ts', import.meta.url), { type: 'module', name });
  return { endpoint: worker, terminate: () => worker.terminate() };
};

export function browserEnv(): ScenarioEnv {
  return { spawn: spawnExperimentWorker, openStore: (name) => openRegistryStore(name), now: commonNow };
}

/** The smallest step the clock takes here: 5 µs when cross-origin isolated, 100 µs otherwise. */
export function clockResolutionMs(now: () => number = () => performance.now()): number {
  let smallest = Infinity;
  // One sample can land just after a tick; take the smallest of a few.
  for (let k = 0; k < 20; k++) {
    const start = now();
    let t = start;
    while (t === start) t = now();
    smallest = Math.min(smallest, t - start);
  }
  return Math.round(smallest * 1e6) / 1e6;
}
