// Step mode controls and the frames waiting at each node. Deliver and Drop act on one frame;
// Step delivers the one that has waited longest; Play delivers one every X ms.
import { html, nothing } from 'lit';
import { deliverable, AUTO_EVERY_MS_MAX, AUTO_EVERY_MS_MIN, type FrameRef } from './session/stepper.ts';
import { arrowLabel } from './session/sequence-layout.ts';
import { STEP_DELAY_MS_MAX, type HeldFrame, type StepSettings } from '../host/trace.ts';
import { emit, LightElement } from './light-element.ts';

export class StepPanel extends LightElement {
  static override properties = {
    settings: { attribute: false },
    held: { attribute: false },
    playing: { type: Boolean },
    everyMs: { type: Number },
    error: { attribute: false },
  };
  declare settings: StepSettings;
  declare held: ReadonlyMap<string, readonly HeldFrame[]>;
  declare playing: boolean;
  declare everyMs: number;
  declare error: string | null;

  constructor() {
    super();
    this.settings = { hold: false, delayMs: 0, freezeTimers: true };
    this.held = new Map();
    this.playing = false;
    this.everyMs = 600;
    this.error = null;
  }

  protected override render() {
    const s = this.settings;
    const waiting = [...this.held].filter(([, frames]) => frames.length > 0);
    const total = waiting.reduce((n, [, f]) => n + f.length, 0);
    return html`
      <div class="panel step" role="group" aria-label="step mode">
        <h3>step mode <small class="muted">${total} waiting</small></h3>
        <label class="check"><input type="checkbox" aria-label="step mode" .checked=${s.hold}
          @change=${(e: Event) => this.set({ hold: (e.target as HTMLInputElement).checked })}>hold every message for delivery by hand</label>
        <label class="check"><input type="checkbox" .checked=${s.freezeTimers}
          @change=${(e: Event) => this.set({ freezeTimers: (e.target as HTMLInputElement).checked })}>freeze timers while holding (no pulses, retries, deadlines)</label>
        <label class="range">added delay per message <output>${s.delayMs} ms</output>
          <input type="range" min="0" max=${STEP_DELAY_MS_MAX} step="50" .value=${String(s.delayMs)} aria-label="added delay per message"
            @change=${(e: Event) => this.set({ delayMs: Number((e.target as HTMLInputElement).value) })}></label>
        <div class="buttons">
          <button ?disabled=${total === 0} @click=${() => emit(this, 'step-next', null)}>Step</button>
          ${
            this.playing
              ? html`<button @click=${() => emit(this, 'auto', { playing: false, everyMs: this.everyMs })}>Pause</button>`
              : html`<button ?disabled=${!s.hold} @click=${() => emit(this, 'auto', { playing: true, everyMs: this.everyMs })}>Play</button>`
          }
          <label class="range">every <output>${this.everyMs} ms</output>
            <input type="range" min=${AUTO_EVERY_MS_MIN} max=${AUTO_EVERY_MS_MAX} step="100" .value=${String(this.everyMs)} aria-label="auto-deliver interval"
              @change=${(e: Event) => emit(this, 'auto', { playing: this.playing, everyMs: Number((e.target as HTMLInputElement).value) })}></label>
        </div>
        ${this.error ? html`<p class="error small" role="alert">${this.error}</p>` : nothing}
        ${waiting.length === 0 ? html`<p class="muted small">${s.hold ? 'nothing waits: start an operation on a client' : 'messages flow freely'}</p>` : nothing}
        ${waiting.map(([node, frames]) => this.queue(node, frames))}
      </div>`;
  }

  private queue(node: string, frames: readonly HeldFrame[]) {
    const ok = deliverable(frames);
    return html`
      <div class="queue" role="group" aria-label=${`held at ${node}`}>
        <h4>at ${node}</h4>
        <ol>${frames.map((f) => {
          const ref: FrameRef = { node, id: f.id };
          const label = `${arrowLabel(f.message)} from ${f.message.from}`;
          return html`<li data-code=${f.message.code}>
            <span class="frame">${label}</span>
            <button class="small" aria-label=${`deliver ${label}`} ?disabled=${!ok.has(f.id)}
              title=${ok.has(f.id) ? 'deliver it now' : `an older frame from ${f.message.from} goes first: links are FIFO`}
              @click=${() => emit(this, 'deliver-frame', ref)}>Deliver</button>
            <button class="small danger" aria-label=${`drop ${label}`} @click=${() => emit(this, 'drop-frame', ref)}>Drop</button>
          </li>`;
        })}</ol>
      </div>`;
  }

  private set(change: Partial<StepSettings>): void {
    emit(this, 'step-settings', { ...this.settings, ...change });
  }
}
customElements.define('ivy-step-panel', StepPanel);
