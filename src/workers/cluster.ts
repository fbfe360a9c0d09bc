// The in-page cluster: which node workers run, and the direct link between every pair of them:
// a MessageChannel, or an in-memory pair inside the thread two nodes share (packed placement,
// placement.ts). Starts and kills run one at a time so that a node starting never misses a peer.
import type { NodeId } from '../protocol/ids.ts';
import { clientNumber } from '../protocol/ids.ts';
import { DEFAULT_TIMEOUTS, NodeHandle, type ControlTimeouts, type SpawnWorker } from './node-handle.ts';
import type { Timing } from '../protocol/config.ts';
import type { NodeSpec } from '../host/make-node.ts';
import { browserLocks, nodeLockName, released, type NodeLocks } from '../host/node-lock.ts';
import { NO_STEPPING, type StepSettings } from '../host/trace.ts';
import { PLACEMENTS, type Placement } from './placement.ts';
import { DURABILITY_DEFAULT, type Durability, type Replicas } from '../protocol/config.ts';
import type { StartInfo } from './worker-api.ts';

/** How nodes are started, per placement offered; a bare function is the default placement's. */
export type Spawners = SpawnWorker | { readonly [P in Placement]?: SpawnWorker };

export interface Started {
  handle: NodeHandle;
  /** Where its state is kept and what it came back with. */
  info: StartInfo;
  /** Peers the new node could not be linked with; it runs, but cannot reach them. */
  warnings: string[];
}

export class Cluster {
  private readonly handles = new Map<NodeId, NodeHandle>();
  private readonly listeners = new Set<() => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private stepping: StepSettings = { ...NO_STEPPING };
  private readonly spawners: { readonly [P in Placement]?: SpawnWorker };
  private placed: Placement;
  /** How far commits go for every node started here that keeps state (a spec may say otherwise). */
  durability: Durability = DURABILITY_DEFAULT;
  /** Replicas kept of each page beyond its owner, for every client started here (config.ts Replicas). */
  replicas: Replicas = 0;
  /** Nodes killed here whose workers may still hold their locks (see ended()). */
  private readonly ending = new Map<NodeId, Promise<void>>();

  constructor(
    spawners: Spawners,
    private readonly timeouts: ControlTimeouts = DEFAULT_TIMEOUTS,
    /** Time limits for every node started here, under those a spec names itself. */
    readonly timing: Partial<Timing> = {},
    /** Per-profile node locks (node-lock.ts); null where the browser has none. */
    readonly locks: NodeLocks | null = browserLocks(),
  ) {
    this.spawners = typeof spawners === 'function' ? { 'worker-per-node': spawners } : spawners;
    const first = PLACEMENTS.find((p) => this.spawners[p] !== undefined);
    if (!first) throw new Error('a cluster needs a way to start workers');
    this.placed = first;
  }

  /** The placements this cluster can start nodes in. */
  placements(): Placement[] {
    return PLACEMENTS.filter((p) => this.spawners[p] !== undefined);
  }

  /** Where nodes started from now on run; those running stay where they are. */
  get placement(): Placement {
    return this.placed;
  }

  setPlacement(placement: Placement): void {
    if (this.spawners[placement] === undefined) throw new Error(`this cluster has no ${placement} placement`);
    this.placed = placement;
    this.changed();
  }

  /** Running nodes, CMs first, clients by number. */
  nodes(): NodeHandle[] {
    const rank = (h: NodeHandle): number => (h.role === 'cm' ? 0 : 1) * 1e7 + (clientNumber(h.id) ?? 0);
    return [...this.handles.values()].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
  }

  get(id: NodeId): NodeHandle | undefined {
    return this.handles.get(id);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(spec: NodeSpec): Promise<Started> {
    return this.serial(() => this.doStart(spec));
  }

  /** Terminates the node's worker and tells the others to drop their ends of its channels. */
  kill(id: NodeId): boolean {
    const handle = this.handles.get(id);
    if (!handle) return false;
    handle.kill();
    this.handles.delete(id);
    this.awaitRelease(handle);
    for (const other of this.handles.values()) other.disconnect(id).catch(() => {});
    this.changed();
    return true;
  }

  /** Step mode for every node, including those started later. */
  get stepSettings(): StepSettings {
    return this.stepping;
  }

  async setStepSettings(settings: StepSettings): Promise<void> {
    this.stepping = { ...settings };
    await Promise.allSettled(this.nodes().map((h) => h.setStepSettings(this.stepping)));
    this.changed();
  }

  killAll(): void {
    for (const h of [...this.handles.values()]) {
      h.kill();
      this.awaitRelease(h);
    }
    this.handles.clear();
    this.changed();
  }

  /**
   * Settles once the worker of a node killed here has let go of its lock (the browser frees it
   * a moment after terminate()), or at once if it holds none: a restart, here or in another
   * tab told of the kill, then finds the id free.
   */
  ended(id: NodeId): Promise<void> {
    return this.ending.get(id) ?? Promise.resolve();
  }

  private awaitRelease(handle: NodeHandle): void {
    const store = handle.spec.store;
    if (store === undefined || !this.locks) return;
    const free = released(this.locks, nodeLockName(store, handle.id), this.timeouts.startMs).catch(() => false);
    const done: Promise<void> = free.then(() => {
      if (this.ending.get(handle.id) === done) this.ending.delete(handle.id);
    });
    this.ending.set(handle.id, done);
  }

  private async doStart(spec: NodeSpec): Promise<Started> {
    if (this.handles.has(spec.id)) throw new Error(`${spec.id} is already running in this tab`);
    await this.ended(spec.id);
    const timing = { ...this.timing, ...spec.timing };
    const spawn = this.spawners[this.placed];
    if (!spawn) throw new Error(`this cluster has no ${this.placed} placement`);
    const durability = spec.durability ?? (spec.store !== undefined ? this.durability : undefined);
    const replicas = spec.role === 'client' ? { replicas: spec.replicas ?? this.replicas } : {};
    const handle = new NodeHandle(
      { ...spec, timing, ...replicas, ...(durability ? { durability } : {}) },
      spawn(`ivy-${spec.id}`),
      this.timeouts,
    );
    let info: StartInfo;
    try {
      info = await handle.start();
      if (this.stepping.hold || this.stepping.delayMs > 0) await handle.setStepSettings(this.stepping);
    } catch (e) {
      handle.kill();
      throw e;
    }
    const peers = [...this.handles.values()];
    this.handles.set(spec.id, handle);
    this.changed();
    const results = await Promise.allSettled(peers.map((peer) => this.link(handle, peer)));
    const warnings = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${spec.id} has no link to ${peers[i]?.id}: ${(r.reason as Error).message}`] : [],
    );
    // Linked first, then set going: what the node says on starting must find its peers.
    try {
      await handle.begin();
    } catch (e) {
      this.kill(spec.id);
      throw e;
    }
    return { handle, info, warnings };
  }

  /** A link this page made between two of its own nodes: its frames are trusted (message-codec.ts). */
  private async link(a: NodeHandle, b: NodeHandle): Promise<void> {
    // Asked of the peer that was running: a disconnect from a former life of `a` (kill) went to
    // it earlier on the same port, so it is carried out first, as connect's would be.
    if (a.thread !== undefined && a.thread === b.thread) return b.connectLocal(a.id);
    const channel = new MessageChannel();
    await Promise.all([a.connect(b.id, channel.port1, 'own'), b.connect(a.id, channel.port2, 'own')]);
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => {});
    return run;
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
