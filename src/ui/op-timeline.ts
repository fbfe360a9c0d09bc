// Operations per client as Jepsen draws them: a bar from invoke to completion, green ok, red
// fail, amber unknown, grey still open; failure events as dashed ticks. Clicking a bar selects
// the operation (its messages light up in the message view).
import { html, nothing, svg } from 'lit';
import type { Bar, TimelineLayout } from './session/timeline-layout.ts';
import { emit, LightElement } from './light-element.ts';
import { ECHO_MAX } from '../console/format.ts';
import { ellipsize } from '../console/text.ts';

export const TIMELINE_WIDTH = 1000;
/** On a phone the timeline is drawn this wide, at its own scale, and scrolls sideways. */
export const TIMELINE_WIDTH_NARROW = 640;
export const TIMELINE_ROW = 22;
export const TIMELINE_LABEL = 48;

function barTitle(b: Bar): string {
  const o = b.op;
  const took = o.doneAt === null ? 'still open' : `${(o.doneAt - o.invokeAt).toFixed(1)} ms`;
  const how = o.outcome === 'ok' ? (o.local ? 'hit (local copy)' : 'fault (via the CM)') : o.outcome;
  const more = b.merged > 0 ? ` (and ${b.merged} more ${o.outcome} operation(s) drawn as this bar)` : '';
  return (
    `${o.node} ${o.kind === 'read' ? 'readPage' : 'writePage'} ${o.page}${o.value !== null ? ` = ${ellipsize(o.value, ECHO_MAX)}` : ''}: ${how}, ${took}` +
    `${o.req ? `, request ${o.req}` : ''}${o.error ? `, ${o.error}` : ''}${more}`
  );
}

export class OpTimeline extends LightElement {
  static override properties = { layout: { attribute: false }, selected: { attribute: false }, culprits: { attribute: false } };
  declare layout: TimelineLayout | null;
  declare selected: number | null;
  declare culprits: ReadonlySet<number>;

  constructor() {
    super();
    this.layout = null;
    this.selected = null;
    this.culprits = new Set();
  }

  protected override render() {
    const l = this.layout;
    if (!l) return nothing;
    if (l.bars.length === 0) return html`<p class="muted">no operations yet: read or write a page on a client</p>`;
    const h = l.height + 4;
    return html`
      <div class="timeline-scroll">
        <svg class="timeline" role="img" aria-label="operation timeline" viewBox=${`0 0 ${l.width} ${h}`}
          preserveAspectRatio="xMinYMin meet" style=${`min-width:${Math.min(l.width, TIMELINE_WIDTH_NARROW)}px`}>
          ${l.rows.map(
            (r) => svg`<g class="row"><line x1="0" x2=${l.width} y1=${r.y + r.height} y2=${r.y + r.height}></line>
            <text x="4" y=${r.y + 15}>${r.node}</text></g>`,
          )}
          ${l.marks.map(
            (m) => svg`<g class="mark ${m.event.kind}"><title>${m.event.text}</title>
            <line x1=${m.x} x2=${m.x} y1="0" y2=${h}></line></g>`,
          )}
          ${l.bars.map((b) => this.bar(b))}
        </svg>
      </div>`;
  }

  private bar(b: Bar) {
    const cls = `op ${b.op.outcome}${this.selected === b.op.id ? ' selected' : ''}${this.culprits.has(b.op.id) ? ' culprit' : ''}`;
    return svg`<g class=${cls} data-op=${b.op.id} @click=${() => emit(this, 'select-op', b.op)}>
      <title>${barTitle(b)}</title>
      <rect x=${b.x} y=${b.y + 3} width=${b.w} height=${TIMELINE_ROW - 6} rx="3"></rect>
      ${b.label ? svg`<text x=${b.labelX} y=${b.y + 15}>${b.label}</text>` : nothing}
    </g>`;
  }
}
customElements.define('ivy-op-timeline', OpTimeline);
