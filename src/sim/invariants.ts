// Cross-node invariants, checked by the simulator after every delivery. A node checks what it
// can see alone; only here can the CM's metadata be held against the clients' page tables.
import type { ClientNode, PageEntry } from '../protocol/client.ts';
import type { NodeId, PageId } from '../protocol/ids.ts';
import type { ManagerSnapshot } from '../protocol/manager.ts';

type Holders = Array<{ id: NodeId; e: Readonly<PageEntry> }>;

/**
 * Who holds the page in a way that counts at `now`: owners always, readers only while their
 * lease runs (after it, a client serves no hit from the copy and drops it at its next tick; a
 * stalled client may still have it in memory).
 */
function holdersOf(page: PageId, clients: ReadonlyMap<NodeId, ClientNode>, now: number): Holders {
  const out: Holders = [];
  for (const [id, c] of clients) {
    const e = c.entry(page);
    if (e && e.access !== 'nil' && (e.owner || c.leasedAt(now))) out.push({ id, e });
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

/**
 * When the acting CM has heard from everyone and nothing about the page is active or in
 * transit, its metadata matches the clients: the same owner, and every reader in the copy set.
 * The copy set may be larger: a reader that gave up a read, or dropped its copy because its
 * lease ran out (or was never granted yet), stays listed. That costs an invalidation, never a
 * stale read.
 */
function agreement(p: ManagerSnapshot['pages'][number], holders: Holders): string | null {
  const owner = holders.find((h) => h.e.owner);
  if ((owner?.id ?? null) !== p.owner) {
    return `${p.page} CM says owner ${p.owner}, clients say ${owner?.id ?? 'none'}`;
  }
  const strays = holders.filter((h) => !h.e.owner && !p.copySet.includes(h.id)).map((h) => h.id);
  if (strays.length > 0) return `${p.page} readers [${strays.join(',')}] missing from copy set [${p.copySet.join(',')}]`;
  const versions = new Set(holders.map((h) => `${h.e.version}:${h.e.content}`));
  if (versions.size > 1) return `${p.page} copies disagree: ${[...versions].join(' | ')}`;
  return null;
}

function quiet(p: ManagerSnapshot['pages'][number], clients: ReadonlyMap<NodeId, ClientNode>, inFlight: number): boolean {
  if (p.active !== null || p.queued.length > 0 || (p.note ?? null) !== null || inFlight > 0) return false;
  // A page whose owner or readers are not running (crashed, or gone for good) cannot be held
  // against their tables; the CM learns of their absence only after a lease.
  if (p.owner !== null && !clients.has(p.owner)) return false;
  if (p.copySet.some((n) => !clients.has(n))) return false;
  for (const c of clients.values()) {
    if (c.snapshot().inFlight?.page === p.page) return false;
    // Handed on (by a forward the CM repeated while this client was stalled or down) to a node
    // that is not running: the page went with it, whatever report the CM heard before.
    const h = c.lastHandoff(p.page);
    if (h && h.version >= p.version && !clients.has(h.to)) return false;
  }
  return true;
}

export function checkCluster(
  cm: ManagerSnapshot | null,
  clients: ReadonlyMap<NodeId, ClientNode>,
  messagesInFlight: (page: PageId) => number,
  settled: boolean,
  now: number,
): string | null {
  const pages = new Set<PageId>();
  for (const c of clients.values()) for (const p of c.snapshot().pages) pages.add(p.page);
  for (const page of pages) {
    const problem = exclusivity(page, holdersOf(page, clients, now));
    if (problem) return problem;
  }
  if (!cm || !settled || cm.role !== 'acting' || cm.unreported.length > 0) return null;
  for (const p of cm.pages) {
    if (!quiet(p, clients, messagesInFlight(p.page))) continue;
    const problem = agreement(p, holdersOf(p.page, clients, now));
    if (problem) return problem;
  }
  return null;
}
