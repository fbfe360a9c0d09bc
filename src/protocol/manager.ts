// A central-manager node. Two identities exist, cm1 (the primary) and cm2 (the backup); at any
// moment one of them acts (serves the page directory) under an epoch and the other stands by,
// pulsing the acting one. Epochs are fencing tokens: cm1 takes only odd ones and cm2 only even
// ones, so two CMs can never act under the same epoch, and every node obeys the highest it saw.
import { TIMING_DEFAULTS, type ReplicationMode, type Timing } from './config.ts';
import { BACKUP_CM, isCmId, mayActAt, PRIMARY_CM, type NodeId, type PageId, type ReqId } from './ids.ts';
import { CLUSTER_PAGES_MAX, EPOCH_JUMP_MAX, EPOCH_MAX, FRAME_ITEMS_MAX, LIST_LENGTH_MAX, REPLICA_CHARS_PER_FRAME } from './limits.ts';
import { unreachable, type Message, type MessageType, type MetaEntry, type Replica, type Replicate } from './messages.ts';
import { PageDirectory, type DirectoryHost, type PageState } from './directory.ts';
import { Membership } from './membership.ts';
import { Outbox, type IvyNode, type OpKind, type Ready } from './node.ts';
import { replicaEntry, type CmDurable, type DurableEntry } from './durable.ts';
import { assert } from '../util/assert.ts';

/**
 * `primary` / `backup`: a fresh cluster's first and second CM. `restartCM`: the primary reboots
 * and asks for its title back (IM_BACK). `restartBackup`: the backup reboots as standby.
 */
export type CmStart = 'primary' | 'backup' | 'restartCM' | 'restartBackup';
export type CmRole = 'acting' | 'standby' | 'rejoining';

export type { CmDurable } from './durable.ts';

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
  /** Pages whose last acknowledged version this CM keeps a replica of (replicas: 1). */
  replicas: number;
  /** Members the acting CM deems away, and for how long (its clock). */
  away: Array<{ id: NodeId; forMs: number }>;
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

/** What one CM says to the other: from anybody else it is forged or garbled. */
const CM_ONLY: ReadonlySet<MessageType> = new Set(['PULSE', 'PULSE_REPLY', 'IM_BACK', 'CM_STATE', 'CHANGE_CM']);

/**
 * What reply `acked` carried, now that the standby says it got that reply; what older replies
 * carried is dropped unanswered (the standby missed them, and their entries went again since).
 */
function takeAcked<T>(inReply: Map<number, T[]>, acked: number): T[] {
  let taken: T[] = [];
  for (const [seq, items] of inReply) {
    if (seq > acked) continue;
    inReply.delete(seq);
    if (seq === acked) taken = items;
  }
  return taken;
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
  /** The members sorted, as every PULSE_REPLY and CM_STATE lists them; rebuilt when one joins. */
  private sortedMembers: NodeId[] | null = null;
  private readonly membership: Membership;
  private dir: PageDirectory;
  /** The standby's copy of the metadata, from the acting CM's pulse replies. */
  private mirror = new Map<PageId, MetaEntry>();
  /**
   * The standby's copy of whom the acting CM deems away, from its latest reply (ordered by
   * epoch, then number). Only a takeover from that very epoch may use it (see membership.ts).
   */
  private mirrorAway: { epoch: number; seq: number; ids: NodeId[] } | null = null;
  /** While acting (streaming mode): pages changed since the standby was last sent their entry. */
  private readonly unsent = new Set<PageId>();
  /** The next reply to the standby starts its copy over with the whole metadata. */
  private resync = true;
  /** The pages the last reply carried, until the standby says it got that reply (PULSE.acked). */
  private lastSent: { seq: number; pages: PageId[]; full: boolean; replicas: PageId[] } | null = null;
  /** While acting: the last reply the standby said it got, in this epoch. */
  private standbyAcked = 0;
  /**
   * While acting: a standby pulsed in this term, so it may take over with a complete record
   * (PulseReply): grants of pages nobody owns must be on its record first.
   */
  private standbyInTerm = false;
  /** Grants waiting for the standby's record: page -> the request granted. */
  private readonly pendingGrants = new Map<PageId, ReqId>();
  /** The pending grants each reply carried, by reply number, until acknowledged. */
  private readonly grantsInReply = new Map<number, Array<{ page: PageId; req: ReqId }>>();
  /**
   * Replicas of pages' last acknowledged versions (replicas: 1), on both CMs: the acting one
   * keeps what owners send, the standby what the acting one streams. Durable, never dropped.
   */
  private readonly replicas = new Map<PageId, Replica>();
  /** Replicas changed since the last ready(): the durable entries to commit. */
  private readonly replicasChanged = new Set<PageId>();
  /** While acting: replicas not yet sent to the standby. */
  private readonly unsentReplicas = new Set<PageId>();
  /** Acknowledgements of replicas waiting for the standby's record: page -> whom to answer. */
  private readonly pendingAcks = new Map<PageId, { to: NodeId; req: ReqId; version: number }>();
  /** The pending acknowledgements each reply carried, by reply number, until acknowledged. */
  private readonly acksInReply = new Map<number, Array<{ page: PageId; version: number }>>();
  /** A reply carrying pending grants is due (sent at the end of the current step or tick). */
  private urgentDue = false;
  /** While standby: a full reply from this epoch's acting CM reached it, and every reply since. */
  private synced = false;
  /** While standby: the members the acting CM's record may miss, from its latest reply. */
  private mirrorUncertain: NodeId[] = [];
  private now: number;
  private lastPulseAt = -Infinity;
  /**
   * Pulses (or IM_BACKs, while rejoining) sent since the peer last answered. Silence is counted
   * in these, never in time: a standby whose own timers stalled (a long task, a GC pause, a
   * throttled tab) has sent nothing meanwhile, so its stall cannot pass for the peer's silence.
   */
  private unanswered = 0;
  /** The number of the last PULSE_REPLY from the acting CM that reached this standby. */
  private lastReplySeq = 0;
  /** While acting: the newer epoch clients say they follow, until the other CM confirms or denies it. */
  private doubted: number | null = null;
  private lastAskedAt = -Infinity;
  private lastAskedAwayAt = -Infinity;
  private standbySeenAt = -Infinity;
  private lastNoticeAt = -Infinity;
  private peerSeen = false;
  private dirty = true;
  /** The epoch this CM last handed to its disk: a later one must never be lower (ready()). */
  private recordedEpoch: number;

  constructor(cfg: ManagerConfig = {}) {
    this.id = cfg.id ?? PRIMARY_CM;
    this.timing = cfg.timing ?? TIMING_DEFAULTS;
    this.replication = cfg.replication ?? 'streaming';
    this.peerExists = cfg.peerExists ?? true;
    this.members = new Set([...(cfg.durable?.members ?? []), ...(cfg.members ?? [])]);
    this.membership = new Membership(this.timing, this.peerExists);
    this.now = cfg.now ?? 0;
    this.epoch = cfg.durable?.epoch ?? 0;
    this.recordedEpoch = this.epoch;
    for (const r of cfg.durable?.replicas ?? []) this.replicas.set(r.page, r);
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
    // Periodic mode sends everything with every reply; basic Ivy has nobody to send it to.
    if (this.replication === 'streaming' && this.peerExists) this.unsent.add(page);
  }

  grantRecorded(page: PageId, req: ReqId): boolean {
    if (!this.standbyRecordDue()) return true;
    this.pendingGrants.set(page, req);
    this.urgentDue = true;
    return false;
  }

  replica(page: PageId): Replica | undefined {
    return this.replicas.get(page);
  }

  /** Whether what must survive this CM (first grants, replicas) waits for the standby's record. */
  private standbyRecordDue(): boolean {
    return this.replication === 'streaming' && this.peerExists && this.standbyInTerm;
  }

  /**
   * An owner asks this CM to keep a version of its page (replicas: 1). Only the owner on record
   * is heeded: a former owner's or a stranger's copy must never become the page's replica (a
   * member that has not reported yet is its owner on record once it has; it sends again). The
   * answer leaves once the replica is durable here (it has the page's scope) and, with a standby
   * in term, on the standby's record too.
   */
  private onReplicate(m: Replicate): void {
    const s = this.dir.pages.get(m.page);
    if (s?.owner !== m.from) {
      this.out.log('info', `${this.id} kept no replica of ${m.page} v${m.version} from ${m.from}: it is not the page's owner on record`);
      return;
    }
    const had = this.replicas.get(m.page);
    if (had && (m.version < had.version || (m.version === had.version && had.content !== m.content))) {
      // Older than the kept one (a late repeat), or the same version with other content, which
      // no honest owner sends: the kept replica stays.
      this.out.log('warn', `${this.id} kept its replica of ${m.page} v${had.version} over ${m.from}'s v${m.version}`);
      return;
    }
    const ack = { to: m.from, req: m.req, version: m.version };
    if (!had || had.version < m.version) this.keepReplica({ page: m.page, version: m.version, content: m.content });
    if (this.peerExists) this.unsentReplicas.add(m.page);
    if (!this.standbyRecordDue()) {
      this.ackReplica(m.page, ack);
      return;
    }
    // A repeat waits too: this CM cannot tell whether the standby it has now holds the version.
    this.pendingAcks.set(m.page, ack);
    this.urgentDue = true;
  }

  private ackReplica(page: PageId, a: { to: NodeId; req: ReqId; version: number }): void {
    // onReplicate() keeps a version before it owes an answer for it, and replicas are never
    // dropped: an owner told a version is kept that is not would lose it with the owner.
    assert((this.replicas.get(page)?.version ?? -1) >= a.version, () => `${page} v${a.version} acknowledged, not kept`);
    this.out.send({ type: 'REPLICA_ACK', from: this.id, to: a.to, epoch: this.epoch, page, req: a.req, version: a.version });
  }

  /** The standby has every replica sent up to reply `acked`: their owners hear so. */
  private replicasAcked(acked: number): void {
    for (const { page, version } of takeAcked(this.acksInReply, acked)) {
      const a = this.pendingAcks.get(page);
      if (a === undefined || a.version > version) continue;
      this.pendingAcks.delete(page);
      this.ackReplica(page, a);
    }
  }

  /**
   * The operator's word that `id` is gone for good (a console command on the acting CM). A
   * member's pages only it may hold are declared lost; the other CM's record is no longer
   * waited for, so first writes go on without it. Both are the operator's call: a member
   * forgotten while alive and cut off may still serve reads of what it held, and a CM
   * forgotten while alive may take over without the grants made since.
   */
  forget(id: NodeId, now: number): string {
    this.now = now;
    if (this.role !== 'acting') return `error: ${this.id} is not the acting CM; forget ${id} on the acting one`;
    if (id === this.id) return `error: ${this.id} cannot forget itself`;
    if (id === this.peer) {
      this.standbyInTerm = false;
      this.resync = true;
      const waiting = [...this.pendingGrants];
      this.pendingGrants.clear();
      this.grantsInReply.clear();
      for (const [page, req] of waiting) this.dir.recordedGrant(page, req, now);
      for (const [page, a] of this.pendingAcks) this.ackReplica(page, a);
      this.pendingAcks.clear();
      this.acksInReply.clear();
      this.out.log('warn', `${this.id} forgets ${id}: first writes no longer wait for its record`);
      return `forgot ${id}: first writes no longer wait for its record (until it pulses again); if it is alive and cut off, it may take over without them`;
    }
    if (!this.members.has(id)) return `error: ${id} is not a member of this cluster`;
    const lost = this.dir.forget(id, now);
    this.members.delete(id);
    this.sortedMembers = null;
    this.membership.forget(id);
    this.dirty = true;
    const back = lost.filter((p) => this.replicas.has(p));
    const gone = lost.filter((p) => !this.replicas.has(p));
    const said: string[] = [];
    if (back.length > 0) said.push(`back from their replicas: ${back.join(', ')}`);
    if (gone.length > 0) said.push(`declared lost: ${gone.join(', ')}`);
    const pages = said.length === 0 ? 'no page was only its' : said.join('; ');
    this.out.log('warn', `${this.id} forgets ${id} at the operator's word: ${pages}`);
    const cost = gone.length > 0 ? '; a read of a lost page fails, a write starts it over' : '';
    return `forgot ${id}: ${pages}${cost}`;
  }

  /** The standby got reply `acked`: the grants it carried may go out. */
  private grantsAcked(acked: number): void {
    for (const { page, req } of takeAcked(this.grantsInReply, acked)) {
      // A grant since started anew (another request) waits for a reply that names its grantee.
      if (this.pendingGrants.get(page) !== req) continue;
      this.pendingGrants.delete(page);
      this.dir.recordedGrant(page, req, this.now);
    }
  }

  /** Sends a reply at once when grants wait for the standby's record, unless one is on its way. */
  private flushUrgent(): void {
    if (!this.urgentDue) return;
    if (this.role !== 'acting' || (this.pendingGrants.size === 0 && this.pendingAcks.size === 0)) {
      this.urgentDue = false;
      return;
    }
    // A full reply on its way is acknowledged at once (see mirrorReply): the grants go with the
    // reply sent when that acknowledgement arrives.
    if (this.lastSent?.full === true && this.lastSent.seq !== this.standbyAcked) return;
    this.urgentDue = false;
    this.replyPulse(this.peer, this.standbyAcked);
  }
  step(m: Message, now: number): void {
    this.now = now;
    if (CM_ONLY.has(m.type) && m.from !== this.peer) {
      this.out.log('warn', `${this.id} dropped ${m.type} from ${m.from}: only the other CM sends it`);
      return;
    }
    if (m.from === this.peer) this.peerSeen = true;
    // Only the other CM can tell of a newer epoch: a client's word for it (a bug, a forged or
    // garbled frame) must not make a healthy CM step down.
    if (m.from === this.peer && m.epoch > this.epoch) this.learnEpoch(m.epoch);
    if (m.type === 'CLIENT_REPORT' || m.type === 'READ_REQUEST' || m.type === 'WRITE_REQUEST') this.addMember(m.from);
    if (this.role === 'acting' && !isCmId(m.from)) this.heardFrom(m.from);
    if (this.role === 'acting') this.stepActing(m);
    else this.stepStandby(m);
    this.flushUrgent();
  }

  /**
   * A client follows a newer epoch than this acting CM's. Only the other CM may say so (a
   * client's frame could be forged or garbled), so it is asked: if it acts at that epoch, its
   * answer makes this CM step down; if it answers that it does not act, the doubt is over; if
   * it stays silent for pulseMissesMax pulses, it is gone, and this CM takes over above the
   * epoch the clients follow so that they follow it again. Claims more than EPOCH_JUMP_MAX
   * ahead are not believed at all: a takeover could not have happened unseen that often.
   */
  private doubt(client: NodeId, epoch: number): void {
    if (epoch > this.epoch + EPOCH_JUMP_MAX) {
      this.out.log('warn', `${this.id} ignored epoch ${epoch} from ${client}: far beyond its own ${this.epoch}`);
      return;
    }
    if (this.doubted === null) this.out.log('info', `${this.id} asks ${this.peer} whether it acts: ${client} follows epoch ${epoch}`);
    this.doubted = Math.max(this.doubted ?? 0, epoch);
  }

  /** The other CM answered a pulse sent in doubt: it acts (its epoch, newer, deposes this CM) or not. */
  private settleDoubt(peerActs: boolean): void {
    if (this.doubted === null || this.role !== 'acting') return;
    if (!peerActs) this.doubted = null;
    this.unanswered = 0;
  }

  /** Pulses the other CM while in doubt; takes over above the doubted epoch once it is silent. */
  private pulseInDoubt(now: number): void {
    if (this.doubted === null || now < this.lastPulseAt + this.timing.pulseIntervalMs) return;
    this.lastPulseAt = now;
    if (this.unanswered < this.timing.pulseMissesMax) {
      this.unanswered += 1;
      this.out.send({ type: 'PULSE', from: this.id, to: this.peer, epoch: this.epoch, acked: 0, ack: false });
      return;
    }
    this.out.log('warn', `${this.id} heard nothing from ${this.peer}, which clients follow at epoch ${this.doubted}: acting above it`);
    this.epoch = Math.max(this.epoch, this.doubted);
    this.doubted = null;
    this.takeOver();
  }

  /** A higher epoch means another CM acts now (or did): stop acting and follow it. */
  private learnEpoch(epoch: number): void {
    assert(epoch > this.epoch, () => `${this.id} learns epoch ${epoch} at ${this.epoch}`);
    this.epoch = epoch;
    this.dirty = true;
    // Reply numbers and records belong to one epoch's acting CM.
    this.lastReplySeq = 0;
    this.synced = false;
    if (this.role === 'acting') {
      this.out.log('warn', `${this.id} steps down: epoch ${epoch} is newer`);
      this.becomeStandby();
    }
  }

  private addMember(id: NodeId): void {
    if (isCmId(id) || this.members.has(id)) return;
    this.members.add(id);
    this.sortedMembers = null;
    this.membership.heard(id, this.now);
    this.dirty = true;
  }

  /**
   * The acting CM lists every member it has (it adds each one it hears from): one it no longer
   * lists was forgotten by the operator, and a takeover must not wait for it either.
   */
  private dropForgotten(listed: readonly NodeId[]): void {
    if (listed.length === this.members.size) return;
    const keep = new Set(listed);
    for (const id of this.members) {
      if (keep.has(id)) continue;
      this.members.delete(id);
      this.sortedMembers = null;
      this.dirty = true;
    }
  }

  /** A sign of life from a client; one deemed away is back, and asked what it holds now. */
  private heardFrom(id: NodeId): void {
    if (!this.members.has(id)) return;
    this.membership.heard(id, this.now);
    if (this.dir.away.has(id)) {
      this.dir.memberBack(id);
      this.membership.cameBack(id);
      this.dir.askReports([id]);
    }
  }

  /**
   * Renews a member's lease, if this CM may grant one (see membership.ts) and the member has
   * told it what it holds: a copy this CM does not know of must not be covered by its lease.
   */
  private onLease(from: NodeId, n: number): void {
    if (!this.members.has(from) || this.dir.unreported.has(from) || this.dir.away.has(from) || this.dir.returning.has(from)) {
      this.dir.askReports([from]);
      return;
    }
    this.membership.lastBeat.set(from, n);
    this.grant(from, n);
  }

  /**
   * Answers heartbeat `n` with a lease, or with 0 ms where none may be given (no word from a
   * standby in time, or a member whose return the standby has not heard of): the answer still
   * says this CM acts, or a client that hears nothing looks for the other CM.
   */
  private grant(to: NodeId, n: number): void {
    const ms = this.membership.mayGrant(this.now) && this.membership.mayGrantTo(to) ? this.timing.leaseMs : 0;
    this.out.send({ type: 'LEASE_GRANT', from: this.id, to, epoch: this.epoch, n, ms });
  }

  /**
   * The standby acknowledged a pulse reply. When that gives back the right to grant leases,
   * the last heartbeat of every member in good standing is answered now rather than at its
   * next one (a grant counts from the heartbeat's send time, so a late one is only shorter).
   */
  private onPulseAck(acked: number): void {
    if (!this.membership.acked(acked, this.now)) return;
    for (const [id, n] of this.membership.lastBeat) {
      // Only leases go out here: a member that may have none was answered at its heartbeat.
      const standing = !this.dir.unreported.has(id) && !this.dir.away.has(id) && !this.dir.returning.has(id);
      if (standing && this.membership.mayGrantTo(id)) this.grant(id, n);
    }
  }

  private stepActing(m: Message): void {
    const fromClient = !isCmId(m.from);
    if (!fromClient && m.epoch < this.epoch && m.type !== 'PULSE' && m.type !== 'IM_BACK') {
      // The other CM acts on an older epoch, or missed this one: tell it who acts now.
      this.out.send({ type: 'CHANGE_CM', from: this.id, to: m.from, epoch: this.epoch, ask: 0 });
    }
    if (fromClient && m.epoch < this.epoch) {
      // The client follows an older CM: tell it who acts now; its retry will come with the epoch.
      this.dir.askReports([m.from]);
      return;
    }
    if (fromClient && m.epoch > this.epoch) this.doubt(m.from, m.epoch);
    switch (m.type) {
      case 'READ_REQUEST':
        this.dir.request('read', m.page, m.req, m.from, this.now);
        break;
      case 'WRITE_REQUEST':
        this.dir.request('write', m.page, m.req, m.from, this.now);
        break;
      case 'INVALIDATE_CONFIRMATION':
        this.dir.invalidated(m.page, m.req, m.from, this.now);
        break;
      case 'READ_CONFIRMATION':
        this.dir.readConfirmed(m.page, m.req, m.from, this.now);
        break;
      case 'WRITE_CONFIRMATION':
        this.dir.writeConfirmed(m.page, m.req, m.from, m.version, this.now);
        break;
      case 'CLIENT_REPORT':
        if (this.replication === 'streaming') this.dir.report(m, this.now);
        break;
      case 'REPLICATE':
        this.onReplicate(m);
        break;
      case 'LEASE':
        this.onLease(m.from, m.n);
        break;
      case 'PULSE': {
        // Reply numbers count this epoch's replies: a standby on an older epoch acks none of them.
        const acked = m.epoch === this.epoch ? m.acked : 0;
        if (!this.standbyInTerm) this.resync = true;
        this.standbyInTerm = true;
        this.standbyAcked = acked;
        this.onPulseAck(acked);
        this.grantsAcked(acked);
        this.replicasAcked(acked);
        if (!m.ack) this.replyPulse(m.from, acked);
        break;
      }
      case 'IM_BACK':
        this.handBack(m.from);
        break;
      case 'PULSE_REPLY':
        this.settleDoubt(m.acting);
        break;
      case 'CM_STATE':
        // The answer to an IM_BACK this CM sent before it took over after all: nothing to take.
        this.out.log('info', `${this.id} acts already: the CM_STATE ${m.from} sent it comes too late to matter`);
        break;
      case 'LEASE_GRANT':
      case 'CHANGE_CM':
      case 'READ_FORWARD':
      case 'WRITE_FORWARD':
      case 'PAGE':
      case 'INVALIDATE':
      case 'REQUEST_FAILED':
      case 'REPLICA_ACK':
        this.out.log('warn', `${this.id} (acting) dropped ${m.type} from ${m.from}`);
        break;
      default:
        unreachable(m);
    }
  }

  private stepStandby(m: Message): void {
    switch (m.type) {
      case 'PULSE_REPLY':
        for (const id of m.members) this.addMember(id);
        if (m.acting && m.epoch >= this.epoch) {
          this.dropForgotten(m.members);
          this.mirrorReply(m);
        }
        break;
      case 'CM_STATE':
        for (const id of m.members) this.addMember(id);
        for (const e of m.meta) this.mirror.set(e.page, e);
        this.keepReplicas(m.replicas);
        this.synced = m.complete;
        this.mirrorUncertain = m.uncertain;
        if (this.role === 'rejoining') this.takeOver();
        break;
      case 'IM_BACK':
        this.handBack(m.from);
        break;
      case 'PULSE':
        if (!m.ack) this.replyPulse(m.from, m.acked);
        break;
      default:
        // Requests and answers meant for the acting CM: the client's retries will find it.
        break;
    }
  }

  /**
   * Applies the acting CM's reply to the standby's copy. Replies apply in order of their
   * numbers (a late one is superseded), and increments only on top of a full one: until one
   * came, the reply goes unacknowledged, so the acting CM starts over with a full one.
   */
  private mirrorReply(m: Extract<Message, { type: 'PULSE_REPLY' }>): void {
    this.unanswered = 0;
    if (m.seq <= this.lastReplySeq) return;
    const had = this.mirrorAway;
    if (!had || m.epoch > had.epoch || (m.epoch === had.epoch && m.seq > had.seq)) {
      this.mirrorAway = { epoch: m.epoch, seq: m.seq, ids: m.away };
    }
    if (!m.full && !this.synced) return;
    this.lastReplySeq = m.seq;
    if (m.full) {
      this.mirror = new Map();
      this.synced = true;
    }
    for (const e of m.meta) this.mirror.set(e.page, e);
    this.keepReplicas(m.replicas);
    this.mirrorUncertain = m.uncertain;
    // Grants wait for this record (or for the full copy they build on): say at once it arrived.
    if (m.urgent || (m.full && this.replication === 'streaming'))
      this.out.send({ type: 'PULSE', from: this.id, to: this.peer, epoch: this.epoch, acked: m.seq, ack: true });
  }

  /**
   * Keeps the other CM's replicas that are newer than its own. A page's versions only grow, so
   * the newer is the later: none is ever dropped. Committed before the acknowledging pulse leaves
   * (a pulse depends on every pending change).
   */
  private keepReplicas(replicas: readonly Replica[]): void {
    for (const r of replicas) {
      const had = this.replicas.get(r.page);
      if (had && had.version >= r.version) continue;
      if (!had && this.replicas.size >= CLUSTER_PAGES_MAX) continue;
      this.keepReplica(r);
    }
  }

  /**
   * Both callers keep only a newer version: a replica going back would bring an older value back
   * after a newer one was acknowledged, should its owner be forgotten.
   */
  private keepReplica(r: Replica): void {
    const had = this.replicas.get(r.page);
    assert(!had || had.version < r.version, () => `the replica of ${r.page} goes from v${had?.version} to v${r.version}`);
    this.replicas.set(r.page, r);
    this.replicasChanged.add(r.page);
  }

  /**
   * Answers a pulse. An acting CM replicates its metadata on the reply: periodic mode sends the
   * whole of it every time, as the seed does; streaming mode sends it whole to a standby that was
   * not listening, and otherwise the entries changed since the last reply, so replication costs
   * no message of its own. `acked` is the last reply the standby got: if that is not the last
   * one sent (lost, or still on its way), that reply's entries go again.
   */
  private replyPulse(to: NodeId, acked: number): void {
    const acting = this.role === 'acting';
    if (acting && this.replication === 'periodic') {
      // A new round once the last one has gone out whole (it takes more than one reply only
      // when the metadata is larger than a frame).
      if (this.unsent.size === 0) this.resync = true;
    } else if (acting) {
      this.resendUnacked(acked);
      // A standby that was not listening, or has nothing of this epoch (it restarted, or took
      // no full reply yet), starts over.
      if (!this.standbyListening() || acked === 0) this.resync = true;
    }
    this.standbySeenAt = this.now;
    const seq = this.membership.nextReply(this.now);
    const { meta, full, replicas } = acting ? this.mirrorUpdate(seq) : { meta: [], full: false, replicas: [] };
    const away = acting ? [...this.dir.away.keys()].sort() : [];
    const uncertain = acting ? [...this.dir.uncertain].sort() : [];
    const urgent = this.grantsInReply.has(seq) || this.acksInReply.has(seq);
    const members = this.memberList();
    const reply = { from: this.id, to, epoch: this.epoch, seq, acting, members, away, meta, full, uncertain, urgent, replicas };
    this.out.send({ type: 'PULSE_REPLY', ...reply });
  }

  /** Puts the last reply's entries back to be sent, unless the standby says it got that reply. */
  private resendUnacked(acked: number): void {
    const last = this.lastSent;
    this.lastSent = null;
    if (!last || last.seq === acked) return;
    for (const page of last.pages) this.unsent.add(page);
    for (const page of last.replicas) this.unsentReplicas.add(page);
    if (last.full) this.resync = true;
  }

  /**
   * The entries for the reply numbered `seq`: the pages not sent since they changed (all of
   * them when starting over), as many as one frame holds (limits.ts); the rest wait.
   */
  private mirrorUpdate(seq: number): { meta: MetaEntry[]; full: boolean; replicas: Replica[] } {
    const full = this.resync;
    this.resync = false;
    if (full) {
      this.unsent.clear();
      for (const page of this.dir.pages.keys()) this.unsent.add(page);
      for (const page of this.replicas.keys()) this.unsentReplicas.add(page);
    }
    const meta: MetaEntry[] = [];
    const granted: Array<{ page: PageId; req: ReqId }> = [];
    let items = this.memberList().length + this.dir.away.size + this.dir.uncertain.size;
    for (const page of this.unsent) {
      const s = this.dir.pages.get(page);
      if (s) {
        const cost = 1 + s.copySet.length;
        if (meta.length === LIST_LENGTH_MAX || items + cost > FRAME_ITEMS_MAX) break;
        items += cost;
        const e = this.metaEntry(page, s);
        meta.push(e);
        const req = this.pendingGrants.get(page);
        if (req !== undefined && s.active?.req === req && e.owner === s.active.requester) granted.push({ page, req });
      }
      this.unsent.delete(page);
    }
    if (granted.length > 0) this.grantsInReply.set(seq, granted);
    const replicas = this.replicasUpdate(seq);
    this.lastSent = { seq, pages: meta.map((e) => e.page), full, replicas: replicas.map((r) => r.page) };
    return { meta, full, replicas };
  }

  /** The replicas for reply `seq`: those not sent since they changed, as much content as a frame takes. */
  private replicasUpdate(seq: number): Replica[] {
    const out: Replica[] = [];
    const acks: Array<{ page: PageId; version: number }> = [];
    let chars = 0;
    for (const page of this.unsentReplicas) {
      const r = this.replicas.get(page);
      if (r) {
        const size = r.content?.length ?? 0;
        if (out.length === LIST_LENGTH_MAX || (out.length > 0 && chars + size > REPLICA_CHARS_PER_FRAME)) break;
        chars += size;
        out.push(r);
        if (this.pendingAcks.has(page)) acks.push({ page, version: r.version });
      }
      this.unsentReplicas.delete(page);
    }
    if (acks.length > 0) this.acksInReply.set(seq, acks);
    return out;
  }

  /** The rebooted primary wants its title: step down and give it everything known. */
  private handBack(to: NodeId): void {
    const acting = this.role === 'acting';
    const meta = acting ? this.metaEntries() : [...this.mirror.values()];
    const complete = acting || this.synced;
    const uncertain = acting ? [...this.dir.uncertain].sort() : this.mirrorUncertain;
    const replicas = this.replicasFitting();
    const state = { from: this.id, to, epoch: this.epoch, members: this.memberList(), meta, complete, uncertain, replicas };
    this.out.send({ type: 'CM_STATE', ...state });
    if (this.role === 'acting') this.becomeStandby();
    this.unanswered = 0;
  }

  /**
   * Every replica, newest versions first, as much content as one frame takes: a rebooted CM has
   * its own replicas on disk, and this brings it those kept while it was down.
   */
  private replicasFitting(): Replica[] {
    const out: Replica[] = [];
    let chars = 0;
    for (const r of [...this.replicas.values()].sort((a, b) => b.version - a.version)) {
      chars += r.content?.length ?? 0;
      if (out.length > 0 && chars > REPLICA_CHARS_PER_FRAME) break;
      out.push(r);
    }
    return out;
  }

  tick(now: number): void {
    this.now = now;
    if (this.role === 'acting') {
      for (const id of this.membership.silent(now, (m) => this.dir.away.has(m))) this.dir.memberAway(id, now);
      this.dir.tick(now);
      if (this.dir.unreported.size > 0 && now >= this.lastAskedAt + this.timing.cmResendMs) {
        this.lastAskedAt = now;
        this.dir.askReports(this.dir.unreported);
      }
      // A member back from away may heartbeat a CM that is gone and never run an operation: it
      // would never hear of this one. Once a lease, it is told who acts now.
      if (this.dir.away.size > 0 && now >= this.lastAskedAwayAt + this.timing.leaseMs) {
        this.lastAskedAwayAt = now;
        this.dir.askReports(this.dir.away.keys());
      }
      this.noticePeer(now);
      this.pulseInDoubt(now);
    } else if (now >= this.lastPulseAt + this.timing.pulseIntervalMs) {
      this.lastPulseAt = now;
      const asking = this.role === 'rejoining' ? 'IM_BACK' : 'PULSE';
      if (this.unanswered >= this.timing.pulseMissesMax) {
        this.out.log('warn', `${this.id} sent ${this.unanswered} ${asking}s to ${this.peer} without an answer: taking over`);
        this.takeOver();
      } else {
        this.unanswered += 1;
        if (asking === 'PULSE')
          this.out.send({ type: 'PULSE', from: this.id, to: this.peer, epoch: this.epoch, acked: this.lastReplySeq, ack: false });
        else this.out.send({ type: 'IM_BACK', from: this.id, to: this.peer, epoch: this.epoch });
      }
    }
    this.flushUrgent();
  }

  nextDeadline(): number {
    const t = this.timing;
    if (this.role !== 'acting') return this.lastPulseAt + t.pulseIntervalMs;
    let due = Math.min(this.dir.nextDeadline(), this.membership.nextSilence());
    if (this.dir.unreported.size > 0) due = Math.min(due, this.lastAskedAt + t.cmResendMs);
    if (this.dir.away.size > 0) due = Math.min(due, this.lastAskedAwayAt + t.leaseMs);
    // noticePeer: once the standby has been silent a while, a notice every pulse interval.
    if (this.peerExists && this.peerSeen)
      due = Math.min(due, Math.max(this.standbySeenAt + this.listeningMs(), this.lastNoticeAt + t.pulseIntervalMs));
    if (this.doubted !== null) due = Math.min(due, this.lastPulseAt + t.pulseIntervalMs);
    return due;
  }

  ready(): Ready {
    const r = this.out.drain();
    const changes: DurableEntry[] = [];
    if (this.dirty) {
      this.dirty = false;
      // Epochs only grow (learnEpoch, becomeActing): a restart from a lower one could act again
      // under an epoch it already used.
      assert(this.epoch >= this.recordedEpoch, () => `${this.id} records epoch ${this.epoch} after ${this.recordedEpoch}`);
      this.recordedEpoch = this.epoch;
      changes.push(this.identityEntry());
    }
    for (const page of this.replicasChanged) changes.push(replicaEntry(page, this.replicas.get(page)));
    this.replicasChanged.clear();
    if (changes.length > 0) r.changes = changes;
    return r;
  }

  durableEntries(): DurableEntry[] {
    return [this.identityEntry(), ...[...this.replicas].map(([page, r]) => replicaEntry(page, r))];
  }

  private identityEntry(): DurableEntry {
    return { kind: 'cm', epoch: this.epoch, members: this.memberList() };
  }

  /**
   * A peer CM that does not pulse may be down, or may still believe it acts under an older
   * epoch (it missed the takeover): tell it who acts now, once a pulse interval, until it pulses.
   */
  private noticePeer(now: number): void {
    // Only a peer heard from in this life: at a cluster's start the backup may not exist yet.
    if (!this.peerExists || !this.peerSeen || this.standbyListening()) return;
    this.repeat(now, () => this.out.send({ type: 'CHANGE_CM', from: this.id, to: this.peer, epoch: this.epoch, ask: 0 }));
  }

  /** Runs `send` at most once a pulse interval: for notices that may be lost on the way. */
  private repeat(now: number, send: () => void): void {
    if (now < this.lastNoticeAt + this.timing.pulseIntervalMs) return;
    this.lastNoticeAt = now;
    send();
  }

  private rejoin(): void {
    this.role = 'rejoining';
    this.lastPulseAt = this.now;
    this.unanswered = 1;
    this.out.send({ type: 'IM_BACK', from: this.id, to: this.peer, epoch: this.epoch });
  }

  private takeOver(): void {
    const mirrored = [...this.mirror.values()];
    const complete = this.role !== 'acting' && this.synced;
    this.becomeActing(this.replication === 'periodic' ? mirrored : [], false, complete);
    const record = complete
      ? this.mirrorUncertain.length > 0
        ? `its record misses what ${this.mirrorUncertain.join(', ')} hold`
        : 'with a full record'
      : 'without a full record: pages nobody claims wait for every member';
    this.out.log('info', `${this.id} acts as CM, epoch ${this.epoch}, ${record}`);
  }

  /** Acts under a fresh epoch of its own parity, never used before by anyone. */
  private becomeActing(trusted: MetaEntry[], fresh = false, complete = false): void {
    // Whom the CM this one replaces deemed away, if this one followed it to the end as standby.
    const inherited = this.role === 'standby' && this.mirrorAway?.epoch === this.epoch ? this.mirrorAway.ids : [];
    this.mirrorAway = null;
    const parity = this.id === PRIMARY_CM ? 1 : 0;
    let e = this.epoch + 1;
    if (e % 2 !== parity) e += 1;
    if (e > EPOCH_MAX) {
      // Unreachable by takeovers alone (see limits.ts); refuse rather than share an epoch.
      this.out.log('error', `${this.id} cannot act: epoch ${e} would pass the limit ${EPOCH_MAX}`);
      return;
    }
    // Fencing rests on this: a fresh epoch above any this CM saw, of its own parity, so no other
    // CM acts (or acted) under it.
    assert(e > this.epoch && mayActAt(this.id, e), () => `${this.id} would act under epoch ${e} after ${this.epoch}`);
    this.epoch = e;
    this.dirty = true;
    this.role = 'acting';
    this.unanswered = 0;
    this.doubted = null;
    this.membership.startActing(this.members, this.now);
    this.dir = new PageDirectory(this);
    this.dir.load(trusted);
    this.unsent.clear();
    this.lastSent = null;
    this.resync = true;
    this.standbyAcked = 0;
    this.standbyInTerm = false;
    this.pendingGrants.clear();
    this.grantsInReply.clear();
    this.pendingAcks.clear();
    this.acksInReply.clear();
    this.unsentReplicas.clear();
    if (fresh) return;
    // Owners and copies come only from the clients' reports; until all are in, pages the record
    // names (or, without a full record, any page nobody claims) wait for them.
    if (this.replication === 'streaming') {
      for (const id of this.members) this.dir.unreported.add(id);
      this.dir.loadRecord(this.mirror.values());
      for (const id of complete ? this.mirrorUncertain : this.members) if (this.members.has(id)) this.dir.uncertain.add(id);
      // Their leases ran out before this takeover and were not renewed since (membership.ts):
      // their copies count for nothing, and pages only they may hold wait for them as away.
      for (const id of inherited)
        if (this.members.has(id)) this.dir.memberAway(id, this.now, `${this.peer} deemed it away before this takeover`);
    }
    this.lastAskedAt = this.now;
    this.dir.askReports(this.members);
    for (const [page, s] of this.dir.pages) this.mirror.set(page, this.metaEntry(page, s));
  }

  private becomeStandby(): void {
    if (this.role === 'acting') {
      this.mirror = new Map([...this.dir.pages].map(([p, s]) => [p, this.metaEntry(p, s)]));
    }
    this.synced = false;
    this.unsent.clear();
    this.unsentReplicas.clear();
    // Owners send again to the CM that acts now, which answers once it keeps their replicas.
    this.pendingAcks.clear();
    this.acksInReply.clear();
    this.lastSent = null;
    this.mirrorAway = null;
    this.role = 'standby';
    this.unanswered = 0;
    this.doubted = null;
    this.lastPulseAt = this.now;
  }

  private standbyListening(): boolean {
    return this.now < this.standbySeenAt + this.listeningMs();
  }

  /** How long after its last pulse the standby counts as listening. */
  private listeningMs(): number {
    return this.timing.pulseIntervalMs * this.timing.pulseMissesMax;
  }

  private metaEntries(): MetaEntry[] {
    return [...this.dir.pages].map(([p, s]) => this.metaEntry(p, s));
  }

  /** A page's entry as replicated: periodic mode trusts it whole, streaming mode names holders. */
  private metaEntry(page: PageId, s: PageState): MetaEntry {
    return this.replication === 'periodic' ? this.dir.entry(page, s) : this.dir.recordEntry(page, s);
  }

  /** Shared by the messages and durable states that carry it: never changed, only replaced. */
  private memberList(): NodeId[] {
    this.sortedMembers ??= [...this.members].sort();
    return this.sortedMembers;
  }

  snapshot(): ManagerSnapshot {
    const acting = this.role === 'acting';
    const pages = acting
      ? [...this.dir.pages.keys()].sort().map((page) => {
          const s = this.dir.page(page);
          const a = s.active;
          const why = this.dir.blockedBy(page, s);
          return {
            page,
            owner: s.owner,
            copySet: [...s.copySet],
            version: s.version,
            active: a ? { kind: a.kind, req: a.req, requester: a.requester, phase: a.phase } : null,
            queued: s.queue.map((r) => r.req),
            note: s.lostWith ? `lost with ${s.lostWith}` : why === 'busy' ? null : why,
          };
        })
      : // Field by field, and pages in code-unit order as the acting branch sorts them: a spread
        // and localeCompare made a standby's snapshot cost four times an acting CM's, and the
        // simulator takes one after every delivery.
        [...this.mirror.values()]
          .sort((a, b) => (a.page < b.page ? -1 : a.page > b.page ? 1 : 0))
          .map((e) => ({
            page: e.page,
            owner: e.owner,
            copySet: [...e.copySet],
            version: e.version,
            active: null,
            queued: [],
            note: 'mirror',
          }));
    return {
      id: this.id,
      role: this.role,
      epoch: this.epoch,
      replication: this.replication,
      members: this.memberList(),
      unreported: [...this.dir.unreported].sort(),
      replicas: this.replicas.size,
      away: acting
        ? [...this.dir.away].sort(([a], [b]) => a.localeCompare(b)).map(([id, since]) => ({ id, forMs: Math.max(0, this.now - since) }))
        : [],
      pages,
    };
  }
}
