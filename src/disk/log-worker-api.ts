// What a tab's log worker does for the tab's node: the node runs on the tab's main thread,
// where OPFS has no sync access handles, so its log's files live in this dedicated worker and
// the tab reaches them through remote-volume.ts. Files and claims are named by numbers the
// worker hands out; the bytes of an append are moved here, not copied.
import { OpfsVolume, opfsAvailable } from './opfs-volume.ts';
import type { LogFile } from './volume.ts';

export interface LogWorkerApi {
  /** Opens the store's directory; false where this worker cannot keep a log (no OPFS sync access). */
  open(store: string): Promise<boolean>;
  create(name: string): Promise<number>;
  /** Null when written; else why not, and whether the file can take more (LogFile.usable). */
  append(file: number, bytes: Uint8Array, flush: boolean): Promise<{ error: string; name: string; usable: boolean } | null>;
  close(file: number): void;
  remove(name: string): void;
  exists(name: string): Promise<boolean | null>;
  list(): Promise<string[]>;
  read(name: string): Promise<Uint8Array | null>;
  /** A claim's number, or null while a writer holds the file. */
  claim(name: string): Promise<number | null>;
  unclaim(claim: number): void;
}

export function createLogWorkerApi(): LogWorkerApi {
  let volume: OpfsVolume | null = null;
  const files = new Map<number, LogFile>();
  const claims = new Map<number, () => void>();
  let next = 1;
  const opened = (): OpfsVolume => {
    if (!volume) throw new Error('the log worker has no store open');
    return volume;
  };
  return {
    async open(store) {
      if (!opfsAvailable()) return false;
      volume = await OpfsVolume.open(store);
      return true;
    },
    create(name) {
      return new Promise((resolve, reject) =>
        opened().create(name, (error, file) => {
          if (error || !file) {
            reject(error ?? new Error(`could not create ${name}`));
            return;
          }
          const id = next++;
          files.set(id, file);
          resolve(id);
        }),
      );
    },
    append(file, bytes, flush) {
      const f = files.get(file);
      if (!f) return Promise.resolve({ error: `no open file ${file}`, name: 'Error', usable: false });
      return new Promise((resolve) =>
        f.append(bytes, flush, (e) => resolve(e ? { error: e.message, name: e.name, usable: f.usable } : null)),
      );
    },
    close(file) {
      files.get(file)?.close();
      files.delete(file);
    },
    remove: (name) => opened().remove(name),
    exists: (name) => new Promise((resolve) => opened().exists(name, resolve)),
    list: () => opened().list(),
    read: (name) => opened().read(name),
    async claim(name) {
      const release = await opened().claim(name);
      if (!release) return null;
      const id = next++;
      claims.set(id, release);
      return id;
    },
    unclaim(claim) {
      claims.get(claim)?.();
      claims.delete(claim);
    },
  };
}
