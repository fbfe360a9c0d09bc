// The whole tab cluster seen from one tab: a peer of its own (no node) that opens a control link
// to every node it hears of (the CMs at their well-known ids, then every member and peer they
// name), asks each for its state a few times a second, and runs console lines on any of them.
// Calls race deadlines: a closed tab's link can look open for a long while, so a node that stops
// answering is shown as such, and its link is dropped and dialed again (it may come back).
import { BACKUP_CM, clientNumber, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import { decodeComlinkWire, RemoteControl, type ComlinkWire } from '../net/comlink-endpoint.ts';
import { peerIdFor, type ClusterPeer } from '../net/peer-connect.ts';
import type { PeerJsTransport } from '../net/peerjs.ts';
import type { Answer } from '../console/run-command.ts';
import { CONTROL_CHANNEL, type TabControlApi, type TabNodeInfo } from './control.ts';

const POLL_MS = 400;
const INFO_MS = 1_500;
const COMMAND_MS = 8_000;
const DIAL_MS = 4_000;
const REDIAL_MS = 1_500;
/** Unanswered polls before the link is presumed dead and dialed again. */
const MISSES_MAX = 2;

export interface OverviewRow {
  id: NodeId;
  info: TabNodeInfo | null;
  /** Why the node does not answer, or null when its last poll came back. */
  error: string | null;
}

interface Watched {
  id: NodeId;
  link: PeerJsTransport<ComlinkWire> | null;
  control: RemoteControl<TabControlApi> | null;
  dialing: boolean;
  polling: boolean;
  notBefore: number;
  misses: number;
  info: TabNodeInfo | null;
  error: string | null;
}

export class OverviewModel {
  private readonly watched = new Map<NodeId, Watched>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly peer: ClusterPeer, private readonly prefix: string, private readonly onChange: () => void) {
    this.learn([PRIMARY_CM, BACKUP_CM]);
    this.timer = setInterval(() => this.round(), POLL_MS);
    this.round();
  }

  /** CMs first, then clients by number. */
  rows(): OverviewRow[] {
    const rank = (id: NodeId): number => clientNumber(id) ?? (id === PRIMARY_CM ? -2 : -1);
    return [...this.watched.values()]
      .filter((w) => w.info !== null || clientNumber(w.id) === null)
      .sort((a, b) => rank(a.id) - rank(b.id))
      .map((w) => ({ id: w.id, info: w.info, error: w.error }));
  }

  /** The acting CM with the newest epoch among those that answer. */
  acting(): { id: NodeId; epoch: number } | null {
    const acting = this.rows().flatMap((r) => r.info && !r.error && r.info.state.role === 'cm' && r.info.state.snapshot.role === 'acting'
      ? [{ id: r.id, epoch: r.info.state.snapshot.epoch }] : []);
    return acting.sort((a, b) => b.epoch - a.epoch)[0] ?? null;
  }

  command(id: NodeId, line: string): Promise<Answer> {
    const control = this.watched.get(id)?.control;
    if (!control) return Promise.resolve({ ok: false, lines: [`error: no control link to ${id}`] });
    return control.call((r) => r.command(line), COMMAND_MS, `${id}: ${line}`)
      .catch((e: Error) => ({ ok: false, lines: [`error: ${e.message}`] }));
  }

  async kill(id: NodeId): Promise<void> {
    const control = this.watched.get(id)?.control;
    if (!control) throw new Error(`no control link to ${id}`);
    await control.call((r) => r.kill(), INFO_MS, `kill ${id}`);
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const w of this.watched.values()) w.control?.dispose();
    this.peer.destroy();
  }

  private learn(ids: Iterable<NodeId>): void {
    for (const id of ids) {
      if (this.watched.has(id)) continue;
      this.watched.set(id, { id, link: null, control: null, dialing: false, polling: false, notBefore: 0, misses: 0, info: null, error: 'not reached yet' });
    }
  }

  private round(): void {
    for (const w of this.watched.values()) {
      if (w.control && w.link && !w.link.closed) void this.poll(w);
      else this.dial(w);
    }
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
    try {
      const info = await control.call((r) => r.info(), INFO_MS, 'info');
      w.info = info;
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
