// A write-ahead log shared by the nodes of one thread (a worker of its own, a pack, a tab):
// each node's host commits its changed entries through the Disk this hands it, and every commit
// handed over before the next write window goes to the file as one append (and at `disk`
// durability one flush): a burst of steps across all the thread's nodes costs one write.
//
// A node's first record in a file is a snapshot of its whole table, later ones are its changes.
// When the file has grown past a bound (twice the snapshots it would take to start over, and at
// least COMPACT_MIN_BYTES), the next generation is opened and, at the next write, started with a
// snapshot of every node; the old file is then removed. So a recovery reads at most one
// snapshot and a bounded tail per node. A node that leaves while others stay gets a home file
// of its own (records.ts) before it is dropped from the log, so nothing of it is lost when the
// log is compacted without it.
import type { DurableEntry } from '../protocol/durable.ts';
import type { NodeId } from '../protocol/ids.ts';
import type { Disk } from '../host/env.ts';
import { encodeRecord, homeName, logName } from './records.ts';
import { writeFile, type LogFile, type Volume } from './volume.ts';
import type { Durability } from '../protocol/config.ts';
import { describeError } from '../util/errors.ts';
import { LOG_FORMAT_VERSION } from './records.ts';

/** A log smaller than this is never compacted: starting over would cost more than it saves. */
export const COMPACT_MIN_BYTES = 4 << 20;
/** How long after a home file could not be written it is tried again. */
export const HOME_RETRY_MS = 1000;
/**
 * How often a writer looks whether its file is still in the store. A removal from under it
 * (Clear site data, which goes through held files) leaves its appends succeeding where nothing
 * will read them: a crash before the writer notices loses what it acknowledged since.
 */
export const WATCH_MS = 500;

/**
 * When the commits handed over so far are written. At `process` durability, at the end of the
 * task that made them: a write costs tens of microseconds, and waiting for the tasks queued
 * behind it (other nodes' messages in a busy pack) cost a write fault 0.7 ms here for little
 * saved. At `disk`, once the tasks already queued have run (messages that arrived during the
 * last flush among them), so that all their commits share one write and one flush.
 */
export interface WriteWindows {
  endOfTask(f: () => void): void;
  afterQueuedTasks(f: () => void): void;
  /** Runs `f` in `ms`: a home file that could not be written is tried again. */
  after(ms: number, f: () => void): void;
}

export interface LogWriterOptions {
  /** Names this writer's files; unique per writer (a random id, or one drawn from the seed). */
  writer: string;
  durability: Durability;
  windows: WriteWindows;
  /** Overrides COMPACT_MIN_BYTES (tests compact small logs). */
  compactMinBytes?: number;
  /** Where trouble the writer works around is told (a failed removal, a file started over). */
  log?(text: string): void;
}

interface Attached {
  lsn: number;
  entries: () => DurableEntry[];
  /** Its next record in the current file must be a snapshot. */
  snapNext: boolean;
}

interface Queued {
  node: NodeId;
  changes: readonly DurableEntry[];
  done: (error: Error | null) => void;
}

export class LogWriter {
  private readonly nodes = new Map<NodeId, Attached>();
  private queue: Queued[] = [];
  private scheduled = false;
  /** An append under way: what is queued meanwhile waits for the next window. */
  private writing = false;
  /**
   * The current file is new, its head and snapshots not written yet; `old` is the file it
   * replaces (removed once they are), '' for none.
   */
  private started: { old: string } | null = null;
  private file: LogFile | null = null;
  private fileName = '';
  private gen = 0;
  private size = 0;
  private compactAt: number;
  /** The next generation, being opened or open and waiting for the next write. */
  private opening = false;
  private nextFile: { file: LogFile; name: string } | null = null;
  /** Why the current file cannot take more (a failed append), if so. */
  private broken: Error | null = null;
  /**
   * Home files being written for nodes that left: until they are stored the log keeps what it
   * holds of those nodes, so no compaction starts.
   */
  private homesPending = 0;
  /** The number of the newest snapshot of each node this writer has stored (see covers()). */
  private readonly snapped = new Map<NodeId, number>();
  private closed = false;
  private readonly quietWaiters: Array<() => void> = [];
  /** The last append was refused (a full disk): said once until one is written again. */
  private refused = false;
  /** The file was removed from under the writer: every node's state is due in a new one, queued commits or not. */
  private rewrite = false;
  /** A rewrite failed: the next is tried at the next watch, not at once again. */
  private rewriteWaits = false;
  private watching = false;

  constructor(
    private readonly volume: Volume,
    private readonly opts: LogWriterOptions,
  ) {
    this.compactAt = opts.compactMinBytes ?? COMPACT_MIN_BYTES;
  }

  /** The writer's current file, for tests and traces. */
  get currentFile(): string {
    return this.fileName;
  }

  get bytes(): number {
    return this.size;
  }

  /**
   * Starts logging `node`, whose records so far end at `lsn` (recover.ts); `entries` reads its
   * whole table as it stands. Its first commit writes that table whole.
   */
  attach(node: NodeId, lsn: number, entries: () => DurableEntry[]): Disk {
    if (this.nodes.has(node)) throw new Error(`${node} is already logged by writer ${this.opts.writer}`);
    this.nodes.set(node, { lsn, entries, snapNext: true });
    this.watch();
    return {
      commit: (changes, done) => {
        if (!this.nodes.has(node) || this.closed) {
          done(new Error(`${node} is no longer logged here`));
          return;
        }
        this.queue.push({ node, changes, done });
        this.wake();
      },
    };
  }

  /**
   * Stops logging `node`, as a crash would: what it handed over and is not written yet is
   * dropped. If other nodes stay, its table (`entries` as it stands now) is written to a home
   * file first, since their log will be compacted without it; `done` runs once that is stored.
   */
  detach(node: NodeId, done: (error: Error | null) => void): void {
    const a = this.nodes.get(node);
    if (!a) {
      done(null);
      return;
    }
    this.nodes.delete(node);
    this.queue = this.queue.filter((q) => q.node !== node);
    if (this.nodes.size === 0) {
      // Nobody writes here any more: the log as it stands is the node's latest record, once an
      // append under way has landed (the node's next life must read it, not race it).
      this.whenQuiet(() => {
        if (this.nodes.size === 0) this.closeFile();
        done(null);
      });
      return;
    }
    const lsn = a.lsn + 1;
    const bytes = encodeRecord({ t: 'snap', node, lsn, entries: a.entries() });
    this.homesPending += 1;
    // Until the home is stored the node is not let go (its lock stays held, so no next life can
    // number a record as this one), and the log keeps what it holds of it (no compaction).
    const attempt = (): void => {
      writeFile(this.volume, homeName(node, lsn), bytes, this.opts.durability === 'disk', (error) => {
        if (error !== null && !this.closed) {
          this.opts.log?.(
            `${node}'s state could not be stored apart from this log (${describeError(error)}); ` +
              `trying again in ${HOME_RETRY_MS} ms, and ${node} cannot start again before`,
          );
          this.opts.windows.after(HOME_RETRY_MS, attempt);
          return;
        }
        this.homesPending -= 1;
        done(error);
        this.wake();
      });
    };
    attempt();
  }

  /** Stops writing; nothing queued is written (a worker being torn down). */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.nodes.clear();
    this.closeFile();
    this.nextFile?.file.close();
    this.nextFile = null;
  }

  /** Runs `f` once no append is under way. */
  private whenQuiet(f: () => void): void {
    if (!this.writing) f();
    else this.quietWaiters.push(f);
  }

  private wake(): void {
    if (this.scheduled || this.writing || !this.due()) return;
    this.scheduled = true;
    const window = this.opts.durability === 'process' ? this.opts.windows.endOfTask : this.opts.windows.afterQueuedTasks;
    window(() => {
      this.scheduled = false;
      this.write();
    });
  }

  /** Whether there is anything to write: queued commits, or a whole state to store again. */
  private due(): boolean {
    return this.queue.length > 0 || (this.rewrite && !this.rewriteWaits && this.nodes.size > 0);
  }

  private write(): void {
    if (this.closed || this.writing || !this.due()) return;
    const canSwitch = this.nextFile !== null && this.homesPending === 0;
    if (canSwitch) this.switchFile();
    if (this.file === null || this.broken !== null) {
      // No file to append to: the next generation takes it all, once open (and no home is due).
      this.openNext();
      return;
    }
    const batch = this.queue;
    this.queue = [];
    const parts: Uint8Array[] = [];
    const snaps = new Map<NodeId, number>();
    const started = this.started;
    const snap = (node: NodeId, a: Attached): void => {
      a.lsn += 1;
      a.snapNext = false;
      snaps.set(node, a.lsn);
      parts.push(encodeRecord({ t: 'snap', node, lsn: a.lsn, entries: a.entries() }));
    };
    if (started !== null) {
      // A new file: its head, then a snapshot of every node (which covers whatever they queued).
      parts.push(encodeRecord({ t: 'head', v: LOG_FORMAT_VERSION, writer: this.opts.writer, gen: this.gen }));
      for (const [node, a] of this.nodes) snap(node, a);
      const snapshotBytes = parts.reduce((n, p) => n + p.length, 0);
      this.compactAt = Math.max(this.opts.compactMinBytes ?? COMPACT_MIN_BYTES, 2 * snapshotBytes);
    } else {
      for (const q of batch) {
        const a = this.nodes.get(q.node);
        if (!a) continue;
        if (a.snapNext) {
          snap(q.node, a);
          continue;
        }
        a.lsn += 1;
        parts.push(encodeRecord({ t: 'delta', node: q.node, lsn: a.lsn, changes: q.changes }));
      }
    }
    this.append(this.file, parts, batch, snaps, () => {
      if (started === null) return;
      // The old file goes only once the new one holds everything it did.
      this.started = null;
      if (started.old !== '') this.volume.remove(started.old);
      if (this.rewrite) {
        this.rewrite = false;
        this.opts.log?.(`the state of ${[...this.nodes.keys()].join(', ')} is stored again, whole, in log ${this.fileName}`);
      }
    });
  }

  /**
   * Whether this writer's files hold a state of `node` numbered `lsn` or later, stored: a sweep
   * need not fold an older one into a home (store-ops.ts). They go on holding it: a node that
   * leaves gets a home, and a compaction snapshots every node it keeps.
   */
  covers(node: NodeId, lsn: number): boolean {
    return (this.snapped.get(node) ?? 0) >= lsn;
  }

  private noteSnaps(snaps: ReadonlyMap<NodeId, number>): void {
    for (const [node, lsn] of snaps) this.snapped.set(node, Math.max(lsn, this.snapped.get(node) ?? 0));
  }

  private append(file: LogFile, parts: Uint8Array[], batch: Queued[], snaps: ReadonlyMap<NodeId, number>, written: () => void): void {
    const bytes = concat(parts);
    this.writing = true;
    file.append(bytes, this.opts.durability === 'disk', (error) => {
      this.writing = false;
      if (error === null) {
        this.noteSnaps(snaps);
        written();
      } else {
        if (this.rewrite) this.rewriteWaits = true;
        // Nothing of it counts: the snapshots it carried are due again.
        for (const node of snaps.keys()) {
          const a = this.nodes.get(node);
          if (a) a.snapNext = true;
        }
      }
      for (const f of this.quietWaiters.splice(0)) f();
      if (file !== this.file) {
        // A file given up meanwhile (closed, or replaced after a failure): its dones still run.
        for (const q of batch) q.done(error);
        this.wake();
        return;
      }
      if (error !== null && !file.usable) {
        // Part of it may be in the file: nothing more goes there. The next commit starts a new one.
        this.broken = error;
        this.opts.log?.(`log ${this.fileName} could not be written (${describeError(error)}); a new one is started`);
      } else if (error !== null) {
        // The file is as it was (a full disk): the commits are tried again there, no new file is
        // made. Said once, not at every try.
        if (!this.refused)
          this.opts.log?.(`log ${this.fileName} could not be written (${describeError(error)}); its commits are tried again`);
        this.refused = true;
      } else {
        if (this.refused) this.opts.log?.(`log ${this.fileName} is written again`);
        this.refused = false;
        this.size += bytes.length;
        if (this.size >= this.compactAt) this.openNext();
      }
      for (const q of batch) q.done(error);
      this.wake();
    });
  }

  /**
   * Looks every WATCH_MS whether the current file is still in the store, while nodes are
   * attached, where the volume can tell (see Volume.exists).
   */
  private watch(): void {
    const exists = this.volume.exists?.bind(this.volume);
    if (this.watching || exists === undefined) return;
    this.watching = true;
    this.opts.windows.after(WATCH_MS, () => {
      this.watching = false;
      if (this.closed || this.nodes.size === 0) return;
      const name = this.fileName;
      // A file not yet written to holds nothing to lose; a rewrite under way is looked at once done.
      if (name === '' || this.started !== null || this.rewrite) {
        this.rewriteWaits = false;
        this.wake();
        this.watch();
        return;
      }
      exists(name, (there) => {
        if (there === false && name === this.fileName && !this.closed) this.removed(name);
        this.watch();
      });
    });
  }

  /**
   * The current file is gone from the store: what its handle writes from now on, and what it
   * held, no recovery will read. Every node's whole state goes to a new file at once.
   */
  private removed(name: string): void {
    this.opts.log?.(
      `log ${name}, which held the state of ${[...this.nodes.keys()].join(', ')}, was removed from under them ` +
        "(Clear site data, or another tab removing this site's files): their whole state is written again in a new log",
    );
    // Let go of without close(): Chromium's close of a handle whose file Clear site data removed
    // never returns, and would hang this thread for good.
    this.file = null;
    this.rewrite = true;
    this.wake();
  }

  /** Opens the next generation in the background; the next write starts it. */
  private openNext(): void {
    if (this.opening || this.nextFile !== null || this.closed) return;
    this.opening = true;
    const name = logName(this.opts.writer, this.gen + 1);
    this.volume.create(name, (error, file) => {
      this.opening = false;
      if (this.closed) {
        file?.close();
        return;
      }
      if (error || !file) {
        if (this.rewrite && !this.rewriteWaits) {
          // Said loudly: until a new file holds them, these nodes' states are nowhere a recovery reads.
          this.opts.log?.(
            `could not start a new log for ${[...this.nodes.keys()].join(', ')} (${describeError(error ?? new Error('no file'))}): ` +
              'their state is kept nowhere a restart would find it; tried again',
          );
        }
        this.rewriteWaits = true;
        // Commits that wait for it fail, and their hosts try again later, which tries again here.
        const failed = this.file === null || this.broken !== null ? this.takeQueue() : [];
        for (const q of failed) q.done(error ?? new Error(`could not create ${name}`));
        return;
      }
      this.gen += 1;
      this.nextFile = { file, name };
      this.wake();
    });
  }

  /**
   * Makes the next generation current: the next append writes its head and a snapshot of every
   * node, and the old file is removed once that is written (see write()).
   */
  private switchFile(): void {
    const next = this.nextFile;
    if (next === null) return;
    this.nextFile = null;
    // A generation started but never written (its first append failed) holds nothing: it goes too.
    const old = this.started?.old ?? this.fileName;
    if (this.started !== null && this.fileName !== '') this.volume.remove(this.fileName);
    this.file?.close();
    this.file = next.file;
    this.fileName = next.name;
    this.broken = null;
    this.size = 0;
    this.started = { old };
  }

  private takeQueue(): Queued[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  private closeFile(): void {
    this.file?.close();
    this.file = null;
    this.fileName = '';
    this.size = 0;
    for (const a of this.nodes.values()) a.snapNext = true;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
