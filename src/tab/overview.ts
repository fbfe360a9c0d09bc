// The whole tab cluster seen from one tab: a peer of its own (no node) that opens a control link
// to every node it hears of (the CMs at their well-known ids, then every member and peer they
// name), asks each for its state a few times a second, and runs console lines on any of them.
// Calls race deadlines: a closed tab's link can look open for a long while, so a node that stops
// answering is shown as such, and its link is dropped and dialed again (it may come back).
//
// A node's last answer is never shown as its present: a row is judged (judgeRows) from how old
// the node's last answer is and from what the acting CM says of it (whom it deems away, when it
// last heard each peer), and a CM that says it acts under an older epoch than another is shown
// superseded. An answer is as old as the poll that asked for it: the node said it after that.
import { TIMING_DEFAULTS as T } from '../protocol/config.ts';
import { BACKUP_CM, clientNumber, isCmId, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import { decodeComlinkWire, RemoteControl, type ComlinkWire } from '../net/comlink-endpoint.ts';
import { peerIdFor, type ClusterPeer } from '../net/peer-connect.ts';
import type { PeerJsTransport } from '../net/peerjs.ts';
import type { Answer } from '../ui/run-command.ts';
import { CONTROL_CHANNEL, type TabControlApi, type TabNodeInfo } from './control.ts';

/**
 * A node whose last answer is older than this is not shown as it last was: the cluster's own
 * failure-detection window (a standby takes over once a pulse after pulseMissesMax unanswered
 * ones), so a closed CM's row stops saying "acting" no later than its standby acts.
 */
export const ANSWER_AGE_MAX_MS = (T.pulseMissesMax + 1) * T.pulseIntervalMs;
/**
 * How often every node is asked for its state: once a pulse interval, so a live node's last
 * answer stays well inside ANSWER_AGE_MAX_MS (a poll still out is not sent again).
 */
export const POLL_MS = T.pulseIntervalMs;
const INFO_MS = 1_500;
const COMMAND_MS = 8_000;
const DIAL_MS = 4_000;
const REDIAL_MS = 1_500;
/** Unanswered polls before the link is presumed dead and dialed again. */
const MISSES_MAX = 2;

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
  const claims = facts.flatMap((f) => {
    const s = f.info?.state;
    return fresh(f) && s?.role === 'cm' && s.snapshot.role === 'acting' ? [{ id: f.id, epoch: s.snapshot.epoch, f }] : [];
  }).sort((a, b) => b.epoch - a.epoch);
  const top = claims[0] ?? null;
  const judge = top?.f.info?.state.role === 'cm' ? { id: top.id, snapshot: top.f.info.state.snapshot, info: top.f.info, ageMs: age(top.f) } : null;
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
      if (top && s?.role === 'cm' && s.snapshot.role === 'acting' && s.snapshot.epoch < top.epoch) return { kind: 'superseded', by: top.id, epoch: top.epoch };
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
      id: f.id, info: f.info, standing: standing(f), ageMs: Math.min(age(f), Number.MAX_SAFE_INTEGER),
      awayMs: awayMs.get(f.id) ?? null, heardByActingMs: heardMs(f.id),
    }));
  return { acting: top && { id: top.id, epoch: top.epoch }, rows };
}

interface Watched extends NodeFacts {
  link: PeerJsTransport<ComlinkWire> | null;
  control: RemoteControl<TabControlApi> | null;
  dialing: boolean;
  polling: boolean;
  notBefore: number;
  misses: number;
  /** Judges the rows again the moment this node's last answer grows too old to show. */
  expiry: ReturnType<typeof setTimeout> | null;
}

export class OverviewModel {
  private readonly watched = new Map<NodeId, Watched>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly peer: ClusterPeer, private readonly prefix: string, private readonly onChange: () => void) {
    this.learn([PRIMARY_CM, BACKUP_CM]);
    this.timer = setInterval(() => this.round(), POLL_MS);
    this.round();
  }

  /** The acting CM and every node's row, CMs first, then clients by number, judged now. */
  judged(): Judged {
    return judgeRows([...this.watched.values()], performance.now());
  }

  command(id: NodeId, line: string): Promise<Answer> {
    const control = this.watched.get(id)?.control;
    if (!control) return Promise.resolve({ ok: false, lines: [`error: no control link to ${id}`] });
    return control.call((r) => r.command(line), COMMAND_MS, `${id}: ${line}`)
      .catch((e: Error) => ({ ok: false, lines: [`error: ${e.message}`] }));
  }

  async kill(id: NodeId): Promise<void> {
    const w = this.watched.get(id);
    if (!w?.control) throw new Error(`no control link to ${id}`);
    await w.control.call((r) => r.kill(), INFO_MS, `kill ${id}`);
    // It is stopped now: its row and the header say so at once, not at the next poll.
    if (w.info) w.info = { ...w.info, stopped: true };
    w.error = 'stopped';
    this.onChange();
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const w of this.watched.values()) {
      w.control?.dispose();
      if (w.expiry !== null) clearTimeout(w.expiry);
    }
    this.peer.destroy();
  }

  private learn(ids: Iterable<NodeId>): void {
    for (const id of ids) {
      if (this.watched.has(id)) continue;
      this.watched.set(id, {
        id, link: null, control: null, dialing: false, polling: false, notBefore: 0, misses: 0, info: null, askedAt: null, error: 'not reached yet', expiry: null,
      });
    }
  }

  private round(): void {
    for (const w of this.watched.values()) {
      if (w.control && w.link && !w.link.closed) void this.poll(w);
      else this.dial(w);
    }
    // Rows age even when nothing answers: a silent node's row must say so.
    this.onChange();
  }

  private dial(w: Watched): void {
    if (w.dialing || performance.now() < w.notBefore) return;
    w.dialing = true;
    this.peer.connect(peerIdFor(this.prefix, w.id), CONTROL_CHANNEL, decodeComlinkWire, DIAL_MS).then(
      (link) => {
        w.dialing = false;
        w.link = link;
        w.control = new RemoteControl<TabControlApi>(link, w.id);
        w.misses = 0;
        void this.poll(w);
      },
      (e: Error) => {
        w.dialing = false;
        w.notBefore = performance.now() + REDIAL_MS;
        this.fail(w, e.message);
      },
    );
  }

  private async poll(w: Watched): Promise<void> {
    const control = w.control;
    if (w.polling || !control) return;
    w.polling = true;
    const askedAt = performance.now();
    try {
      const info = await control.call((r) => r.info(), INFO_MS, 'info');
      w.info = info;
      w.askedAt = askedAt;
      // Not at the next round: the row must stop showing this answer as soon as it is too old.
      if (w.expiry !== null) clearTimeout(w.expiry);
      w.expiry = setTimeout(this.onChange, askedAt + ANSWER_AGE_MAX_MS + 1 - performance.now());
      w.error = info.stopped ? 'stopped' : null;
      w.misses = 0;
      this.learn(info.peers.map((p) => p.peer));
      if (info.state.role === 'cm') this.learn(info.state.snapshot.members);
      this.onChange();
    } catch (e) {
      this.fail(w, (e as Error).message);
      if (++w.misses >= MISSES_MAX) this.forget(w);
    } finally {
      w.polling = false;
    }
  }

  /** Drops a link that stopped answering: its tab may be gone, or back in a new tab. */
  private forget(w: Watched): void {
    w.control?.dispose();
    w.link?.close();
    w.control = null;
    w.link = null;
    w.misses = 0;
  }

  private fail(w: Watched, error: string): void {
    if (w.error === error) return;
    w.error = error;
    this.onChange();
  }
}
