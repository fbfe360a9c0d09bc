// Runs real protocol nodes on a simulated network under one seed: every delay, every choice of
// operation and every interleaving comes from the seed, so a run replays byte for byte.
import { ClientNode } from '../protocol/client.ts';
import { clientNodeId, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import { CentralManager, type ManagerSnapshot } from '../protocol/manager.ts';
import { describeMessage, type Message, type MessageType } from '../protocol/messages.ts';
import type { IvyNode, NodeEvent } from '../protocol/node.ts';
import { TimedQueue } from './heap.ts';
import type { HistoryEvent } from './history.ts';
import { checkCluster } from './invariants.ts';
import { NETWORK_DEFAULTS, SimNetwork, type NetworkOptions } from './network.ts';
import { Rng } from './rng.ts';
import { Workload, type WorkloadOptions } from './workload.ts';

export interface SimManager extends IvyNode {
  snapshot(): ManagerSnapshot;
}

export interface SimOptions extends WorkloadOptions {
  seed: number;
  network?: NetworkOptions;
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
}

type SimEvent = { kind: 'deliver'; message: Message } | { kind: 'op'; process: number };

export class Simulation {
  private readonly rng: Rng;
  private readonly net: SimNetwork;
  private readonly queue = new TimedQueue<SimEvent>();
  private readonly manager: SimManager;
  private readonly clients = new Map<NodeId, ClientNode>();
  private readonly workload: Workload;
  private readonly inFlightPerPage = new Map<string, number>();
  private readonly result: SimResult = {
    history: [], messages: {}, opsIssued: 0, violations: [], warnings: [], transcript: [], endTimeMs: 0,
  };
  private now = 0;

  constructor(private readonly opts: SimOptions) {
    this.rng = new Rng(opts.seed);
    this.net = new SimNetwork(this.rng, opts.network ?? NETWORK_DEFAULTS);
    this.manager = opts.makeManager?.(PRIMARY_CM) ?? new CentralManager({ id: PRIMARY_CM });
    this.workload = new Workload(opts, this.rng);
    for (let p = 1; p <= opts.clients; p++) {
      const id = clientNodeId(p);
      this.clients.set(id, new ClientNode({ id, cm: PRIMARY_CM }));
      this.scheduleOp(p);
    }
  }

  run(): SimResult {
    const limit = this.opts.timeLimitMs ?? Infinity;
    for (let ev = this.queue.pop(); ev; ev = this.queue.pop()) {
      if (ev.time > limit) break;
      this.now = ev.time;
      if (ev.value.kind === 'deliver') this.deliver(ev.value.message);
      else this.issue(ev.value.process);
      if (this.result.violations.length > 0) break;
    }
    this.result.endTimeMs = this.now;
    return this.result;
  }

  private node(id: NodeId): IvyNode | undefined {
    return id === this.manager.id ? this.manager : this.clients.get(id);
  }

  private deliver(m: Message): void {
    this.bumpInFlight(m.page, -1);
    const node = this.node(m.to);
    if (!node || this.net.isCut(m.from, m.to)) return;
    if (this.opts.transcript) this.result.transcript.push(`${this.now} ${describeMessage(m)}`);
    node.step(m, this.now);
    this.flush(node);
    if (this.opts.checkInvariants !== false) this.checkInvariants();
  }

  private issue(process: number): void {
    const op = this.workload.next(process);
    if (!op) return;
    const client = this.clients.get(clientNodeId(process));
    if (!client) return;
    this.result.opsIssued += 1;
    const value = op.kind === 'write' ? op.value : null;
    this.record({ process, type: 'invoke', f: op.kind, key: op.page, value, time: this.now });
    client.submit(op, this.now);
    this.flush(client);
  }

  private flush(node: IvyNode): void {
    const { messages, events } = node.ready();
    for (const m of messages) {
      this.result.messages[m.type] = (this.result.messages[m.type] ?? 0) + 1;
      const at = this.net.arrivalTime(m.from, m.to, this.now);
      if (at === null) continue;
      this.bumpInFlight(m.page, 1);
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

  private record(e: HistoryEvent): void {
    this.result.history.push(e);
  }

  private bumpInFlight(page: string, by: number): void {
    this.inFlightPerPage.set(page, (this.inFlightPerPage.get(page) ?? 0) + by);
  }

  private checkInvariants(): void {
    const problem = checkCluster(this.manager.snapshot(), this.clients, (page) => this.inFlightPerPage.get(page) ?? 0);
    if (problem) this.result.violations.push(`t=${this.now}: ${problem}`);
  }
}

export function simulate(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}
