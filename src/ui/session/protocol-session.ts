// Everything the live protocol views need, kept for the page's lifetime (the views come and go
// with the mode): the recorded session, step mode, link faults and the live checks.
import type { Cluster } from '../../workers/cluster.ts';
import { commonNow } from '../../host/env.ts';
import type { InvariantResult } from '../../protocol/invariants.ts';
import { checkInvariants, StableVerdicts } from './invariants.ts';
import { linVerdict, type LinVerdict } from './linearizability.ts';
import { LinkFaultsModel } from './links.ts';
import { LiveSession } from './live-session.ts';
import { toRecording, type Recording } from './recording.ts';
import { Stepper } from './stepper.ts';
import { LiveSource, type ViewSource } from './views.ts';

const RECHECK_MS = 500;

export class ProtocolSession {
  readonly live: LiveSession;
  readonly stepper: Stepper;
  readonly links: LinkFaultsModel;
  invariants: (InvariantResult & { settling: boolean })[] = [];
  verdict: LinVerdict | null = null;
  private readonly source: LiveSource;
  private readonly judge = new StableVerdicts();
  private readonly listeners = new Set<() => void>();
  private checkedOps = '';
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly stopLive: () => void;

  constructor(
    readonly cluster: Cluster,
    private readonly now: () => number = commonNow,
  ) {
    this.live = new LiveSession(cluster, now);
    this.source = new LiveSource(this.live, now);
    this.stepper = new Stepper(
      cluster,
      () => this.live.held(),
      () => this.changed(),
    );
    this.links = new LinkFaultsModel(
      cluster,
      (kind, a, b) => this.live.note(kind, a, `${kind === 'partition' ? 'partitioned' : 'healed'} ${a} ↔ ${b}`, b),
      () => this.changed(),
    );
    this.stopLive = this.live.onChange(() => this.recheck());
    this.timer = setInterval(() => this.recheck(), RECHECK_MS);
  }

  view(): ViewSource {
    return this.source.get();
  }

  recording(): Recording {
    return toRecording(this.live.record(), new Date());
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    clearInterval(this.timer);
    this.stopLive();
    this.stepper.dispose();
    this.links.dispose();
    this.live.dispose();
  }

  /** Starts the record afresh (the panel's Clear): the history goes on from what the clients hold. */
  clear(): void {
    this.live.clear();
    this.recheck();
  }

  /** The cluster was reset: nothing of the old run is shown or judged any more. */
  reset(): void {
    this.live.reset();
    this.recheck();
  }

  private recheck(): void {
    this.invariants = this.judge.judge(checkInvariants(this.live.states()), this.now());
    const view = this.view();
    // The verdict changes only when an operation starts or ends, or the record starts afresh.
    const ops = view.ops;
    const doneCount = ops.length * 2 - ops.filter((o) => o.outcome === 'open').length;
    const key = `${doneCount}|${view.prehistory.inherited.length}|${view.prehistory.partial}|${this.live.epoch}`;
    if (key !== this.checkedOps) {
      this.checkedOps = key;
      this.verdict = ops.length === 0 ? null : linVerdict(ops, view.prehistory);
    }
    this.changed();
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
