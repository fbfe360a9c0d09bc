// The acting CM's page directory: per page the owner, the copy set, a queue that serialises the
// requests for that page, and the one request being served. Pages proceed in parallel.
//
// After a takeover the directory is rebuilt from what the clients themselves report (their
// page tables, their requests in flight, the ownership they handed on), because the clients'
// tables are the truth about where data is. A page nobody claims may still be held by a member
// that has not reported: the one the standby's record names (see PulseReply: the record names
// every member that may hold a page, because a page nobody owns is granted only once the standby
// has it on record, and every other move is a handoff its sender stores), or, where the record
// is incomplete, any member it may miss (`uncertain`). Such a page waits for them while they
// have not reported and fails naming them once they are away; every other page is served. Every
// write also invalidates the silent members, who may hold read copies.
import type { Timing } from './config.ts';
import { parseReqId, type NodeId, type PageId, type ReqId } from './ids.ts';
import { CLUSTER_PAGES_MAX, QUEUE_LENGTH_MAX } from './limits.ts';
import type { ClientReport, Handoff, HeldPage, MetaEntry, Replica } from './messages.ts';
import type { OpKind, Outbox } from './node.ts';
import { assert } from '../util/assert.ts';
import { mark } from '../util/marks.ts';

/** Says, in a page's failure, that the page may be anywhere a vanished member was (see uncertain). */
export const INCOMPLETE_RECORD = 'which took over without a full record';

interface Request {
  kind: OpKind;
  req: ReqId;
  requester: NodeId;
  since: number;
}

interface Active extends Request {
  /** `recording`: a grant of a page nobody owns, waiting for the standby to have it on record. */
  phase: 'invalidating' | 'recording' | 'forwarded';
  /** Holders whose INVALIDATE_CONFIRMATION is still due. */
  awaiting: NodeId[];
  lastSentAt: number;
  attempts: number;
  /** This grant is on the standby's record (repeats of it need no new one). */
  recorded?: boolean;
}

/** A handoff reported by its sender `from`, last re-driven at `nudgedAt`. */
interface Transit extends Handoff {
  from: NodeId;
  nudgedAt?: number;
  /**
   * Its receiver reported holding neither the page nor a later handoff of it: the page has not
   * arrived (yet), so its latest copy is the sender's ghost.
   */
  disclaimed?: boolean;
  /**
   * The CM inferred it (a forward to a requester that went away), no sender reported it: the
   * sender may never have handed the page on.
   */
  inferred?: boolean;
}

export interface PageState {
  /** Null when nobody owns it: never written, in transit, or lost. */
  owner: NodeId | null;
  /** Read-copy holders other than the owner, sorted. */
  copySet: NodeId[];
  version: number;
  /** Ownership handed on but not yet claimed by its recipient: wait for the claim. */
  transit: Transit | null;
  /** The member whose crash took the only copy. */
  lostWith: NodeId | null;
  /**
   * The member the record this CM took over names as the page's holder, until it reports (it
   * then claims the page, reports handing it on, or holds nothing of it).
   */
  recorded: NodeId | null;
  /**
   * The last ask (CHANGE_CM.ask) sent before the page's owner or transfer last changed: a report
   * that answers no later ask may have been written before that change, so what it says of the
   * page's ownership is not taken (the member is asked again).
   */
  movedAt: number;
  /** The member whose report on the page was set aside as older than its last move: asked again. */
  refreshing: NodeId | null;
  /**
   * Members that claimed the page while another was on record as its owner: their claims were
   * set aside. Honest members never claim one page at once (a handoff is stored before it
   * leaves), so a rival is a forged or garbled claim, but it is asked again before the page is
   * ever declared lost.
   */
  rivals: NodeId[];
  /** The owner on record disowned the page: the rivals are asked, `for` is lost if none claims it. */
  seeking: { for: NodeId; ask: NodeId[] } | null;
  active: Active | null;
  queue: Request[];
}

export interface DirectoryHost {
  readonly id: NodeId;
  readonly epoch: number;
  readonly out: Outbox;
  readonly timing: Timing;
  /** Called for each page whose metadata changed (the CM streams it to the standby). */
  changed(page: PageId): void;
  /**
   * Whether a grant of `page` for request `req` needs no record on the standby: a page nobody
   * owns is granted only once it has one. False starts the recording; recordedGrant() follows.
   */
  grantRecorded(page: PageId, req: ReqId): boolean;
  /** The CM's replica of the page's last acknowledged version (replicas: 1), if it keeps one. */
  replica(page: PageId): Replica | undefined;
}

export class PageDirectory {
  readonly pages = new Map<PageId, PageState>();
  /** Members that have not reported to this epoch's CM yet. */
  readonly unreported = new Set<NodeId>();
  /** Members deemed away (silent past their lease, see membership.ts), since when on the CM's clock. */
  readonly away = new Map<NodeId, number>();
  /** Away members that never reported to this CM: they may hold pages nobody else knows of. */
  readonly vanished = new Set<NodeId>();
  /** Members back from away that have not reported since: no lease for them until they have. */
  readonly returning = new Set<NodeId>();
  /**
   * Members that may hold pages this CM's record does not name (it took over with an
   * incomplete record: the standby had restarted, or both CMs had): any page nobody claims may
   * be theirs until they report.
   */
  readonly uncertain = new Set<NodeId>();
  /**
   * Members the operator said are gone for good, until they report again: a handoff to one of
   * them that a report tells of afterwards names a page lost with it, not one on its way.
   */
  readonly forgotten = new Set<NodeId>();
  private readonly lastDone = new Map<NodeId, number>();
  /**
   * The pages each member has a part in (owner, copy holder, requester, awaited, sender or
   * receiver of a transit, rival): a report or an absence touches only these. A superset is
   * harmless (a page that no longer involves the member is passed over), so entries are added
   * wherever a member gets a part and pruned when its report shows it has none.
   */
  private readonly byMember = new Map<NodeId, Set<PageId>>();
  /**
   * Pages with a request being served or waiting, or a transfer in transit: the only ones time
   * acts on. Added where those begin, dropped once a look finds none of them left.
   */
  private readonly timed = new Set<PageId>();

  /** The CM's clock as of the last call that moved it (for "away for 3.2 s"). */
  private now = 0;
  /** Numbers this CM's asks for reports (CHANGE_CM.ask). */
  private asks = 0;
  /** When members were last asked again for a report set aside as older than a move (refreshing). */
  private refreshAskedAt = -Infinity;

  constructor(private readonly host: DirectoryHost) {}

  page(page: PageId): PageState {
    let s = this.pages.get(page);
    if (!s) {
      s = {
        owner: null,
        copySet: [],
        version: 0,
        transit: null,
        lostWith: null,
        recorded: null,
        movedAt: -1,
        refreshing: null,
        rivals: [],
        seeking: null,
        active: null,
        queue: [],
      };
      this.pages.set(page, s);
    }
    return s;
  }

  /** Whether the directory may hold `page`: it does already, or it holds fewer than the bound. */
  admits(page: PageId): boolean {
    return this.pages.has(page) || this.pages.size < CLUSTER_PAGES_MAX;
  }

  entry(page: PageId, s: PageState): MetaEntry {
    this.ownerNotCopy(page, s);
    return { page, owner: s.owner, copySet: [...s.copySet], version: s.version };
  }

  /** The entry as the standby's record has it: `owner` names the member that may hold the page. */
  recordEntry(page: PageId, s: PageState): MetaEntry {
    this.ownerNotCopy(page, s);
    const holder = s.owner ?? s.transit?.from ?? this.grantee(s) ?? s.seeking?.ask[0] ?? s.recorded;
    return { page, owner: holder, copySet: [...s.copySet], version: s.version };
  }

  /** Takes the record a takeover starts from: the members it names wait until they report. */
  loadRecord(entries: Iterable<MetaEntry>): void {
    for (const e of entries) {
      if (e.owner === null) continue;
      const s = this.page(e.page);
      s.recorded = e.owner;
      this.note(e.owner, e.page);
    }
  }

  /** Loads metadata as it stands (periodic mode trusts a snapshot; a fresh CM starts empty). */
  load(entries: readonly MetaEntry[]): void {
    for (const e of entries) {
      const s = this.page(e.page);
      s.owner = e.owner;
      // The entry came over the wire: an owner listed among its own readers is left out, as no
      // directory of this code would list it (see ownerNotCopy).
      s.copySet = e.copySet.filter((c) => c !== e.owner).sort();
      s.version = e.version;
      if (e.owner !== null) this.note(e.owner, e.page);
      for (const c of e.copySet) this.note(c, e.page);
    }
  }

  private note(member: NodeId, page: PageId): void {
    const pages = this.byMember.get(member);
    if (pages) pages.add(page);
    else this.byMember.set(member, new Set([page]));
  }

  /** Whether `c` has any part in the page (see byMember). */
  private involves(s: PageState, c: NodeId): boolean {
    const a = s.active;
    const t = s.transit;
    return (
      s.owner === c ||
      s.copySet.includes(c) ||
      s.rivals.includes(c) ||
      s.queue.some((q) => q.requester === c) ||
      (a !== null && (a.requester === c || a.awaiting.includes(c))) ||
      (t !== null && (t.to === c || t.from === c)) ||
      (s.seeking !== null && s.seeking.ask.includes(c)) ||
      s.recorded === c ||
      s.refreshing === c
    );
  }

  /**
   * The copy set never lists the owner (claim() takes a new owner out of it, and readers join it
   * only if they are not the owner): a write invalidates every listed holder, and the owner
   * dropping its page on an INVALIDATE would lose the only copy.
   */
  private ownerNotCopy(page: PageId, s: PageState): void {
    assert(s.owner === null || !s.copySet.includes(s.owner), () => `${page}'s owner ${s.owner} is in its copy set`);
  }

  private setTransit(page: PageId, s: PageState, t: Transit): void {
    // Every caller takes the page from its owner first (or knows nobody owns it): a transfer
    // starting from a page still owned would leave two places holding its ownership.
    assert(s.owner === null, () => `${page} goes in transit to ${t.to} while ${s.owner} owns it`);
    s.transit = t;
    s.movedAt = this.asks;
    this.timed.add(page);
    this.note(t.to, page);
    this.note(t.from, page);
  }

  // --- requests -------------------------------------------------------------------------

  request(kind: OpKind, page: PageId, req: ReqId, from: NodeId, now: number): void {
    if (parseReqId(req).client !== from) {
      this.host.out.log('warn', `${this.host.id} dropped ${req} from ${from}: request id names another client`);
      return;
    }
    if (!this.admits(page)) {
      this.reject(page, req, from, `page ${page} refused: the cluster holds at most ${CLUSTER_PAGES_MAX} pages`);
      return;
    }
    const s = this.page(page);
    const { client, seq } = parseReqId(req);
    if (seq <= (this.lastDone.get(client) ?? 0)) {
      // Served already: a late repeat, which its client ignores, or a client that came back
      // without its disk and reused an id; either way it gets an answer, not silence.
      this.reject(page, req, from, `request ${req} was already served`);
      return;
    }
    if (s.active?.req === req || s.queue.some((r) => r.req === req)) return;
    if (s.queue.length >= QUEUE_LENGTH_MAX) {
      this.reject(page, req, from, `page ${page} is busy: ${QUEUE_LENGTH_MAX} requests wait for it`);
      return;
    }
    // Queues stay in order of arrival (`since`): nothing but push adds to them.
    s.queue.push({ kind, req, requester: from, since: now });
    this.timed.add(page);
    this.note(from, page);
    this.pump(page, now);
  }

  /** Why a page cannot start its next request now, or null when it can. */
  blockedBy(page: PageId, s: PageState): string | null {
    if (s.active) return 'busy';
    const away = this.awayWith(page, s);
    if (away !== null) return this.awayReason(page, s, away);
    if (s.transit) return `ownership in transit to ${s.transit.to}`;
    if (s.refreshing) return `asking ${s.refreshing} again: its report may predate the page's last move`;
    if (s.seeking) {
      // seek() starts only with rivals to ask, and every answer that empties the list ends it.
      assert(s.seeking.ask.length > 0, () => `${page} waits for answers about ${s.seeking?.for} from nobody`);
      return `asking ${s.seeking.ask.join(', ')}, who claimed it, after ${s.seeking.for} disowned it`;
    }
    // A page nobody claims (never written, or lost with a member) may still be held by a member
    // that has not reported: it is neither served nor re-created until they have.
    const silent = s.owner === null ? this.silentHolders(s) : [];
    if (silent.length > 0) return `waiting for ${silent.join(', ')} to report`;
    return null;
  }

  /** Those of unknownHolders() that have not reported yet (nor gone away). */
  private silentHolders(s: PageState): NodeId[] {
    return this.unknownHolders(s).filter((n) => this.unreported.has(n));
  }

  /**
   * The members that may hold a page nobody claims without this CM knowing: the one the record
   * names, and the members the record may miss (both only until they report), sorted.
   */
  private unknownHolders(s: PageState): NodeId[] {
    const out = new Set(this.uncertain);
    if (s.recorded !== null) out.add(s.recorded);
    return [...out].sort();
  }

  /** Starts what can start; a page held by a member that is away fails its requests at once. */
  pump(page: PageId, now: number): void {
    const s = this.page(page);
    const away = s.active ? null : this.awayWith(page, s);
    if (away !== null) {
      const reason = `page ${page} unavailable: ${this.awayReason(page, s, away)}`;
      for (const r of s.queue.splice(0)) this.fail(page, r, reason, away);
      return;
    }
    while (this.blockedBy(page, s) === null) {
      const next = s.queue.shift();
      if (!next) return;
      this.start(page, s, next, now);
    }
  }

  // --- membership -----------------------------------------------------------------------

  /**
   * The away member a page is with, if it is: its owner, the member it was handed to, or, for
   * a page nobody claims once the members that may hold it have reported or gone, one that
   * vanished without reporting: the one the record names, else the first of them.
   */
  private awayWith(page: PageId, s: PageState): NodeId | null {
    if (s.owner !== null) return this.away.has(s.owner) ? s.owner : null;
    if (s.transit) {
      if (this.away.has(s.transit.to)) return s.transit.to;
      return s.transit.disclaimed && this.away.has(s.transit.from) ? s.transit.from : null;
    }
    if (s.seeking || s.lostWith !== null) return null;
    const may = this.unknownHolders(s);
    if (this.silentHolders(s).length > 0) return null;
    if (s.recorded !== null && this.vanished.has(s.recorded)) return s.recorded;
    return may.find((n) => this.vanished.has(n)) ?? null;
  }

  private awayReason(page: PageId, s: PageState, member: NodeId): string {
    const since = this.away.get(member);
    const forS = since === undefined ? '' : ` for ${((this.now - since) / 1000).toFixed(1)} s`;
    if (s.owner === member) return `its owner ${member} has been away${forS}`;
    if (s.transit?.to === member) return `it was handed to ${member}, away${forS}`;
    if (s.transit?.from === member) return `its owner ${member} went away while handing it to ${s.transit.to} (away${forS})`;
    if (s.recorded === member) return `${member}, its holder on record, left before reporting to this CM (away${forS})`;
    const gone = this.unknownHolders(s).filter((n) => this.vanished.has(n));
    return `${gone.join(', ')} left before reporting to this CM, ${INCOMPLETE_RECORD}, and may hold it (away${forS})`;
  }

  /**
   * A member is away: its lease has run out, so its copies no longer count (it dropped them),
   * nothing waits for its answers, and the pages it holds fail their requests with a reason
   * until it is back. Every other page goes on.
   */
  memberAway(c: NodeId, now: number, why = 'silent past its lease'): void {
    this.now = now;
    this.away.set(c, now);
    this.host.out.log('info', `${this.host.id} deems ${c} away: ${why}, its copies no longer hold up writes`);
    if (this.unreported.delete(c)) this.vanished.add(c);
    for (const [page, s] of this.pages) {
      if (s.refreshing === c) s.refreshing = null;
      s.queue = s.queue.filter((q) => q.requester !== c);
      if (s.copySet.includes(c)) {
        s.copySet = s.copySet.filter((n) => n !== c);
        this.host.changed(page);
      }
      const a = s.active;
      if (a?.phase === 'invalidating' && a.awaiting.includes(c)) this.dropHolder(page, s, a, c, now);
      const b = s.active;
      if (b?.requester === c && b.kind === 'write' && b.phase === 'forwarded') this.strandForward(page, s, b, now);
      else if (b?.requester === c) this.complete(page, s, now);
      else if (b?.phase === 'forwarded' && s.owner === c) this.abandonForward(page, s, c, now);
      else this.pump(page, now);
    }
  }

  /**
   * The operator says `c` is gone for good: what only it may hold is declared lost (a read fails
   * naming it, a write starts the page over), and nothing waits for it any more. Pages that
   * others hold or are handing on stay as they are. Returns the pages declared lost.
   */
  forget(c: NodeId, now: number): PageId[] {
    this.now = now;
    const lost: PageId[] = [];
    if (!this.away.has(c)) this.memberAway(c, now, 'forgotten by the operator');
    for (const [page, s] of this.pages) {
      const t = s.transit;
      const mine = s.owner === c || s.recorded === c || t?.to === c || (t?.from === c && t.disclaimed === true);
      if (s.recorded === c) s.recorded = null;
      s.rivals = s.rivals.filter((n) => n !== c);
      if (s.seeking?.ask.includes(c)) {
        // It was asked whether it holds the page its owner disowned: it will never answer, and
        // if it held the page, the page went with it.
        const ask = s.seeking.ask.filter((n) => n !== c);
        if (ask.length > 0) s.seeking = { ...s.seeking, ask };
        else {
          mark('directory.forgotten-while-asked');
          s.seeking = null;
          if (this.declareLost(page, s, c)) lost.push(page);
        }
      }
      if (mine && s.owner !== null && s.owner !== c) continue;
      if (mine && t?.to === c && t.inferred === true && !this.forgotten.has(t.from)) {
        // A forward to c that its owner may never have carried out: the owner is asked, and the
        // page is lost with c only if it no longer holds it.
        mark('directory.inferred-transit-asks-owner');
        s.rivals = [...new Set([...s.rivals, t.from])].sort();
      }
      if (mine) {
        s.owner = null;
        s.transit = null;
        if (this.declareLost(page, s, c)) lost.push(page);
      }
      this.pump(page, now);
    }
    for (const set of [this.unreported, this.vanished, this.returning, this.uncertain]) set.delete(c);
    this.forgotten.add(c);
    this.away.delete(c);
    this.byMember.delete(c);
    for (const page of this.pages.keys()) this.pump(page, now);
    // Nothing waits for a forgotten member any more (it is not away, so no page fails naming it):
    // one still holding or receiving a page would hold it up for good.
    for (const [page, s] of this.pages) {
      assert(s.owner !== c && s.transit?.to !== c, () => `${page} is still with ${c}, forgotten`);
    }
    return lost.sort();
  }

  /** Back from away: its report (asked for) says what it holds now; until then it gets no lease. */
  memberBack(c: NodeId): void {
    this.host.out.log('info', `${this.host.id} hears from ${c} again: it is back, and asked to report before it gets a lease`);
    this.away.delete(c);
    this.returning.add(c);
  }

  /**
   * The requester of a forwarded write went away: the page may be on its way to it, or have
   * arrived. It is deemed to be with the requester (unavailable until it is back) unless the
   * owner, asked for its report, still claims it (the forward never reached it).
   */
  private strandForward(page: PageId, s: PageState, a: Active, now: number): void {
    s.active = null;
    this.markDone(a.req);
    s.movedAt = this.asks;
    if (s.owner === null || s.owner === a.requester) {
      s.owner = a.requester;
      this.ownerNotCopy(page, s);
    } else {
      const owner = s.owner;
      s.owner = null;
      this.setTransit(page, s, { page, to: a.requester, req: a.req, version: s.version, from: owner, inferred: true });
      this.askReports([owner]);
    }
    this.host.changed(page);
    this.pump(page, now);
  }

  /**
   * The owner went away with a forward outstanding. A write forward may have been carried out
   * (the page on its way to the requester): it becomes a transit, so the requester's claim is
   * still taken. Either way the request fails now, naming the owner.
   */
  private abandonForward(page: PageId, s: PageState, owner: NodeId, now: number): void {
    const a = s.active;
    if (!a) return;
    if (a.kind === 'write') {
      s.owner = null;
      this.setTransit(page, s, { page, to: a.requester, req: a.req, version: s.version, from: owner, inferred: true });
      this.host.changed(page);
    }
    s.active = null;
    this.fail(page, a, `page ${page} unavailable: its owner ${owner} went away while serving ${a.req}`, owner);
    this.pump(page, now);
  }

  private start(page: PageId, s: PageState, r: Request, now: number): void {
    const { client, seq } = parseReqId(r.req);
    if (seq <= (this.lastDone.get(client) ?? 0)) {
      // A client has one operation in flight, its newest: an older request that waited here
      // while a newer one of the same client was served is one it gave up on. Serving it now
      // could hand it a page after a later transfer, which it would take for a stale repeat.
      mark('directory.request-overtaken');
      this.reject(page, r.req, r.requester, `request ${r.req} was overtaken by a later request of ${client}`);
      return;
    }
    const replica = s.lostWith !== null ? this.host.replica(page) : undefined;
    if (replica) {
      // Its last acknowledged version outlived its owner: the page is served from it (forward()).
      mark('directory.replica-restore');
      this.host.out.log(
        'info',
        `${this.host.id} brings ${page} back from its replica (v${replica.version}): it was lost with ${s.lostWith}`,
      );
      s.lostWith = null;
      this.host.changed(page);
    }
    if (s.lostWith !== null && r.kind === 'read') {
      this.fail(page, r, `page ${page} lost with client ${s.lostWith}`);
      return;
    }
    if (s.lostWith !== null) {
      // A write re-creates a lost page from nothing, as a first write would.
      s.lostWith = null;
      this.host.changed(page);
    }
    // request() put the page in `timed` and nextDeadline() keeps it while a request waits: a
    // request that tick() never looks at would never be sent again nor expire.
    assert(this.timed.has(page), () => `${page} serves ${r.req} but time never looks at it`);
    const a: Active = {
      kind: r.kind,
      req: r.req,
      requester: r.requester,
      since: r.since,
      phase: 'forwarded',
      awaiting: [],
      lastSentAt: now,
      attempts: 0,
    };
    s.active = a;
    if (r.kind === 'read') {
      if (r.requester !== s.owner && !s.copySet.includes(r.requester)) {
        s.copySet = [...s.copySet, r.requester].sort();
        this.host.changed(page);
      }
      this.forward(page, s, a);
      return;
    }
    const holders = new Set([...s.copySet, ...this.unreported]);
    holders.delete(r.requester);
    if (s.owner !== null) holders.delete(s.owner);
    a.awaiting = [...holders].sort();
    for (const h of a.awaiting) this.note(h, page);
    if (a.awaiting.length === 0) {
      this.forward(page, s, a);
      return;
    }
    a.phase = 'invalidating';
    this.sendInvalidations(page, a);
  }

  private sendInvalidations(page: PageId, a: Active): void {
    // All invalidations leave at once; the write waits only for the slowest holder.
    for (const to of a.awaiting) {
      this.host.out.send({ type: 'INVALIDATE', from: this.host.id, to, epoch: this.host.epoch, page, req: a.req });
    }
  }

  /** Sends the forward to the owner, or the empty page itself when nobody owns it yet. */
  private forward(page: PageId, s: PageState, a: Active): void {
    if (s.owner !== null && this.away.has(s.owner) && s.active === a) {
      // The owner went away while the copies were being invalidated: nobody will answer.
      s.active = null;
      this.fail(page, a, `page ${page} unavailable: ${this.awayReason(page, s, s.owner)}`, s.owner);
      this.pump(page, this.now);
      return;
    }
    if (s.owner === null && a.kind === 'write' && !a.recorded && !this.host.grantRecorded(page, a.req)) {
      // Nobody owns it: once the page leaves, only the standby's record would know where it went.
      a.phase = 'recording';
      this.host.changed(page);
      return;
    }
    a.phase = 'forwarded';
    const { id, epoch } = this.host;
    if (s.owner === null) {
      // Nobody holds it: never written, or its holders gone; a replica is its last acknowledged version.
      const access = a.kind === 'read' ? 'read' : 'write';
      const r = this.host.replica(page);
      const content = r?.content ?? null;
      const version = Math.max(s.version, r?.version ?? 0);
      this.host.out.send({ type: 'PAGE', from: id, to: a.requester, epoch, page, req: a.req, access, content, version });
      return;
    }
    const type = a.kind === 'read' ? 'READ_FORWARD' : 'WRITE_FORWARD';
    this.host.out.send({ type, from: id, to: s.owner, epoch, page, req: a.req, requester: a.requester });
  }

  // --- answers --------------------------------------------------------------------------

  invalidated(page: PageId, req: ReqId, from: NodeId, now: number): void {
    const s = this.pages.get(page);
    const a = s?.active;
    if (!s || !a || a.req !== req || a.phase !== 'invalidating' || !a.awaiting.includes(from)) return;
    this.dropHolder(page, s, a, from, now);
  }

  private dropHolder(page: PageId, s: PageState, a: Active, holder: NodeId, now: number): void {
    a.awaiting = a.awaiting.filter((n) => n !== holder);
    if (s.copySet.includes(holder)) {
      s.copySet = s.copySet.filter((n) => n !== holder);
      this.host.changed(page);
    }
    if (a.awaiting.length === 0) {
      a.lastSentAt = now;
      this.forward(page, s, a);
    }
  }

  readConfirmed(page: PageId, req: ReqId, from: NodeId, now: number): void {
    const s = this.pages.get(page);
    const a = s?.active;
    if (!s || !a || a.req !== req || a.kind !== 'read' || a.requester !== from || a.phase !== 'forwarded') return;
    this.complete(page, s, now);
  }

  /**
   * A write confirmation claims the page's ownership. It is taken only for a transfer this CM
   * knows of: the write it forwarded to that requester, or a handoff the former owner reported.
   * Anything else (a repeat, a forged or garbled frame) moves nothing.
   */
  writeConfirmed(page: PageId, req: ReqId, from: NodeId, version: number, now: number): void {
    const s = this.pages.get(page);
    if (!s) return;
    const a = s.active;
    const forwarded = a !== null && a.req === req && a.kind === 'write' && a.phase === 'forwarded' && a.requester === from;
    const handedOn = s.transit !== null && s.transit.req === req && s.transit.to === from;
    if (!forwarded && !handedOn) {
      if (s.owner !== from)
        this.host.out.log('warn', `${this.host.id} ignored ${from}'s WRITE_CONFIRMATION ${page} ${req}: no such transfer`);
      return;
    }
    s.queue = s.queue.filter((r) => r.req !== req);
    this.claim(page, s, from, version, now, true);
    this.markDone(req);
    this.pump(page, now);
  }

  /** The standby has the grant for `req` on record: it goes out now, if it is still due. */
  recordedGrant(page: PageId, req: ReqId, now: number): void {
    const s = this.pages.get(page);
    const a = s?.active;
    if (!s || a?.phase !== 'recording' || a.req !== req) return;
    a.recorded = true;
    a.lastSentAt = now;
    this.forward(page, s, a);
  }

  /** The member a page nobody owns is being granted to (or recorded for) by this CM, if any. */
  private grantee(s: PageState): NodeId | null {
    const a = s.active;
    return s.owner === null && s.transit === null && a?.kind === 'write' && a.phase !== 'invalidating' ? a.requester : null;
  }

  /** The requester a page nobody owns is being granted to by this CM itself, if any. */
  private granting(s: PageState): NodeId | null {
    const a = s.active;
    return s.owner === null && s.transit === null && a !== null && a.kind === 'write' && a.phase === 'forwarded' ? a.requester : null;
  }

  /**
   * Records `claimant` as owner. A report cannot take the page from another owner on record
   * (see PageState.rivals). The copy set is left as it is: a write this CM served invalidated
   * every holder before it was forwarded, so nobody is left in it; a transfer from before a
   * takeover may have been followed by reads, whose holders the reports put there.
   */
  private claim(page: PageId, s: PageState, claimant: NodeId, version: number, now: number, byWrite: boolean, handedOn = false): void {
    // The member a transfer was recorded from still holds the page: the transfer never left it
    // (or the page came back to it since). Either way it is the owner.
    const sender = s.owner === null && s.transit?.from === claimant && !handedOn;
    if (sender) mark('directory.transfer-never-left');
    const holder = sender ? null : (s.owner ?? s.transit?.to ?? this.granting(s));
    if (!byWrite && holder !== null && holder !== claimant) {
      mark('directory.claim-set-aside');
      this.host.out.log('warn', `${this.host.id} set aside ${claimant}'s claim of ${page} v${version}: ${holder} has it`);
      if (!s.rivals.includes(claimant)) s.rivals = [...s.rivals, claimant].sort();
      this.note(claimant, page);
      return;
    }
    const moved = s.owner !== claimant;
    s.seeking = null;
    if (moved || s.transit) s.movedAt = this.asks;
    if (moved) {
      s.rivals = s.rivals.filter((n) => n !== claimant);
      s.owner = claimant;
      this.note(claimant, page);
    }
    // Only a real change goes to the standby: a report repeats what the CM mostly knows already.
    const newer = version > s.version;
    if (newer) s.version = version;
    s.lostWith = null;
    if (s.transit && (version >= s.transit.version || sender)) s.transit = null;
    const copy = s.copySet.includes(claimant);
    if (copy) s.copySet = s.copySet.filter((n) => n !== claimant);
    this.ownerNotCopy(page, s);
    if (moved || newer || copy) this.host.changed(page);
    const a = s.active;
    if (a && a.kind === 'write' && a.requester === claimant && a.phase === 'forwarded') this.complete(page, s, now);
  }

  private complete(page: PageId, s: PageState, now: number): void {
    if (s.active) this.markDone(s.active.req);
    s.active = null;
    this.pump(page, now);
  }

  private markDone(req: ReqId): void {
    const { client, seq } = parseReqId(req);
    this.lastDone.set(client, Math.max(seq, this.lastDone.get(client) ?? 0));
  }

  private fail(page: PageId, r: Request, reason: string, away: NodeId | null = null): void {
    this.markDone(r.req);
    this.reject(page, r.req, r.requester, reason, away);
  }

  private reject(page: PageId, req: ReqId, to: NodeId, reason: string, away: NodeId | null = null): void {
    this.host.out.send({ type: 'REQUEST_FAILED', from: this.host.id, to, epoch: this.host.epoch, page, req, reason, away });
  }

  // --- reports --------------------------------------------------------------------------

  /** Merges one client's own account of what it holds; see the file comment for why. */
  report(r: ClientReport, now: number): void {
    const c = r.from;
    this.now = now;
    // Whether a set every page's service depends on changes: then every page may start now.
    const everyPage = this.unreported.has(c) || this.vanished.has(c) || this.away.has(c) || this.uncertain.has(c);
    this.unreported.delete(c);
    this.vanished.delete(c);
    this.away.delete(c);
    this.returning.delete(c);
    this.forgotten.delete(c);
    const held = new Map<PageId, HeldPage>();
    for (const p of r.pages) held.set(p.page, p);
    this.uncertain.delete(c);
    // A page moved since the ask this report answers (a transfer confirmed by its receiver, say)
    // may have moved after the report was written: what it says of that page's ownership (a
    // claim, a disowning, a transfer not arrived) waits for a fresh report, asked for below.
    const skipped: PageId[] = [];
    const current = (page: PageId, s: PageState): boolean => {
      if (r.answers > s.movedAt) return true;
      mark('directory.report-predates-move');
      skipped.push(page);
      return false;
    };
    for (const page of this.byMember.get(c) ?? []) {
      const s = this.pages.get(page);
      if (!s) continue;
      if (s.refreshing === c) s.refreshing = null;
      if (s.recorded === c) {
        // Its report is the truth now: it claims the page, says where it went, or holds none.
        s.recorded = null;
        this.host.changed(page);
      }
      // Requests of c's that it no longer has in flight were given up: nobody waits for them.
      if (s.queue.some((q) => q.requester === c)) s.queue = s.queue.filter((q) => q.requester !== c || q.req === r.inFlight?.req);
      const t = s.transit;
      const disclaims = t?.to === c && !held.get(page)?.owner && !r.handoffs.some((h) => h.page === page && h.version >= t.version);
      if (disclaims && current(page, s)) {
        t.disclaimed = true;
        // Its sender is gone for good: the page went with it.
        if (this.forgotten.has(t.from)) {
          s.transit = null;
          this.declareLost(page, s, t.from);
        }
      }
      if (!held.has(page) && (s.owner !== c || current(page, s))) this.forgetHolder(page, s, c, r, now);
    }
    let refused = 0;
    for (const p of r.pages) {
      if (!this.admits(p.page)) {
        refused += 1;
        continue;
      }
      const s = this.page(p.page);
      // A member whose own report says it handed the page on, in the transfer on record, cannot
      // also still hold it from before that transfer: such a claim is a forgery or garbled.
      const handedOn = s.transit !== null && r.handoffs.some((h) => h.page === p.page && h.req === s.transit?.req);
      if (p.owner) {
        if (s.owner === c || current(p.page, s)) this.claim(p.page, s, c, p.version, now, false, handedOn);
      } else if (s.owner !== c && !s.copySet.includes(c)) {
        s.copySet = [...s.copySet, c].sort();
        this.note(c, p.page);
        this.host.changed(p.page);
      }
    }
    if (skipped.length > 0) {
      // Those pages wait for a report that answers a later ask: until then this CM cannot tell
      // whether c still holds them.
      for (const page of skipped) {
        this.page(page).refreshing = c;
        this.note(c, page);
        this.timed.add(page);
      }
      const pages = [...new Set(skipped)].sort().join(', ');
      // At once, but at most once a resend interval (tickPage asks again while they wait): a
      // report that moved a page itself must not set off a storm of asks and reports.
      if (now >= this.refreshAskedAt + this.host.timing.cmResendMs) {
        this.refreshAskedAt = now;
        this.host.out.log('info', `${this.host.id} asks ${c} again: its report may predate moves of ${pages}`);
        this.askReports([c]);
      } else {
        mark('directory.refresh-ask-held');
      }
    }
    const handedOn: PageId[] = [];
    for (const h of r.handoffs) if (this.admits(h.page) && this.noteHandoff(h, c)) handedOn.push(h.page);
    if (refused > 0)
      this.host.out.log(
        'warn',
        `${this.host.id} ignored ${refused} page(s) of ${c}'s report: the cluster holds at most ${CLUSTER_PAGES_MAX} pages`,
      );
    // Every page c has a part in is in byMember now: those it held, claimed or was asked about.
    const mine = this.byMember.get(c) ?? new Set<PageId>();
    // A page whose part of this report was set aside (refreshing) waits for c's next report: a
    // claim set aside is no answer that c does not hold it.
    for (const page of mine) if (this.page(page).refreshing !== c) this.answerSeeking(page, this.page(page), c);
    // An owner drops the forwards it holds for a replica when it reports (client.ts adopt), and the
    // CM asks for a report at each resend, just after the forward: the forward under way goes again
    // now, or each resend would be dropped by the ask behind it (seed 2004 with replicas).
    for (const page of mine) {
      const s = this.page(page);
      const a = s.active;
      if (a?.phase === 'forwarded' && a.requester !== c && s.owner === c && held.get(page)?.owner && this.host.replica(page)) {
        mark('directory.forward-after-report');
        this.forward(page, s, a);
      }
    }
    const f = r.inFlight;
    if (f) {
      // Its request in flight is a client's newest: it gave up every earlier one, which must not
      // be served now (see start()), though this CM may not have seen them end.
      const { client, seq } = parseReqId(f.req);
      if (client === c) this.lastDone.set(c, Math.max(seq - 1, this.lastDone.get(c) ?? 0));
      this.request(f.kind, f.page, f.req, c, now);
    }
    if (everyPage) {
      for (const page of this.pages.keys()) this.pump(page, now);
    } else {
      for (const page of mine) this.pump(page, now);
      for (const page of handedOn) this.pump(page, now);
    }
    this.prune(c);
  }

  /** Forgets the pages `c` has no part in any more (it just reported). */
  private prune(c: NodeId): void {
    const pages = this.byMember.get(c);
    if (!pages) return;
    for (const page of pages) {
      const s = this.pages.get(page);
      if (!s || !this.involves(s, c)) pages.delete(page);
    }
    if (pages.size === 0) this.byMember.delete(c);
  }

  /** The client holds nothing of `page`: take it out of the copy set, or find where it went. */
  private forgetHolder(page: PageId, s: PageState, c: NodeId, r: ClientReport, now: number): void {
    const a = s.active;
    if (s.owner === c) {
      s.owner = null;
      s.movedAt = this.asks;
      const h = r.handoffs.find((x) => x.page === page && x.version >= s.version);
      if (h) this.setTransit(page, s, { page: h.page, to: h.to, req: h.req, version: h.version, from: c });
      else if (s.rivals.length > 0) this.seek(s, c);
      else s.lostWith = c;
      this.host.changed(page);
      if (s.lostWith !== null && a?.kind === 'read' && a.phase === 'forwarded') {
        this.fail(page, a, `page ${page} lost with client ${c}`);
        s.active = null;
        return;
      }
    }
    // The requester of a read being served may be about to receive its copy: keep it listed.
    const reading = a?.kind === 'read' && a.requester === c && r.inFlight?.req === a.req;
    if (!reading && s.copySet.includes(c)) {
      s.copySet = s.copySet.filter((n) => n !== c);
      this.host.changed(page);
    }
    if (a?.phase === 'invalidating' && a.awaiting.includes(c)) this.dropHolder(page, s, a, c, now);
    if (a && a.requester === c && r.inFlight?.req !== a.req) {
      // The requester gave up or restarted: nothing waits for this answer any more. A write
      // forwarded may still carry the page to it; that goes on as long as the CM tracks it
      // (a transit that names this request): the transit keeps the page's whereabouts, and a
      // transit whose sender has gone away then fails the page's requests naming that sender.
      const carried = a.kind === 'write' && a.phase === 'forwarded';
      if (!carried || s.transit?.req === a.req) this.complete(page, s, now);
    }
  }

  /**
   * Nobody on record holds the page any more and `c`, gone, may have had it: it is lost with c,
   * unless members claimed it while another was on record (rivals): those are asked first, and the
   * page is lost only if none of them claims it (answerSeeking). True when it is lost now.
   */
  private declareLost(page: PageId, s: PageState, c: NodeId): boolean {
    this.host.changed(page);
    if (s.rivals.length > 0) {
      this.seek(s, c);
      return false;
    }
    s.lostWith = c;
    return true;
  }

  /** Asks the rivals on record whether they hold the page its owner has just disowned. */
  private seek(s: PageState, disowner: NodeId): void {
    assert(s.rivals.length > 0, () => `a search for the page ${disowner} disowned, with nobody to ask`);
    mark('directory.rivals-asked');
    s.seeking = { for: disowner, ask: s.rivals };
    s.rivals = [];
    this.askReports(s.seeking.ask);
  }

  /** c has reported: it either claimed the page sought (claim() ended the search) or it is out. */
  private answerSeeking(page: PageId, s: PageState, c: NodeId): void {
    if (!s.seeking || !s.seeking.ask.includes(c)) return;
    s.seeking = { ...s.seeking, ask: s.seeking.ask.filter((n) => n !== c) };
    if (s.seeking.ask.length > 0) return;
    mark('directory.lost-after-rivals');
    s.lostWith = s.seeking.for;
    s.seeking = null;
    this.host.changed(page);
  }

  /**
   * A member's last handoff of a page, as its report tells it: where the page went. A record can
   * be old (the page moved on since), so a transit is replaced only by one further along: of a
   * higher version, or handed on by the very member the transit names (it had the page then).
   * Following these, the CM walks the chain of handoffs to whoever holds the page now. True
   * when the record moved the transit on.
   */
  private noteHandoff(h: Handoff, from: NodeId): boolean {
    const s = this.page(h.page);
    if (s.owner !== null || h.version < s.version) return false;
    const t = s.transit;
    if (t && !(h.version > t.version || (h.version === t.version && from === t.to && h.req !== t.req))) return false;
    if (this.forgotten.has(h.to)) {
      // Handed to a member the operator said is gone for good: the page went with it. Told
      // again (every report repeats the sender's last handoff), it changes nothing.
      if (t === null && (s.lostWith === h.to || s.seeking?.for === h.to)) {
        mark('directory.handoff-to-forgotten-repeated');
        return false;
      }
      mark('directory.handoff-to-forgotten');
      s.transit = null;
      s.movedAt = this.asks;
      this.declareLost(h.page, s, h.to);
      return true;
    }
    this.setTransit(h.page, s, { page: h.page, to: h.to, req: h.req, version: h.version, from });
    s.lostWith = null;
    this.host.changed(h.page);
    return true;
  }

  // --- time -----------------------------------------------------------------------------

  /** Re-sends what a silent client was asked, re-asks it to report, and fails what waited too long. */
  tick(now: number): void {
    this.now = now;
    for (const page of this.timed) {
      const s = this.pages.get(page);
      if (s) this.tickPage(page, s, now);
    }
  }

  /**
   * The earliest time tick() has something to do (Infinity: nothing), on the CM's clock: a
   * queued request's deadline, a resend to a silent client, a transfer to nudge again.
   */
  nextDeadline(): number {
    const { cmResendMs, queueDeadlineMs } = this.host.timing;
    let due = Infinity;
    for (const page of this.timed) {
      const s = this.pages.get(page);
      const first = s?.queue[0];
      if (first) due = Math.min(due, first.since + queueDeadlineMs);
      if (s?.refreshing) due = Math.min(due, this.refreshAskedAt + cmResendMs);
      if (s?.active) due = Math.min(due, s.active.lastSentAt + cmResendMs);
      else if (s?.transit) due = Math.min(due, (s.transit.nudgedAt ?? -Infinity) + cmResendMs);
      else if (!first && !s?.refreshing) this.timed.delete(page);
    }
    return due;
  }

  private tickPage(page: PageId, s: PageState, now: number): void {
    this.expireQueue(page, s, now);
    if (s.refreshing && now >= this.refreshAskedAt + this.host.timing.cmResendMs) {
      this.refreshAskedAt = now;
      this.askReports([s.refreshing]);
    }
    const a = s.active;
    if (!a && s.transit && now >= (s.transit.nudgedAt ?? -Infinity) + this.host.timing.cmResendMs) {
      s.transit.nudgedAt = now;
      this.resendTransfer(page, s.transit);
    }
    if (!a || now < a.lastSentAt + this.host.timing.cmResendMs) return;
    a.lastSentAt = now;
    a.attempts += 1;
    const givesUp = a.attempts > this.host.timing.cmAttemptsMax && !(a.kind === 'write' && a.phase === 'forwarded');
    if (givesUp) {
      this.fail(page, a, `page ${page}: ${this.silence(s, a)}`);
      s.active = null;
      this.pump(page, now);
      return;
    }
    this.resend(page, s, a);
  }

  private silence(s: PageState, a: Active): string {
    if (a.phase === 'invalidating') return `copy holders ${a.awaiting.join(', ')} did not answer`;
    if (a.phase === 'recording') {
      return `the standby CM did not put this first write on record (it must before a page nobody owns is granted): restart it, or forget it if it is gone for good`;
    }
    return `owner ${s.owner ?? 'CM'} did not answer`;
  }

  private resend(page: PageId, s: PageState, a: Active): void {
    if (a.phase === 'recording') return;
    if (a.phase === 'invalidating') {
      // start() invalidates only when someone holds a copy, and dropHolder() forwards once the
      // last has answered: a write waiting for nobody's answer would wait for good.
      assert(a.awaiting.length > 0, () => `${a.req} on ${page} waits for invalidations from nobody`);
      this.sendInvalidations(page, a);
      this.askReports(a.awaiting);
      return;
    }
    if (s.owner !== null) {
      this.forward(page, s, a);
    } else if (s.transit) {
      this.resendTransfer(page, s.transit);
    } else if (this.silentHolders(s).length === 0 && (s.lostWith === null || a.kind === 'write')) {
      // Nobody claims the page and everybody has said so: the CM's own grant can be repeated,
      // and a write re-creates a page lost meanwhile from nothing, as a first write would.
      if (s.lostWith !== null) {
        s.lostWith = null;
        this.host.changed(page);
      }
      this.forward(page, s, a);
    }
    this.askReports([a.requester, ...(s.owner ? [s.owner] : []), ...(s.transit ? [s.transit.from] : [])]);
  }

  /**
   * The page left its owner but was never claimed: its receiver may have crashed with it. The
   * former owner kept a ghost of it and sends it again (a receiver that has it ignores repeats).
   */
  private resendTransfer(page: PageId, t: Transit): void {
    this.host.out.send({
      type: 'WRITE_FORWARD',
      from: this.host.id,
      to: t.from,
      epoch: this.host.epoch,
      page,
      req: t.req,
      requester: t.to,
    });
    this.askReports([t.to, t.from]);
  }

  askReports(nodes: Iterable<NodeId>): void {
    this.asks += 1;
    for (const to of nodes) {
      this.host.out.send({ type: 'CHANGE_CM', from: this.host.id, to, epoch: this.host.epoch, ask: this.asks });
    }
  }

  /**
   * Requests wait at most queueDeadlineMs, whatever holds them up: by then their clients have
   * nearly given up (requestDeadlineMs), and a stale request must never be served after its
   * client stopped waiting, nor pile up behind an owner that is away.
   */
  private expireQueue(page: PageId, s: PageState, now: number): void {
    if (s.queue.length === 0) return;
    const why = this.blockedBy(page, s) ?? 'busy';
    const expired = s.queue.filter((r) => now >= r.since + this.host.timing.queueDeadlineMs);
    if (expired.length === 0) return;
    s.queue = s.queue.filter((r) => now < r.since + this.host.timing.queueDeadlineMs);
    const reason = why === 'busy' ? `busy with ${s.active?.req ?? 'another request'}` : why;
    for (const r of expired) this.fail(page, r, `page ${page} unavailable: ${reason}`);
  }
}
