// How the tab cluster overview judges its rows, from facts alone (pure): a node's last answer is
// never shown as its present. A row is judged from how old the node's last answer is and from
// what the acting CM says of it (whom it deems away, when it last heard each peer), and a CM that
// says it acts under an older epoch than another is shown superseded. An answer is as old as the
// poll that asked for it: the node said it after that.
import { TIMING_DEFAULTS as T } from '../protocol/config.ts';
import { clientNumber, isCmId, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import type { TabNodeInfo } from './control.ts';

/**
 * A node whose last answer is older than this is not shown as it last was: the cluster's own
 * failure-detection window (a standby takes over once a pulse after pulseMissesMax unanswered
 * ones), so a closed CM's row stops saying "acting" no later than its standby acts.
 */
export const ANSWER_AGE_MAX_MS = (T.pulseMissesMax + 1) * T.pulseIntervalMs;

/** What is known of one node: its last answer, when it came, and why the last poll failed. */
export interface NodeFacts {
  id: NodeId;
  info: TabNodeInfo | null;
  /** When the poll its last answer came back to was sent (this tab's performance.now()); null: never. */
  askedAt: number | null;
  /** Why the last poll or dial failed, or null when the last poll came back. */
  error: string | null;
}

/** How a row stands now. */
export type Standing =
  /** Answered lately: its own state is shown. */
  | { kind: 'live' }
  /** Answered lately saying it acts, but a CM answering now acts under a newer epoch. */
  | { kind: 'superseded'; by: NodeId; epoch: number }
  /** The acting CM deems it away, for this long now. */
  | { kind: 'away'; forMs: number; judge: NodeId }
  | { kind: 'stopped' }
  /** No answer for this long (null: never answered), and why the last try failed. */
  | { kind: 'silent'; forMs: number | null; error: string | null };

export interface OverviewRow {
  id: NodeId;
  info: TabNodeInfo | null;
  standing: Standing;
  /** Since its last answer, ms; what the answer says of links is that much older. */
  ageMs: number;
  /** The acting CM's word: it deems this node away for this long (ms), or null. */
  awayMs: number | null;
  /** How long ago the acting CM last heard from it (ms), or null when it has no link to it. */
  heardByActingMs: number | null;
}

export interface Judged {
  acting: { id: NodeId; epoch: number } | null;
  rows: OverviewRow[];
}

/**
 * Judges every node from the facts at `now`: the acting CM is the one with the newest epoch
 * among CMs that answered lately saying they act; a row is live only if its node answered
 * within ANSWER_AGE_MAX_MS, is not stopped, and is not a CM superseded by a newer epoch; the
 * acting CM's away list and its links' last-heard times speak for the rest.
 */
export function judgeRows(facts: readonly NodeFacts[], now: number): Judged {
  const age = (f: NodeFacts): number => (f.askedAt === null ? Infinity : now - f.askedAt);
  const fresh = (f: NodeFacts): boolean => f.info !== null && !f.info.stopped && age(f) <= ANSWER_AGE_MAX_MS;
  const claims = facts
    .flatMap((f) => {
      const s = f.info?.state;
      return fresh(f) && s?.role === 'cm' && s.snapshot.role === 'acting' ? [{ id: f.id, epoch: s.snapshot.epoch, f }] : [];
    })
    .sort((a, b) => b.epoch - a.epoch);
  const top = claims[0] ?? null;
  const judge =
    top?.f.info?.state.role === 'cm' ? { id: top.id, snapshot: top.f.info.state.snapshot, info: top.f.info, ageMs: age(top.f) } : null;
  const awayMs = new Map(judge?.snapshot.away.map((a) => [a.id, a.forMs + judge.ageMs]) ?? []);
  const heardMs = (id: NodeId): number | null => {
    if (!judge || id === judge.id) return null;
    const p = judge.info.peers.find((x) => x.peer === id);
    return p?.heardMsAgo == null ? null : p.heardMsAgo + judge.ageMs;
  };
  const standing = (f: NodeFacts): Standing => {
    const away = awayMs.get(f.id);
    if (f.info?.stopped) return { kind: 'stopped' };
    if (fresh(f)) {
      const s = f.info?.state;
      if (top && s?.role === 'cm' && s.snapshot.role === 'acting' && s.snapshot.epoch < top.epoch)
        return { kind: 'superseded', by: top.id, epoch: top.epoch };
      return { kind: 'live' };
    }
    if (away !== undefined && judge) return { kind: 'away', forMs: away, judge: judge.id };
    return { kind: 'silent', forMs: f.askedAt === null ? null : age(f), error: f.error };
  };
  const rank = (id: NodeId): number => clientNumber(id) ?? (id === PRIMARY_CM ? -2 : -1);
  const rows = facts
    // A client shows once it answered, or once the acting CM deems it away.
    .filter((f) => isCmId(f.id) || f.info !== null || awayMs.has(f.id))
    .sort((a, b) => rank(a.id) - rank(b.id))
    .map((f) => ({
      id: f.id,
      info: f.info,
      standing: standing(f),
      ageMs: Math.min(age(f), Number.MAX_SAFE_INTEGER),
      awayMs: awayMs.get(f.id) ?? null,
      heardByActingMs: heardMs(f.id),
    }));
  return { acting: top && { id: top.id, epoch: top.epoch }, rows };
}
