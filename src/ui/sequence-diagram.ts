// The message view: one lane per node, time going down, an arrow per message labelled with the
// paper's code and our name. It only draws a layout (session/sequence-layout.ts).
import { html, nothing, svg, type PropertyValues } from 'lit';
import type { LaidArrow, SequenceLayout } from './session/sequence-layout.ts';
import { LightElement } from './light-element.ts';

/** Colour families: read fault, write fault, invalidation, failure, control. */
export function codeFamily(code: string): string {
  if (code === 'IV' || code === 'IC') return 'inval';
  if (code === 'RX') return 'failed';
  if (code.startsWith('R') && code !== 'RP') return 'read';
  if (code.startsWith('W')) return 'write';
  return 'control';
}

/** Rows drawn above and below the visible part, so a quick scroll shows no gap. */
const OVERSCAN_PX = 600;

/** The arrows that cross the band [top, bottom]; only these are drawn. */
export function onScreen(arrows: readonly LaidArrow[], top: number, bottom: number): LaidArrow[] {
  return arrows.filter((a) => Math.max(a.y1, a.y2) >= top && Math.min(a.y1, a.y2) - 14 <= bottom);
}

function arrowSvg(l: LaidArrow, dim: boolean) {
  const { x1, y1, x2, y2 } = l;
  const cls = `msg ${codeFamily(l.arrow.code)} ${l.arrow.fate}${l.highlighted ? ' hl' : ''}${dim ? ' dim' : ''}`;
  return svg`<g class=${cls} data-code=${l.arrow.code}>
    <title>${l.title}</title>
    <line x1=${x1} y1=${y1} x2=${x2} y2=${y2} marker-end=${l.arrow.fate === 'lost' || l.arrow.fate === 'dropped' ? '' : 'url(#seq-head)'}></line>
    ${
      l.arrow.fate === 'lost' || l.arrow.fate === 'dropped'
        ? svg`<path class="cross" d=${`M${x2 - 5} ${y2 - 5} L${x2 + 5} ${y2 + 5} M${x2 - 5} ${y2 + 5} L${x2 + 5} ${y2 - 5}`}></path>`
        : nothing
    }
    <text x=${l.labelX} y=${y1 - 4}>${l.label}</text>
  </g>`;
}

export class SequenceDiagram extends LightElement {
  static override properties = { layout: { attribute: false }, follow: { type: Boolean }, at: { type: Number }, band: { state: true } };
  declare layout: SequenceLayout | null;
  /**
   * Replay's time, when the diagram shows a run up to it: moving it brings the messages at that
   * time (the diagram's end) into view, as the timelines beside it move.
   */
  declare at: number | null;
  /** Keeps the newest messages in view as they come, unless the reader scrolled up. */
  declare follow: boolean;
  /** The part of the diagram in view, in its own pixels. */
  declare band: { top: number; bottom: number };
  private pinned = true;
  private frame: number | null = null;
  private shownHighlight: string | null = null;

  constructor() {
    super();
    this.layout = null;
    this.follow = false;
    this.at = null;
    this.band = { top: 0, bottom: 900 };
  }

  protected override render() {
    const l = this.layout;
    if (!l) return nothing;
    const anyHighlight = l.arrows.some((a) => a.highlighted);
    const drawn = onScreen(l.arrows, this.band.top - OVERSCAN_PX, this.band.bottom + OVERSCAN_PX);
    // A dashed line as tall as a long run costs a paint of every dash on every scroll.
    const laneTop = Math.max(0, this.band.top - OVERSCAN_PX);
    const laneBottom = Math.min(l.height, this.band.bottom + OVERSCAN_PX);
    return html`
      <div class="seq-scroll" @scroll=${this.onScroll}>
        ${l.arrows.length === 0 ? html`<p class="muted empty">no messages in view</p>` : nothing}
        <div class="seq-lanes" style=${`width:${l.width}px`} aria-hidden="true">
          ${l.lanes.map((lane) => html`<span style=${`left:${lane.x}px`}>${lane.id}</span>`)}</div>
        <svg class="seq" role="img" aria-label="message sequence diagram" width=${l.width} height=${l.height}
          viewBox=${`0 0 ${l.width} ${l.height}`}>
          <defs><marker id="seq-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse"
            orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="context-stroke"></path></marker></defs>
          ${l.lanes.map(
            (lane) => svg`<g class="lane">
            <line x1=${lane.x} y1=${laneTop} x2=${lane.x} y2=${laneBottom}></line></g>`,
          )}
          ${drawn.map((a) => arrowSvg(a, anyHighlight && !a.highlighted))}
        </svg>
      </div>
      ${l.older > 0 ? html`<p class="muted small">${l.older} older message(s) not laid out; filter by page or request to see them</p>` : nothing}`;
  }

  protected override updated(changed: PropertyValues<this>): void {
    const box = this.querySelector<HTMLElement>('.seq-scroll');
    if (!box || !this.layout) return;
    if (changed.has('at') && this.at !== null) {
      box.scrollTop = box.scrollHeight;
      this.pinned = true;
      this.measure(box);
      return;
    }
    // A newly selected operation: bring its first message into view and stop following.
    const first = this.layout.arrows.find((a) => a.highlighted);
    const key = first ? `${first.arrow.req}` : null;
    if (key !== this.shownHighlight) {
      this.shownHighlight = key;
      if (first) {
        box.scrollTop = Math.max(0, Math.min(first.y1, first.y2) - 60);
        this.pinned = false;
        this.measure(box);
        return;
      }
    }
    if (this.follow && this.pinned && box.scrollTop + box.clientHeight < box.scrollHeight) box.scrollTop = box.scrollHeight;
    this.measure(box);
  }

  private onScroll(e: Event): void {
    const box = e.currentTarget as HTMLElement;
    this.pinned = box.scrollTop + box.clientHeight >= box.scrollHeight - 30;
    // One redraw per frame, however fast the wheel turns.
    this.frame ??= requestAnimationFrame(() => {
      this.frame = null;
      this.measure(box);
    });
  }

  /** Redraws only when the visible band moved out of what was drawn around it. */
  private measure(box: HTMLElement): void {
    const top = box.scrollTop;
    const bottom = top + Math.max(box.clientHeight, 300);
    if (Math.abs(top - this.band.top) < OVERSCAN_PX / 2 && Math.abs(bottom - this.band.bottom) < OVERSCAN_PX / 2) return;
    this.band = { top, bottom };
  }
}
customElements.define('ivy-sequence-diagram', SequenceDiagram);
