// The clock a tab node runs by: real time, except that a stretch in which the tab could not run
// (its main thread starved by other tabs, a frozen or suspended page) counts for at most one
// step. A standby CM measures the acting CM's silence on this clock; on real time, a tab that
// was itself stalled would wake up, see half a second without pulse replies (they sit unread in
// its own queue) and take over from a CM that is fine. Ticks come every TICK_MS, so any longer
// gap between two readings is a stall, not silence.
export const STEP_MS_MAX = 100;

export class NodeClock {
  private lastReal: number;
  private virtual: number;
  /** Time dropped from stalls, for the status line. */
  stalledMs = 0;

  constructor(private readonly real: () => number = () => performance.now()) {
    this.lastReal = real();
    this.virtual = this.lastReal;
  }

  now(): number {
    const r = this.real();
    const delta = Math.max(0, r - this.lastReal);
    this.lastReal = r;
    const step = Math.min(delta, STEP_MS_MAX);
    this.stalledMs += delta - step;
    this.virtual += step;
    return this.virtual;
  }
}
