// Web Locks for tests in Node (which has none): one set of held names shared by every "tab" and
// "worker" of a test, as a browser profile's lock manager is.
import type { NodeLocks } from '../../src/host/node-lock.ts';

export class MemoryLocks implements NodeLocks {
  private readonly names = new Set<string>();

  tryHold(name: string): Promise<(() => void) | null> {
    if (this.names.has(name)) return Promise.resolve(null);
    this.names.add(name);
    let held = true;
    return Promise.resolve(() => {
      if (held) this.names.delete(name);
      held = false;
    });
  }

  held(): Promise<Set<string>> {
    return Promise.resolve(new Set(this.names));
  }
}
