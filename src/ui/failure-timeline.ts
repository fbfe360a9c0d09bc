// The failure-handling story in order: kills and starts, partitions, missed pulses and
// takeovers, CHANGE_CM, IM_BACK, epochs; newest first. Times are seconds since the run began.
import { html, nothing } from 'lit';
import type { FailureEvent } from './session/types.ts';
import { LightElement } from './light-element.ts';

export const FAILURE_LINES_MAX = 60;

export class FailureTimeline extends LightElement {
  static override properties = { events: { attribute: false }, start: { type: Number } };
  declare events: readonly FailureEvent[];
  declare start: number;

  constructor() {
    super();
    this.events = [];
    this.start = 0;
  }

  protected override render() {
    if (this.events.length === 0) return html`<p class="muted">no failures or takeovers yet</p>`;
    // Events come from several sources (hosts' messages, states, this page) in arrival order.
    const shown = [...this.events].sort((a, b) => b.at - a.at).slice(0, FAILURE_LINES_MAX);
    return html`
      <ol class="failures" aria-label="failure events" reversed>
        ${shown.map(
          (e) => html`<li class=${e.kind}>
          <time>${((e.at - this.start) / 1000).toFixed(2)} s</time>
          <span class="kind">${e.kind}</span>
          <span>${e.text}</span></li>`,
        )}
      </ol>
      ${this.events.length > shown.length ? html`<p class="muted small">and ${this.events.length - shown.length} earlier event(s)</p>` : nothing}`;
  }
}
customElements.define('ivy-failure-timeline', FailureTimeline);
