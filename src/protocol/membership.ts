// What the acting CM knows of its members' presence, and of its own right to grant leases.
//
// Presence: every frame from a client counts as a sign of life. A member silent for a lease and
// the drift margin (on the CM's clock) is away: its lease has surely run out on its own clock,
// so it serves no read hit from a copy any more, and its copies need not be invalidated. A CM
// that has just taken over counts from the takeover, which covers leases the old CM granted.
//
// Role lease: a client lease must end before any other CM can act, or a fenced CM could keep
// renewing the leases of clients that never heard of the new one. The standby takes over only
// after pulseMissesMax pulses in a row went unanswered, each sent a pulse interval after the
// last, and it counts them from the last PULSE_REPLY that reached it. So once the acting CM
// learns (PULSE.acked) that the reply it sent at time r arrived, no takeover happens before
// r + pulseMissesMax × pulseIntervalMs on any clock whose rate is within the drift margin; the
// acting CM grants client leases only until then. Without a peer (basic Ivy) it always may.
//
// Away members: the acting CM's replies tell the standby whom it deems away, so that a standby
// taking over need not wait out their leases (they ran out already). That holds only if a member
// back from away gets no lease before the standby knows it is back: its first grant waits until
// the standby acknowledged a reply sent after its return (mayGrantTo).
import { DRIFT_MARGIN, type Timing } from './config.ts';
import type { NodeId } from './ids.ts';

/** Reply numbers whose send time is kept: an ack for an older one is superseded anyway. */
const REPLIES_REMEMBERED = 16;

export class Membership {
  private readonly heardAt = new Map<NodeId, number>();
  private readonly replySentAt = new Map<number, number>();
  private replies = 0;
  private roleLeaseUntil = -Infinity;
  /**
   * No member present can fall silent before this (Infinity: none can): exact after silent()
   * looked at every member, only ever lowered in between (hearing a member moves its own
   * silence later), so it is never later than the truth.
   */
  private silenceCheckAt = Infinity;

  constructor(
    private readonly timing: Timing,
    private readonly peerExists: boolean,
  ) {}

  /** How long a member may stay silent before it is away, on the CM's clock. */
  get silenceMaxMs(): number {
    return this.timing.leaseMs * (1 + DRIFT_MARGIN);
  }

  /** Members back from away, with the number of the last reply sent before they came back. */
  private readonly backAfter = new Map<NodeId, number>();

  /** Starts acting at `now`: every member counts as heard then, and no role lease is held yet. */
  startActing(members: Iterable<NodeId>, now: number): void {
    this.heardAt.clear();
    this.lastBeat.clear();
    this.backAfter.clear();
    for (const id of members) this.heardAt.set(id, now);
    this.silenceCheckAt = this.heardAt.size > 0 ? now + this.silenceMaxMs : Infinity;
    this.replySentAt.clear();
    this.roleLeaseUntil = -Infinity;
  }

  /** The operator forgot `id`: it is no member, so neither present nor away. */
  forget(id: NodeId): void {
    this.heardAt.delete(id);
    this.lastBeat.delete(id);
    this.backAfter.delete(id);
  }

  heard(id: NodeId, now: number): void {
    this.heardAt.set(id, now);
    this.silenceCheckAt = Math.min(this.silenceCheckAt, now + this.silenceMaxMs);
  }

  /** Members silent for a lease and the margin (or longer), that are not away already. */
  silent(now: number, isAway: (id: NodeId) => boolean): NodeId[] {
    const out: NodeId[] = [];
    let next = Infinity;
    for (const [id, at] of this.heardAt) {
      if (isAway(id)) continue;
      if (now >= at + this.silenceMaxMs) out.push(id);
      else next = Math.min(next, at + this.silenceMaxMs);
    }
    this.silenceCheckAt = next;
    return out.sort();
  }

  /** When silent() may next find a member silent: its earliest call that can return anyone. */
  nextSilence(): number {
    return this.silenceCheckAt;
  }

  /** Numbers a PULSE_REPLY about to leave at `now`. */
  nextReply(now: number): number {
    this.replies += 1;
    this.replySentAt.set(this.replies, now);
    for (const k of this.replySentAt.keys()) {
      if (this.replySentAt.size <= REPLIES_REMEMBERED) break;
      this.replySentAt.delete(k);
    }
    return this.replies;
  }

  /**
   * The standby says reply `seq` reached it: the role lease runs from that reply's send time.
   * True when this gives back a right to grant that had lapsed (or never was).
   */
  acked(seq: number, now: number): boolean {
    const sentAt = this.replySentAt.get(seq);
    if (sentAt === undefined) return false;
    for (const [id, after] of this.backAfter) if (seq > after) this.backAfter.delete(id);
    const had = this.mayGrant(now);
    const holdMs = this.timing.pulseMissesMax * this.timing.pulseIntervalMs * (1 - DRIFT_MARGIN);
    this.roleLeaseUntil = Math.max(this.roleLeaseUntil, sentAt + holdMs);
    return !had && this.mayGrant(now);
  }

  /** The last heartbeat heard from each member: answered late when a right to grant comes back. */
  readonly lastBeat = new Map<NodeId, number>();

  mayGrant(now: number): boolean {
    return !this.peerExists || now < this.roleLeaseUntil;
  }

  /** A member deemed away is back: no lease for it until the standby has heard so (see the top). */
  cameBack(id: NodeId): void {
    if (this.peerExists) this.backAfter.set(id, this.replies);
  }

  /** Whether `id` may have a lease as far as its return from away goes (mayGrant still applies). */
  mayGrantTo(id: NodeId): boolean {
    return !this.backAfter.has(id);
  }
}
