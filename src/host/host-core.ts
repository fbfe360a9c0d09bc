// Runs one protocol node in any world (a Web Worker, a tab, the simulator), as raft's RawNode runs
// its state machine: delivers the frames of its links (host-links.ts) with step(), advances time
// with tick() on one timer armed for the node's next deadline (no polling: an idle node does not
// wake), and after each call carries out ready() through the commit gate: durable changes first,
// then the messages and acknowledgements that depend on them. It knows nothing of message kinds,
// and builds nothing for a watcher: it tells its observers the bare facts (what was received,
// sent, asked, answered, logged), and the inspector (inspector.ts) makes the dashboard's events of
// them. It can hold incoming frames for a person to deliver (step mode) or delay them.
import type { OpRequest } from '../protocol/client.ts';
import type { NodeId } from '../protocol/ids.ts';
import { describeMessage, type Message } from '../protocol/messages.ts';
import type { LogLevel, NodeEvent, OpResult } from '../protocol/node.ts';
import type { LinkFaults } from '../net/faults.ts';
import type { Transport } from '../net/transport.ts';
import { CommitGate, type Gated } from './commit-gate.ts';
import { outputScope } from '../protocol/durable.ts';
import { DeadlineTimer } from './deadline-timer.ts';
import type { HostEnv } from './env.ts';
import { HostLinks, type SendOutcome } from './host-links.ts';
import type { MadeNode, NodeState } from './make-node.ts';
import { Stepping } from './stepping.ts';
import { describeError, isQuotaError } from '../util/errors.ts';
import type { HeldFrame, StepSettings } from './trace.ts';

/** Ticks in a row at one instant while the node's deadline stays due (see tick()). */
const TICKS_AT_ONCE_MAX = 4;

export type OpDone = Extract<NodeEvent, { type: 'op-done' }>;

/**
 * What a core tells those who watch it, as it happens. Times are on the trace clock
 * (HostEnv.traceNow). An observer must not act on the core from inside a call; one that throws
 * is dropped, so that watching can never change what the node does.
 */
export interface HostObserver {
  /** A frame was handed to the node; `arrivedAt`: when it came off its link (it may have waited since). */
  received?(m: Message, arrivedAt: number): void;
  /** A message left the node for its link (see SendOutcome). */
  sent?(m: Message, outcome: SendOutcome): void;
  /** A held frame was thrown away by hand. */
  dropped?(m: Message, arrivedAt: number): void;
  /** The frames held for step mode or delay changed. */
  held?(): void;
  /** A user operation was handed to the node (one it refuses too; one the host turns away, stopped or on a CM, is not). */
  invoked?(opId: number, op: OpRequest): void;
  /** An operation's answer left the node, after its submitter heard it. */
  answered?(e: OpDone): void;
  log?(level: LogLevel, text: string, at: number): void;
  /** The node's state may have changed. */
  changed?(): void;
  stopped?(): void;
}

/** The gate's lanes besides one per peer: operation results, and the node's log. */
const OPS_LANE = ' ops';
const LOG_LANE = ' log';

/** What the node produced, in order; the gate releases it once its durable state is stored. */
type Output = { message: Message } | { event: NodeEvent; at: number };
type Answer = { event: OpDone; at: number };

function isAnswer(o: Output): o is Answer {
  return 'event' in o && o.event.type === 'op-done';
}

export class HostCore {
  private readonly links: HostLinks;
  private readonly observers: HostObserver[] = [];
  private readonly waiting = new Map<number, (r: OpResult) => void>();
  private readonly gate: CommitGate<Output>;
  private readonly stepping: Stepping<Message>;
  private readonly deadline: DeadlineTimer;
  private ticking = false;
  private stopped = false;
  /** Why the disk refuses the node's commits for want of room, while it does (see answerRefused). */
  private refused: Error | null = null;

  constructor(
    private readonly made: MadeNode,
    private readonly env: HostEnv,
  ) {
    this.links = new HostLinks(() => this.id, env, {
      frame: (peer, m) => this.deliver(peer, m),
      log: (level, text) => this.log(level, text),
    });
    this.gate = new CommitGate<Output>(
      env.disk,
      env.timers,
      (out) => this.release(out),
      (e) => this.storeFailed(e),
      () => {
        this.refused = null;
        this.log('info', `${this.id} stores its state again`);
      },
    );
    this.deadline = new DeadlineTimer(
      env.timers,
      () => this.now(),
      () => this.tick(),
    );
    this.stepping = new Stepping<Message>(
      env,
      (w) => this.step(w.frame, w.arrivedAt),
      () => this.tell((o) => o.held?.()),
    );
  }

  get id(): NodeId {
    return this.made.node.id;
  }

  /** Tells `observer` what happens from now on, until the returned function is called. */
  observe(observer: HostObserver): () => void {
    this.observers.push(observer);
    return () => this.unobserve(observer);
  }

  /** The node's clock: the world's, less the time its timers were frozen by step mode. */
  private now(): number {
    return this.stepping.nodeTime(this.env.now());
  }

  /** Joins a link to `peer`, replacing any previous one. */
  connect(peer: NodeId, transport: Transport<Message>): void {
    this.links.connect(peer, transport);
  }

  disconnect(peer: NodeId): void {
    this.links.disconnect(peer);
  }

  peers(): NodeId[] {
    return this.links.peers();
  }

  /** Throws when there is no such link or the faults are out of range. */
  setLinkFaults(peer: NodeId, faults: Partial<LinkFaults>): void {
    this.links.setFaults(peer, faults);
  }

  /** A user operation; `done` is called once the node answers and what the answer rests on is stored. */
  submitOp(op: OpRequest, done: (r: OpResult) => void): void {
    const submit = this.made.submit;
    if (!submit || this.stopped) {
      const error = this.stopped ? `${this.id} is stopped` : `${this.id} is a central manager: readPage and writePage run on clients`;
      done({ ok: false, error, certain: true });
      return;
    }
    const opId = submit(op, this.now());
    this.waiting.set(opId, done);
    this.tell((o) => o.invoked?.(opId, op));
    this.flush(true);
  }

  submit(op: OpRequest): Promise<OpResult> {
    return new Promise((resolve) => this.submitOp(op, resolve));
  }

  /** The console's `forget <member>` on a CM: its answer. */
  forget(member: NodeId): string {
    const forget = this.made.forget;
    if (this.stopped) return `error: ${this.id} is stopped`;
    if (!forget) return `error: forget runs on the acting CM, not on client ${this.id}`;
    const answer = forget(member, this.now());
    this.flush(true);
    return answer;
  }

  /** Step mode and added delay for incoming frames; releasing held frames delivers them in order. */
  setStepSettings(settings: StepSettings): void {
    this.stepping.configure(settings);
    // Frozen timers stood still; now they run on from where they stood.
    this.armTick(false);
  }

  /** Delivers one held frame; throws when an older frame from the same sender waits. */
  deliverHeld(id: number): void {
    this.stepping.deliver(id);
  }

  /** Throws a held frame away, as a lossy link would. */
  dropHeld(id: number): void {
    const w = this.stepping.drop(id);
    this.tell((o) => o.dropped?.(w.frame, w.arrivedAt));
  }

  heldFrames(): HeldFrame[] {
    return this.stepping.frames();
  }

  snapshot(): NodeState {
    return this.made.snapshot();
  }

  /** Messages the node has sent that wait for the disk before they leave (store before send). */
  messagesAwaitingDisk(): Message[] {
    const out: Message[] = [];
    for (const o of this.gate.heldOutputs()) if ('message' in o) out.push(o.message);
    return out;
  }

  /** Settles once nothing waits for the disk. */
  persisted(): Promise<void> {
    return new Promise((resolve) => this.gate.whenIdle(resolve));
  }

  /**
   * Sets the node going: what it produced on being built leaves (through the gate), and from
   * now on it is ticked at its deadlines (see IvyNode.nextDeadline). Hosts call this once the
   * node's links are in.
   */
  startTicking(): void {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    this.flush(true);
  }

  /**
   * Stops time, closes every link and drops what waits for the disk, as a crash would; the
   * node object is left as it was.
   */
  stop(): void {
    this.stopped = true;
    this.deadline.stop();
    this.tell((o) => o.stopped?.());
    this.stepping.stop();
    this.gate.stop();
    this.links.disconnectAll();
  }

  /** For the environment to tell observers what the node cannot. */
  notice(level: LogLevel, text: string): void {
    this.log(level, text);
  }

  tick(): void {
    if (this.stopped || this.stepping.frozen) return;
    const now = this.now();
    const node = this.made.node;
    this.guard('tick', () => node.tick(now));
    // A tick can make something due at once (a CM that takes over owes its peer a notice now):
    // that is ticked here and then, not a timer later.
    for (let i = 1; i < TICKS_AT_ONCE_MAX && node.nextDeadline() <= now; i++) this.guard('tick', () => node.tick(now));
    this.flush(false, true);
  }

  /** Keeps the deadline timer armed for the node's next deadline (while time runs for it). */
  private armTick(afterTick: boolean): void {
    if (!this.ticking || this.stopped || this.stepping.frozen) return;
    this.deadline.arm(this.made.node.nextDeadline(), afterTick);
  }

  private deliver(peer: NodeId, m: Message): void {
    const arrivedAt = this.env.traceNow();
    const admitted = this.stepping.admit(peer, m, arrivedAt);
    if (admitted === 'now') this.step(m, arrivedAt);
    else if (admitted === 'full') this.log('warn', `${this.id} holds too many frames; lost ${describeMessage(m)}`);
  }

  private step(m: Message, arrivedAt: number): void {
    if (this.stopped) return;
    this.tell((o) => o.received?.(m, arrivedAt));
    this.guard('step', () => this.made.node.step(m, this.now()));
    this.flush(true);
  }

  /**
   * Hands what the node asked for to the gate and re-arms its tick; `touched` says the state may
   * have changed regardless.
   */
  private flush(touched: boolean, afterTick = false): void {
    this.armTick(afterTick);
    const { messages, events, changes } = this.made.node.ready();
    if (messages.length + events.length > 0 || changes !== undefined) {
      const outputs: Array<Gated<Output>> = [];
      for (const message of messages) outputs.push({ value: { message }, lane: message.to, scope: outputScope(message) });
      const at = events.length > 0 ? this.env.traceNow() : 0;
      for (const event of events) {
        const gated: Gated<Output> =
          event.type === 'op-done'
            ? { value: { event, at }, lane: OPS_LANE, scope: event.page }
            : { value: { event, at }, lane: LOG_LANE, scope: null };
        outputs.push(gated);
      }
      this.gate.pass(outputs, changes);
      if (this.refused !== null) this.answerRefused();
    }
    if (touched || messages.length > 0 || events.length > 0) this.tell((o) => o.changed?.());
  }

  private storeFailed(e: Error): void {
    if (!isQuotaError(e)) {
      this.log('warn', `${this.id} could not store its state (${describeError(e)}); its messages and answers wait until it can`);
      return;
    }
    this.refused = e;
    this.log(
      'error',
      `${this.id} could not store its state: ${describeError(e)}. Operations that need a commit fail until it can; its messages wait`,
    );
    this.answerRefused();
  }

  /**
   * While the disk refuses for want of room, an operation whose answer waits for a commit is
   * answered at once with why, not left to a caller's deadline. What the node answered rests on
   * what could not be stored, so no success is told: a write is in the node's memory and is
   * stored once room is freed, so it may still take effect (unknown); a read takes no effect, so
   * its failure is certain; a failure the node gave stays as it was, with the reason added.
   */
  private answerRefused(): void {
    const e = this.refused;
    if (e === null) return;
    const why = describeError(e);
    for (const o of this.gate.withdraw(isAnswer)) {
      const r = o.event.result;
      const kind = o.event.kind;
      const result: OpResult = r.ok
        ? kind === 'write'
          ? { ok: false, certain: false, error: `${this.id} could not store this write (${why}); it may still take effect once it can` }
          : { ok: false, certain: true, error: `${this.id} could not store what this read rests on (${why})` }
        : { ...r, error: `${r.error} (${this.id} could not store its state: ${why})` };
      this.onNodeEvent({ ...o.event, result }, o.at);
    }
  }

  private release(outputs: Output[]): void {
    for (const o of outputs) {
      if ('message' in o) {
        const m = o.message;
        const outcome = this.links.send(m);
        this.tell((ob) => ob.sent?.(m, outcome));
      } else {
        this.onNodeEvent(o.event, o.at);
      }
    }
  }

  private onNodeEvent(e: NodeEvent, at: number): void {
    if (e.type === 'log') {
      this.tell((o) => o.log?.(e.level, e.text, at));
      return;
    }
    const done = this.waiting.get(e.opId);
    this.waiting.delete(e.opId);
    done?.(e.result);
    this.tell((o) => o.answered?.(e));
  }

  /** The core throws only when an invariant breaks; report it loudly rather than kill the host. */
  private guard(what: string, f: () => void): void {
    try {
      f();
    } catch (err) {
      this.log('error', `${this.id} ${what} failed: ${(err as Error).message}`);
    }
  }

  private log(level: LogLevel, text: string): void {
    if (this.observers.length === 0) return;
    const at = this.env.traceNow();
    this.tell((o) => o.log?.(level, text, at));
  }

  private tell(f: (o: HostObserver) => void): void {
    for (let i = 0; i < this.observers.length; i++) {
      const o = this.observers[i]!;
      try {
        f(o);
      } catch {
        this.unobserve(o);
        i--;
      }
    }
  }

  private unobserve(observer: HostObserver): void {
    const i = this.observers.indexOf(observer);
    if (i >= 0) this.observers.splice(i, 1);
  }
}
