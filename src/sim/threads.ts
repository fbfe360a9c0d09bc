// Where the simulated nodes run and keep their logs, as the browser's placements have it: a
// thread of its own per node (a worker each, the default), or packs of nodes sharing a thread,
// one log writer and one machine's disk (packed placement). A node crashed alone in a pack is
// let go as pack.ts lets it go: its writer writes it a home file and only then is its id free
// again, while the pack runs on; a pack's thread can also die whole, taking every node with it.
import { LogWriter } from '../disk/log-writer.ts';
import { recoverNode, type Recovery } from '../disk/recover.ts';
import type { Durability } from '../protocol/config.ts';
import type { Disk } from '../host/env.ts';
import type { DurableEntry } from '../protocol/durable.ts';
import type { NodeId } from '../protocol/ids.ts';
import { SimDisk, type DiskOptions } from './disk.ts';
import type { Life, SimWorld } from './world.ts';

export interface ThreadOptions {
  disk: DiskOptions;
  durability: Durability;
  /** Nodes per pack; 0 or absent: a thread of its own per node. */
  packs?: number;
  compactBytes?: number;
  /** Disks that say a write is done before it is (the broken host). */
  acksEarly?: boolean;
}

interface Thread {
  life: Life;
  writer: LogWriter;
  nodes: Map<NodeId, Life>;
}

interface Machine {
  disk: SimDisk;
  thread: Thread | null;
}

export class SimThreads {
  private readonly machines: Machine[] = [];
  private readonly machineOf = new Map<NodeId, Machine>();
  /** Nodes let go by a pack whose home file is not stored yet: they may not start again before. */
  private readonly leaving = new Set<NodeId>();
  private writers = 0;

  constructor(
    private readonly world: SimWorld,
    private readonly opts: ThreadOptions,
    ids: readonly NodeId[],
  ) {
    const packs = opts.packs ?? 0;
    const count = packs > 0 ? Math.min(packs, ids.length) : ids.length;
    for (let i = 0; i < count; i++) this.machines.push({ disk: new SimDisk(world, opts.disk), thread: null });
    ids.forEach((id, i) => this.machineOf.set(id, this.machines[i % count]!));
  }

  get packed(): boolean {
    return (this.opts.packs ?? 0) > 0;
  }

  /** Whether `id` may start: no earlier life of it is still being let go. */
  free(id: NodeId): boolean {
    return !this.leaving.has(id);
  }

  /**
   * A new life of `id`: the newest state its machine's files hold for it, and the disk its host
   * commits through. The life runs on its pack's thread (stalls with it), or is its own thread.
   */
  start(id: NodeId, life: Life): { recovered: Recovery; attach: (entries: () => DurableEntry[]) => Disk } {
    const m = this.machine(id);
    const recovered = recoverNode(m.disk.stored(), id);
    let thread = m.thread;
    if (thread === null || !thread.life.alive) {
      const threadLife = this.packed ? { node: `thread of ${id}`, alive: true, stalledUntil: 0 } : life;
      const writer = new LogWriter(m.disk.volumeFor(threadLife, this.opts.acksEarly === true), {
        writer: `w${++this.writers}`,
        durability: this.opts.durability,
        windows: {
          endOfTask: (f) => this.world.at(this.world.now, threadLife, f),
          afterQueuedTasks: (f) => this.world.at(this.world.now, threadLife, f),
          after: (ms, f) => this.world.at(this.world.now + ms, threadLife, f),
        },
        ...(this.opts.compactBytes !== undefined ? { compactMinBytes: this.opts.compactBytes } : {}),
      });
      thread = { life: threadLife, writer, nodes: new Map() };
      m.thread = thread;
    }
    thread.nodes.set(id, life);
    life.stalledUntil = Math.max(life.stalledUntil, thread.life.stalledUntil);
    const t = thread;
    return { recovered, attach: (entries) => t.writer.attach(id, recovered.lsn, entries) };
  }

  /**
   * `id` crashed (its life is over). On a thread of its own the thread ends with it, and writes
   * under way land whole, torn or not at all. In a pack the others run on: its writer drops what
   * it had not written and stores its table in a home file.
   */
  crashNode(id: NodeId): void {
    const m = this.machine(id);
    const thread = m.thread;
    if (!thread) return;
    const life = thread.nodes.get(id);
    thread.nodes.delete(id);
    if (!this.packed) {
      if (life) m.disk.crash(life);
      m.thread = null;
      return;
    }
    this.leaving.add(id);
    thread.writer.detach(id, () => this.leaving.delete(id));
  }

  /** The nodes that share `id`'s thread (itself included), all of which a crash of the thread takes. */
  threadmates(id: NodeId): NodeId[] {
    return [...(this.machine(id).thread?.nodes.keys() ?? [id])];
  }

  /** `id`'s whole thread dies (call after crashing each of its nodes' lives). */
  crashThread(id: NodeId): void {
    const m = this.machine(id);
    const thread = m.thread;
    if (!thread) return;
    thread.life.alive = false;
    m.disk.crash(thread.life);
    m.thread = null;
    for (const n of thread.nodes.keys()) this.leaving.delete(n);
  }

  /** `id`'s machine loses power: its disk keeps only what was flushed (crash its thread first). */
  powerCut(id: NodeId): void {
    this.machine(id).disk.powerCut();
  }

  /** Stalls `id`'s thread (every node on it) until `until`. */
  stall(id: NodeId, until: number): void {
    const thread = this.machine(id).thread;
    if (!thread) return;
    thread.life.stalledUntil = Math.max(thread.life.stalledUntil, until);
    for (const l of thread.nodes.values()) l.stalledUntil = Math.max(l.stalledUntil, until);
  }

  /** Crashes `id`'s thread while its next write is under way; false if it has none now. */
  crashDuringNextWrite(id: NodeId, crash: () => void): (() => boolean) | null {
    const m = this.machine(id);
    const thread = m.thread;
    if (!thread) return null;
    m.disk.crashDuringNext(thread.life, crash);
    return () => m.disk.cancelCrashDuringNext(thread.life);
  }

  stats(): { appends: number; bytesWritten: number; diskFailures: number } {
    let appends = 0;
    let bytesWritten = 0;
    let diskFailures = 0;
    for (const m of this.machines) {
      appends += m.disk.appends;
      bytesWritten += m.disk.bytesWritten;
      diskFailures += m.disk.failures;
    }
    return { appends, bytesWritten, diskFailures };
  }

  private machine(id: NodeId): Machine {
    const m = this.machineOf.get(id);
    if (!m) throw new Error(`${id} has no machine`);
    return m;
  }
}
