// The session as the page sees it live: every node's messages, operations, held frames and
// state, gathered from the hosts' event streams into bounded buffers. Views read immutable
// copies and are told of changes at most every UPDATE_MS.
import type { Cluster } from '../../workers/cluster.ts';
import type { HostEvent } from '../../host/node-host.ts';
import type { NodeState } from '../../host/make-node.ts';
import type { NodeHandle } from '../../workers/node-handle.ts';
import { commonNow } from '../../host/env.ts';
import type { HeldFrame, OpTrace, TracedMessage } from '../../host/trace.ts';
import { FailureLog } from './failures.ts';
import { Ring } from './ring.ts';
import type { FailureEvent, Inherited, SessionRecord } from './types.ts';

export const MESSAGES_MAX = 20_000;
export const OP_TRACES_MAX = 6000;
export const FAILURES_MAX = 500;
const UPDATE_MS = 100;

interface Followed {
  handle: NodeHandle;
  stop: (() => void) | null;
  /** A pushed state is newer than the snapshot asked for at subscription. */
  pushedState: boolean;
}

export class LiveSession {
  readonly startedAt = commonNow();
  private readonly messages = new Ring<TracedMessage>(MESSAGES_MAX);
  private readonly ops = new Ring<OpTrace>(OP_TRACES_MAX);
  private readonly failures = new Ring<FailureEvent>(FAILURES_MAX);
  private readonly failureLog = new FailureLog();
  private inherited: Inherited[] = [];
  private cleared = false;
  private readonly followed = new Map<string, Followed>();
  private heldFrames = new Map<string, HeldFrame[]>();
  private nodeStates = new Map<string, NodeState>();
  private readonly listeners = new Set<() => void>();
  private pending: ReturnType<typeof setTimeout> | null = null;
  private readonly stopCluster: () => void;
  /** Bumped on every change, so views can tell whether to recompute. */
  version = 0;
  /** Bumped whenever the record starts afresh (Clear, reset). */
  epoch = 0;

  constructor(
    readonly cluster: Cluster,
    private readonly now: () => number = commonNow,
  ) {
    this.stopCluster = cluster.onChange(() => this.sync());
    this.sync();
  }

  record(): SessionRecord {
    return {
      messages: this.messages.toArray(),
      ops: this.ops.toArray(),
      failures: this.failures.toArray(),
      inherited: [...this.inherited],
      partial: this.cleared || this.ops.dropped > 0,
    };
  }

  /** Frames waiting in each node (step mode or added delay). */
  held(): ReadonlyMap<string, HeldFrame[]> {
    return this.heldFrames;
  }

  states(): ReadonlyMap<string, NodeState> {
    return this.nodeStates;
  }

  nodes(): string[] {
    return this.cluster.nodes().map((h) => h.id);
  }

  get droppedMessages(): number {
    return this.messages.dropped;
  }

  /** A fault or action the dashboard itself carried out (kill, start, partition, heal). */
  note(kind: FailureEvent['kind'], node: string | null, text: string, peer?: string): void {
    this.failures.push({ at: this.now(), node, kind, text, ...(peer === undefined ? {} : { peer }) });
    this.changed();
  }

  /**
   * Starts the record afresh. What the clients hold now is where the new history starts from,
   * and operations still open stay: their completions are yet to come.
   */
  clear(): void {
    const at = this.now();
    const open = openTraces(this.ops.toArray());
    this.messages.clear();
    this.ops.clear();
    this.ops.push(...open);
    this.failures.clear();
    this.inherited = [...this.nodeStates].flatMap(([node, s]) =>
      s.role === 'client'
        ? s.snapshot.pages.flatMap((p) => (p.content === null ? [] : [{ at, node, page: p.page, value: p.content }]))
        : [],
    );
    this.cleared = true;
    this.epoch += 1;
    this.changed();
  }

  /** Empties everything, as for a cluster that was reset: no node, no history. */
  reset(): void {
    this.messages.clear();
    this.ops.clear();
    this.failures.clear();
    this.inherited = [];
    this.cleared = false;
    this.epoch += 1;
    this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.stopCluster();
    for (const f of this.followed.values()) f.stop?.();
    this.followed.clear();
    if (this.pending !== null) clearTimeout(this.pending);
  }

  private sync(): void {
    for (const [id, f] of this.followed) {
      if (this.cluster.get(id) === f.handle) continue;
      f.stop?.();
      this.followed.delete(id);
      this.failureLog.forget(id);
      this.heldFrames = new Map([...this.heldFrames].filter(([n]) => n !== id));
      this.nodeStates = new Map([...this.nodeStates].filter(([n]) => n !== id));
      this.note('kill', id, `${id} stopped (worker terminated)`);
    }
    for (const handle of this.cluster.nodes()) {
      if (this.followed.has(handle.id)) continue;
      const f: Followed = { handle, stop: null, pushedState: false };
      this.followed.set(handle.id, f);
      void this.follow(f);
    }
  }

  private async follow(f: Followed): Promise<void> {
    try {
      const stop = await f.handle.subscribe((e) => this.onEvent(f, e));
      if (this.followed.get(f.handle.id) !== f) return stop();
      f.stop = stop;
      // Noted once the node's events reach the page: the message view counts frames to it from here.
      const brought = broughtBack(f.handle, this.now());
      this.inherited.push(...brought);
      this.note(
        'start',
        f.handle.id,
        brought.length > 0
          ? `${f.handle.id} started from its persisted state (${brought.map((v) => v.page).join(', ')})`
          : `${f.handle.id} started`,
      );
      const state = await f.handle.snapshot();
      if (this.followed.get(f.handle.id) === f && !f.pushedState) this.onEvent(f, { type: 'state', state });
    } catch {
      // Killed while subscribing: sync() forgets it.
    }
  }

  private onEvent(f: Followed, e: HostEvent): void {
    if (this.followed.get(f.handle.id) !== f) return;
    const node = f.handle.id;
    switch (e.type) {
      case 'trace': {
        this.messages.push(e.message);
        const event = this.failureLog.fromMessage(e.message);
        if (event) this.failures.push(event);
        break;
      }
      case 'held':
        this.heldFrames = new Map(this.heldFrames).set(node, e.held);
        break;
      case 'op':
        this.ops.push(e.op);
        break;
      case 'state': {
        f.pushedState = true;
        this.nodeStates = new Map(this.nodeStates).set(node, e.state);
        const event = this.failureLog.fromState(node, e.state, this.now());
        if (event) this.failures.push(event);
        break;
      }
      case 'log': {
        const event = this.failureLog.fromLog(node, e.text, e.at);
        if (!event) return;
        this.failures.push(event);
        break;
      }
      case 'op-done':
        return;
    }
    this.changed();
  }

  private changed(): void {
    this.version += 1;
    if (this.pending !== null) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      for (const l of [...this.listeners]) l();
    }, UPDATE_MS);
  }
}

/** The page values a node restarted from its persisted state holds before it does anything (its worker says). */
function broughtBack(handle: NodeHandle, at: number): Inherited[] {
  return (handle.info?.held ?? []).map(({ page, value }) => ({ at, node: `${handle.id}'s persisted state`, page, value }));
}

/** The traces of operations not yet done. */
function openTraces(traces: readonly OpTrace[]): OpTrace[] {
  const done = new Set(traces.filter((t) => t.phase === 'done').map((t) => `${t.node}#${t.opId}`));
  return traces.filter((t) => !done.has(`${t.node}#${t.opId}`));
}
