// A volume in memory with the rules of the origin private file system that the log relies on:
// a file is held by one handle at a time (create and claim fail while it is held), a read sees
// what was appended so far, and a held file cannot be removed. Tests and in-process workers use
// it; the simulator builds its crash-prone disk on it (sim/disk.ts). `defer` runs each
// callback: at once by default, later in a world that models latency.
import type { LogFile, StoreVolume } from './volume.ts';

/** A file in memory; appends grow its buffer in doubling steps, so that a long log is not copied at each. */
export class MemoryFile {
  private buf: Uint8Array;
  private length: number;
  /** Bytes the device holds (appends flushed); the rest only the operating system has. */
  flushed = 0;
  held = false;

  constructor(bytes: Uint8Array = new Uint8Array(0)) {
    this.buf = bytes;
    this.length = bytes.length;
  }

  get bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.length + bytes.length, 2 * this.buf.length, 4096));
      grown.set(this.bytes);
      this.buf = grown;
    }
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }
}

export class BusyError extends Error {
  override name = 'NoModificationAllowedError';
}

export class MemoryVolume implements StoreVolume {
  readonly files = new Map<string, MemoryFile>();

  constructor(private readonly defer: (f: () => void) => void = (f) => f()) {}

  create(name: string, done: (error: Error | null, file: LogFile | null) => void): void {
    this.defer(() => {
      const had = this.files.get(name);
      if (had?.held) {
        done(new BusyError(`${name} is held by another writer`), null);
        return;
      }
      const f = new MemoryFile();
      f.held = true;
      this.files.set(name, f);
      done(null, this.handle(name, f));
    });
  }

  remove(name: string): void {
    this.defer(() => {
      if (this.files.get(name)?.held === false) this.files.delete(name);
    });
  }

  exists(name: string, done: (there: boolean | null) => void): void {
    this.defer(() => done(this.files.has(name)));
  }

  list(): Promise<string[]> {
    return this.later(() => [...this.files.keys()]);
  }

  read(name: string): Promise<Uint8Array | null> {
    return this.later(() => {
      const f = this.files.get(name);
      return f ? f.bytes.slice() : null;
    });
  }

  claim(name: string): Promise<(() => void) | null> {
    return this.later(() => {
      const f = this.files.get(name);
      if (!f || f.held) return null;
      f.held = true;
      return () => {
        f.held = false;
      };
    });
  }

  /** Puts a whole file there, as another writer left it (tests). */
  put(name: string, bytes: Uint8Array): void {
    this.files.set(name, new MemoryFile(bytes));
  }

  /** Lets go of every file, as the end of every writer's thread would. */
  releaseAll(): void {
    for (const f of this.files.values()) f.held = false;
  }

  /** The handle a writer appends through: what `append` adds lands in the file when `done` runs. */
  protected handle(name: string, f: MemoryFile): LogFile & { file: MemoryFile } {
    let open = true;
    return {
      file: f,
      usable: true,
      append: (bytes, flush, done) => {
        this.defer(() => {
          if (!open || this.files.get(name) !== f) {
            done(new Error(`${name} is closed`));
            return;
          }
          f.append(bytes);
          if (flush) f.flushed = f.bytes.length;
          done(null);
        });
      },
      close: () => {
        if (!open) return;
        open = false;
        f.held = false;
      },
    };
  }

  private later<T>(f: () => T): Promise<T> {
    return new Promise((resolve) => this.defer(() => resolve(f())));
  }
}
