// How membership reads on screen: a CM's members with whom it deems away and for how long, and
// whether a client's lease runs. Text only; the acting CM's snapshot is the one judge of presence.
import type { ClientSnapshot } from '../protocol/client.ts';
import type { NodeId } from '../protocol/ids.ts';
import type { ManagerSnapshot } from '../protocol/manager.ts';

export function secondsText(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/** A wall-clock instant as the time of day, 24-hour: "since 14:03:05". */
export function clockText(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}

export interface MemberMark {
  id: NodeId;
  away: boolean;
  /** What the CM knows of it beyond membership, or null when it is present and reported. */
  note: string | null;
}

/** Every member of a CM, marked away (for how long) or not reported yet, as the CM says. */
export function memberMarks(s: Pick<ManagerSnapshot, 'role' | 'members' | 'unreported' | 'away'>): MemberMark[] {
  const away = new Map(s.away.map((a) => [a.id, a.forMs]));
  const unreported = new Set(s.role === 'acting' ? s.unreported : []);
  return s.members.map((id) => {
    const forMs = away.get(id);
    if (forMs !== undefined) return { id, away: true, note: `away ${secondsText(forMs)}` };
    return { id, away: false, note: unreported.has(id) ? 'not reported yet' : null };
  });
}

/** A client's pages whose last write waits for the CM's replica (replicas: 1), or null for none. */
export function replicaWaitText(s: Pick<ClientSnapshot, 'unreplicated'>): string | null {
  if (s.unreplicated.length === 0) return null;
  return `waiting for the CM to keep a replica of ${s.unreplicated.join(', ')}: until then the page serves nobody`;
}

/** How many pages' last acknowledged versions a CM keeps, or null for none (replicas: 0). */
export function keptReplicasText(s: Pick<ManagerSnapshot, 'replicas'>): string | null {
  return s.replicas === 0 ? null : `keeps replicas of ${s.replicas} page(s): a forgotten owner's page comes back with its last write`;
}

/** A client's lease: its read copies serve hits only while it runs. */
export function leaseText(s: Pick<ClientSnapshot, 'leased'>): string {
  return s.leased ? 'lease runs' : 'no lease: read copies serve no hits';
}
