// Where a tab's nodes run. `worker-per-node` (the default): a dedicated worker each, every
// message a hop between threads. `packed`: nodes spread over one worker per core, each node on
// its own Comlink port into its pack (pack.ts), so the page drives it exactly as a worker of
// its own; nodes of one pack talk in memory, nodes of different packs over MessageChannels.
import * as Comlink from 'comlink';
import type { SpawnWorker, WorkerLike } from './node-handle.ts';
import type { PackApi } from './pack.ts';

export const PLACEMENTS = ['worker-per-node', 'packed'] as const;
export type Placement = (typeof PLACEMENTS)[number];

export function isPlacement(v: unknown): v is Placement {
  return (PLACEMENTS as readonly unknown[]).includes(v);
}

/** The placement a `?placement=` parameter asks for; absent means the default. */
export function placementParam(search: string): Placement {
  const asked = new URLSearchParams(search).get('placement');
  if (asked === null) return 'worker-per-node';
  if (!isPlacement(asked)) throw new Error(`placement must be one of ${PLACEMENTS.join(', ')}, not ${JSON.stringify(asked.slice(0, 40))}`);
  return asked;
}

/** One worker per core, as the browser counts them. */
export function packCount(): number {
  const cores = globalThis.navigator?.hardwareConcurrency;
  return Number.isSafeInteger(cores) && cores > 0 ? cores : 1;
}

/** A spawner and the way to end the workers it started. */
export interface Spawner {
  spawn: SpawnWorker;
  /** Terminates every worker still running (nodes it held die with it). */
  close(): void;
}

interface Pack {
  thread: string;
  remote: Comlink.Remote<PackApi>;
  worker: WorkerLike;
  nodes: number;
}

/**
 * Packed placement over `packs` workers started on demand by `spawnPack`. A new node goes to the
 * pack with the fewest nodes (the first of them on a tie): nodes spread evenly, and a node
 * restarted after a kill fills the place it left.
 */
export function packedSpawner(spawnPack: (name: string) => WorkerLike, packs: number = packCount()): Spawner {
  if (!Number.isSafeInteger(packs) || packs < 1) throw new Error(`packs must be a positive integer, not ${packs}`);
  const started: Array<Pack | undefined> = Array.from({ length: packs }, () => undefined);
  let nextSlot = 1;
  const pack = (i: number): Pack => {
    const had = started[i];
    if (had) return had;
    const worker = spawnPack(`ivy-pack-${i + 1}`);
    const made = { thread: `pack-${i + 1}`, remote: Comlink.wrap<PackApi>(worker.endpoint), worker, nodes: 0 };
    started[i] = made;
    return made;
  };
  const emptiest = (): number => {
    let best = 0;
    for (let i = 1; i < packs; i++) if ((started[i]?.nodes ?? 0) < (started[best]?.nodes ?? 0)) best = i;
    return best;
  };
  const spawn: SpawnWorker = () => {
    const p = pack(emptiest());
    const slot = nextSlot++;
    const channel = new MessageChannel();
    // A pack that fails to adopt leaves the node's port unanswered: its start() runs into its deadline.
    p.remote.adopt(slot, Comlink.transfer(channel.port1, [channel.port1])).catch(() => {});
    p.nodes++;
    let ended = false;
    return {
      endpoint: channel.port2,
      thread: p.thread,
      terminate: () => {
        if (ended) return;
        ended = true;
        p.nodes--;
        p.remote.release(slot).catch(() => {});
        channel.port2.close();
      },
    };
  };
  return {
    spawn,
    close: () => {
      for (const [i, p] of started.entries()) {
        p?.worker.terminate();
        started[i] = undefined;
      }
    },
  };
}
