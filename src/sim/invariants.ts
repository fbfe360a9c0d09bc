// Cross-node invariants, checked by the simulator after every delivery. A node checks what it
// can see alone; only here can the CM's metadata be held against the clients' page tables.
import type { ClientNode, PageEntry } from '../protocol/client.ts';
import type { NodeId, PageId } from '../protocol/ids.ts';
import type { ManagerSnapshot } from '../protocol/manager.ts';

type Holders = Array<{ id: NodeId; e: Readonly<PageEntry> }>;

function holdersOf(page: PageId, clients: ReadonlyMap<NodeId, ClientNode>): Holders {
  const out: Holders = [];
  for (const [id, c] of clients) {
    const e = c.entry(page);
    if (e && e.access !== 'nil') out.push({ id, e });
  }
  return out;
}

/** At every instant: one writer at most, and a writer excludes every reader. */
function exclusivity(page: PageId, holders: Holders): string | null {
  const writers = holders.filter((h) => h.e.access === 'write');
  if (writers.length > 1) return `${page} has ${writers.length} writers`;
  if (writers.length === 1 && holders.length > 1) {
    return `${page} written by ${writers[0]!.id} while ${holders.length - 1} others hold copies`;
  }
  const owners = holders.filter((h) => h.e.owner);
  if (owners.length > 1) return `${page} has owners ${owners.map((o) => o.id).join(',')}`;
  return null;
}

/** When no operation on the page is active or in transit, the metadata matches the clients. */
function agreement(p: ManagerSnapshot['pages'][number], holders: Holders): string | null {
  const owner = holders.find((h) => h.e.owner);
  if ((owner?.id ?? null) !== p.owner) {
    return `${p.page} CM says owner ${p.owner}, clients say ${owner?.id ?? 'none'}`;
  }
  const readers = holders.filter((h) => !h.e.owner).map((h) => h.id).sort();
  if (readers.join(',') !== p.copySet.join(',')) {
    return `${p.page} copy set [${p.copySet.join(',')}] but readers [${readers.join(',')}]`;
  }
  const versions = new Set(holders.map((h) => `${h.e.version}:${h.e.content}`));
  if (versions.size > 1) return `${p.page} copies disagree: ${[...versions].join(' | ')}`;
  return null;
}

export function checkCluster(
  cm: ManagerSnapshot,
  clients: ReadonlyMap<NodeId, ClientNode>,
  messagesInFlight: (page: PageId) => number,
): string | null {
  for (const p of cm.pages) {
    const holders = holdersOf(p.page, clients);
    const problem = exclusivity(p.page, holders) ??
      (p.active === null && messagesInFlight(p.page) === 0 ? agreement(p, holders) : null);
    if (problem) return problem;
  }
  return null;
}
