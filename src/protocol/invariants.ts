// Cross-node invariants over the snapshots nodes publish. A node checks what it can see alone;
// only here can the CM's metadata be held against the clients' page tables. The simulator runs
// these after every delivery, on snapshots taken at that instant; the dashboard runs them on the
// states its workers push, which arrive at slightly different moments (it debounces verdicts).
import type { ClientSnapshot } from './client.ts';
import type { NodeId, PageId } from './ids.ts';
import type { ManagerSnapshot } from './manager.ts';

export interface InvariantResult {
  name: string;
  ok: boolean;
  /** What was checked, or what is wrong. */
  detail: string;
}

/** The running nodes of a cluster as their snapshots show them; `leased` as of the instant checked. */
export interface ClusterSnapshot {
  cms: readonly ManagerSnapshot[];
  clients: readonly ClientSnapshot[];
}

export interface CheckOptions {
  /**
   * Whether the CM's metadata is owed agreement with the clients at all: the caller knows what
   * the snapshots cannot say (faults under way, clients not yet started).
   */
  settled: boolean;
  /** Whether messages about the page are on their way; unknown (false) on the dashboard. */
  inTransit(page: PageId): boolean;
}

type Entry = ClientSnapshot['pages'][number];
type Holder = { id: NodeId; e: Entry };
type PageMeta = ManagerSnapshot['pages'][number];

/**
 * Who holds each page in a way that counts: owners always, readers only while their lease runs
 * (after it, a client serves no hit from the copy and drops it at its next tick; a stalled
 * client may still have it in memory).
 */
function holdersByPage(clients: readonly ClientSnapshot[]): Map<PageId, Holder[]> {
  const out = new Map<PageId, Holder[]>();
  for (const c of clients) {
    for (const e of c.pages) {
      if (e.access === 'nil' || !(e.owner || c.leased)) continue;
      const list = out.get(e.page);
      if (list) list.push({ id: c.id, e });
      else out.set(e.page, [{ id: c.id, e }]);
    }
  }
  return out;
}

/** At every instant: one writer at most, a writer excludes every other holder, one owner. */
function exclusivity(page: PageId, holders: readonly Holder[]): string | null {
  const writers = holders.filter((h) => h.e.access === 'write');
  if (writers.length > 1) return `${page} has writers ${writers.map((w) => w.id).join(', ')}`;
  if (writers.length === 1 && holders.length > 1) {
    return `${page} written by ${writers[0]!.id} while ${holders.length - 1} others hold copies`;
  }
  const owners = holders.filter((h) => h.e.owner);
  if (owners.length > 1) return `${page} has owners ${owners.map((o) => o.id).join(', ')}`;
  return null;
}

export function oneWriterPerPage(holders: ReadonlyMap<PageId, readonly Holder[]>): InvariantResult {
  const name = 'one writer per page';
  for (const [page, list] of [...holders].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const problem = exclusivity(page, list);
    if (problem) return { name, ok: false, detail: problem };
  }
  return { name, ok: true, detail: `${holders.size} page(s) held` };
}

/**
 * When the acting CM has heard from everyone and nothing about the page is active or in
 * transit, its metadata matches the clients: the same owner, every reader in the copy set, one
 * content. The copy set may be larger: a reader that gave up a read, or dropped its copy because
 * its lease ran out (or was never granted yet), stays listed. That costs an invalidation, never
 * a stale read.
 */
function agreement(cm: ManagerSnapshot, p: PageMeta, holders: readonly Holder[], keepers: readonly NodeId[]): string | null {
  // A client keeps ownership that answered no write of its without access until the CM forwards
  // to it (client.ts): the owner on record when the CM arranged that transfer.
  const owner = holders.find((h) => h.e.owner)?.id ?? (p.owner !== null && keepers.includes(p.owner) ? p.owner : null);
  if (owner !== p.owner) return `${p.page}: ${cm.id} says owner ${p.owner}, clients say ${owner ?? 'none'}`;
  // A holder with write access that is not the owner breaks the owner rule or exclusivity above.
  const stray = holders.find((h) => !h.e.owner && h.e.access === 'read' && !p.copySet.includes(h.id));
  if (stray) return `${stray.id} reads ${p.page} but ${cm.id}'s copy set is {${p.copySet.join(', ')}}`;
  const versions = new Set(holders.map((h) => `${h.e.version}:${h.e.content}`));
  if (versions.size > 1) return `${p.page} copies disagree: ${[...versions].join(' | ')}`;
  return null;
}

/**
 * Nothing about the page is under way. A page whose owner or readers are not running (crashed,
 * or gone for good) cannot be held against their tables: the CM learns of their absence only
 * after a lease.
 */
function quiet(p: PageMeta, running: ReadonlySet<NodeId>, requested: ReadonlySet<PageId>, options: CheckOptions): boolean {
  if (p.active !== null || p.queued.length > 0 || (p.note ?? null) !== null) return false;
  if (requested.has(p.page) || options.inTransit(p.page)) return false;
  return (p.owner === null || running.has(p.owner)) && p.copySet.every((n) => running.has(n));
}

function actingCm(cms: readonly ManagerSnapshot[]): ManagerSnapshot | undefined {
  return cms.filter((c) => c.role === 'acting').sort((a, b) => b.epoch - a.epoch)[0];
}

export function copySetCoversReaders(
  s: ClusterSnapshot,
  holders: ReadonlyMap<PageId, readonly Holder[]>,
  options: CheckOptions,
): InvariantResult {
  const name = 'copy set covers read holders';
  const cm = actingCm(s.cms);
  if (!cm) return { name, ok: true, detail: 'no acting CM to compare with' };
  if (!options.settled) return { name, ok: true, detail: 'the cluster has not settled' };
  if (cm.unreported.length > 0) return { name, ok: true, detail: `${cm.id} waits for reports` };
  const running = new Set(s.clients.map((c) => c.id));
  const requested = new Set<PageId>();
  const keepers = new Map<PageId, NodeId[]>();
  for (const c of s.clients) {
    if (c.inFlight) requested.add(c.inFlight.page);
    for (const e of c.pages) if (e.owner && e.access === 'nil') keepers.set(e.page, [...(keepers.get(e.page) ?? []), c.id]);
  }
  let checked = 0;
  for (const p of cm.pages) {
    if (!quiet(p, running, requested, options)) continue;
    checked += 1;
    const problem = agreement(cm, p, holders.get(p.page) ?? [], keepers.get(p.page) ?? []);
    if (problem) return { name, ok: false, detail: problem };
  }
  return { name, ok: true, detail: `${checked} idle page(s) of ${cm.id} checked` };
}

/** Epochs fence: no two CMs act under the same epoch. */
export function oneActingCmPerEpoch(cms: readonly ManagerSnapshot[]): InvariantResult {
  const name = 'one acting CM per epoch';
  const byEpoch = new Map<number, NodeId[]>();
  for (const c of cms) if (c.role === 'acting') byEpoch.set(c.epoch, [...(byEpoch.get(c.epoch) ?? []), c.id]);
  for (const [epoch, ids] of byEpoch) {
    if (ids.length > 1) return { name, ok: false, detail: `${ids.join(' and ')} both act under epoch ${epoch}` };
  }
  const acting = [...byEpoch].map(([e, ids]) => `${ids.join('')} (epoch ${e})`);
  return { name, ok: true, detail: acting.length ? `acting: ${acting.join(', ')}` : 'no CM acts' };
}

export const NOTHING_IN_TRANSIT: CheckOptions['inTransit'] = () => false;

export function checkCluster(s: ClusterSnapshot, options: CheckOptions): InvariantResult[] {
  const holders = holdersByPage(s.clients);
  return [oneWriterPerPage(holders), copySetCoversReaders(s, holders, options), oneActingCmPerEpoch(s.cms)];
}
