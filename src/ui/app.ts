// The page shell. Modes sit side by side: today the in-page cluster; a later issue adds
// "this tab as a node", which gets its own entry in MODES and its own view.
import { html, nothing } from 'lit';
import type { ClusterModel } from './cluster-model.ts';
import { LightElement } from './light-element.ts';
import './cluster-view.ts';

const MODES = [{ id: 'cluster', label: 'In-page cluster' }] as const;
type Mode = (typeof MODES)[number]['id'];

export class IvyApp extends LightElement {
  static override properties = { model: { attribute: false }, mode: { state: true }, failure: { state: true } };
  declare model: ClusterModel | null;
  declare mode: Mode;
  declare failure: string | null;

  constructor() {
    super();
    this.model = null;
    this.mode = 'cluster';
    this.failure = null;
  }

  protected override render() {
    return html`
      <header class="top">
        <h1>ivy-web</h1>
        <p class="muted">IVY distributed shared memory, Li &amp; Hudak's central manager</p>
        <nav aria-label="mode">
          ${MODES.map((m) => html`<button aria-pressed=${String(this.mode === m.id)}
            @click=${() => { this.mode = m.id; }}>${m.label}</button>`)}
        </nav>
      </header>
      <main>
        ${this.failure ? html`<p class="status error" role="alert">${this.failure}</p>` : nothing}
        ${this.mode === 'cluster' && this.model ? html`<ivy-cluster-view .model=${this.model}></ivy-cluster-view>` : nothing}
      </main>`;
  }
}
customElements.define('ivy-app', IvyApp);
