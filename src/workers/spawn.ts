// Real node workers, one dedicated module worker per node.
import type { SpawnWorker } from './node-handle.ts';

export const spawnNodeWorker: SpawnWorker = (name) => {
  const worker = new Worker(new URL('./node.worker.ts', import.meta.url), { type: 'module', name });
  return { endpoint: worker, terminate: () => worker.terminate() };
};
