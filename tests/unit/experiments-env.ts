// The experiments' environment for unit tests: node workers run in-process behind a real
// MessageChannel and real Comlink (as in cluster.test.ts), durable state in fake-indexeddb.
import 'fake-indexeddb/auto';
import { openRegistryStore, type ScenarioEnv } from '../../src/experiments/env.ts';
import type { SpawnWorker } from '../../src/workers/node-handle.ts';
import { createExperimentWorkerApi } from '../../src/experiments/experiment-worker.ts';
import { inProcessSpawner } from './in-process-worker.ts';
import { commonNow } from '../../src/host/env.ts';

export function inProcessEnv(): ScenarioEnv & { stopAll(): void } {
  const stops: Array<() => void> = [];
  const spawn: SpawnWorker = inProcessSpawner(stops, createExperimentWorkerApi);
  return {
    spawn,
    openStore: (name) => openRegistryStore(name),
    now: commonNow,
    stopAll: () => { for (const s of stops.splice(0)) s(); },
  };
}
