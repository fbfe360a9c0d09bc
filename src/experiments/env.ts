// Where an experiment runs: real Web Workers and IndexedDB in a browser page, or in-process
// workers and an in-memory database in unit tests.
import { Registry } from '../registry/registry.ts';
import { deleteDatabase } from '../registry/node-store.ts';
import { removeStoreFiles } from '../disk/opfs-volume.ts';
import type { SpawnWorker } from '../workers/node-handle.ts';
import { packedSpawner, type Placement, type Spawner } from '../workers/placement.ts';
import { commonNow } from '../host/env.ts';
import type { DurableStore } from './exp-cluster.ts';
import type { Durability } from '../protocol/config.ts';

export interface ScenarioEnv {
  /** Starts a run's nodes in the placement asked for; closed when the run ends. */
  spawner(placement: Placement): Spawner;
  /** A fresh store for one run's durable state. */
  openStore(name: string, durability: Durability): Promise<DurableStore>;
  /** The clock the workers time operations on. */
  now(): number;
  /** Awaited once a run's operations are done, before its workers end (a profiler's moment to stop). */
  beforeTeardown?: () => Promise<void>;
}

export async function openRegistryStore(name: string, durability: Durability, idb: IDBFactory = indexedDB): Promise<DurableStore> {
  const registry = await Registry.open(name);
  return {
    name,
    durability,
    drop: async () => {
      await Promise.all([registry.reset(idb), removeStoreFiles(name)]);
      registry.close();
      await deleteDatabase(name, idb);
    },
  };
}

/** Real experiment workers, one dedicated module worker per node. */
export const spawnExperimentWorker: SpawnWorker = (name) => {
  const worker = new Worker(new URL('./node.worker.ts', import.meta.url), { type: 'module', name });
  return { endpoint: worker, terminate: () => worker.terminate() };
};

/** A worker that runs several experiment nodes (packed placement). */
const spawnExperimentPack: SpawnWorker = (name) => {
  const worker = new Worker(new URL('./pack.worker.ts', import.meta.url), { type: 'module', name });
  return { endpoint: worker, terminate: () => worker.terminate() };
};

/** A worker per node ends with its node (Cluster.kill): nothing is left to close. */
export const workerPerNode = (spawn: SpawnWorker): Spawner => ({ spawn, close: () => {} });

export function browserEnv(): ScenarioEnv {
  return {
    spawner: (placement) => (placement === 'packed' ? packedSpawner(spawnExperimentPack) : workerPerNode(spawnExperimentWorker)),
    openStore: (name, durability) => openRegistryStore(name, durability),
    now: commonNow,
  };
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
