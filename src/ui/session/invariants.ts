// The cross-node invariants (src/protocol/invariants.ts) on the states the nodes publish, as the
// simulator checks them after every delivery. States arrive from different workers at slightly
// different moments, so the panel reports a broken rule only when it stays broken (see
// StableVerdicts).
import type { NodeState } from '../../host/make-node.ts';
import type { ClientSnapshot } from '../../protocol/client.ts';
import { checkCluster, NOTHING_IN_TRANSIT, type InvariantResult } from '../../protocol/invariants.ts';
import type { ManagerSnapshot } from '../../protocol/manager.ts';

/** The page cannot know what is in transit between workers, nor more than the states say. */
export function checkInvariants(states: ReadonlyMap<string, NodeState>): InvariantResult[] {
  const cms: ManagerSnapshot[] = [];
  const clients: ClientSnapshot[] = [];
  for (const s of states.values()) {
    if (s.role === 'cm') cms.push(s.snapshot);
    else clients.push(s.snapshot);
  }
  return checkCluster({ cms, clients }, { settled: true, inTransit: NOTHING_IN_TRANSIT });
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
