// The one timer a host keeps for its node's next deadline (IvyNode.nextDeadline): an idle node
// does not wake, and a deadline that comes sooner than the armed one re-arms it.
import type { Cancel, Timers } from './env.ts';

/**
 * How long after a tick that found its deadline not yet due (a timer that fired early by the
 * node's clock, e.g. a world whose clock has coarser steps) the next is armed: time always moves
 * between two ticks.
 */
export const TICK_GAP_MS = 0.01;

export class DeadlineTimer {
  private cancel: Cancel | null = null;
  /** When the armed timer is due (node clock); Infinity when none is armed. */
  private due = Infinity;

  constructor(
    private readonly timers: Timers,
    /** The node's clock. */
    private readonly now: () => number,
    private readonly fire: () => void,
  ) {}

  /** Arms for `due` unless a timer as soon is armed; `afterTick`: a tick has just run at now. */
  arm(due: number, afterTick: boolean): void {
    if (due >= this.due || due === Infinity) return;
    this.cancel?.();
    this.due = due;
    this.cancel = this.timers.after(this.waitFor(due, afterTick), () => {
      this.cancel = null;
      this.due = Infinity;
      this.fire();
    });
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
    this.due = Infinity;
  }

  /**
   * The wait until `due`, such that now + wait is not below due in floating point: a timer that
   * fires there finds the node's own test (now >= last + interval, the sum nextDeadline gave)
   * true, rather than a hair short of it.
   */
  private waitFor(due: number, afterTick: boolean): number {
    const now = this.now();
    let waitMs = due - now;
    if (waitMs <= 0) return afterTick ? TICK_GAP_MS : 0;
    if (now + waitMs < due) waitMs += Math.abs(due) * Number.EPSILON;
    return waitMs;
  }
}
