// Step mode and added delay, as a host applies them to incoming frames: frames wait (for a
// person, or for their delay) in arrival order per sender, and the node's timers can stand
// still while a person steps. Separate from the host so its only job stays running the node.
import type { NodeId } from '../protocol/ids.ts';
import type { Message } from '../protocol/messages.ts';
import type { Cancel, HostEnv } from './env.ts';
import { HeldFrames, type Waiting } from './held-frames.ts';
import { NO_STEPPING, stepSettingsError, traceOf, type HeldFrame, type StepSettings } from './trace.ts';

export class Stepping<F extends Message> {
  private readonly held = new HeldFrames<F>();
  private settings: StepSettings = { ...NO_STEPPING };
  private timer: Cancel | null = null;
  /** Time the node's clock has stood still (frozen timers), and since when it stands. */
  private frozenMs = 0;
  private frozenSince: number | null = null;

  constructor(
    private readonly env: HostEnv,
    private readonly deliverNow: (w: Waiting<F>) => void,
    private readonly changed: () => void,
  ) {}

  get frozen(): boolean {
    return this.frozenSince !== null;
  }

  /** The node's time for a world time: frozen stretches do not count. */
  nodeTime(worldNow: number): number {
    return (this.frozenSince ?? worldNow) - this.frozenMs;
  }

  configure(settings: StepSettings): void {
    const error = stepSettingsError(settings);
    if (error) throw new RangeError(error);
    const { hold, delayMs, freezeTimers } = settings;
    this.settings = { hold, delayMs, freezeTimers };
    const now = this.env.now();
    const frozen = hold && freezeTimers;
    if (frozen && this.frozenSince === null) this.frozenSince = now;
    if (!frozen && this.frozenSince !== null) {
      this.frozenMs += now - this.frozenSince;
      this.frozenSince = null;
    }
    this.held.setDue(hold ? null : now);
    this.changed();
    this.arm();
  }

  /** `now`: deliver it at once; `held`: it waits here; `full`: too many wait, it is lost. */
  admit(peer: NodeId, frame: F, arrivedAt: number): 'now' | 'held' | 'full' {
    const { hold, delayMs } = this.settings;
    if (!hold && delayMs === 0 && this.held.size === 0) return 'now';
    if (!this.held.push(peer, frame, arrivedAt, hold ? null : this.env.now() + delayMs)) return 'full';
    this.changed();
    this.arm();
    return 'held';
  }

  deliver(id: number): void {
    const w = this.held.take(id);
    if (!w) throw new Error(`cannot deliver frame ${id}: ${this.held.blocker(id)}`);
    this.changed();
    this.deliverNow(w);
  }

  drop(id: number): Waiting<F> {
    const w = this.held.remove(id);
    if (!w) throw new Error(`holds no frame ${id}`);
    this.changed();
    return w;
  }

  frames(): HeldFrame[] {
    return this.held.list().map((w) => ({ id: w.id, message: traceOf(w.frame, 'received', w.arrivedAt, w.arrivedAt), dueAt: w.dueAt }));
  }

  stop(): void {
    this.timer?.();
    this.timer = null;
  }

  private arm(): void {
    this.timer?.();
    this.timer = null;
    const due = this.held.nextDue();
    if (due === null) return;
    this.timer = this.env.timers.after(due - this.env.now(), () => {
      this.timer = null;
      const ready = this.held.takeDue(this.env.now());
      if (ready.length > 0) this.changed();
      for (const w of ready) this.deliverNow(w);
      this.arm();
    });
  }
}
