// A node "worker" that runs in this process behind a real MessageChannel and real Comlink: the
// page-side code under test cannot tell it from a Web Worker (the experiments pass their own
// api; a test of node locks passes one that holds them, as a browser worker's do). Each spawn
// records its stop in `stops`, so a test can end every node it started.
import * as Comlink from 'comlink';
import type { SpawnWorker } from '../../src/workers/node-handle.ts';
import { createWorkerApi, type NodeWorkerApi } from '../../src/workers/worker-api.ts';
import { createPack, type MakeApi } from '../../src/workers/pack.ts';

export function inProcessSpawner(stops: Array<() => void>, create: () => NodeWorkerApi = () => createWorkerApi()): SpawnWorker {
  return () => {
    const channel = new MessageChannel();
    const api = create();
    Comlink.expose(api, channel.port1);
    const terminate = (): void => {
      void api.stop();
      channel.port1.close();
    };
    stops.push(terminate);
    return { endpoint: channel.port2, terminate };
  };
}

/**
 * A packed worker in this process (pack.ts behind a real MessageChannel and real Comlink). Its
 * nodes share this thread as they would share a worker's; terminating it stops every one of them.
 */
export function inProcessPackSpawner(stops: Array<() => void>, makeApi: MakeApi = (thread) => createWorkerApi(thread)): SpawnWorker {
  return () => {
    const channel = new MessageChannel();
    const apis: NodeWorkerApi[] = [];
    Comlink.expose(
      createPack((thread) => {
        const api = makeApi(thread);
        apis.push(api);
        return api;
      }),
      channel.port1,
    );
    const terminate = (): void => {
      for (const api of apis) void api.stop();
      channel.port1.close();
    };
    stops.push(terminate);
    return { endpoint: channel.port2, terminate };
  };
}
