// Runs the real nodes inside the real host (src/host: the code the browser's workers and tabs
// run, with its commit gate, timers and links) in a simulated world under one seed: every
// delay, disk commit, choice of operation, fault and interleaving comes from the seed, so a run
// replays byte for byte. Only the world is simulated: clock, timers, disks, links, crashes.
import { ClientNode, type ClientSnapshot } from '../protocol/client.ts';
import { timing as makeTiming, type ReplicationMode, type Replicas, type Timing } from '../protocol/config.ts';
import { BACKUP_CM, clientNodeId, isCmId, PRIMARY_CM, type NodeId, type PageId } from '../protocol/ids.ts';
import { INCOMPLETE_RECORD } from '../protocol/directory.ts';
import { CentralManager, type CmStart, type ManagerSnapshot } from '../protocol/manager.ts';
import { checkCluster } from '../protocol/invariants.ts';
import { describeMessage, isPageMessage, type Message, type MessageType } from '../protocol/messages.ts';
import type { IvyNode, LogLevel } from '../protocol/node.ts';
import { messageDecoder } from '../net/message-codec.ts';
import { durableFor, makeNode, PAGE_SIZE_BYTES, type MadeNode, type NodeSpec } from '../host/make-node.ts';
import { HostCore } from '../host/host-core.ts';
import { DISK_DEFAULTS, type DiskOptions } from './disk.ts';
import { DURABILITY_DEFAULT, type Durability } from '../protocol/config.ts';
import { SimThreads } from './threads.ts';
import type { DurableEntry } from '../protocol/durable.ts';
import type { HistoryEvent } from '../check/history.ts';
import { clientToClientFrame, cmToClientFrame, hostileFrame, type ToClientContext } from './hostile.ts';
import { NEMESIS_DEFAULTS, Nemesis, type FaultKind, type NemesisOptions } from './nemesis.ts';
import { NETWORK_DEFAULTS, SimNetwork, type NetworkOptions } from './network.ts';
import { Rng } from './rng.ts';
import { SimLinkEnd, type LinkObserver } from './sim-link.ts';
import { Workload, pageName, type WorkloadOptions } from './workload.ts';
import type { Life } from './world.ts';
import { SimWorld } from './world.ts';

/** How long after a CM left for good the simulated operator tells the other to forget it. */
const OPERATOR_REACTS_MS = 2000;

export interface SimManager extends IvyNode {
  snapshot(): ManagerSnapshot;
  forget(member: NodeId, now: number): string;
}

export interface SimOptions extends WorkloadOptions {
  seed: number;
  network?: NetworkOptions;
  disk?: Partial<DiskOptions>;
  /** How far a commit goes before what depends on it leaves (disk/volume.ts). */
  durability?: Durability;
  /** Logs are compacted past this many bytes (the browser's bound is megabytes; small ones compact often). */
  compactBytes?: number;
  /**
   * Packed placement: the nodes share this many threads, each with one log and one machine's
   * disk (threads.ts). Absent or 0: a thread and a machine of its own per node.
   */
  packs?: number;
  /** Faults to inject (none by default) and how. */
  faults?: readonly FaultKind[];
  nemesis?: Partial<Omit<NemesisOptions, 'faults'>>;
  replication?: ReplicationMode;
  /** 1: owners' writes are acknowledged once the CM keeps a replica, and the operator forgets a client that left for good. */
  replicas?: Replicas;
  /** Without a backup CM: basic Ivy, as a baseline. */
  backup?: boolean;
  timing?: Partial<Timing>;
  /** Replaces the CM, e.g. with a deliberately broken one to prove the checker bites. */
  makeManager?: (id: NodeId) => SimManager;
  /**
   * Hosts whose disk acknowledges each commit at once and stores it later, so they send and
   * acknowledge before their state is durable: the broken host the tests prove the sweep catches.
   */
  sendBeforeCommit?: boolean;
  /** Checks the cross-node invariants after every delivery (on by default). */
  checkInvariants?: boolean;
  /** Records every delivered message as a transcript line. */
  transcript?: boolean;
  /** Virtual time after which the run stops even if operations are pending. */
  timeLimitMs?: number;
  /**
   * Also ticks every node this often, besides at its deadlines: a tick before a node's next
   * deadline must do nothing, so a run with this set is the same run (the tests check it).
   */
  extraTickMs?: number;
}

export interface SimResult {
  history: HistoryEvent[];
  messages: Partial<Record<MessageType, number>>;
  opsIssued: number;
  violations: string[];
  warnings: string[];
  transcript: string[];
  endTimeMs: number;
  /** When the last fault was healed (0 without faults). */
  lastHealMs: number;
  /** Nodes that left for good (their operations, and pages, may stay unavailable). */
  left: NodeId[];
  /** The faults injected, in order. */
  faults: FaultKind[];
  /** Clients whose links carried hostile frames in their name. */
  hostile: NodeId[];
  /**
   * Completions (indices into `history`) that failed because the page was with a node that
   * left for good: the cluster said so, as it should, so liveness does not count them.
   */
  excused: number[];
  /** True when the run ended at its time limit with operations still pending. */
  timedOut: boolean;
  /** Recoveries that dropped a torn or garbled tail of a log, and the bytes dropped. */
  tornTails: number;
  /** Appends to the simulated disks, and the bytes they carried. */
  appends: number;
  bytesWritten: number;
  /** Writes that failed and files that could not be made (a full disk). */
  diskFailures: number;
}

interface Running {
  life: Life;
  made: MadeNode;
  host: HostCore;
}

const FAULT_PROGRESS_MAX = 0.6;
const HOSTILE_BURST_MAX = 12;
/** How long a crash-during-commit fault waits for its node to commit something. */
const COMMIT_WAIT_MS_MAX = 2_000;

export class Simulation {
  private readonly world: SimWorld;
  private readonly net: SimNetwork;
  private readonly timing: Timing;
  private readonly decode = messageDecoder(PAGE_SIZE_BYTES);
  private readonly running = new Map<NodeId, Running>();
  /** The pages each client asked to write: the only ones it can hold. */
  private readonly written = new Map<NodeId, Set<PageId>>();
  /** Nodes the operator has forgotten (left for good), and when. */
  private readonly forgotten = new Map<NodeId, number>();
  /** Where each node runs and logs: its thread, and its machine's disk. */
  private readonly threads: SimThreads;
  private readonly ends = new Map<string, SimLinkEnd>();
  private readonly workload: Workload;
  private readonly nemesis: Nemesis;
  private readonly inFlightPerPage = new Map<string, number>();
  private readonly clientIds: NodeId[] = [];
  private readonly cmIds: NodeId[];
  private readonly result: SimResult = {
    history: [],
    messages: {},
    opsIssued: 0,
    violations: [],
    warnings: [],
    transcript: [],
    endTimeMs: 0,
    lastHealMs: 0,
    left: [],
    faults: [],
    hostile: [],
    excused: [],
    timedOut: false,
    tornTails: 0,
    appends: 0,
    bytesWritten: 0,
    diskFailures: 0,
  };
  private readonly observer: LinkObserver = {
    sent: (m, at) => this.onSent(m, at),
    arrived: (m, delivered) => this.onArrived(m, delivered),
  };
  private faultsActive = false;

  constructor(private readonly opts: SimOptions) {
    this.world = new SimWorld(new Rng(opts.seed));
    this.net = new SimNetwork(this.world.rng, opts.network ?? NETWORK_DEFAULTS);
    this.timing = makeTiming(opts.timing);
    this.workload = new Workload(opts, this.world.rng);
    this.nemesis = new Nemesis({ ...NEMESIS_DEFAULTS, ...opts.nemesis, faults: opts.faults ?? [] }, this.world.rng);
    this.cmIds = opts.backup === false ? [PRIMARY_CM] : [PRIMARY_CM, BACKUP_CM];
    for (let p = 1; p <= opts.clients; p++) this.clientIds.push(clientNodeId(p));
    this.threads = new SimThreads(
      this.world,
      {
        disk: { ...DISK_DEFAULTS, ...opts.disk },
        durability: opts.durability ?? DURABILITY_DEFAULT,
        ...(opts.packs !== undefined ? { packs: opts.packs } : {}),
        ...(opts.compactBytes !== undefined ? { compactBytes: opts.compactBytes } : {}),
        acksEarly: opts.sendBeforeCommit === true,
      },
      [...this.cmIds, ...this.clientIds],
    );
    this.boot(PRIMARY_CM, 'primary');
    if (opts.backup !== false) this.boot(BACKUP_CM, 'backup');
    for (const [p, id] of this.clientIds.entries()) {
      this.boot(id, null);
      this.scheduleOp(p + 1);
    }
    if (this.nemesis.active) this.world.at(this.nemesis.gapMs(), null, () => this.injectFault());
  }

  run(): SimResult {
    const limit = this.opts.timeLimitMs ?? 600_000;
    const finished = this.world.run(limit, () => this.result.violations.length > 0 || (this.workload.finished() && !this.faultsActive));
    this.result.timedOut = !finished || !this.workload.finished();
    this.result.endTimeMs = this.world.now;
    for (const r of this.running.values()) r.host.stop();
    const written = this.threads.stats();
    this.result.appends = written.appends;
    this.result.bytesWritten = written.bytesWritten;
    this.result.diskFailures = written.diskFailures;
    return this.result;
  }

  // --- nodes ----------------------------------------------------------------------------

  nodes(): Map<NodeId, IvyNode> {
    return new Map([...this.running].map(([id, r]) => [id, r.made.node]));
  }

  /**
   * Starts a life of `id` from what its machine's disk holds (the newest state any of its files
   * has, as a browser host recovers it), in a host linked to every running node, logging through
   * its thread's writer (threads.ts).
   */
  private boot(id: NodeId, start: CmStart | null): void {
    const life: Life = { node: id, alive: true, stalledUntil: 0 };
    const { recovered, attach } = this.threads.start(id, life);
    this.result.tornTails += recovered.torn.length;
    const made = this.make(id, start, recovered.state?.entries ?? null);
    const env = {
      now: () => this.world.now,
      traceNow: () => this.world.now,
      timers: { after: (ms: number, f: () => void) => this.after(life, ms, f) },
      disk: attach(() => made.node.durableEntries()),
      random: () => this.world.rng.float(),
    };
    // The bare core, as in the browser but for the inspector, which only watches.
    const host = new HostCore(made, env);
    host.observe({ log: (level, text) => this.onLog(id, level, text) });
    for (const [peer, other] of this.running) {
      const [mine, theirs] = SimLinkEnd.pair(this.world, this.net, life, other.life, this.observer, this.decode);
      host.connect(peer, mine);
      other.host.connect(id, theirs);
      this.ends.set(`${id}->${peer}`, mine);
      this.ends.set(`${peer}->${id}`, theirs);
    }
    this.running.set(id, { life, made, host });
    host.startTicking();
    const extra = this.opts.extraTickMs;
    if (extra !== undefined) {
      const loop = (): void => {
        host.tick();
        this.after(life, extra, loop);
      };
      this.after(life, extra, loop);
    }
  }

  private make(id: NodeId, start: CmStart | null, entries: DurableEntry[] | null): MadeNode {
    if (isCmId(id)) {
      if (this.opts.makeManager) {
        const cm = this.opts.makeManager(id);
        return { node: cm, snapshot: () => ({ role: 'cm', snapshot: cm.snapshot() }), submit: null, forget: (m, now) => cm.forget(m, now) };
      }
      const spec: NodeSpec = {
        role: 'cm',
        id,
        start: start ?? undefined,
        members: this.clientIds,
        replication: this.opts.replication,
        timing: this.timing,
        peerExists: this.opts.backup !== false,
      };
      return makeNode(durableFor(spec, entries), this.world.now);
    }
    const spec: NodeSpec = { role: 'client', id, timing: this.timing, restart: true, replicas: this.opts.replicas };
    return makeNode(durableFor(spec, entries), this.world.now);
  }

  /** A timer of one life: it never fires after that life ended, and fires late if it stalled. */
  private after(life: Life, ms: number, f: () => void): () => void {
    let cancelled = false;
    this.world.at(this.world.now + ms, life, () => {
      if (!cancelled) f();
    });
    return () => {
      cancelled = true;
    };
  }

  /**
   * Ends the life of `id`. Alone (`thread` false), as a kill does: in a pack its thread runs on
   * and lets it go. With its thread, as a crash of the worker does: every node of the thread ends.
   */
  private crash(id: NodeId, thread = false): NodeId[] {
    const down = thread ? this.threads.threadmates(id).filter((n) => this.running.has(n)) : [id];
    if (!this.running.has(id)) return [];
    for (const n of down) {
      const r = this.running.get(n)!;
      r.life.alive = false;
      r.host.stop();
      this.running.delete(n);
      if (!thread) this.threads.crashNode(n);
      for (const key of [...this.ends.keys()]) if (key.startsWith(`${n}->`) || key.endsWith(`->${n}`)) this.ends.delete(key);
      this.nemesisEvent('crash', n);
      if (!isCmId(n)) this.abortClientOp(Number(n.slice(1)));
    }
    if (thread) this.threads.crashThread(id);
    return down;
  }

  private restart(id: NodeId): void {
    if (this.running.has(id)) return;
    // Its lock is held until its pack has stored what it must keep of its last life.
    if (!this.threads.free(id)) {
      this.world.at(this.world.now + 1, null, () => this.restart(id));
      return;
    }
    this.nemesisEvent('restart', id);
    this.boot(id, id === PRIMARY_CM ? 'restartCM' : id === BACKUP_CM ? 'restartBackup' : null);
    if (!isCmId(id)) this.scheduleOp(Number(id.slice(1)));
  }

  // --- links ----------------------------------------------------------------------------

  private onSent(m: Message, at: number | null): void {
    this.result.messages[m.type] = (this.result.messages[m.type] ?? 0) + 1;
    if (at !== null && isPageMessage(m)) this.bumpInFlight(m.page, 1);
  }

  private onArrived(m: Message, delivered: boolean): void {
    if (isPageMessage(m)) this.bumpInFlight(m.page, -1);
    if (!delivered) return;
    if (this.opts.transcript) this.result.transcript.push(`${this.world.now.toFixed(3)} ${describeMessage(m)}`);
    if (this.opts.checkInvariants !== false) this.checkInvariants();
  }

  private onLog(id: NodeId, level: LogLevel, text: string): void {
    if (level === 'error') this.result.violations.push(`${id}: ${text}`);
    else if (level === 'warn') this.result.warnings.push(`${id}: ${text}`);
  }

  // --- workload -------------------------------------------------------------------------

  private issue(process: number): void {
    const id = clientNodeId(process);
    const r = this.running.get(id);
    if (!r) return;
    const op = this.workload.next(process);
    if (!op) return;
    this.result.opsIssued += 1;
    const value = op.kind === 'write' ? op.value : null;
    if (op.kind === 'write') {
      const pages = this.written.get(id) ?? new Set<PageId>();
      this.written.set(id, pages.add(op.page));
    }
    this.record({ process, type: 'invoke', f: op.kind, key: op.page, value, time: this.world.now });
    const life = r.life;
    const invokedAt = this.world.now;
    r.host.submitOp(op, (res) => {
      if (!life.alive) return;
      const type = res.ok ? 'ok' : res.certain ? 'fail' : 'info';
      if (!res.ok && res.away !== undefined && this.mayHold(res.away, op.page, res.error, invokedAt))
        this.result.excused.push(this.result.history.length);
      this.record({ process, type, f: op.kind, key: op.page, value: res.ok ? res.value : value, time: this.world.now });
      this.workload.done(process);
      this.scheduleOp(process);
    });
  }

  /**
   * Whether a failure naming `member` as the page's holder is one the cluster owes no service
   * for: the member left for good, and it may really hold the page (it asked to write it), or
   * the CM says it took over without a full record, so anything may be anywhere it was.
   */
  private mayHold(member: NodeId, page: PageId, error: string, invokedAt: number): boolean {
    if (!this.result.left.includes(member)) return false;
    // With replicas the page comes back once the operator forgets the member: only operations
    // begun before that (the CM may have failed them already) are owed nothing.
    // The word is in effect only where the acting CM no longer lists the member (one that took
    // over from a CM cut off or crashed when told may not know it until the operator looks again).
    const forgottenAt = this.forgotten.get(member);
    const inEffect = forgottenAt !== undefined && !this.listedByActingCm(member);
    if ((this.opts.replicas ?? 0) > 0 && inEffect && invokedAt >= forgottenAt) return false;
    return this.written.get(member)?.has(page) === true || error.includes(INCOMPLETE_RECORD);
  }

  private scheduleOp(process: number): void {
    this.world.at(this.world.now + this.workload.thinkTimeMs(), null, () => this.issue(process));
  }

  /** A crashed client's operation in flight may or may not have happened. */
  private abortClientOp(process: number): void {
    if (!this.workload.isPending(process)) return;
    const op = this.workload.pendingOp(process);
    const value = op?.kind === 'write' ? op.value : null;
    this.record({ process, type: 'info', f: op?.kind ?? 'read', key: op?.page ?? '', value, time: this.world.now });
    this.workload.done(process);
  }

  // --- faults ---------------------------------------------------------------------------

  /** The CMs that believe they act, newest epoch first (a fenced one may not know it yet). */
  private actingCms(): NodeId[] {
    const acting: Array<{ id: NodeId; epoch: number }> = [];
    for (const id of this.cmIds) {
      const n = this.running.get(id)?.made.node;
      if (n instanceof CentralManager ? n.currentRole === 'acting' : n !== undefined) {
        acting.push({ id, epoch: n instanceof CentralManager ? n.epoch : 0 });
      }
    }
    return acting.sort((a, b) => b.epoch - a.epoch).map((a) => a.id);
  }

  private actingCm(): NodeId | null {
    return this.actingCms()[0] ?? null;
  }

  private injectFault(): void {
    // Faults stop with a good share of the workload left, so every run also shows recovery.
    if (this.workload.progress() > FAULT_PROGRESS_MAX) return;
    const kind = this.nemesis.next();
    if (!kind) return;
    this.result.faults.push(kind);
    const acting = this.actingCm() ?? PRIMARY_CM;
    const standby = acting === PRIMARY_CM ? BACKUP_CM : PRIMARY_CM;
    const down = this.nemesis.downMs(kind);
    let restart: NodeId[] = [];
    switch (kind) {
      case 'crash-primary':
        restart = this.crashAll([acting]);
        break;
      case 'crash-backup':
        restart = this.crashAll([standby]);
        break;
      case 'crash-both':
        restart = this.crashAll([acting, standby]);
        break;
      case 'crash-client':
        restart = this.crashAll([this.world.rng.pick(this.clientIds)]);
        break;
      case 'outage':
        restart = this.crashAll([this.world.rng.pick([...this.cmIds, ...this.clientIds])]);
        break;
      case 'partition-primary':
        this.net.isolate(
          acting,
          [...this.cmIds, ...this.clientIds].filter((n) => n !== acting),
        );
        this.nemesisEvent('partition', acting);
        break;
      case 'power':
        restart = this.powerCut();
        break;
      case 'crash-commit':
        this.faultsActive = true;
        this.crashDuringCommit(down);
        return;
      case 'stall':
        this.stall(this.world.rng.pick([...this.running.keys()].sort()), down);
        break;
      case 'leave-client':
        this.leave(this.world.rng.pick(this.clientIds));
        break;
      case 'leave-cm':
        this.leave(this.world.rng.pick(this.cmIds));
        break;
      case 'hostile':
        this.hostile();
        break;
    }
    this.faultsActive = true;
    this.world.at(this.world.now + down, null, () => this.heal(restart));
  }

  private crashAll(ids: NodeId[], thread = false): NodeId[] {
    const down: NodeId[] = [];
    for (const id of ids) if (!this.result.left.includes(id)) down.push(...this.crash(id, thread));
    return down.filter((id) => !this.result.left.includes(id));
  }

  /**
   * Picks a node and crashes it while its next commit is on the way to disk; heals once it is
   * back (or, if it commits nothing for a while, without having crashed it).
   */
  /** Crashes a thread while its next write is on its way to disk: its nodes come back after `downMs`. */
  private crashDuringCommit(downMs: number): void {
    const id = this.world.rng.pick([...this.running.keys()].sort());
    const cancel = this.threads.crashDuringNextWrite(id, () => {
      const down = this.crashAll([id], true);
      this.world.at(this.world.now + downMs, null, () => this.heal(down));
    });
    this.world.at(this.world.now + COMMIT_WAIT_MS_MAX, null, () => {
      if (cancel?.() !== false) this.heal([]);
    });
  }

  /** Some machines lose power: their threads die, and their disks keep only what was flushed. */
  private powerCut(): NodeId[] {
    const running = [...this.running.keys()].sort();
    const hit = running.filter(() => this.world.rng.chance(0.5));
    if (hit.length === 0 && running.length > 0) hit.push(this.world.rng.pick(running));
    const down: NodeId[] = [];
    for (const id of hit) {
      if (!this.running.has(id)) continue;
      down.push(...this.crashAll([id], true));
      this.threads.powerCut(id);
    }
    this.nemesisEvent('power', down.join(' '));
    return down;
  }

  private stall(id: NodeId, ms: number): void {
    if (!this.running.has(id)) return;
    this.threads.stall(id, this.world.now + ms);
    this.nemesisEvent('stall', id);
  }

  private leave(id: NodeId): void {
    if (this.crash(id).length > 0) this.result.left.push(id);
    if (!isCmId(id)) this.workload.retire(Number(id.slice(1)));
    // A client's pages come back from their replicas once it is forgotten; without replicas they
    // would only be declared lost, so the operator leaves it be.
    if (isCmId(id) || (this.opts.replicas ?? 0) > 0) this.world.at(this.world.now + OPERATOR_REACTS_MS, null, () => this.forget(id));
    this.nemesisEvent('leave', id);
  }

  /**
   * The operator tells the acting CM that a node is gone for good (for a CM, else first writes
   * wait for its record forever; for a client, its pages come back from their replicas),
   * retrying while no CM acts.
   */
  private forget(id: NodeId): void {
    const answers = [PRIMARY_CM, BACKUP_CM].flatMap((cm) => (cm === id ? [] : [this.running.get(cm)?.host.forget(id) ?? '']));
    if (answers.some((a) => a.startsWith('forgot'))) {
      this.forgotten.set(id, this.world.now);
      this.nemesisEvent('forget', id);
    }
    // A CM that acts later (it took over from the one told, cut off at the time) may not know:
    // the operator looks again, as a person would who sees the node still listed, and tells it.
    this.world.at(this.world.now + OPERATOR_REACTS_MS, null, () => {
      if (!this.forgotten.has(id) || this.listedByActingCm(id)) this.forget(id);
    });
  }

  private listedByActingCm(id: NodeId): boolean {
    return [...this.running.values()].some((r) => {
      const s = r.host.snapshot();
      return s.role === 'cm' && s.snapshot.role === 'acting' && s.snapshot.members.includes(id);
    });
  }

  /**
   * A burst of hostile frames, through the validator as real frames go: on one client's links to
   * the CMs and to the other clients, and on a CM's links to clients (a key holder that took a
   * CM's identity). Only the first kind uses the client's own request numbers.
   */
  private hostile(): void {
    const from = this.world.rng.pick(this.clientIds);
    const pages = Array.from({ length: this.opts.pages }, (_, i) => pageName(i + 1));
    const epoch = Math.max(
      0,
      ...this.cmIds.map((id) => {
        const n = this.running.get(id)?.made.node;
        return n instanceof CentralManager ? n.epoch : 0;
      }),
    );
    const client = this.running.get(from)?.made.node;
    if (!(client instanceof ClientNode)) return;
    this.nemesisEvent('hostile', from);
    if (!this.result.hostile.includes(from)) this.result.hostile.push(from);
    const others = this.clientIds.filter((id) => id !== from);
    for (let i = 1 + this.world.rng.int(HOSTILE_BURST_MAX); i > 0; i--) {
      const delay = Math.round(this.world.rng.between(0, 50) * 1000) / 1000;
      const route = others.length > 0 ? this.world.rng.int(3) : 0;
      if (route === 0) {
        const to = this.world.rng.pick(this.cmIds);
        const make = (): unknown =>
          hostileFrame(this.world.rng, { from, to, epoch, pages, clients: this.clientIds, truth: client.holdings() });
        this.ends.get(`${from}->${to}`)?.injectRaw(make, delay);
        continue;
      }
      const sender = route === 1 ? from : this.world.rng.pick(this.cmIds);
      const to = this.world.rng.pick(others);
      const forge = route === 1 ? clientToClientFrame : cmToClientFrame;
      // Built on arrival, against the receiver then running: it never names its request in flight.
      const make = (): unknown => forge(this.world.rng, this.toClientContext(sender, to, epoch, pages));
      this.ends.get(`${sender}->${to}`)?.injectRaw(make, delay);
    }
  }

  private toClientContext(from: NodeId, to: NodeId, epoch: number, pages: readonly string[]): ToClientContext {
    const c = this.running.get(to)?.made.node;
    const inFlight = c instanceof ClientNode ? (c.snapshot().inFlight?.req ?? null) : null;
    return { from, to, epoch, pages, inFlight, seq: c instanceof ClientNode ? c.durable().seq : 0 };
  }

  private heal(restart: NodeId[]): void {
    this.net.healAll();
    this.nemesisEvent('heal', null);
    // Restart in a seeded order: which CM comes back first matters.
    const order = restart.length === 2 && this.world.rng.chance(0.5) ? [...restart].reverse() : restart;
    for (const id of order) this.restart(id);
    this.faultsActive = false;
    this.result.lastHealMs = this.world.now;
    this.world.at(this.world.now + this.nemesis.gapMs(), null, () => this.injectFault());
  }

  private nemesisEvent(f: string, value: string | null): void {
    this.record({ process: 'nemesis', type: 'info', f, value, time: this.world.now });
  }

  // --- bookkeeping ----------------------------------------------------------------------

  private record(e: HistoryEvent): void {
    // Thousandths of a millisecond: sums of delays must not print as 7.661999999999999.
    this.result.history.push({ ...e, time: Math.round(e.time * 1000) / 1000 });
  }

  private bumpInFlight(page: string, by: number): void {
    this.inFlightPerPage.set(page, (this.inFlightPerPage.get(page) ?? 0) + by);
  }

  private checkInvariants(): void {
    const now = this.world.now;
    const cms: ManagerSnapshot[] = [];
    for (const id of this.cmIds) {
      const cm = this.running.get(id)?.made.node;
      if (cm && 'snapshot' in cm) cms.push((cm as SimManager).snapshot());
    }
    // A reader's copy counts while its lease runs at this instant, not at the client's last step.
    const clients: ClientSnapshot[] = [];
    for (const id of this.clientIds) {
      const c = this.running.get(id)?.made.node;
      if (c instanceof ClientNode) {
        const s = c.snapshot();
        s.leased = c.leasedAt(now);
        clients.push(s);
      }
    }
    // Metadata agreement is only owed by a CM that has heard from every client and is unfenced.
    const acting = this.actingCm();
    const cm = cms.find((s) => s.id === acting);
    const present = this.clientIds.length - this.result.left.filter((id) => !isCmId(id)).length;
    const settled =
      !this.faultsActive &&
      clients.length === present &&
      this.actingCms().length === 1 &&
      cm !== undefined &&
      clients.every((c) => c.epoch === cm.epoch);
    // A page message waiting for its sender's commit is on its way as much as one on the wire:
    // its sender's table already shows it gone.
    const awaitingDisk = new Map<string, number>();
    for (const r of this.running.values()) {
      for (const m of r.host.messagesAwaitingDisk()) if (isPageMessage(m)) awaitingDisk.set(m.page, (awaitingDisk.get(m.page) ?? 0) + 1);
    }
    // Handed on (by a forward the CM repeated while the sender was stalled or down) to a node that
    // is not running: the page went with it, whatever report the CM heard before.
    const versionOf = new Map((cm?.pages ?? []).map((p) => [p.page, p.version]));
    const handedToAbsent = (page: string): boolean =>
      this.clientIds.some((id) => {
        const c = this.running.get(id)?.made.node;
        const h = c instanceof ClientNode ? c.lastHandoff(page) : undefined;
        return h !== undefined && h.version >= (versionOf.get(page) ?? 0) && !this.running.has(h.to);
      });
    const inTransit = (page: string): boolean =>
      (this.inFlightPerPage.get(page) ?? 0) + (awaitingDisk.get(page) ?? 0) > 0 || handedToAbsent(page);
    const broken = checkCluster({ cms, clients }, { settled, inTransit }).find((r) => !r.ok);
    if (broken) this.result.violations.push(`t=${now}: ${broken.detail}`);
  }
}

/** Debugging aid: the state of every running node at the end of a run. */
export function simulateWithState(opts: SimOptions): { result: SimResult; nodes: Map<NodeId, IvyNode> } {
  const sim = new Simulation(opts);
  const result = sim.run();
  return { result, nodes: sim.nodes() };
}

export function simulate(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}
