// Runs the chosen experiments one after another in this page and keeps their results for the
// charts. What a run is comes from an ExperimentsRunner (the experiments module's runScenario
// behind it); this only sequences, reports progress and collects.
import type { PlotPoint, ResultLike } from './chart-data.ts';

export interface PlannedRun {
  id: string;
  label: string;
  /** Set for a sweep point: the parameter swept and its value here. */
  sweep?: string;
  x?: number;
}

export interface RunProgress {
  step: string;
  done: number;
  total: number;
}

/** The narrow interface the Experiments panel runs against. */
export interface ExperimentsRunner {
  plan(quick: boolean): PlannedRun[];
  run(id: string, quick: boolean, onProgress: (p: RunProgress) => void): Promise<ResultLike>;
}

export interface Progress {
  /** Runs finished, plus the current run's own fraction. */
  fraction: number;
  text: string;
}

export class ExperimentsSession {
  running = false;
  progress: Progress | null = null;
  points: PlotPoint[] = [];
  errors: string[] = [];
  private cancelled = false;

  constructor(
    private readonly runner: ExperimentsRunner,
    private readonly changed: () => void,
  ) {}

  plan(quick: boolean): PlannedRun[] {
    return this.runner.plan(quick);
  }

  /** Runs the planned runs in order; a failed run is reported and the rest go on. */
  async run(runs: readonly PlannedRun[], quick: boolean): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.cancelled = false;
    this.points = [];
    this.errors = [];
    for (const [i, r] of runs.entries()) {
      if (this.cancelled) break;
      this.report(i, runs.length, `${r.label}: starting`, 0);
      try {
        const result = await this.runner.run(r.id, quick, (p) => this.report(i, runs.length, p.step, p.total > 0 ? p.done / p.total : 0));
        this.points = [...this.points, r.sweep === undefined ? { result } : { result, sweep: r.sweep, x: r.x ?? 0 }];
      } catch (e) {
        this.errors = [...this.errors, `${r.label}: ${(e as Error).message}`];
      }
      this.changed();
    }
    this.progress = { fraction: 1, text: this.cancelled ? 'stopped' : `done: ${this.points.length} of ${runs.length} run(s)` };
    this.running = false;
    this.changed();
  }

  cancel(): void {
    this.cancelled = true;
  }

  private report(index: number, total: number, text: string, within: number): void {
    this.progress = { fraction: (index + Math.min(1, Math.max(0, within))) / total, text: `${index + 1}/${total} ${text}` };
    this.changed();
  }
}
