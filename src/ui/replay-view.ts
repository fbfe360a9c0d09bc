// Replay: a recorded run (this dashboard's Export, or the simulator's --history JSONL and
// --transcript lines) loads into the same views as the live cluster, scrubbed with a slider.
import { html, nothing } from 'lit';
import { linVerdict, type LinVerdict } from './session/linearizability.ts';
import { loadRun, type LoadedRun, type RunFile } from './session/recording.ts';
import type { ViewSource } from './session/views.ts';
import { LightElement } from './light-element.ts';
import './invariant-panel.ts';
import './run-views.ts';
import './protocol.css';

const SLIDER_STEPS = 1000;
const PLAY_TICK_MS = 50;
/** A played run takes this long from start to end, whatever its own length. */
const PLAY_SPAN_MS = 10_000;

export function formatOffset(ms: number): string {
  return Math.abs(ms) >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${ms.toFixed(1)} ms`;
}

export class ReplayView extends LightElement {
  static override properties = {
    run: { state: true },
    cursor: { state: true },
    error: { state: true },
    verdict: { state: true },
    playing: { state: true },
  };
  declare run: LoadedRun | null;
  declare cursor: number;
  declare error: string | null;
  declare verdict: LinVerdict | null;
  declare playing: boolean;
  private timer: ReturnType<typeof setInterval> | null = null;
  private source: ViewSource | null = null;

  constructor() {
    super();
    this.run = null;
    this.cursor = 0;
    this.error = null;
    this.verdict = null;
    this.playing = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.pause();
  }

  /** Loads files as if picked in the file input (tests and drag-and-drop use it). */
  load(files: readonly RunFile[]): void {
    try {
      const run = loadRun(files);
      this.pause();
      this.run = run;
      this.source = {
        arrows: run.arrows,
        ops: run.ops,
        failures: run.failures,
        nodes: run.nodes,
        start: run.start,
        end: run.end,
        prehistory: { inherited: run.inherited, partial: run.partial },
      };
      this.cursor = run.end;
      this.verdict = linVerdict(run.ops, { inherited: run.inherited, partial: run.partial });
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  protected override render() {
    const run = this.run;
    return html`
      <section class="replay" aria-label="replay">
        <h2>replay a recorded run</h2>
        <p class="muted small">Load this dashboard's exported recording (JSON), or the simulator's
          <code>npm run sim -- --history run.jsonl</code> and <code>--transcript &gt; run.txt</code> output (both at once for one run).</p>
        <div class="loader">
          <label>recording files <input type="file" multiple accept=".json,.jsonl,.txt,.log" aria-label="recording files"
            @change=${this.onFiles}></label>
        </div>
        ${this.error ? html`<p class="status error" role="alert">${this.error}</p>` : nothing}
        ${
          run && this.source
            ? html`
          <p class="small" aria-label="loaded run">${run.sources.join(' + ')}: ${run.arrows.length} message(s),
            ${run.ops.length} operation(s), ${run.failures.length} event(s), ${formatOffset(run.end - run.start)} long</p>
          <div class="scrub">
            <button @click=${() => (this.playing ? this.pause() : this.play())}>${this.playing ? 'Pause' : 'Play'}</button>
            <input type="range" aria-label="time" min="0" max=${SLIDER_STEPS} .value=${String(this.step(run))}
              @input=${(e: Event) => this.seek(run, Number((e.target as HTMLInputElement).value))}>
            <output aria-label="time shown">${formatOffset(this.cursor - run.start)}</output>
          </div>
          <ivy-invariant-panel .invariants=${[]} .verdict=${this.verdict}></ivy-invariant-panel>
          <ivy-run-views .source=${this.source} .cursor=${this.cursor}
            .culprits=${new Set(this.verdict?.culprits.map((o) => o.id) ?? [])}></ivy-run-views>`
            : nothing
        }
      </section>`;
  }

  private step(run: LoadedRun): number {
    const span = run.end - run.start;
    return span <= 0 ? SLIDER_STEPS : Math.round(((this.cursor - run.start) / span) * SLIDER_STEPS);
  }

  private seek(run: LoadedRun, step: number): void {
    this.cursor = run.start + ((run.end - run.start) * step) / SLIDER_STEPS;
  }

  private play(): void {
    const run = this.run;
    if (!run) return;
    if (this.cursor >= run.end) this.cursor = run.start;
    this.playing = true;
    const advance = ((run.end - run.start) * PLAY_TICK_MS) / PLAY_SPAN_MS;
    this.timer = setInterval(() => {
      this.cursor = Math.min(run.end, this.cursor + advance);
      if (this.cursor >= run.end) this.pause();
    }, PLAY_TICK_MS);
  }

  private pause(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.playing = false;
  }

  private async onFiles(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    if (files.length === 0) return;
    this.load(await Promise.all(files.map(async (f) => ({ name: f.name, text: await f.text() }))));
  }
}
customElements.define('ivy-replay-view', ReplayView);
