// Where a host keeps the durable state of the nodes it runs: recover a node's table before it
// starts, hand its host a Disk, let it go. The log (log-writer.ts) is the backend wherever a
// worker can keep files (OPFS with sync access handles); IndexedDB is the fallback elsewhere
// (idb-backend.ts).
import type { Disk } from '../host/env.ts';
import type { DurableEntry } from '../protocol/durable.ts';
import type { NodeId } from '../protocol/ids.ts';
import type { LogWriter } from './log-writer.ts';
import { readNodeState, sweep } from './store-ops.ts';
import type { StoreVolume } from './volume.ts';
import type { Durability } from '../protocol/config.ts';

export interface Recovered {
  /** The node's table, or null when nothing is stored for it. */
  entries: DurableEntry[] | null;
  /** The number of its newest record (0 for none): the log numbers its next life's past it. */
  lsn: number;
  /** What the host should say: tails dropped, where an old state came from. */
  notes: string[];
}

export interface DurableBackend {
  /** Where and how durably state is kept, for the dashboard ("log on OPFS, process"). */
  readonly describe: string;
  readonly durability: Durability;
  recover(node: NodeId): Promise<Recovered>;
  /** A Disk for the node's host; `entries` reads the node's whole table as it stands. */
  attach(node: NodeId, lsn: number, entries: () => DurableEntry[]): Disk;
  /** Lets the node go (see LogWriter.detach); settles once what it must keep is stored. */
  detach(node: NodeId): Promise<void>;
  close(): void;
}

/** How long after its first node started a backend sweeps the logs of ended writers. */
const SWEEP_DELAY_MS = 2_000;

export class LogBackend implements DurableBackend {
  readonly describe: string;
  private swept = false;

  constructor(
    private readonly volume: StoreVolume,
    private readonly writer: LogWriter,
    private readonly writerId: string,
    readonly durability: Durability,
    where: string,
    /** A node's table as an earlier version kept it, read when no file holds one. */
    private readonly legacy: ((node: NodeId) => Promise<DurableEntry[] | null>) | null = null,
    /** Where what the backend works around is told. */
    private readonly log: (text: string) => void = () => {},
  ) {
    this.describe = `log on ${where}, ${durability} durability`;
  }

  async recover(node: NodeId): Promise<Recovered> {
    const r = await readNodeState(this.volume, node);
    const notes = r.torn.map(
      (t) =>
        `${t.name}: dropped ${t.bytes} bytes after its last whole record${t.problem ? ` (${t.problem})` : ' (torn by a crash or a full disk)'}`,
    );
    if (r.state !== null) return { entries: r.state.entries, lsn: r.lsn, notes };
    const old = this.legacy ? await this.legacy(node) : null;
    if (old !== null) notes.push(`${node}: state read from IndexedDB, where an earlier version kept it`);
    return { entries: old, lsn: 0, notes };
  }

  attach(node: NodeId, lsn: number, entries: () => DurableEntry[]): Disk {
    const disk = this.writer.attach(node, lsn, entries);
    if (!this.swept) {
      // Once, after the first node here has read its state: the sweep reads what it reads, and
      // a node that starts here from a log of an ended writer soon holds its state in this one.
      this.swept = true;
      const timer = setTimeout(() => {
        // What a sweep did is nobody's business but the store's; only trouble is told.
        this.sweep().catch((e: unknown) => this.log(`could not sweep the logs of ended writers: ${(e as Error).message}`));
      }, SWEEP_DELAY_MS);
      // In Node (unit tests) a pending sweep must not keep the process alive.
      (timer as { unref?: () => void }).unref?.();
    }
    return disk;
  }

  detach(node: NodeId): Promise<void> {
    return new Promise((resolve, reject) => this.writer.detach(node, (e) => (e ? reject(e) : resolve())));
  }

  /** Folds the logs of writers that are gone (store-ops.ts); what it did, in a line, or null if nothing. */
  async sweep(): Promise<string | null> {
    const s = await sweep(
      this.volume,
      (w) => w === this.writerId,
      (node, lsn) => this.writer.covers(node, lsn),
    );
    if (s.logs.length === 0) return null;
    return `folded ${s.logs.length} log(s) of ended writers into ${s.homes.length} home file(s)`;
  }

  close(): void {
    this.writer.close();
  }
}
