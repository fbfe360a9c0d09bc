// Step mode as the page drives it: which held frame goes next, delivering or dropping one by
// hand, and auto-delivery every X ms (play / pause). The hosts hold the frames; this decides.
import type { Cluster } from '../../workers/cluster.ts';
import type { HeldFrame, StepSettings } from '../../host/trace.ts';

export interface FrameRef {
  node: string;
  id: number;
}

/** The frames that may leave now: the oldest from each sender at each node (links are FIFO). */
export function deliverable(frames: readonly HeldFrame[]): Set<number> {
  const seen = new Set<string>();
  const out = new Set<number>();
  for (const f of frames) {
    if (seen.has(f.message.from)) continue;
    seen.add(f.message.from);
    out.add(f.id);
  }
  return out;
}

/** The deliverable frame that arrived first, across every node; null when nothing waits. */
export function nextFrame(held: ReadonlyMap<string, readonly HeldFrame[]>): FrameRef | null {
  let best: (FrameRef & { at: number }) | null = null;
  for (const [node, frames] of held) {
    const ok = deliverable(frames);
    for (const f of frames) {
      if (!ok.has(f.id)) continue;
      const at = f.message.arrivedAt ?? f.message.at;
      if (!best || at < best.at) best = { node, id: f.id, at };
    }
  }
  return best ? { node: best.node, id: best.id } : null;
}

export const AUTO_EVERY_MS_MIN = 100;
export const AUTO_EVERY_MS_MAX = 3000;

export class Stepper {
  playing = false;
  everyMs = 600;
  error: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly cluster: Cluster,
    private readonly held: () => ReadonlyMap<string, readonly HeldFrame[]>,
    private readonly changed: () => void,
  ) {}

  get settings(): StepSettings {
    return this.cluster.stepSettings;
  }

  async setSettings(s: StepSettings): Promise<void> {
    if (!s.hold) this.pause();
    await this.run(() => this.cluster.setStepSettings(s));
  }

  async deliver(ref: FrameRef): Promise<void> {
    await this.run(() => this.handle(ref.node).deliverHeld(ref.id));
  }

  async drop(ref: FrameRef): Promise<void> {
    await this.run(() => this.handle(ref.node).dropHeld(ref.id));
  }

  /** Delivers the frame that has waited longest; false when none waits. */
  async step(): Promise<boolean> {
    const next = nextFrame(this.held());
    if (!next) return false;
    await this.deliver(next);
    return true;
  }

  play(everyMs: number = this.everyMs): void {
    this.everyMs = Math.min(AUTO_EVERY_MS_MAX, Math.max(AUTO_EVERY_MS_MIN, everyMs));
    if (this.timer !== null) clearInterval(this.timer);
    this.playing = true;
    this.timer = setInterval(() => void this.step(), this.everyMs);
    this.changed();
  }

  pause(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.playing = false;
    this.changed();
  }

  dispose(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private handle(node: string) {
    const h = this.cluster.get(node);
    if (!h) throw new Error(`${node} is not running`);
    return h;
  }

  private async run(f: () => Promise<void>): Promise<void> {
    try {
      await f();
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
    this.changed();
  }
}
