// Which CM acts, under which epoch: the cluster view's headline; and whom the acting CM deems
// away, since when. It follows the state every CM worker in this tab pushes, and tells its owner
// only when a role, an epoch or the set of away members changes.
import type { NodeId } from '../protocol/ids.ts';
import type { CmRole, ManagerSnapshot } from '../protocol/manager.ts';
import type { Cluster } from '../workers/cluster.ts';
import type { NodeHandle } from '../workers/node-handle.ts';

export interface CmStatus {
  id: NodeId;
  role: CmRole;
  epoch: number;
}

interface Watched {
  handle: NodeHandle;
  status: CmStatus | null;
  /** Away members as this CM last said, since when (this page's wall clock, ms). */
  away: ReadonlyMap<NodeId, number>;
  stop: (() => void) | null;
}

export class CmWatch {
  private readonly watched = new Map<NodeId, Watched>();
  private readonly stopCluster: () => void;

  constructor(
    private readonly cluster: Cluster,
    private readonly onChange: () => void,
  ) {
    this.stopCluster = cluster.onChange(() => this.sync());
    this.sync();
  }

  /** Running CMs whose state has arrived, cm1 first. */
  statuses(): CmStatus[] {
    return [...this.watched.values()].flatMap((w) => (w.status ? [w.status] : [])).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The acting CM; if two claim it for a moment (one has not yet heard of the other), the newer epoch. */
  acting(): CmStatus | null {
    const acting = this.statuses()
      .filter((s) => s.role === 'acting')
      .sort((a, b) => b.epoch - a.epoch);
    return acting[0] ?? null;
  }

  /** Whom the acting CM deems away (silent past its lease), since when on this page's wall clock. */
  away(): ReadonlyMap<NodeId, number> {
    const acting = this.acting();
    return (acting && this.watched.get(acting.id)?.away) ?? new Map();
  }

  dispose(): void {
    this.stopCluster();
    for (const w of this.watched.values()) w.stop?.();
    this.watched.clear();
  }

  private sync(): void {
    let changed = false;
    for (const [id, w] of this.watched) {
      if (this.cluster.get(id) === w.handle) continue;
      w.stop?.();
      this.watched.delete(id);
      changed = true;
    }
    for (const handle of this.cluster.nodes()) {
      if (handle.role !== 'cm' || this.watched.has(handle.id)) continue;
      const w: Watched = { handle, status: null, away: new Map(), stop: null };
      this.watched.set(handle.id, w);
      void this.follow(w);
    }
    if (changed) this.onChange();
  }

  private async follow(w: Watched): Promise<void> {
    try {
      const stop = await w.handle.subscribe((e) => {
        if (e.type === 'state' && e.state.role === 'cm') this.update(w, e.state.snapshot);
      });
      if (this.watched.get(w.handle.id) !== w) return stop();
      w.stop = stop;
      const state = await w.handle.snapshot();
      if (state.role === 'cm') this.update(w, state.snapshot);
    } catch {
      // Killed while we subscribed: sync() has already forgotten it.
    }
  }

  private update(w: Watched, s: Pick<ManagerSnapshot, 'id' | 'role' | 'epoch' | 'away'>): void {
    if (this.watched.get(w.handle.id) !== w) return;
    // A new epoch is a new acting term: whom it deems away, and since when, starts afresh.
    const kept = w.status?.epoch === s.epoch ? w.away : new Map<NodeId, number>();
    const awayChanged = s.away.length !== w.away.size || s.away.some((a) => !kept.has(a.id));
    if (awayChanged) {
      // Durations become instants once, when first seen: "away since 14:03:05" stays put.
      const now = Date.now();
      w.away = new Map(s.away.map((a) => [a.id, kept.get(a.id) ?? now - a.forMs]));
    }
    if (!awayChanged && w.status?.role === s.role && w.status.epoch === s.epoch) return;
    w.status = { id: s.id, role: s.role, epoch: s.epoch };
    this.onChange();
  }
}
