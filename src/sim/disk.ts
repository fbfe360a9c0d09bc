// The simulated origin file system the nodes' logs live on (the real log code, disk/, runs on
// it). It loses what a real one would:
//
// - a write takes time (usually well under a millisecond, now and then tens), a flush longer;
//   until it is done nothing of it counts, and a crash of its writer meanwhile leaves nothing
//   of it, all of it, or a torn prefix of it in the file;
// - a crash of a thread (`crash`) keeps every write that was done: the operating system has it;
// - a power cut (`powerCut`) keeps only what was flushed, plus a torn prefix of the rest, and
//   loses the last files made or removed since the last flush (a suffix of them, in order: the
//   web has no way to flush a directory, and file systems journal these in order);
// - now and then a write fails (a full disk, an I/O error) with part of it in the file, and a
//   file cannot be made;
// - a file is held by one writer at a time, as a sync access handle holds it, until that
//   writer closes it or its thread ends.
//
// Every delay and every tear comes from the seed.
import type { LogFile, Volume } from '../disk/volume.ts';
import type { StoredFile } from '../disk/recover.ts';
import type { Life, SimWorld } from './world.ts';

export interface DiskOptions {
  /** A write to the operating system. */
  writeMinMs: number;
  writeMaxMs: number;
  /** A flush to the device, on top of its write. */
  flushMinMs: number;
  flushMaxMs: number;
  /** Share of writes and flushes that take up to slowMaxMs instead (a busy disk, a big record). */
  slowShare: number;
  slowMaxMs: number;
  /** Creating or removing a file. */
  metaMinMs: number;
  metaMaxMs: number;
  /** Share of writes, and of files made, that fail. */
  failShare: number;
}

export const DISK_DEFAULTS: DiskOptions = {
  writeMinMs: 0.005,
  writeMaxMs: 0.1,
  flushMinMs: 0.05,
  flushMaxMs: 1.5,
  slowShare: 0.05,
  slowMaxMs: 40,
  metaMinMs: 0.05,
  metaMaxMs: 2,
  failShare: 0.002,
};

interface SimFile {
  bytes: Uint8Array;
  /** What the device holds: a power cut keeps this much, and a torn part of the rest. */
  flushed: number;
  /** The thread whose writer holds it, or null. */
  holder: Life | null;
}

interface Pending {
  file: SimFile;
  bytes: Uint8Array;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export class SimDisk {
  private readonly files = new Map<string, SimFile>();
  /** Writes under way, per thread: what a crash of that thread may tear. */
  private readonly pending = new Map<Life, Set<Pending>>();
  /** Set by the nemesis: the thread crashes while its next write is on its way to disk. */
  private readonly crashDuringNextWrite = new Map<Life, () => void>();
  /** Files made and removed since the last flush: a power cut undoes the newest of them. */
  private unsyncedDirectory: Array<() => void> = [];
  /** Writes that completed, and how many bytes they carried; writes and file makings that failed. */
  appends = 0;
  bytesWritten = 0;
  failures = 0;

  constructor(
    private readonly world: SimWorld,
    private readonly opts: DiskOptions,
  ) {}

  /** Every file as it stands, for a recovery (disk/recover.ts). */
  stored(): StoredFile[] {
    return [...this.files].map(([name, f]) => ({ name, bytes: f.bytes }));
  }

  /** The names of the files. */
  names(): string[] {
    return [...this.files.keys()];
  }

  /**
   * The volume a thread's writer uses. `acksEarly` makes one whose appends report done at once
   * and land later: a host on it sends before it has stored, the bug the broken-host test
   * proves the sweep catches.
   */
  volumeFor(life: Life, acksEarly = false): Volume {
    return {
      create: (name, done) => {
        this.world.at(this.world.now + this.metaMs(), life, () => {
          const had = this.files.get(name);
          if (had?.holder?.alive) {
            done(new Error(`${name} is held by another writer`), null);
            return;
          }
          if (this.world.rng.chance(this.opts.failShare)) {
            this.failures += 1;
            done(new Error(`QuotaExceededError: no room to make ${name}`), null);
            return;
          }
          const f: SimFile = { bytes: new Uint8Array(0), flushed: 0, holder: life };
          this.files.set(name, f);
          this.unsyncedDirectory.push(() => {
            if (had) this.files.set(name, had);
            else this.files.delete(name);
          });
          done(null, this.handle(life, f, acksEarly));
        });
      },
      remove: (name) => {
        this.world.at(this.world.now + this.metaMs(), life, () => {
          const f = this.files.get(name);
          if (!f || f.holder?.alive) return;
          this.files.delete(name);
          this.unsyncedDirectory.push(() => this.files.set(name, f));
        });
      },
    };
  }

  /** Crashes `life` while its next write is under way (the nemesis's crash-commit). */
  crashDuringNext(life: Life, crash: () => void): void {
    this.crashDuringNextWrite.set(life, crash);
  }

  cancelCrashDuringNext(life: Life): boolean {
    return this.crashDuringNextWrite.delete(life);
  }

  /**
   * The thread `life` ended (its node crashed): writes it had under way land whole, not at all,
   * or torn, and its files are free. Call after marking the life dead.
   */
  crash(life: Life): void {
    for (const p of this.pending.get(life) ?? []) {
      const r = this.world.rng.float();
      if (r < 1 / 3) continue;
      const keep = r < 2 / 3 ? p.bytes.length : this.world.rng.int(p.bytes.length);
      p.file.bytes = concat(p.file.bytes, p.bytes.subarray(0, keep));
    }
    this.pending.delete(life);
    this.crashDuringNextWrite.delete(life);
    for (const f of this.files.values()) if (f.holder === life) f.holder = null;
  }

  /**
   * The machine lost power: every file keeps what was flushed and a torn prefix of the rest.
   * The threads that ran on it are crashed by the caller (crash() first, for their writes).
   */
  powerCut(): void {
    const lost = this.world.rng.int(this.unsyncedDirectory.length + 1);
    for (const undo of this.unsyncedDirectory.splice(this.unsyncedDirectory.length - lost).reverse()) undo();
    this.unsyncedDirectory = [];
    for (const f of this.files.values()) {
      const unflushed = f.bytes.length - f.flushed;
      const keep = unflushed === 0 ? 0 : this.world.rng.int(unflushed + 1);
      f.bytes = f.bytes.slice(0, f.flushed + keep);
    }
  }

  private handle(life: Life, f: SimFile, acksEarly: boolean): LogFile {
    let open = true;
    const file = {
      usable: true,
      append: (bytes: Uint8Array, flush: boolean, done: (error: Error | null) => void): void => {
        const p: Pending = { file: f, bytes };
        let set = this.pending.get(life);
        if (!set) this.pending.set(life, (set = new Set()));
        set.add(p);
        const at = this.world.now + this.writeMs(flush);
        this.world.at(at, life, () => {
          set.delete(p);
          if (this.world.rng.chance(this.opts.failShare)) {
            // Half the time what landed is undone and the file takes more (a full disk, as
            // opfs-volume.ts undoes it); else part of it stays, and the file must take no more.
            this.failures += 1;
            if (this.world.rng.chance(0.5)) file.usable = false;
            if (!file.usable) f.bytes = concat(f.bytes, bytes.subarray(0, this.world.rng.int(bytes.length)));
            if (!acksEarly) done(new Error('QuotaExceededError: the disk is full'));
            return;
          }
          f.bytes = concat(f.bytes, bytes);
          if (flush) {
            f.flushed = f.bytes.length;
            // A flush commits the file system's journal: what was made and removed before it stays.
            this.unsyncedDirectory = [];
          }
          this.appends += 1;
          this.bytesWritten += bytes.length;
          if (!acksEarly) done(open ? null : new Error('the file was closed'));
        });
        if (acksEarly) done(null);
        const crash = this.crashDuringNextWrite.get(life);
        if (crash) {
          this.crashDuringNextWrite.delete(life);
          const crashAt = this.world.now + (at - this.world.now) * this.world.rng.float();
          this.world.at(Math.round(crashAt * 1000) / 1000, life, crash);
        }
      },
      close: (): void => {
        open = false;
        if (f.holder === life) f.holder = null;
      },
    };
    return file;
  }

  private writeMs(flush: boolean): number {
    const { rng } = this.world;
    const o = this.opts;
    const slow = (lo: number, hi: number): number => (rng.chance(o.slowShare) ? rng.between(hi, o.slowMaxMs) : rng.between(lo, hi));
    const ms = slow(o.writeMinMs, o.writeMaxMs) + (flush ? slow(o.flushMinMs, o.flushMaxMs) : 0);
    return Math.round(ms * 1000) / 1000;
  }

  private metaMs(): number {
    return Math.round(this.world.rng.between(this.opts.metaMinMs, this.opts.metaMaxMs) * 1000) / 1000;
  }
}
