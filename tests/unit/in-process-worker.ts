// A node "worker" that runs in this process behind a real MessageChannel and real Comlink: the
// page-side code under test cannot tell it from a Web Worker (the experiments pass their own
// api; a test of node locks passes one that holds them, as a browser worker's do). Each spawn
// records its stop in `stops`, so a test can end every node it started.
import * as Comlink from 'comlink';
import type { SpawnWorker } from '../../src/workers/node-handle.ts';
import { createWorkerApi, type NodeWorkerApi } from '../../src/workers/worker-api.ts';

export function inProcessSpawner(stops: Array<() => void>, create: () => NodeWorkerApi = createWorkerApi): SpawnWorker {
  return () => {
    const channel = new MessageChannel();
    const api = create();
    Comlink.expose(api, channel.port1);
    const terminate = (): void => {
      api.stop();
      channel.port1.close();
    };
    stops.push(terminate);
    return { endpoint: channel.port2, terminate };
  };
}
