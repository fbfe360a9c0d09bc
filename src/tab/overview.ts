// The whole tab cluster seen from one tab: a peer of its own (no node) that opens a control link
// to every node it hears of (the CMs at their well-known ids, then every member and peer they
// name), asks each for its state every pulse interval, and runs console lines on any of them.
// Calls race deadlines: a closed tab's link can look open for a long while, so a node that stops
// answering is shown as such, and its link is dropped and dialed again (it may come back).
//
// A node's last answer is never shown as its present: rows are judged in overview-rows.ts.
import { TIMING_DEFAULTS as T } from '../protocol/config.ts';
import { BACKUP_CM, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import { decodeComlinkWire, RemoteControl, type ComlinkWire } from '../net/comlink-endpoint.ts';
import { peerIdFor, type ClusterPeer } from '../net/peer-connect.ts';
import type { PeerJsTransport } from '../net/peerjs.ts';
import type { Answer } from '../console/run-command.ts';
import { CONTROL_CHANNEL, type TabControlApi } from './control.ts';
import { ANSWER_AGE_MAX_MS, judgeRows, type Judged, type NodeFacts } from './overview-rows.ts';

/**
 * How often every node is asked for its state: once a pulse interval, so a live node's last
 * answer stays well inside ANSWER_AGE_MAX_MS (a poll still out is not sent again).
 */
const POLL_MS = T.pulseIntervalMs;
const INFO_MS = 1_500;
const COMMAND_MS = 8_000;
const DIAL_MS = 4_000;
const REDIAL_MS = 1_500;
/** Unanswered polls before the link is presumed dead and dialed again. */
const MISSES_MAX = 2;

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

  constructor(
    private readonly peer: ClusterPeer,
    private readonly prefix: string,
    private readonly onChange: () => void,
  ) {
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
    return control
      .call((r) => r.command(line), COMMAND_MS, `${id}: ${line}`)
      .catch((e: Error) => ({ ok: false, lines: [`error: ${e.message}`] }));
  }

  async kill(id: NodeId): Promise<void> {
    const w = this.watched.get(id);
    if (!w?.control) throw new Error(`no control link to ${id}`);
    const link = w.link;
    await w.control
      .call((r) => r.kill(), INFO_MS, `kill ${id}`)
      .catch((e: unknown) => {
        // A node that stops closes its peer: the link may close before the answer leaves it.
        if (!link?.closed) throw e;
      });
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
        id,
        link: null,
        control: null,
        dialing: false,
        polling: false,
        notBefore: 0,
        misses: 0,
        info: null,
        askedAt: null,
        error: 'not reached yet',
        expiry: null,
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
