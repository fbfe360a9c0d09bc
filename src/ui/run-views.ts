// The protocol views of one run, live or replayed: filters, the message sequence diagram, the
// per-client operation timeline and the failure events. Selecting an operation lights up the
// messages of its request. Layout is computed by the session modules; this only wires them.
import { html, nothing } from 'lit';
import { layoutSequence, NO_FILTER, SEQUENCE_DEFAULTS, type SequenceFilter } from './session/sequence-layout.ts';
import { layoutTimeline } from './session/timeline-layout.ts';
import { readableReq } from './session/text.ts';
import type { OpRecord } from './session/types.ts';
import { pagesOf, type ViewSource } from './session/views.ts';
import { LightElement } from './light-element.ts';
import { TIMELINE_LABEL, TIMELINE_ROW, TIMELINE_WIDTH, TIMELINE_WIDTH_NARROW } from './op-timeline.ts';
import './failure-timeline.ts';
import './op-timeline.ts';
import './sequence-diagram.ts';

const WINDOWS = [
  { id: 'all', label: 'whole run', ms: Infinity },
  { id: '60s', label: 'last 60 s', ms: 60_000 },
  { id: '10s', label: 'last 10 s', ms: 10_000 },
] as const;
type WindowId = (typeof WINDOWS)[number]['id'];
const NARROW_LANE_GAP = 100;

export class RunViews extends LightElement {
  static override properties = {
    source: { attribute: false },
    cursor: { type: Number },
    live: { type: Boolean },
    culprits: { attribute: false },
    filter: { state: true },
    selected: { state: true },
    window: { state: true },
  };
  declare source: ViewSource | null;
  /** Nothing after this time is drawn (the replay slider); Infinity live. */
  declare cursor: number;
  declare live: boolean;
  declare culprits: ReadonlySet<number>;
  declare filter: SequenceFilter;
  declare selected: OpRecord | null;
  declare window: WindowId;

  constructor() {
    super();
    this.source = null;
    this.cursor = Infinity;
    this.live = false;
    this.culprits = new Set();
    this.filter = NO_FILTER;
    this.selected = null;
    this.window = 'all';
  }

  protected override render() {
    const src = this.source;
    if (!src) return nothing;
    const cursor = Math.min(this.cursor, src.end);
    const highlightReq = this.selected?.req ?? null;
    // Narrow screens get narrower lanes; the diagram scrolls sideways beyond that.
    const narrow = typeof innerWidth === 'number' && innerWidth < 640;
    const laneGap = narrow ? NARROW_LANE_GAP : SEQUENCE_DEFAULTS.laneGap;
    const seq = layoutSequence(src.arrows, src.nodes, { ...SEQUENCE_DEFAULTS, laneGap, filter: this.filter, highlightReq, cursor });
    const ops = src.ops
      .filter((o) => o.invokeAt <= cursor)
      .map((o) => (o.doneAt !== null && o.doneAt > cursor ? { ...o, doneAt: null, outcome: 'open' as const } : o));
    const failures = src.failures.filter((f) => f.at <= cursor);
    // The axis starts with the first operation (or event): the quiet set-up before it is not drawn.
    const first = Math.min(ops[0]?.invokeAt ?? failures[0]?.at ?? Infinity, cursor);
    const span = WINDOWS.find((w) => w.id === this.window)?.ms ?? Infinity;
    const t0 = Math.max(Number.isFinite(first) ? first - 50 : src.start, cursor - span);
    const timeline = layoutTimeline(ops, failures, {
      t0,
      t1: Math.max(cursor, t0 + 1),
      width: narrow ? TIMELINE_WIDTH_NARROW : TIMELINE_WIDTH,
      rowHeight: TIMELINE_ROW,
      labelWidth: TIMELINE_LABEL,
      keep: new Set([...this.culprits, ...(this.selected ? [this.selected.id] : [])]),
    });
    return html`
      <div class="filters" role="group" aria-label="message filters">
        <label>page
          <select aria-label="filter by page" @change=${(e: Event) => this.setFilter({ page: (e.target as HTMLSelectElement).value || null })}>
            <option value="" ?selected=${this.filter.page === null}>all</option>
            ${pagesOf(src).map((p) => html`<option value=${p} ?selected=${this.filter.page === p}>${p}</option>`)}
          </select></label>
        <label>request
          <input aria-label="filter by request" placeholder="c1:3" size="8" .value=${this.filter.req ?? ''}
            @input=${(e: Event) => this.setFilter({ req: (e.target as HTMLInputElement).value.trim() || null })}></label>
        <label class="check"><input type="checkbox" .checked=${this.filter.hideHeartbeat}
          @change=${(e: Event) => this.setFilter({ hideHeartbeat: (e.target as HTMLInputElement).checked })}>hide pulses, leases &amp; replication</label>
        ${
          this.selected
            ? html`<span class="selection" aria-label="selected operation">
          ${this.selected.node} ${this.selected.kind} ${this.selected.page}:
          ${this.selected.req ? html`request <span title=${this.selected.req}>${readableReq(this.selected.req)}</span>` : 'a hit, no messages'}
          <button class="small" @click=${() => {
            this.selected = null;
          }}>clear</button></span>`
            : nothing
        }
      </div>
      <ivy-sequence-diagram .layout=${seq} ?follow=${this.live} .at=${this.live ? null : cursor}></ivy-sequence-diagram>
      <div class="timeline-head">
        <h3>operations <small class="muted">bar from invoke to completion: ok · fail · unknown · open; click one</small></h3>
        <label>window <select aria-label="timeline window" @change=${(e: Event) => {
          this.window = (e.target as HTMLSelectElement).value as WindowId;
        }}>
          ${WINDOWS.map((w) => html`<option value=${w.id} ?selected=${this.window === w.id}>${w.label}</option>`)}</select></label>
      </div>
      <ivy-op-timeline .layout=${timeline} .selected=${this.selected?.id ?? null} .culprits=${this.culprits}
        @select-op=${(e: CustomEvent<OpRecord>) => {
          this.selected = this.selected?.id === e.detail.id ? null : e.detail;
        }}></ivy-op-timeline>
      <h3>failure handling <small class="muted">newest first</small></h3>
      <ivy-failure-timeline .events=${failures} .start=${src.start}></ivy-failure-timeline>`;
  }

  private setFilter(change: Partial<SequenceFilter>): void {
    this.filter = { ...this.filter, ...change };
  }
}
customElements.define('ivy-run-views', RunViews);
