// The dashboard's state and actions: the registry (shared by every tab) and the node workers
// running in this tab. Components render it and call its actions; it holds no protocol logic.
import { BACKUP_CM, clientNumber, isCmId, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import type { Registry, RegistryContents } from '../registry/registry.ts';
import type { Cluster } from '../workers/cluster.ts';
import type { NodeSpec } from '../host/make-node.ts';
import { isNodeRunsElsewhere, nodeLockName, NodeRunsElsewhere } from '../host/node-lock.ts';
import { CmWatch, type CmStatus } from './cm-watch.ts';
import { removeStoreFiles } from '../disk/opfs-volume.ts';
import { describeError } from '../util/errors.ts';

export const REGISTRY_CHANNEL = 'ivy-registry';
/**
 * How often the locks of this profile are looked at: a tab that closes or crashes tells nobody,
 * and its nodes' locks are the only sign that they stopped.
 */
const LOCKS_LOOK_MS = 1_000;

/** What tabs tell each other: the registry changed, or the cluster was reset. */
type TabNotice = { type: 'changed' } | { type: 'reset' };

export interface RegistryRow {
  nodeId: NodeId;
  role: 'primary CM' | 'backup CM' | 'client';
  status: string;
  address: string;
  runningHere: boolean;
  /** Since when (this page's wall clock) the acting CM here deems it away; null: it does not. */
  awaySince: number | null;
}

export class ClusterModel {
  contents: RegistryContents = { cms: [], clients: [] };
  /** What the registry last said of its database going from under this tab; null: nothing. */
  registryNotice: string | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly resetListeners = new Set<() => void>();
  private readonly onNotice = (e: MessageEvent): void => void this.heardFromTab(e.data);
  private readonly stopWatchingCluster: () => void;
  private readonly cms: CmWatch;
  /** Registered nodes whose lock another tab or worker of this browser holds. */
  private elsewhere: ReadonlySet<NodeId> = new Set();
  private readonly locksTimer: ReturnType<typeof setInterval> | null;

  constructor(
    private readonly registry: Registry,
    readonly cluster: Cluster,
    /** This tab's address in registry records. */
    readonly address: string,
    private readonly channel: BroadcastChannel | null,
  ) {
    channel?.addEventListener('message', this.onNotice);
    this.stopWatchingCluster = cluster.onChange(() => this.changed());
    this.cms = new CmWatch(cluster, () => this.changed());
    this.locksTimer = cluster.locks ? setInterval(() => void this.lookAtLocks(), LOCKS_LOOK_MS) : null;
    // A registry deleted under this tab (another tab, Clear site data) gets back the nodes
    // running here, so a Restart of them later finds them registered.
    registry.keepRegistered(
      (id) => cluster.get(id) !== undefined,
      (text) => {
        console.warn(text);
        this.registryNotice = text;
        void this.registryChanged().catch(() => {});
      },
    );
  }

  /** Whether Web Locks keep each node id to one run in this browser (not outside secure contexts). */
  get guarded(): boolean {
    return this.cluster.locks !== null;
  }

  /** The acting CM among those running here, with its epoch; null while none acts. */
  acting(): CmStatus | null {
    return this.cms.acting();
  }

  cmStatuses(): CmStatus[] {
    return this.cms.statuses();
  }

  /** Whom the acting CM here deems away, since when (this page's wall clock). */
  away(): ReadonlyMap<NodeId, number> {
    return this.cms.away();
  }

  /**
   * Where the cluster runs, when that is another tab of this browser: its nodes are workers of
   * that tab, and nodes started here reach only this tab's own. Null when this tab runs a CM or
   * nothing runs elsewhere.
   */
  elsewhereNotice(): string | null {
    if (this.elsewhere.size === 0 || this.cluster.nodes().some((h) => h.role === 'cm')) return null;
    const ids = [...this.elsewhere].sort();
    return (
      `This cluster runs in another tab of this browser (${ids.join(', ')}): nodes started here reach only nodes of this tab. ` +
      'Work in that tab, or Reset the cluster to start a new one here.'
    );
  }

  rows(): RegistryRow[] {
    const here = (id: NodeId): boolean => this.cluster.get(id) !== undefined;
    const away = this.away();
    // What the registry recorded is history; whether a node runs is told by its lock (held by
    // whichever tab runs it), or, without locks, known only for this tab.
    const status = (id: NodeId, address: string, killed: boolean): string => {
      if (here(id)) return 'running';
      if (this.elsewhere.has(id)) return 'running in another tab';
      return this.guarded || address === this.address || killed ? 'stopped' : 'not in this tab';
    };
    return [
      ...this.contents.cms.map((c) => ({
        nodeId: c.nodeId,
        role: c.role === 'primary' ? ('primary CM' as const) : ('backup CM' as const),
        status: status(c.nodeId, c.address, false),
        address: c.address,
        runningHere: here(c.nodeId),
        awaySince: away.get(c.nodeId) ?? null,
      })),
      ...this.contents.clients.map((c) => ({
        nodeId: c.nodeId,
        role: 'client' as const,
        status: status(c.nodeId, c.address, c.status === 'killed'),
        address: c.address,
        runningHere: here(c.nodeId),
        awaySince: away.get(c.nodeId) ?? null,
      })),
    ];
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Told when the cluster is reset, here or in another tab. */
  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  async refresh(): Promise<void> {
    this.contents = await this.registry.list();
    await this.lookAtLocks();
    this.changed();
  }

  /** The seed's "Start CM"; throws with the registry's reason when refused. */
  async startCm(): Promise<string> {
    const r = await this.registry.registerCm(this.address);
    await this.registryChanged();
    if (!r.ok) throw new Error(r.error);
    const label = `${r.record.role} CM ${r.record.nodeId}`;
    return this.run(label, () =>
      this.cluster.start({
        role: 'cm',
        id: r.record.nodeId,
        start: r.record.role,
        members: this.clientIds(),
        store: this.registry.name,
      }),
    );
  }

  /** The seed's "Start client": the next id, whichever tab asks. */
  async startClient(): Promise<string> {
    const r = await this.registry.registerClient(this.address);
    await this.registryChanged();
    if (!r.ok) throw new Error(r.error);
    // It follows the CM acting here, not cm1 at epoch 1: after a takeover, an idle new client
    // would otherwise follow a CM that is down or standing by (make-node.ts NodeSpec.follow).
    const acting = this.acting();
    const spec: NodeSpec = {
      role: 'client',
      id: r.record.nodeId,
      store: this.registry.name,
      ...(acting ? { follow: { cm: acting.id, epoch: acting.epoch } } : {}),
    };
    return this.run(`client ${r.record.nodeId}`, () => this.cluster.start(spec));
  }

  /**
   * Reboots a registered node that does not run here, on its old identity and from what it
   * persisted: cm1 with restartCM (it takes the title back), cm2 with restartBackup (standby),
   * a client with the pages it owned.
   */
  async restart(id: NodeId): Promise<string> {
    // A node killed here holds its lock until it has let go (in a pack: until its home file is
    // stored); that is not another tab running it.
    await this.cluster.ended(id);
    await this.refresh();
    if (this.cluster.get(id)) throw new Error(`${id} is running in this tab; kill it before restarting it`);
    // Its lock says it runs in another tab: refused before a worker is even spawned (the
    // worker's own attempt at the lock settles any race).
    if (this.elsewhere.has(id)) throw this.runsElsewhere(id, new NodeRunsElsewhere(id));
    // The worker reads what the node stored, once it holds the node's lock (durableFor).
    if (isCmId(id)) {
      if (!this.contents.cms.some((c) => c.nodeId === id)) throw new Error(`${id} is not registered; Start CM registers it`);
      const start = id === PRIMARY_CM ? 'restartCM' : 'restartBackup';
      const spec: NodeSpec = { role: 'cm', id, start, members: this.clientIds(), store: this.registry.name };
      return this.rerun(id, `${id} again with ${start}`, spec);
    }
    const n = clientNumber(id);
    if (n === null || !this.contents.clients.some((c) => c.id === n)) throw new Error(`${id} is not registered`);
    const spec: NodeSpec = { role: 'client', id, restart: true, seqStart: Date.now(), store: this.registry.name };
    return this.rerun(id, `client ${id} again`, spec);
  }

  async kill(id: NodeId): Promise<string> {
    const thread = this.cluster.get(id)?.thread;
    if (!this.cluster.kill(id)) throw new Error(`${id} is not running in this tab`);
    // Other tabs are told once the worker has let go of the id: a Restart there then works.
    await this.cluster.ended(id);
    const n = clientNumber(id);
    if (n !== null) await this.registry.setClientStatus(n, 'killed');
    await this.registryChanged();
    const how = thread === undefined ? 'its worker is terminated' : `its host in ${thread} is stopped and dropped; the others there run on`;
    return `killed ${id}: ${how}${await this.forgetKilledCm(id)}`;
  }

  /**
   * A CM killed here is surely down (its worker or host is gone), so the acting CM need not wait
   * for its record of first writes: this tab says so for the operator, as `forget` would. A
   * restarted CM pulses again and gets a whole copy before it could take over.
   */
  private async forgetKilledCm(id: NodeId): Promise<string> {
    if (!isCmId(id)) return '';
    const other = id === PRIMARY_CM ? BACKUP_CM : PRIMARY_CM;
    const answer = await this.cluster
      .get(other)
      ?.forget(id)
      .catch(() => '');
    return answer?.startsWith('forgot') ? `; ${other} no longer waits for it to record first writes` : '';
  }

  /** The seed's "empty the /data folder", for every tab: each stops the nodes it runs. */
  async reset(): Promise<string> {
    this.cluster.killAll();
    // Other tabs stop their nodes first: their workers hold the log files this removes.
    this.post({ type: 'reset' });
    const [, removed] = await Promise.all([this.registry.reset(), removeStoreFiles(this.registry.name)]);
    this.wasReset();
    await this.refresh();
    return removed
      ? 'cluster reset: registry emptied, every node stopped and its state removed'
      : 'cluster reset: registry emptied and every node stopped, but some state files are still held (a tab that did not stop its ' +
          'nodes?) and were left: a node started anew takes nothing from them but a CM its last epoch';
  }

  dispose(): void {
    if (this.locksTimer !== null) clearInterval(this.locksTimer);
    this.channel?.removeEventListener('message', this.onNotice);
    this.stopWatchingCluster();
    this.cms.dispose();
  }

  /** Every registered client: the members a CM asks for reports when it takes over. */
  private clientIds(): NodeId[] {
    return this.contents.clients.map((c) => c.nodeId);
  }

  /**
   * Starts a registered node again here; its record then names this tab. Refused at once when
   * it runs in another tab of this browser (its lock is held), saying which tab started it.
   */
  private async rerun(id: NodeId, label: string, spec: NodeSpec): Promise<string> {
    let said: string;
    try {
      said = await this.run(label, () => this.cluster.start(spec));
    } catch (e) {
      if (!isNodeRunsElsewhere(e)) throw e;
      await this.lookAtLocks();
      throw this.runsElsewhere(id, e as Error);
    }
    await this.registry.restarted(id, this.address);
    await this.registryChanged();
    return said;
  }

  /** The refusal a person reads: which tab the registry says started the node. */
  private runsElsewhere(id: NodeId, e: Error): Error {
    const where = [...this.contents.cms, ...this.contents.clients].find((r) => r.nodeId === id)?.address;
    return new Error(`${e.message}${where ? ` (started by ${where})` : ''}: kill it there first`);
  }

  private async lookAtLocks(): Promise<void> {
    const locks = this.cluster.locks;
    if (!locks) return;
    const held = await locks.held().catch(() => new Set<string>());
    const ids = [...this.contents.cms, ...this.contents.clients].map((r) => r.nodeId);
    const elsewhere = new Set(ids.filter((id) => !this.cluster.get(id) && held.has(nodeLockName(this.registry.name, id))));
    if (elsewhere.size === this.elsewhere.size && [...elsewhere].every((id) => this.elsewhere.has(id))) return;
    this.elsewhere = elsewhere;
    this.changed();
  }

  private async run(label: string, start: () => ReturnType<Cluster['start']>): Promise<string> {
    try {
      const { info, warnings } = await start();
      const kept = info.recovered === null ? '' : ` (${info.recovered})`;
      return [`started ${label}${kept}`, ...info.notes, ...warnings].join('; ');
    } catch (e) {
      if (isNodeRunsElsewhere(e)) throw e;
      throw new Error(`registered ${label}, but its worker did not start: ${describeError(e)}`, { cause: e });
    } finally {
      this.changed();
    }
  }

  private async registryChanged(): Promise<void> {
    this.post({ type: 'changed' });
    await this.refresh();
  }

  private async heardFromTab(data: unknown): Promise<void> {
    const notice = data as Partial<TabNotice> | null;
    if (notice?.type === 'reset') {
      this.cluster.killAll();
      this.wasReset();
    }
    if (notice?.type === 'reset' || notice?.type === 'changed') await this.refresh();
  }

  private wasReset(): void {
    for (const l of [...this.resetListeners]) l();
  }

  private post(notice: TabNotice): void {
    this.channel?.postMessage(notice);
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
