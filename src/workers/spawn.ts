// Real node workers: one dedicated module worker per node, or packs of several (placement.ts).
import type { SpawnWorker } from './node-handle.ts';

export const spawnNodeWorker: SpawnWorker = (name) => {
  const worker = new Worker(new URL('./node.worker.ts', import.meta.url), { type: 'module', name });
  return { endpoint: worker, terminate: () => worker.terminate() };
};

/** A worker that runs several nodes (packed placement). */
export const spawnPackWorker: SpawnWorker = (name) => {
  const worker = new Worker(new URL('./pack.worker.ts', import.meta.url), { type: 'module', name });
  return { endpoint: worker, terminate: () => worker.terminate() };
};
