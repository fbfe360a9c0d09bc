// A central-manager node. Two identities exist, cm1 (the primary) and cm2 (the backup); at any
// moment one of them acts (serves the page directory) under an epoch and the other stands by,
// pulsing the acting one. Epochs are fencing tokens: cm1 takes only odd ones and cm2 only even
// ones, so two CMs can never act under the same epoch, and every node obeys the highest it saw.
import { TIMING_DEFAULTS, type ReplicationMode, type Timing } from './config.ts';
import { BACKUP_CM, isCmId, PRIMARY_CM, type NodeId, type PageId } from './ids.ts';
import { unreachable, type Message, type MetaEntry } from './messages.ts';
import { PageDirectory, type DirectoryHost } from './directory.ts';
import { Outbox, type IvyNode, type OpKind, type Ready } from './node.ts';

/**
 * `primary` / `backup`: a fresh cluster's first and second CM. `restartCM`: the primary reboots
 * and asks for its title back (IM_BACK). `restartBackup`: the backup reboots as standby.
 */
export type CmStart = 'primary' | 'backup' | 'restartCM' | 'restartBackup';
export type CmRole = 'acting' | 'standby' | 'rejoining';

/** What a CM persists: enough never to reuse an epoch and to know the members. */
export interface CmDurable {
  epoch: number;
  members: NodeId[];
}

export interface ManagerConfig {
  id?: NodeId;
  start?: CmStart;
  members?: NodeId[];
  replication?: ReplicationMode;
  timing?: Timing;
  durable?: CmDurable;
  now?: number;
  /** False for basic Ivy: no second CM exists, so none is told of takeovers. */
  peerExists?: boolean;
}

export interface ManagerSnapshot {
  id: NodeId;
  role: CmRole;
  epoch: number;
  replication: ReplicationMode;
  members: NodeId[];
  unreported: NodeId[];
  pages: Array<{
    page: PageId;
    owner: NodeId | null;
    copySet: NodeId[];
    version: number;
    active: { kind: OpKind; req: string; requester: NodeId; phase: string } | null;
    queued: string[];
    /** Why the page waits (in transit, lost, reports due), or `mirror` on a standby. */
    note?: string | null;
  }>;
}

export class CentralManager implements IvyNode, DirectoryHost {
  readonly id: NodeId;
  readonly out = new Outbox();
  readonly timing: Timing;
  epoch: number;
  private role: CmRole;
  private readonly replication: ReplicationMode;
  private readonly peerExists: boolean;
  private readonly members: Set<NodeId>;
  private dir: PageDirectory;
  /** The standby's copy of the metadata: streamed changes or periodic snapshots. */
  private mirror = new Map<PageId, MetaEntry>();
  private readonly changedPages = new Set<PageId>();
  private now: number;
  private roleSince: number;
  private lastPulseAt = -Infinity;
  /** When the standby sent its last pulseMissesMax pulses. */
  private pulsesAt: number[] = [];
  private lastActingSeenAt: number;
  /** False until the host's clock is seen: silence is measured from then, not from zero. */
  private clockKnown: boolean;
  private lastAskedAt = -Infinity;
  private standbySeenAt = -Infinity;
  private lastNoticeAt = -Infinity;
  private peerSeen = false;
  private dirty = true;

  constructor(cfg: ManagerConfig = {}) {
    this.id = cfg.id ?? PRIMARY_CM;
    this.timing = cfg.timing ?? TIMING_DEFAULTS;
    this.replication = cfg.replication ?? 'streaming';
    this.peerExists = cfg.peerExists ?? true;
    this.members = new Set([...(cfg.durable?.members ?? []), ...(cfg.members ?? [])]);
    this.now = cfg.now ?? 0;
    this.clockKnown = cfg.now !== undefined;
    this.roleSince = this.now;
    this.lastActingSeenAt = this.now;
    this.epoch = cfg.durable?.epoch ?? 0;
    this.dir = new PageDirectory(this);
    const start = cfg.start ?? (this.id === PRIMARY_CM ? 'primary' : 'backup');
    this.role = 'standby';
    // A fresh cluster's first CM has nobody to ask: nothing was ever written before it.
    if (start === 'primary') this.becomeActing([], cfg.durable === undefined);
    else if (start === 'restartCM') this.rejoin();
  }

  get peer(): NodeId {
    return this.id === PRIMARY_CM ? BACKUP_CM : PRIMARY_CM;
  }

  get currentRole(): CmRole {
    return this.role;
  }

  changed(page: PageId): void {
    this.changedPages.add(page);
  }

  step(m: Message, now: number): void {
    this.advance(now);
    if (m.from === this.peer) this.peerSeen = true;
    if (m.epoch > this.epoch) this.learnEpoch(m.epoch);
    if (m.type === 'CLIENT_REPORT' || m.type === 'READ_REQUEST' || m.type === 'WRITE_REQUEST') this.addMember(m.from);
    if (this.role === 'acting') this.stepActing(m);
    else this.stepStandby(m);
    this.flushChanges();
  }

  /** A higher epoch means another CM acts now (or did): stop acting and follow it. */
  private learnEpoch(epoch: number): void {
    this.epoch = epoch;
    this.dirty = true;
    if (this.role === 'acting') {
      this.out.log('warn', `${this.id} steps down: epoch ${epoch} is newer`);
      this.becomeStandby();
    }
  }

  private addMember(id: NodeId): void {
    if (isCmId(id) || this.members.has(id)) return;
    this.members.add(id);
    this.dirty = true;
  }

  private stepActing(m: Message): void {
    const fromClient = !isCmId(m.from);
    if (!fromClient && m.epoch < this.epoch && m.type !== 'PULSE' && m.type !== 'IM_BACK') {
      // The other CM acts on an older epoch, or missed this one: tell it who acts now.
      this.out.send({ type: 'CHANGE_CM', from: this.id, to: m.from, epoch: this.epoch });
    }
    if (fromClient && m.epoch < this.epoch) {
      // The client follows an older CM: tell it who acts now; its retry will come with the epoch.
      this.dir.askReports([m.from]);
      return;
    }
    switch (m.type) {
      case 'READ_REQUEST': this.dir.request('read', m.page, m.req, m.from, this.now); break;
      case 'WRITE_REQUEST': this.dir.request('write', m.page, m.req, m.from, this.now); break;
      case 'INVALIDATE_CONFIRMATION': this.dir.invalidated(m.page, m.req, m.from, this.now); break;
      case 'READ_CONFIRMATION': this.dir.readConfirmed(m.page, m.req, m.from, this.now); break;
      case 'WRITE_CONFIRMATION': this.dir.writeConfirmed(m.page, m.req, m.from, m.version, this.now); break;
      case 'CLIENT_REPORT': if (this.replication === 'streaming') this.dir.report(m, this.now); break;
      case 'PULSE': this.replyPulse(m.from); break;
      case 'IM_BACK': this.handBack(m.from); break;
      case 'PULSE_REPLY':
      case 'REPLICATE':
      case 'CM_STATE':
      case 'CHANGE_CM':
      case 'READ_FORWARD':
      case 'WRITE_FORWARD':
      case 'PAGE':
      case 'INVALIDATE':
      case 'REQUEST_FAILED':
        this.out.log('warn', `${this.id} (acting) dropped ${m.type} from ${m.from}`);
        break;
      default: unreachable(m);
    }
  }

  private stepStandby(m: Message): void {
    switch (m.type) {
      case 'PULSE_REPLY':
        for (const id of m.members) this.addMember(id);
        if (m.acting && m.epoch >= this.epoch) this.lastActingSeenAt = this.now;
        if (m.meta) this.mirror = new Map(m.meta.map((e) => [e.page, e]));
        break;
      case 'REPLICATE': this.mirror.set(m.entry.page, m.entry); break;
      case 'CM_STATE':
        for (const id of m.members) this.addMember(id);
        for (const e of m.meta) this.mirror.set(e.page, e);
        if (this.role === 'rejoining') this.takeOver();
        break;
      case 'IM_BACK': this.handBack(m.from); break;
      case 'PULSE': this.replyPulse(m.from); break;
      // Only an acting CM sends CHANGE_CM: as good a sign of life as a pulse reply.
      case 'CHANGE_CM': if (m.epoch >= this.epoch) this.lastActingSeenAt = this.now; break;
      default:
        // Requests and answers meant for the acting CM: the client's retries will find it.
        break;
    }
  }

  /**
   * Periodic mode sends the whole metadata with every pulse, as the seed does. Streaming mode
   * sends it once to a standby that was not listening, then streams each change.
   */
  private replyPulse(to: NodeId): void {
    const acting = this.role === 'acting';
    const catchUp = !this.standbyListening();
    this.standbySeenAt = this.now;
    const meta = acting && (this.replication === 'periodic' || catchUp) ? this.metaEntries() : null;
    this.out.send({ type: 'PULSE_REPLY', from: this.id, to, epoch: this.epoch, acting, members: this.memberList(), meta });
  }

  /** The rebooted primary wants its title: step down and give it everything known. */
  private handBack(to: NodeId): void {
    const meta = this.role === 'acting' ? this.metaEntries() : [...this.mirror.values()];
    this.out.send({ type: 'CM_STATE', from: this.id, to, epoch: this.epoch, members: this.memberList(), meta });
    if (this.role === 'acting') this.becomeStandby();
    this.lastActingSeenAt = this.now;
  }

  tick(now: number): void {
    this.advance(now);
    const silentMs = this.timing.pulseIntervalMs * this.timing.pulseMissesMax;
    if (this.role === 'acting') {
      this.dir.tick(now);
      if (this.dir.unreported.size > 0 && now - this.lastAskedAt >= this.timing.cmResendMs) {
        this.lastAskedAt = now;
        this.dir.askReports(this.dir.unreported);
      }
      this.noticePeer(now);
    } else if (this.role === 'rejoining') {
      if (now - this.roleSince >= silentMs) this.takeOver();
      else this.repeat(now, () => this.out.send({ type: 'IM_BACK', from: this.id, to: this.peer, epoch: this.epoch }));
    } else {
      if (now - this.lastPulseAt >= this.timing.pulseIntervalMs) {
        this.lastPulseAt = now;
        this.pulsesAt = [...this.pulsesAt, now].slice(-this.timing.pulseMissesMax);
        this.out.send({ type: 'PULSE', from: this.id, to: this.peer, epoch: this.epoch });
      }
      // Silence counts once that many pulses went out unanswered: a standby starved of CPU may
      // see the time pass without having asked (its host skips only single long stalls).
      const unanswered = this.pulsesAt.filter((t) => t >= this.lastActingSeenAt).length;
      if (now - this.lastActingSeenAt >= silentMs && unanswered >= this.timing.pulseMissesMax) {
        this.out.log('warn', `${this.id} missed ${this.timing.pulseMissesMax} pulses from ${this.peer}: taking over`);
        this.takeOver();
      }
    }
    this.flushChanges();
  }

  ready(): Ready<CmDurable> {
    const r = this.out.drain<CmDurable>();
    if (this.dirty) {
      this.dirty = false;
      r.persist = () => ({ epoch: this.epoch, members: this.memberList() });
    }
    return r;
  }

  private advance(now: number): void {
    if (!this.clockKnown) {
      // A host that gave no start time: count silence from the first moment seen.
      this.clockKnown = true;
      this.roleSince = now;
      this.lastActingSeenAt = now;
    }
    this.now = now;
  }

  /**
   * A peer CM that does not pulse may be down, or may still believe it acts under an older
   * epoch (it missed the takeover): tell it who acts now, once a pulse interval, until it pulses.
   */
  private noticePeer(now: number): void {
    // Only a peer heard from in this life: at a cluster's start the backup may not exist yet.
    if (!this.peerExists || !this.peerSeen || this.standbyListening()) return;
    this.repeat(now, () => this.out.send({ type: 'CHANGE_CM', from: this.id, to: this.peer, epoch: this.epoch }));
  }

  /** Runs `send` at most once a pulse interval: for notices that may be lost on the way. */
  private repeat(now: number, send: () => void): void {
    if (now - this.lastNoticeAt < this.timing.pulseIntervalMs) return;
    this.lastNoticeAt = now;
    send();
  }

  private rejoin(): void {
    this.role = 'rejoining';
    this.roleSince = this.now;
    this.lastNoticeAt = this.now;
    this.out.send({ type: 'IM_BACK', from: this.id, to: this.peer, epoch: this.epoch });
  }

  private takeOver(): void {
    const mirrored = [...this.mirror.values()];
    this.becomeActing(this.replication === 'periodic' ? mirrored : []);
    this.out.log('info', `${this.id} acts as CM, epoch ${this.epoch}`);
  }

  /** Acts under a fresh epoch of its own parity, never used before by anyone. */
  private becomeActing(trusted: MetaEntry[], fresh = false): void {
    const parity = this.id === PRIMARY_CM ? 1 : 0;
    let e = this.epoch + 1;
    if (e % 2 !== parity) e += 1;
    this.epoch = e;
    this.dirty = true;
    this.role = 'acting';
    this.roleSince = this.now;
    this.dir = new PageDirectory(this);
    this.dir.load(trusted);
    if (fresh) return;
    // Owners and copies come only from the clients' reports; until all are in, pages wait.
    if (this.replication === 'streaming') for (const id of this.members) this.dir.unreported.add(id);
    this.lastAskedAt = this.now;
    for (const id of this.members) this.out.send({ type: 'CHANGE_CM', from: this.id, to: id, epoch: this.epoch });
    for (const [page, s] of this.dir.pages) this.mirror.set(page, this.dir.entry(page, s));
  }

  private becomeStandby(): void {
    if (this.role === 'acting') {
      this.mirror = new Map([...this.dir.pages].map(([p, s]) => [p, this.dir.entry(p, s)]));
    }
    this.role = 'standby';
    this.roleSince = this.now;
    this.lastActingSeenAt = this.now;
  }

  /** Streams each metadata change to the standby (streaming mode), after the step that made it. */
  private flushChanges(): void {
    if (this.changedPages.size === 0) return;
    if (this.role === 'acting' && this.replication === 'streaming' && this.standbyListening()) {
      for (const page of this.changedPages) {
        const s = this.dir.pages.get(page);
        if (s) this.out.send({ type: 'REPLICATE', from: this.id, to: this.peer, epoch: this.epoch, entry: this.dir.entry(page, s) });
      }
    }
    this.changedPages.clear();
  }

  private standbyListening(): boolean {
    return this.now - this.standbySeenAt < this.timing.pulseIntervalMs * this.timing.pulseMissesMax;
  }

  private metaEntries(): MetaEntry[] {
    return [...this.dir.pages].map(([p, s]) => this.dir.entry(p, s));
  }

  private memberList(): NodeId[] {
    return [...this.members].sort();
  }

  snapshot(): ManagerSnapshot {
    const acting = this.role === 'acting';
    const pages = acting
      ? [...this.dir.pages.keys()].sort().map((page) => {
        const s = this.dir.page(page);
        const a = s.active;
        const why = this.dir.blockedBy(s);
        return {
          page, owner: s.owner, copySet: [...s.copySet], version: s.version,
          active: a ? { kind: a.kind, req: a.req, requester: a.requester, phase: a.phase } : null,
          queued: s.queue.map((r) => r.req),
          note: s.lostWith ? `lost with ${s.lostWith}` : why === 'busy' ? null : why,
        };
      })
      : [...this.mirror.values()].sort((a, b) => a.page.localeCompare(b.page))
        .map((e) => ({ ...e, copySet: [...e.copySet], active: null, queued: [], note: 'mirror' }));
    return {
      id: this.id, role: this.role, epoch: this.epoch, replication: this.replication,
      members: this.memberList(), unreported: [...this.dir.unreported].sort(), pages,
    };
  }
}
