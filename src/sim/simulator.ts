// Runs real protocol nodes on a simulated network under one seed: every delay, every choice of
// operation, every fault and every interleaving comes from the seed, so a run replays byte for
// byte. Nodes persist to a simulated disk that survives their crashes.
import { ClientNode, type ClientDurable } from '../protocol/client.ts';
import { timing as makeTiming, type ReplicationMode, type Timing } from '../protocol/config.ts';
import { BACKUP_CM, clientNodeId, isCmId, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import { CentralManager, type CmDurable, type CmStart, type ManagerSnapshot } from '../protocol/manager.ts';
import { describeMessage, isPageMessage, type Message, type MessageType } from '../protocol/messages.ts';
import type { IvyNode, NodeEvent } from '../protocol/node.ts';
import { TimedQueue } from './heap.ts';
import type { HistoryEvent } from './history.ts';
import { checkCluster } from './invariants.ts';
import { NEMESIS_DEFAULTS, Nemesis, type FaultKind, type NemesisOptions } from './nemesis.ts';
import { NETWORK_DEFAULTS, SimNetwork, type NetworkOptions } from './network.ts';
import { Rng } from './rng.ts';
import { Workload, type WorkloadOptions } from './workload.ts';

export interface SimManager extends IvyNode {
  snapshot(): ManagerSnapshot;
}

export interface SimOptions extends WorkloadOptions {
  seed: number;
  network?: NetworkOptions;
  /** Faults to inject (none by default) and how. */
  faults?: readonly FaultKind[];
  nemesis?: Partial<Omit<NemesisOptions, 'faults'>>;
  replication?: ReplicationMode;
  /** Without a backup CM: basic Ivy, as a baseline. */
  backup?: boolean;
  timing?: Partial<Timing>;
  tickMs?: number;
  /** Replaces the CM, e.g. with a deliberately broken one to prove the checker bites. */
  makeManager?: (id: NodeId) => SimManager;
  /** Checks the cross-node invariants after every delivery (on by default). */
  checkInvariants?: boolean;
  /** Records every delivered message as a transcript line. */
  transcript?: boolean;
  /** Virtual time after which the run stops even if operations are pending. */
  timeLimitMs?: number;
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
}

type SimEvent =
  | { kind: 'deliver'; message: Message }
  | { kind: 'op'; process: number }
  | { kind: 'tick' }
  | { kind: 'fault' }
  | { kind: 'heal'; restart: NodeId[] };

const TICK_MS_DEFAULT = 10;
const FAULT_PROGRESS_MAX = 0.6;

export class Simulation {
  private readonly rng: Rng;
  private readonly net: SimNetwork;
  private readonly queue = new TimedQueue<SimEvent>();
  private readonly timing: Timing;
  private readonly nodes = new Map<NodeId, IvyNode | null>();
  private readonly disks = new Map<NodeId, unknown>();
  private readonly workload: Workload;
  private readonly nemesis: Nemesis;
  private readonly inFlightPerPage = new Map<string, number>();
  private readonly clientIds: NodeId[] = [];
  private readonly result: SimResult = {
    history: [], messages: {}, opsIssued: 0, violations: [], warnings: [], transcript: [], endTimeMs: 0, lastHealMs: 0,
  };
  private faultsActive = false;
  private now = 0;

  constructor(private readonly opts: SimOptions) {
    this.rng = new Rng(opts.seed);
    this.net = new SimNetwork(this.rng, opts.network ?? NETWORK_DEFAULTS);
    this.timing = makeTiming(opts.timing);
    this.workload = new Workload(opts, this.rng);
    this.nemesis = new Nemesis({ ...NEMESIS_DEFAULTS, ...opts.nemesis, faults: opts.faults ?? [] }, this.rng);
    for (let p = 1; p <= opts.clients; p++) this.clientIds.push(clientNodeId(p));
    this.nodes.set(PRIMARY_CM, this.makeCm(PRIMARY_CM, 'primary'));
    if (opts.backup !== false) this.nodes.set(BACKUP_CM, this.makeCm(BACKUP_CM, 'backup'));
    for (const [p, id] of this.clientIds.entries()) {
      this.nodes.set(id, new ClientNode({ id, timing: this.timing }));
      this.scheduleOp(p + 1);
    }
    for (const node of this.nodes.values()) if (node) this.flush(node);
    this.queue.push(this.opts.tickMs ?? TICK_MS_DEFAULT, { kind: 'tick' });
    if (this.nemesis.active) this.queue.push(this.nemesis.gapMs(), { kind: 'fault' });
  }

  private makeCm(id: NodeId, start: CmStart): IvyNode {
    if (this.opts.makeManager) return this.opts.makeManager(id);
    const durable = this.disks.get(id) as CmDurable | undefined;
    return new CentralManager({
      id, start, members: this.clientIds, replication: this.opts.replication, timing: this.timing, durable, now: this.now,
      peerExists: this.opts.backup !== false,
    });
  }

  run(): SimResult {
    const limit = this.opts.timeLimitMs ?? 600_000;
    for (let ev = this.queue.pop(); ev; ev = this.queue.pop()) {
      if (ev.time > limit) break;
      this.now = ev.time;
      this.handle(ev.value);
      if (this.result.violations.length > 0) break;
      if (this.workload.finished() && !this.faultsActive) break;
    }
    this.result.endTimeMs = this.now;
    return this.result;
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case 'deliver': this.deliver(ev.message); break;
      case 'op': this.issue(ev.process); break;
      case 'tick': this.tickAll(); break;
      case 'fault': this.injectFault(); break;
      case 'heal': this.heal(ev.restart); break;
    }
  }

  private deliver(m: Message): void {
    if (isPageMessage(m)) this.bumpInFlight(m.page, -1);
    const node = this.nodes.get(m.to);
    if (!node || this.net.isCut(m.from, m.to)) return;
    if (this.opts.transcript) this.result.transcript.push(`${this.now.toFixed(3)} ${describeMessage(m)}`);
    node.step(m, this.now);
    this.flush(node);
    if (this.opts.checkInvariants !== false) this.checkInvariants();
  }

  private tickAll(): void {
    for (const node of this.nodes.values()) {
      if (!node) continue;
      node.tick(this.now);
      this.flush(node);
    }
    this.queue.push(this.now + (this.opts.tickMs ?? TICK_MS_DEFAULT), { kind: 'tick' });
  }

  private issue(process: number): void {
    const client = this.nodes.get(clientNodeId(process));
    if (!(client instanceof ClientNode)) return;
    const op = this.workload.next(process);
    if (!op) return;
    this.result.opsIssued += 1;
    const value = op.kind === 'write' ? op.value : null;
    this.record({ process, type: 'invoke', f: op.kind, key: op.page, value, time: this.now });
    client.submit(op, this.now);
    this.flush(client);
  }

  private flush(node: IvyNode): void {
    const { messages, events, persist } = node.ready();
    // The disk write lands before any message leaves, as a host must order them.
    if (persist !== undefined) this.disks.set(node.id, persist());
    for (const m of messages) {
      this.result.messages[m.type] = (this.result.messages[m.type] ?? 0) + 1;
      const at = this.net.arrivalTime(m.from, m.to, this.now);
      if (at === null) continue;
      if (isPageMessage(m)) this.bumpInFlight(m.page, 1);
      this.queue.push(at, { kind: 'deliver', message: m });
    }
    for (const e of events) this.onEvent(node.id, e);
  }

  private onEvent(nodeId: NodeId, e: NodeEvent): void {
    if (e.type === 'log') {
      if (e.level === 'error') this.result.violations.push(`${nodeId}: ${e.text}`);
      else if (e.level === 'warn') this.result.warnings.push(`${nodeId}: ${e.text}`);
      return;
    }
    const process = Number(nodeId.slice(1));
    const r = e.result;
    const type = r.ok ? 'ok' : r.certain ? 'fail' : 'info';
    const value = r.ok ? r.value : this.workload.pendingValue(process);
    this.record({ process, type, f: e.kind, key: e.page, value, time: this.now });
    this.workload.done(process);
    this.scheduleOp(process);
  }

  private scheduleOp(process: number): void {
    this.queue.push(this.now + this.workload.thinkTimeMs(), { kind: 'op', process });
  }

  // --- faults ---------------------------------------------------------------------------

  /** The CMs that believe they act, newest epoch first (a fenced one may not know it yet). */
  private actingCms(): NodeId[] {
    const acting: Array<{ id: NodeId; epoch: number }> = [];
    for (const id of [PRIMARY_CM, BACKUP_CM]) {
      const n = this.nodes.get(id);
      if (n instanceof CentralManager ? n.currentRole === 'acting' : n && 'snapshot' in n) {
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
    const acting = this.actingCm() ?? PRIMARY_CM;
    const standby = acting === PRIMARY_CM ? BACKUP_CM : PRIMARY_CM;
    let restart: NodeId[] = [];
    switch (kind) {
      case 'crash-primary': restart = this.crash([acting]); break;
      case 'crash-backup': restart = this.crash([standby]); break;
      case 'crash-both': restart = this.crash([acting, standby]); break;
      case 'crash-client': restart = this.crash([this.rng.pick(this.clientIds)]); break;
      case 'partition-primary':
        this.net.isolate(acting, [...this.nodes.keys()].filter((n) => n !== acting));
        this.nemesisEvent('partition', acting);
        break;
    }
    this.faultsActive = true;
    this.queue.push(this.now + this.nemesis.downMs(), { kind: 'heal', restart });
  }

  private crash(ids: NodeId[]): NodeId[] {
    const down = ids.filter((id) => this.nodes.get(id));
    for (const id of down) {
      this.nodes.set(id, null);
      this.nemesisEvent('crash', id);
      if (!isCmId(id)) this.abortClientOp(Number(id.slice(1)));
    }
    return down;
  }

  /** A crashed client's operation in flight may or may not have happened. */
  private abortClientOp(process: number): void {
    if (!this.workload.isPending(process)) return;
    const op = this.workload.pendingOp(process);
    const value = op?.kind === 'write' ? op.value : null;
    this.record({ process, type: 'info', f: op?.kind ?? 'read', key: op?.page ?? '', value, time: this.now });
    this.workload.done(process);
  }

  private heal(restart: NodeId[]): void {
    this.net.healAll();
    this.nemesisEvent('heal', null);
    // Restart in a seeded order: which CM comes back first matters.
    const order = restart.length === 2 && this.rng.chance(0.5) ? [...restart].reverse() : restart;
    for (const id of order) this.restart(id);
    this.faultsActive = false;
    this.result.lastHealMs = this.now;
    this.queue.push(this.now + this.nemesis.gapMs(), { kind: 'fault' });
  }

  private restart(id: NodeId): void {
    this.nemesisEvent('restart', id);
    let node: IvyNode;
    if (id === PRIMARY_CM) node = this.makeCm(id, 'restartCM');
    else if (id === BACKUP_CM) node = this.makeCm(id, 'restartBackup');
    else {
      node = new ClientNode({ id, timing: this.timing, durable: this.disks.get(id) as ClientDurable | undefined });
      this.scheduleOp(Number(id.slice(1)));
    }
    this.nodes.set(id, node);
    this.flush(node);
  }

  private nemesisEvent(f: string, value: string | null): void {
    this.record({ process: 'nemesis', type: 'info', f, value, time: this.now });
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
    const acting = this.actingCm();
    const cm = acting ? this.nodes.get(acting) : null;
    const clients = new Map<NodeId, ClientNode>();
    for (const id of this.clientIds) {
      const c = this.nodes.get(id);
      if (c instanceof ClientNode) clients.set(id, c);
    }
    const snapshot = cm && 'snapshot' in cm ? (cm as SimManager).snapshot() : null;
    // Metadata agreement is only owed by a CM that has heard from every client and is unfenced.
    const settled = !this.faultsActive && clients.size === this.clientIds.length && this.actingCms().length === 1 &&
      snapshot !== null && [...clients.values()].every((c) => c.snapshot().epoch === snapshot.epoch);
    const exact = (this.opts.faults ?? []).length === 0;
    const problem = checkCluster(snapshot, clients, (page) => this.inFlightPerPage.get(page) ?? 0, settled, exact);
    if (problem) this.result.violations.push(`t=${this.now}: ${problem}`);
  }
}

export function simulate(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}
