// Cross-node invariants checked from the states the nodes publish, as the simulator checks them
// after every delivery. States arrive from different workers at slightly different moments, so
// the panel reports a broken rule only when it stays broken (see StableVerdicts).
import type { NodeState } from '../../host/make-node.ts';

export interface InvariantResult {
  name: string;
  ok: boolean;
  /** What was checked, or what is wrong. */
  detail: string;
}

type Clients = { id: string; pages: { page: string; access: string; owner: boolean }[] }[];

function clientsOf(states: ReadonlyMap<string, NodeState>): Clients {
  return [...states.values()].flatMap((s) => (s.role === 'client' ? [{ id: s.snapshot.id, pages: s.snapshot.pages }] : []));
}

/** At most one client may write a page, and a writer excludes readers. */
export function oneWriterPerPage(states: ReadonlyMap<string, NodeState>): InvariantResult {
  const name = 'one writer per page';
  const holders = new Map<string, { writers: string[]; readers: string[] }>();
  for (const c of clientsOf(states)) {
    for (const p of c.pages) {
      const h = holders.get(p.page) ?? { writers: [], readers: [] };
      if (p.access === 'write') h.writers.push(c.id);
      else if (p.access === 'read') h.readers.push(c.id);
      holders.set(p.page, h);
    }
  }
  for (const [page, h] of [...holders].sort()) {
    if (h.writers.length > 1) return { name, ok: false, detail: `${page} has writers ${h.writers.join(', ')}` };
    if (h.writers.length === 1 && h.readers.length > 0) {
      return { name, ok: false, detail: `${page}: ${h.writers[0]} writes while ${h.readers.join(', ')} hold read copies` };
    }
  }
  return { name, ok: true, detail: `${holders.size} page(s) held` };
}

/** On an idle page of a settled acting CM, every client with a read copy is in the copy set (or owns it). */
export function copySetCoversReaders(states: ReadonlyMap<string, NodeState>): InvariantResult {
  const name = 'copy set covers read holders';
  const acting = [...states.values()].flatMap((s) => (s.role === 'cm' && s.snapshot.role === 'acting' ? [s.snapshot] : []))
    .sort((a, b) => b.epoch - a.epoch)[0];
  if (!acting) return { name, ok: true, detail: 'no acting CM to compare with' };
  if (acting.unreported.length > 0) return { name, ok: true, detail: `${acting.id} waits for reports` };
  let checked = 0;
  for (const meta of acting.pages) {
    if (meta.active || meta.queued.length > 0) continue;
    checked += 1;
    for (const c of clientsOf(states)) {
      const held = c.pages.find((p) => p.page === meta.page);
      if (!held || held.access !== 'read' || held.owner) continue;
      if (!meta.copySet.includes(c.id) && meta.owner !== c.id) {
        return { name, ok: false, detail: `${c.id} reads ${meta.page} but ${acting.id}'s copy set is {${meta.copySet.join(', ')}}` };
      }
    }
  }
  return { name, ok: true, detail: `${checked} idle page(s) of ${acting.id} checked` };
}

/** Epochs fence: no two CMs act under the same epoch. */
export function oneActingCmPerEpoch(states: ReadonlyMap<string, NodeState>): InvariantResult {
  const name = 'one acting CM per epoch';
  const byEpoch = new Map<number, string[]>();
  for (const s of states.values()) {
    if (s.role !== 'cm' || s.snapshot.role !== 'acting') continue;
    byEpoch.set(s.snapshot.epoch, [...(byEpoch.get(s.snapshot.epoch) ?? []), s.snapshot.id]);
  }
  for (const [epoch, ids] of byEpoch) {
    if (ids.length > 1) return { name, ok: false, detail: `${ids.join(' and ')} both act under epoch ${epoch}` };
  }
  const acting = [...byEpoch].map(([e, ids]) => `${ids.join('')} (epoch ${e})`);
  return { name, ok: true, detail: acting.length ? `acting: ${acting.join(', ')}` : 'no CM acts' };
}

export function checkInvariants(states: ReadonlyMap<string, NodeState>): InvariantResult[] {
  return [oneWriterPerPage(states), copySetCoversReaders(states), oneActingCmPerEpoch(states)];
}

/**
 * A rule counts as broken only when it was broken in two checks in a row at least `settleMs`
 * apart: a write in progress is seen by the page one worker at a time.
 */
export class StableVerdicts {
  private readonly brokenSince = new Map<string, number>();

  constructor(private readonly settleMs = 400) {}

  judge(results: readonly InvariantResult[], now: number): (InvariantResult & { settling: boolean })[] {
    return results.map((r) => {
      if (r.ok) {
        this.brokenSince.delete(r.name);
        return { ...r, settling: false };
      }
      const since = this.brokenSince.get(r.name) ?? now;
      this.brokenSince.set(r.name, since);
      const settling = now - since < this.settleMs;
      return settling ? { ...r, ok: true, settling } : { ...r, settling };
    });
  }
}
