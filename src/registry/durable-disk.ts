// A node's durable state in the registry database, as the Disk its host commits through. Each
// commit is one IndexedDB readwrite transaction; `done` runs when the transaction completed,
// which survives a crash of the tab or worker (not of the whole machine: IndexedDB's default
// durability hands the write to the operating system without waiting for the platter).
import type { Disk } from '../host/env.ts';
import type { NodeId } from '../protocol/ids.ts';
import type { DurableOf, Registry } from './registry.ts';

export function durableDisk(registry: Registry, role: keyof DurableOf, id: NodeId): Disk {
  return {
    commit(state, done) {
      registry.saveDurable(role, id, state as never).then(
        () => done(null),
        (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
      );
    },
  };
}
