// A node "worker" that runs in this process behind a real MessageChannel and real Comlink: the
// page-side code under test cannot tell it from a Web Worker. Each spawn records its stop in
// `stops`, so a test can end every node it started. Given `locks`, its nodes hold them as a
// browser worker's do (terminating releases them).
import * as Comlink from 'comlink';
import type { NodeLocks } from '../../src/host/node-lock.ts';
import type { SpawnWorker } from '../../src/workers/node-handle.ts';
import { createWorkerApi } from '../../src/workers/worker-api.ts';

export function inProcessSpawner(stops: Array<() => void>, locks: NodeLocks | null = null): SpawnWorker {
  return () => {
    const channel = new MessageChannel();
    const api = createWorkerApi(undefined, locks);
    Comlink.expose(api, channel.port1);
    const terminate = (): void => {
      api.stop();
      channel.port1.close();
    };
    stops.push(terminate);
    return { endpoint: channel.port2, terminate };
  };
}
