// Where the nodes of one worker thread keep their state: one backend per store and durability,
// shared by every node of the thread (disk/browser-backend.ts), and the nodes that hear what the
// backends say (a log file started over, logs of ended writers folded).
import type { DurableBackend } from '../disk/backend.ts';
import { openBrowserBackend, sharedBackends, type OpenBackend } from '../disk/browser-backend.ts';
import type { Durability } from '../protocol/config.ts';

export type OpenBackendWithLog = (store: string, durability: Durability, log: (text: string) => void) => Promise<DurableBackend>;

export class ThreadStorage {
  readonly open: OpenBackend;
  private readonly listeners = new Set<(text: string) => void>();

  constructor(open: OpenBackendWithLog = openBrowserBackend) {
    this.open = sharedBackends((store, durability) => open(store, durability, (text) => this.tell(text)));
  }

  /** Hears what the backends say until the returned function is called. */
  listen(f: (text: string) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private tell(text: string): void {
    if (this.listeners.size === 0) console.warn(text);
    for (const f of this.listeners) f(text);
  }
}
