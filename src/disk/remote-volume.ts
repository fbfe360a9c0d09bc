// A tab node's volume: its log writer runs on the tab's main thread beside the node, and each
// file operation goes to the tab's log worker (log-worker-api.ts), where OPFS has sync access
// handles. An append's `done` runs when the worker has written (and, at `disk`, flushed) it.
import * as Comlink from 'comlink';
import type { LogWorkerApi } from './log-worker-api.ts';
import type { LogFile, StoreVolume } from './volume.ts';

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export class RemoteVolume implements StoreVolume {
  constructor(private readonly worker: Comlink.Remote<LogWorkerApi>) {}

  create(name: string, done: (error: Error | null, file: LogFile | null) => void): void {
    this.worker.create(name).then(
      (id) => done(null, this.file(id)),
      (e: unknown) => done(asError(e), null),
    );
  }

  remove(name: string): void {
    this.worker.remove(name).catch(() => {});
  }

  exists(name: string, done: (there: boolean | null) => void): void {
    this.worker.exists(name).then(done, () => done(null));
  }

  list(): Promise<string[]> {
    return this.worker.list();
  }

  read(name: string): Promise<Uint8Array | null> {
    return this.worker.read(name);
  }

  async claim(name: string): Promise<(() => void) | null> {
    const id = await this.worker.claim(name);
    if (id === null) return null;
    return () => void this.worker.unclaim(id).catch(() => {});
  }

  private file(id: number): LogFile {
    const file = {
      usable: true,
      append: (bytes: Uint8Array, flush: boolean, done: (error: Error | null) => void): void => {
        // Moved, not copied: the writer never touches an appended buffer again.
        const moved = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
        this.worker.append(id, Comlink.transfer(moved, [moved.buffer]), flush).then(
          (failed) => {
            if (failed === null) return done(null);
            file.usable = failed.usable;
            const e = new Error(failed.error);
            e.name = failed.name;
            done(e);
          },
          (e: unknown) => {
            file.usable = false;
            done(asError(e));
          },
        );
      },
      close: (): void => void this.worker.close(id).catch(() => {}),
    };
    return file;
  }
}
