// The cluster an experiment runs on: the dashboard's Cluster (one worker per node, a
// MessageChannel per pair) of experiment workers, plus a second Comlink grip on each worker for
// the experiment-only calls (runWorkload, leaveHolding, messagesSent). The spawn function is wrapped to keep each worker's
// endpoint; Comlink counts proxies per endpoint, so the extra grip never releases the worker.
import * as Comlink from 'comlink';
import type { Replicas, ReplicationMode, Timing } from '../protocol/config.ts';
import { clientNodeId, type NodeId } from '../protocol/ids.ts';
import { Cluster } from '../workers/cluster.ts';
import type { NodeSpec } from '../host/make-node.ts';
import type { MessageCounts } from '../workers/message-count.ts';
import type { SpawnWorker } from '../workers/node-handle.ts';
import type { StartInfo } from '../workers/worker-api.ts';
import type { ExperimentWorkerApi } from './experiment-worker.ts';
import type { LeavePlan, LeaveReport } from './leave.ts';
import { addCounts } from './stats.ts';
import type { Durability } from '../protocol/config.ts';

/** Where durable state goes: the store nodes keep their state in, when there is one. */
export interface DurableStore {
  name: string;
  /** How far each commit goes (disk/volume.ts). */
  durability: Durability;
  /** Deletes what the store holds. */
  drop(): Promise<void>;
}

export interface ClusterShape {
  clients: number;
  backup: boolean;
  replication: ReplicationMode;
  /** For every node: they must agree on the lease. */
  timing?: Partial<Timing>;
  /** For every client (config.ts Replicas); 0 if absent. */
  replicas?: Replicas;
}

type CmSpec = Extract<NodeSpec, { role: 'cm' }>;

export const CM_IDS = ['cm1', 'cm2'] as const;
export type CmId = (typeof CM_IDS)[number];

export class ExperimentCluster {
  readonly cluster: Cluster;
  private readonly remotes = new Map<NodeId, Comlink.Remote<ExperimentWorkerApi>>();
  private readonly pendingEndpoints = new Map<string, Comlink.Endpoint>();
  /** Messages sent by node lives that have ended (killed workers). */
  private sentByDead: MessageCounts = {};

  constructor(
    spawn: SpawnWorker,
    private readonly shape: ClusterShape,
    private readonly store: DurableStore | null,
  ) {
    this.cluster = new Cluster(
      (name) => {
        const w = spawn(name);
        this.pendingEndpoints.set(name, w.endpoint);
        return w;
      },
      { startMs: 30_000, controlMs: 15_000, operationMs: 30_000 },
    );
  }

  clientIds(): NodeId[] {
    return Array.from({ length: this.shape.clients }, (_, i) => clientNodeId(i + 1));
  }

  async startAll(): Promise<void> {
    await this.start(this.cmSpec('cm1', 'primary'));
    if (this.shape.backup) await this.start(this.cmSpec('cm2', 'backup'));
    for (const id of this.clientIds()) {
      await this.start({ role: 'client', id, replicas: this.shape.replicas ?? 0, ...this.common() });
    }
  }

  api(id: NodeId): Comlink.Remote<ExperimentWorkerApi> {
    const r = this.remotes.get(id);
    if (!r) throw new Error(`${id} is not running`);
    return r;
  }

  running(id: NodeId): boolean {
    return this.remotes.has(id);
  }

  /**
   * Kills the node: it stops (links closed, clock stopped) and its worker is terminated. A
   * terminated worker can run on for a few milliseconds on a busy machine, so the node is told
   * to stop first and the kill time is when it confirmed: nothing it does comes later. What it
   * sent is collected on the way (a dead worker cannot say).
   */
  async kill(id: NodeId): Promise<{ at: number; role: string }> {
    const api = this.api(id);
    const [, state] = await Promise.all([api.stop(), api.snapshot()]);
    const at = performance.timeOrigin + performance.now();
    await this.terminate(id);
    return { at, role: state.role === 'cm' ? state.snapshot.role : 'client' };
  }

  /** The client leaves for good once it holds a page and a copy (leave.ts); it is never restarted. */
  async leave(id: NodeId, plan: LeavePlan): Promise<LeaveReport> {
    const report = await this.api(id).leaveHolding(plan);
    await this.terminate(id);
    return report;
  }

  /** restartCM for cm1, restartBackup for cm2, from what the CM persisted (its worker reads it). */
  async restartCm(id: CmId): Promise<void> {
    await this.start(this.cmSpec(id, id === 'cm1' ? 'restartCM' : 'restartBackup'));
  }

  /** A client again, with what it persisted (its worker reads it). */
  async restartClient(id: NodeId): Promise<StartInfo> {
    return this.start({ role: 'client', id, restart: true, seqStart: Date.now(), replicas: this.shape.replicas ?? 0, ...this.common() });
  }

  /** Every message sent so far, by the running nodes and by the dead. */
  async messagesSent(): Promise<MessageCounts> {
    const live = await Promise.all([...this.remotes.values()].map((r) => r.messagesSent()));
    return live.reduce(addCounts, this.sentByDead);
  }

  async stop(): Promise<void> {
    this.cluster.killAll();
    this.remotes.clear();
    await this.store?.drop();
  }

  /** A stopped node's worker goes; what it sent is kept. */
  private async terminate(id: NodeId): Promise<void> {
    const sent = await this.api(id).messagesSent();
    this.cluster.kill(id);
    this.remotes.delete(id);
    this.sentByDead = addCounts(this.sentByDead, sent);
  }

  private common(): { store?: string; durability?: Durability; timing?: Partial<Timing> } {
    return {
      ...(this.store ? { store: this.store.name, durability: this.store.durability } : {}),
      ...(this.shape.timing ? { timing: this.shape.timing } : {}),
    };
  }

  private cmSpec(id: CmId, start: 'primary' | 'backup' | 'restartCM' | 'restartBackup'): CmSpec {
    return { role: 'cm', id, start, members: this.clientIds(), replication: this.shape.replication, ...this.common() };
  }

  private async start(spec: NodeSpec): Promise<StartInfo> {
    const { info, warnings } = await this.cluster.start(spec);
    if (warnings.length > 0) throw new Error(warnings.join('; '));
    const endpoint = this.pendingEndpoints.get(`ivy-${spec.id}`);
    this.pendingEndpoints.delete(`ivy-${spec.id}`);
    if (!endpoint) throw new Error(`no worker endpoint for ${spec.id}`);
    this.remotes.set(spec.id, Comlink.wrap<ExperimentWorkerApi>(endpoint));
    return info;
  }
}
