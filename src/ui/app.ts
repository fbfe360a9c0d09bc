// The page shell. Modes sit side by side: today the in-page cluster; a later issue adds
// "this tab as a node", which gets its own entry in MODES and its own view.
import { html, nothing } from 'lit';
import type { ClusterModel } from './cluster-model.ts';
import type { ExperimentsRunner } from './experiments-panel.ts';
import type { ProtocolSession } from './session/protocol-session.ts';
import { LightElement } from './light-element.ts';
import './cluster-view.ts';
import './experiments-panel.ts';
import './replay-view.ts';

const MODES = [
  { id: 'cluster', label: 'In-page cluster' },
  { id: 'replay', label: 'Replay' },
  { id: 'experiments', label: 'Experiments' },
] as const;
type Mode = (typeof MODES)[number]['id'];

export class IvyApp extends LightElement {
  static override properties = {
    model: { attribute: false }, session: { attribute: false }, experiments: { attribute: false },
    mode: { state: true }, failure: { state: true },
  };
  declare model: ClusterModel | null;
  /** The live protocol views' data; it outlives mode switches. */
  declare session: ProtocolSession | null;
  declare experiments: ExperimentsRunner | null;
  declare mode: Mode;
  declare failure: string | null;

  constructor() {
    super();
    this.model = null;
    this.session = null;
    this.experiments = null;
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
        ${this.mode === 'cluster' && this.model ? html`<ivy-cluster-view .model=${this.model} .session=${this.session}></ivy-cluster-view>` : nothing}
        <ivy-replay-view ?hidden=${this.mode !== 'replay'}></ivy-replay-view>
        <ivy-experiments-panel ?hidden=${this.mode !== 'experiments'} .runner=${this.experiments}></ivy-experiments-panel>
      </main>`;
  }
}
customElements.define('ivy-app', IvyApp);
