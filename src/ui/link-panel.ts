// Link faults: cut the link between two nodes (both directions) and heal it.
import { html, nothing } from 'lit';
import type { Partition } from './session/links.ts';
import { emit, LightElement } from './light-element.ts';

export class LinkPanel extends LightElement {
  static override properties = {
    nodes: { attribute: false },
    partitions: { attribute: false },
    error: { attribute: false },
    a: { state: true },
    b: { state: true },
  };
  declare nodes: readonly string[];
  declare partitions: readonly Partition[];
  declare error: string | null;
  declare a: string;
  declare b: string;

  constructor() {
    super();
    this.nodes = [];
    this.partitions = [];
    this.error = null;
    this.a = '';
    this.b = '';
  }

  protected override render() {
    const a = this.nodes.includes(this.a) ? this.a : (this.nodes[0] ?? '');
    const b = this.nodes.includes(this.b) && this.b !== a ? this.b : (this.nodes.find((n) => n !== a) ?? '');
    return html`
      <div class="panel links" role="group" aria-label="link faults">
        <h3>links</h3>
        <div class="buttons">
          <select aria-label="link end a" @change=${(e: Event) => {
            this.a = (e.target as HTMLSelectElement).value;
          }}>
            ${this.nodes.map((n) => html`<option ?selected=${n === a}>${n}</option>`)}</select>
          <span>↔</span>
          <select aria-label="link end b" @change=${(e: Event) => {
            this.b = (e.target as HTMLSelectElement).value;
          }}>
            ${this.nodes.map((n) => html`<option ?selected=${n === b}>${n}</option>`)}</select>
          <button class="danger" ?disabled=${!a || !b || a === b} @click=${() => emit(this, 'partition', { a, b })}>Partition</button>
        </div>
        ${this.error ? html`<p class="error small" role="alert">${this.error}</p>` : nothing}
        ${
          this.partitions.length === 0
            ? html`<p class="muted small">every link is up</p>`
            : html`
          <ul class="partitions" aria-label="partitioned links">
            ${this.partitions.map(
              (p) => html`<li><span class="cut">${p.a} ✕ ${p.b}</span>
              <button class="small" aria-label=${`heal ${p.a}-${p.b}`} @click=${() => emit(this, 'heal', p)}>Heal</button></li>`,
            )}
          </ul>`
        }
      </div>`;
  }
}
customElements.define('ivy-link-panel', LinkPanel);
