// The page's grip on one node worker: typed Comlink calls, each with a deadline, and kill.
import * as Comlink from 'comlink';
import type { NodeId } from '../protocol/ids.ts';
import type { OpResult } from '../protocol/node.ts';
import type { LinkFaults } from '../net/faults.ts';
import type { LinkOrigin } from '../net/message-codec.ts';
import { ControlError, PendingCalls } from '../util/deadline.ts';
import type { HostEvent } from '../host/node-host.ts';
import type { StepSettings } from '../host/trace.ts';
import type { NodeRole, NodeSpec, NodeState } from '../host/make-node.ts';
import type { NodeWorkerApi, StartInfo } from './worker-api.ts';

/** A worker as the page sees it; tests substitute an in-process one. */
export interface WorkerLike {
  endpoint: Comlink.Endpoint;
  /** Ends the node: its worker, or its place in a shared one (placement.ts). */
  terminate(): void;
  /** Nodes whose workers name the same thread run in it together and link in memory. */
  thread?: string;
}

export type SpawnWorker = (name: string) => WorkerLike;

export interface ControlTimeouts {
  /** Loading a worker's module graph can take a while on a cold dev server. */
  startMs: number;
  controlMs: number;
  /** readPage / writePage wait for the protocol round trip. */
  operationMs: number;
}

export const DEFAULT_TIMEOUTS: ControlTimeouts = { startMs: 20_000, controlMs: 5_000, operationMs: 10_000 };

export class NodeHandle {
  private readonly remote: Comlink.Remote<NodeWorkerApi>;
  private readonly pending = new PendingCalls();
  private killed = false;
  /** What the worker said when the node started (where its state is kept); null until then. */
  info: StartInfo | null = null;

  constructor(
    readonly spec: NodeSpec,
    private readonly worker: WorkerLike,
    private readonly timeouts: ControlTimeouts,
  ) {
    this.remote = Comlink.wrap<NodeWorkerApi>(worker.endpoint);
  }

  get id(): NodeId {
    return this.spec.id;
  }

  get role(): NodeRole {
    return this.spec.role;
  }

  get alive(): boolean {
    return !this.killed;
  }

  /** The thread this node shares with others (packed placement); undefined for a worker of its own. */
  get thread(): string | undefined {
    return this.worker.thread;
  }

  async start(): Promise<StartInfo> {
    this.info = await this.call('start', this.timeouts.startMs, () => this.remote.start(this.spec));
    return this.info;
  }

  begin(): Promise<void> {
    return this.call('begin', this.timeouts.controlMs, () => this.remote.begin());
  }

  /** Hands the worker its end of a channel to `peer`; the port moves, it is not copied. */
  connect(peer: NodeId, port: MessagePort, origin: LinkOrigin): Promise<void> {
    return this.call(`connect to ${peer}`, this.timeouts.controlMs, () =>
      this.remote.connect(peer, Comlink.transfer(port, [port]), origin),
    );
  }

  /** Links this node and `peer`, which runs in the same thread, in memory (both ends at once). */
  connectLocal(peer: NodeId): Promise<void> {
    return this.call(`connect in memory to ${peer}`, this.timeouts.controlMs, () => this.remote.connectLocal(peer));
  }

  disconnect(peer: NodeId): Promise<void> {
    return this.call(`disconnect from ${peer}`, this.timeouts.controlMs, () => this.remote.disconnect(peer));
  }

  setLinkFaults(peer: NodeId, faults: Partial<LinkFaults>): Promise<void> {
    return this.call(`set faults to ${peer}`, this.timeouts.controlMs, () => this.remote.setLinkFaults(peer, faults));
  }

  readPage(page: string): Promise<OpResult> {
    return this.call<OpResult>(`readPage ${page}`, this.timeouts.operationMs, () => this.remote.readPage(page));
  }

  writePage(page: string, content: string): Promise<OpResult> {
    return this.call<OpResult>(`writePage ${page}`, this.timeouts.operationMs, () => this.remote.writePage(page, content));
  }

  setStepSettings(settings: StepSettings): Promise<void> {
    return this.call('set step mode', this.timeouts.controlMs, () => this.remote.setStepSettings(settings));
  }

  deliverHeld(frameId: number): Promise<void> {
    return this.call(`deliver frame ${frameId}`, this.timeouts.controlMs, () => this.remote.deliverHeld(frameId));
  }

  dropHeld(frameId: number): Promise<void> {
    return this.call(`drop frame ${frameId}`, this.timeouts.controlMs, () => this.remote.dropHeld(frameId));
  }

  forget(member: NodeId): Promise<string> {
    return this.call<string>(`forget ${member}`, this.timeouts.controlMs, () => this.remote.forget(member));
  }

  snapshot(): Promise<NodeState> {
    return this.call<NodeState>('snapshot', this.timeouts.controlMs, () => this.remote.snapshot());
  }

  /** Live events until the returned function is called (or the node dies). */
  async subscribe(listener: (e: HostEvent) => void): Promise<() => void> {
    const id = await this.call('subscribe', this.timeouts.controlMs, () => this.remote.subscribe(Comlink.proxy(listener)));
    return () => {
      if (this.killed) return;
      this.call('unsubscribe', this.timeouts.controlMs, () => this.remote.unsubscribe(id)).catch(() => {});
    };
  }

  /** Terminates the worker (or ends the node in a shared one): nothing of it survives but what it stored, and calls still waiting fail now. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.worker.terminate();
    this.pending.failAll(`${this.id} was killed`);
  }

  private call<T>(what: string, ms: number, f: () => Promise<T>): Promise<T> {
    if (this.killed) return Promise.reject(new ControlError(`${this.id} was killed; cannot ${what}`));
    return this.pending.run(f, ms, `${this.id} ${what}`);
  }
}
