// What a log writer needs of the place its files live: the origin private file system in a
// browser (opfs-volume.ts), a tab's log worker over a channel (remote-volume.ts), memory in
// tests (memory-volume.ts), or the simulator's disk that loses what a crash or a power cut
// would (sim/disk.ts). Callbacks rather than promises: the simulator runs this code on
// its own clock, and a promise would settle outside it.

/** A file open for appending by one writer alone. */
export interface LogFile {
  /**
   * Appends `bytes` after what this handle wrote before; with `flush`, also waits for the device.
   * `done` may run before append returns. A failed append either leaves the file as it was
   * (`usable` stays true: what landed of the bytes was undone, and a later append goes where
   * this one would have), or leaves it unusable: part of the bytes may be in it, or a flush
   * failed and what was written before may not be on the device. Nothing is appended to an
   * unusable file again.
   */
  append(bytes: Uint8Array, flush: boolean, done: (error: Error | null) => void): void;
  readonly usable: boolean;
  close(): void;
}

export interface Volume {
  /** A new empty file (emptied if the name exists), held by the caller alone until closed. */
  create(name: string, done: (error: Error | null, file: LogFile | null) => void): void;
  /** Removes a file if it is there and nobody holds it; errors are not reported (a later sweep retries). */
  remove(name: string): void;
  /**
   * Whether a file is still in the store: false once it was removed from under its writer (Clear
   * site data goes through a held file, whose handle then writes where nothing reads); null when
   * it cannot tell. Absent where nothing but the writer changes the files (the simulator).
   */
  exists?(name: string, done: (there: boolean | null) => void): void;
}

/**
 * A volume recoveries and sweeps can read too. Promises here: only browser hosts and tests use
 * these; the simulator reads its files directly.
 */
export interface StoreVolume extends Volume {
  /** The names of every file, in no particular order. */
  list(): Promise<string[]>;
  /** A file's whole content as it stands, or null when it is not there. */
  read(name: string): Promise<Uint8Array | null>;
  /**
   * Holds the file as a writer would, if no writer holds it (its writer is gone): the returned
   * function lets go. Null while a writer holds it.
   */
  claim(name: string): Promise<(() => void) | null>;
}

/** Writes a whole file (a home), flushed at `disk` durability. */
export function writeFile(volume: Volume, name: string, bytes: Uint8Array, flush: boolean, done: (error: Error | null) => void): void {
  volume.create(name, (error, file) => {
    if (error || !file) {
      done(error ?? new Error(`could not create ${name}`));
      return;
    }
    file.append(bytes, flush, (e) => {
      file.close();
      done(e);
    });
  });
}

/** writeFile as a promise. */
export function writeFileAsync(volume: Volume, name: string, bytes: Uint8Array, flush: boolean): Promise<void> {
  return new Promise((resolve, reject) => writeFile(volume, name, bytes, flush, (e) => (e ? reject(e) : resolve())));
}
