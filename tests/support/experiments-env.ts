// The experiments' environment for unit tests: node workers run in-process behind a real
// MessageChannel and real Comlink (as in cluster.test.ts), durable state in fake-indexeddb.
import 'fake-indexeddb/auto';
import { openRegistryStore, workerPerNode, type ScenarioEnv } from '../../src/experiments/env.ts';
import type { SpawnWorker } from '../../src/workers/node-handle.ts';
import { createExperimentWorkerApi } from '../../src/experiments/experiment-worker.ts';
import { inProcessPackSpawner, inProcessSpawner } from './in-process-worker.ts';
import { packedSpawner } from '../../src/workers/placement.ts';
import { commonNow } from '../../src/host/env.ts';

export function inProcessEnv(): ScenarioEnv & { stopAll(): void } {
  const stops: Array<() => void> = [];
  const spawn: SpawnWorker = inProcessSpawner(stops, createExperimentWorkerApi);
  const spawnPack: SpawnWorker = inProcessPackSpawner(stops, createExperimentWorkerApi);
  return {
    spawner: (placement) => (placement === 'packed' ? packedSpawner(spawnPack, 2) : workerPerNode(spawn)),
    openStore: (name, durability) => openRegistryStore(name, durability),
    now: commonNow,
    stopAll: () => {
      for (const s of stops.splice(0)) s();
    },
  };
}
