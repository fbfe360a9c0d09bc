// The protocol core driven in one thread for `npm run bench`: an acting CM (cm1), its standby
// (cm2) and a few clients, one FIFO of messages, and a fixed round of work that makes every
// common message kind flow as it does in a run (read faults, a write fault that invalidates
// copies, a pulse and its reply carrying the round's metadata changes to the standby, a client
// re-asked for its report, lease heartbeats and grants).
// Each delivery times the node's step() plus the ready() that drains it, as a host pays them.
import { ClientNode } from '../src/protocol/client.ts';
import { BACKUP_CM, clientNodeId, PRIMARY_CM, type NodeId } from '../src/protocol/ids.ts';
import { CentralManager } from '../src/protocol/manager.ts';
import type { Message, MessageType } from '../src/protocol/messages.ts';
import type { IvyNode, Ready } from '../src/protocol/node.ts';

/** Every timed call of one kind, in milliseconds. */
export type Tally = Map<MessageType, number[]>;

export type BenchShape = { clients: number; pages: number; rounds: number };

/** Time per round: a pulse interval, so the standby pulses once a round and keeps listening. */
const ROUND_MS = 100;

type Deliver = (node: IvyNode, m: Message, now: number) => Ready;

function deliver(node: IvyNode, m: Message, now: number): Ready {
  node.step(m, now);
  return node.ready();
}

/**
 * One named door per kind, so that a CPU profile of the bench (--profile) shows under which
 * message kind every sampled function ran.
 */
const VIA: { [K in MessageType]: Deliver } = {
  READ_REQUEST: (n, m, t) => deliver(n, m, t),
  WRITE_REQUEST: (n, m, t) => deliver(n, m, t),
  READ_FORWARD: (n, m, t) => deliver(n, m, t),
  WRITE_FORWARD: (n, m, t) => deliver(n, m, t),
  PAGE: (n, m, t) => deliver(n, m, t),
  READ_CONFIRMATION: (n, m, t) => deliver(n, m, t),
  WRITE_CONFIRMATION: (n, m, t) => deliver(n, m, t),
  INVALIDATE: (n, m, t) => deliver(n, m, t),
  INVALIDATE_CONFIRMATION: (n, m, t) => deliver(n, m, t),
  REQUEST_FAILED: (n, m, t) => deliver(n, m, t),
  REPLICATE: (n, m, t) => deliver(n, m, t),
  REPLICA_ACK: (n, m, t) => deliver(n, m, t),
  CHANGE_CM: (n, m, t) => deliver(n, m, t),
  CLIENT_REPORT: (n, m, t) => deliver(n, m, t),
  PULSE: (n, m, t) => deliver(n, m, t),
  PULSE_REPLY: (n, m, t) => deliver(n, m, t),
  IM_BACK: (n, m, t) => deliver(n, m, t),
  CM_STATE: (n, m, t) => deliver(n, m, t),
  LEASE: (n, m, t) => deliver(n, m, t),
  LEASE_GRANT: (n, m, t) => deliver(n, m, t),
};

export const KINDS = Object.keys(VIA) as MessageType[];

export function addTime(t: Tally, type: MessageType, ms: number): void {
  const samples = t.get(type);
  if (samples) samples.push(ms);
  else t.set(type, [ms]);
}

export class BenchCluster {
  private readonly nodes = new Map<NodeId, IvyNode>();
  private readonly clients: ClientNode[] = [];
  private readonly standby: CentralManager;
  private readonly queue: Message[] = [];
  private now = 0;
  /** Every message delivered, in order, for the baseline and validation passes. */
  readonly delivered: Message[] = [];
  readonly steps: Tally = new Map();
  opsDone = 0;

  constructor(private readonly shape: BenchShape) {
    const acting = new CentralManager({ id: PRIMARY_CM, start: 'primary', now: 0 });
    this.standby = new CentralManager({ id: BACKUP_CM, start: 'backup', now: 0 });
    this.nodes.set(PRIMARY_CM, acting).set(BACKUP_CM, this.standby);
    for (let n = 1; n <= shape.clients; n++) {
      const c = new ClientNode({ id: clientNodeId(n), cm: PRIMARY_CM });
      this.clients.push(c);
      this.nodes.set(c.id, c);
    }
    this.drain(acting);
  }

  /**
   * One round on one page: a writer faults (invalidating the last round's readers), two
   * readers fault, the standby pulses, and a client answers a re-ask with its report. Roles
   * rotate over the clients and pages, so copy sets and owners keep changing.
   */
  round(i: number): void {
    const { clients, pages } = this.shape;
    const page = `P${i % pages}`;
    const who = (k: number): ClientNode => this.clients[(i + k) % clients]!;
    this.submit(who(0), { kind: 'write', page, value: `v${i}` });
    this.submit(who(1), { kind: 'read', page });
    this.submit(who(2), { kind: 'read', page });
    this.now += ROUND_MS;
    this.standby.tick(this.now);
    this.drain(this.standby);
    // One client's clock runs too: its lease heartbeat goes out when due.
    who(4).tick(this.now);
    this.drain(who(4));
    this.run();
    // What an acting CM sends a client it wants a report from (askReports).
    this.queue.push({ type: 'CHANGE_CM', from: PRIMARY_CM, to: who(3).id, epoch: 1, ask: 1 });
    this.run();
  }

  private submit(c: ClientNode, op: Parameters<ClientNode['submit']>[0]): void {
    c.submit(op, this.now);
    this.drain(c);
    this.run();
  }

  private run(): void {
    for (let m = this.queue.shift(); m; m = this.queue.shift()) {
      const node = this.nodes.get(m.to);
      if (!node) throw new Error(`bench: no node ${m.to}`);
      this.now += 0.001;
      const t0 = performance.now();
      const r = VIA[m.type](node, m, this.now);
      const ms = performance.now() - t0;
      addTime(this.steps, m.type, ms);
      this.delivered.push(m);
      this.queue.push(...r.messages);
      for (const e of r.events) {
        if (e.type === 'op-done' && e.result.ok) this.opsDone += 1;
        if (e.type === 'log' && e.level !== 'info') throw new Error(`bench: ${node.id} logged ${e.level}: ${e.text}`);
      }
    }
  }

  private drain(node: IvyNode): void {
    const r = node.ready();
    this.queue.push(...r.messages);
    for (const e of r.events) if (e.type === 'op-done' && e.result.ok) this.opsDone += 1;
  }
}
