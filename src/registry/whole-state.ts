// What earlier versions kept of a node's durable state: one object per node, in the registry's
// version 2 and in version 1 of a node's own database. It is read once, to move it into the
// node's table of entries (node-store.ts), and never written that way again.
import { clientEntries, type ClientDurable, type CmDurable, type DurableEntry } from '../protocol/durable.ts';
import { assertClientDurable, assertCmDurable } from '../protocol/durable-checks.ts';

/** The durable state each kind of node kept as one object. */
export interface DurableOf {
  cm: CmDurable;
  client: ClientDurable;
}

export type NodeKind = keyof DurableOf;

const ENTRIES_OF: { [K in NodeKind]: (durable: DurableOf[K]) => DurableEntry[] } = {
  cm: (d) => [{ kind: 'cm', epoch: d.epoch, members: d.members }],
  client: clientEntries,
};

export function entriesOfWholeState<K extends NodeKind>(kind: K, durable: DurableOf[K]): DurableEntry[] {
  return ENTRIES_OF[kind](durable);
}

/** The entries of a whole state as IndexedDB gave it back; throws why if it cannot be read. */
export function entriesOfStoredState(kind: unknown, durable: unknown): DurableEntry[] {
  if (kind === 'cm') {
    assertCmDurable(durable);
    return entriesOfWholeState(kind, durable);
  }
  if (kind === 'client') {
    assertClientDurable(durable);
    return entriesOfWholeState(kind, durable);
  }
  throw new Error(`unknown node kind ${JSON.stringify(kind)}`);
}
