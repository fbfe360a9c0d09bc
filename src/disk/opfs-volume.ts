// The log's files in the origin private file system, one directory per store. Appends go
// through FileSystemSyncAccessHandle, which exists only in dedicated workers: a `write` is one
// write(2) to the operating system, a `flush` one fdatasync. A handle holds its file alone
// (another create or claim fails while it is open), which is what tells a sweep a writer is
// gone: a dead worker's handles are closed by the browser. Reads go through getFile(), which
// works while a writer holds the file, and sees what it wrote so far.
import type { LogFile, StoreVolume } from './volume.ts';
import { isQuotaError } from '../util/errors.ts';

// What this code uses of the handles the DOM library of TypeScript does not declare (they are
// in its WebWorker library, which cannot be loaded beside DOM).
interface SyncAccessHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}
interface SyncFileHandle {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
}
interface ListableDirectory {
  entries(): AsyncIterableIterator<[string, FileSystemHandle]>;
}

function syncHandle(fh: FileSystemFileHandle): Promise<SyncAccessHandle> {
  return (fh as unknown as SyncFileHandle).createSyncAccessHandle();
}

/** The top directory of every store's files. */
const ROOT = 'ivy';

/** Whether this context can keep a log on OPFS (a dedicated worker of a secure context, in a browser that has it). */
export function opfsAvailable(): boolean {
  const g = globalThis as { FileSystemSyncAccessHandle?: unknown; navigator?: { storage?: { getDirectory?: unknown } } };
  return typeof g.FileSystemSyncAccessHandle === 'function' && typeof g.navigator?.storage?.getDirectory === 'function';
}

export async function storeDirectory(store: string, create = true): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  const top = await root.getDirectoryHandle(ROOT, { create });
  return top.getDirectoryHandle(store, { create });
}

/** How long a removal of a store's files keeps trying while workers that are ending still hold some. */
const REMOVE_TRIES = 20;
const REMOVE_GAP_MS = 100;

/**
 * Removes a store's files (where this context has OPFS at all); false if some were still held
 * after a while (a writer in another tab runs on). What is left is harmless: a node started
 * afresh writes its whole table under a higher number, and ended writers' logs are swept.
 */
export async function removeStoreFiles(store: string): Promise<boolean> {
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<FileSystemDirectoryHandle> } } }).navigator
    ?.storage;
  if (typeof storage?.getDirectory !== 'function') return true;
  let top: FileSystemDirectoryHandle;
  try {
    top = await (await storage.getDirectory()).getDirectoryHandle(ROOT);
  } catch {
    return true;
  }
  for (let i = 0; i < REMOVE_TRIES; i++) {
    try {
      await top.removeEntry(store, { recursive: true });
      return true;
    } catch (e) {
      if ((e as Error).name === 'NotFoundError') return true;
    }
    await new Promise((resolve) => setTimeout(resolve, REMOVE_GAP_MS));
  }
  return false;
}

/** Reads of a file that changed while it was read, before it counts as gone (see OpfsVolume.read). */
const READ_TRIES = 20;

/** A short write is the device or the quota running out, as the platform's own refusal is named. */
function quotaError(message: string): Error {
  const e = new Error(message);
  e.name = 'QuotaExceededError';
  return e;
}

function gone(e: unknown): boolean {
  return e instanceof Error && e.name === 'NotFoundError';
}

/** A file is grown ahead of its appends in steps of at least this much (see OpfsFile). */
const GROW_MIN_BYTES = 256 << 10;
const GROW_MAX_BYTES = 8 << 20;

/**
 * Appends within the file's size cost a write(2) and nothing more; an append past it makes the
 * browser grant the file more quota first, a round trip to the browser process that took 0.3 to
 * 1.3 ms for one append in ten under load here. So the file is grown ahead, in doubling steps,
 * and reads stop at its first bad frame anyway: the zeros past the last record are no record.
 */
class OpfsFile implements LogFile {
  private at = 0;
  private size = 0;
  private open = true;

  constructor(private readonly handle: SyncAccessHandle) {}

  usable = true;

  /**
   * A write that fails (a full disk: QuotaExceededError, or fewer bytes written than asked) is
   * undone in place: what landed is overwritten with zeros (its blocks are there already, so
   * that needs no room), and the file stays usable. A writer then tries again in this file
   * rather than make new ones while the disk is full: Chromium was seen to lose a file it had
   * made under a full disk, and the writes acknowledged in it. A failed flush leaves the file
   * unusable: what the device holds of it is unknown.
   */
  append(bytes: Uint8Array, flush: boolean, done: (error: Error | null) => void): void {
    const start = this.at;
    let written = 0;
    try {
      if (!this.open || !this.usable) throw new Error('the log file is closed');
      if (start + bytes.length > this.size) this.grow(start + bytes.length);
      written = this.handle.write(bytes, { at: start });
      if (written !== bytes.length) throw quotaError(`wrote ${written} of ${bytes.length} bytes`);
      this.at = start + written;
    } catch (e) {
      this.undo(start, written);
      done(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (flush) {
      try {
        this.handle.flush();
      } catch (e) {
        this.usable = false;
        done(e instanceof Error ? e : new Error(String(e)));
        return;
      }
    }
    done(null);
  }

  /**
   * Grows the file ahead to hold `need` bytes. Near a full quota the step ahead may be refused
   * where the append alone still fits: then only what the append needs is asked for, so that a
   * node goes on committing as long as the quota holds its records.
   */
  private grow(need: number): void {
    const step = Math.min(GROW_MAX_BYTES, Math.max(GROW_MIN_BYTES, this.size));
    const ahead = Math.max(this.size + step, need);
    try {
      this.handle.truncate(ahead);
      this.size = ahead;
    } catch (e) {
      if (!(e instanceof Error) || !isQuotaError(e)) throw e;
      this.handle.truncate(need);
      this.size = need;
    }
  }

  /** Zeroes what a failed write left at `start`; the file is unusable if even that fails. */
  private undo(start: number, written: number): void {
    this.at = start;
    if (written <= 0) return;
    try {
      if (this.handle.write(new Uint8Array(written), { at: start }) !== written) this.usable = false;
    } catch {
      this.usable = false;
    }
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    try {
      this.handle.close();
    } catch {
      // Closed already (the directory was removed under it): nothing to let go of.
    }
  }
}

export class OpfsVolume implements StoreVolume {
  private constructor(
    private readonly store: string,
    private dir: FileSystemDirectoryHandle,
  ) {}

  static async open(store: string): Promise<OpfsVolume> {
    return new OpfsVolume(store, await storeDirectory(store));
  }

  /**
   * A file handle in the store's directory; made there when `create`. A Reset removes the
   * directory under a worker that runs on (a pack): the directory is then made anew.
   */
  private async fileHandle(name: string, create: boolean): Promise<FileSystemFileHandle> {
    try {
      return await this.dir.getFileHandle(name, { create });
    } catch (e) {
      if (!create || !gone(e)) throw e;
      this.dir = await storeDirectory(this.store);
      return this.dir.getFileHandle(name, { create });
    }
  }

  create(name: string, done: (error: Error | null, file: LogFile | null) => void): void {
    this.fileHandle(name, true)
      .then(syncHandle)
      .then((handle) => {
        try {
          handle.truncate(0);
        } catch (e) {
          handle.close();
          throw e;
        }
        return handle;
      })
      .then(
        (handle) => done(null, new OpfsFile(handle)),
        (e: unknown) => done(e instanceof Error ? e : new Error(String(e)), null),
      );
  }

  remove(name: string): void {
    this.dir.removeEntry(name).catch(() => {});
  }

  exists(name: string, done: (there: boolean | null) => void): void {
    this.dir.getFileHandle(name).then(
      () => done(true),
      (e: unknown) => done(gone(e) ? false : null),
    );
  }

  async list(): Promise<string[]> {
    try {
      return await this.names();
    } catch (e) {
      if (!gone(e)) throw e;
      // Removed by a Reset: the store starts over empty.
      this.dir = await storeDirectory(this.store);
      return this.names();
    }
  }

  private async names(): Promise<string[]> {
    const out: string[] = [];
    for await (const [name, handle] of (this.dir as unknown as ListableDirectory).entries()) if (handle.kind === 'file') out.push(name);
    return out;
  }

  /**
   * A snapshot of the file as it stands. A file appended to while it is read (another worker's
   * live log) makes Chromium refuse the read (NotReadableError): it is read again, from a fresh
   * snapshot, and after READ_TRIES as if it were gone, so that the caller lists and reads anew.
   */
  async read(name: string): Promise<Uint8Array | null> {
    for (let tries = 1; ; tries++) {
      try {
        const file = await (await this.dir.getFileHandle(name)).getFile();
        return new Uint8Array(await file.arrayBuffer());
      } catch (e) {
        if (gone(e)) return null;
        if ((e as Error).name !== 'NotReadableError') throw e;
        if (tries >= READ_TRIES) return null;
      }
    }
  }

  async claim(name: string): Promise<(() => void) | null> {
    try {
      const handle = await syncHandle(await this.dir.getFileHandle(name));
      return () => handle.close();
    } catch (e) {
      if (gone(e) || (e as Error).name === 'NoModificationAllowedError') return null;
      throw e;
    }
  }
}
