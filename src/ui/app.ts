// The page shell. Modes sit side by side: the in-page cluster, this tab as a node of a cluster
// of tabs (PeerJS), and the overview of that cluster. `?mode=tab` or `?mode=overview` opens one.
import { html, nothing, type PropertyValues } from 'lit';
import type { ClusterModel } from './cluster-model.ts';
import type { ExperimentsRunner } from './experiments-panel.ts';
import type { ProtocolSession } from './session/protocol-session.ts';
import { LightElement } from './light-element.ts';
import './cluster-view.ts';

const MODES = [
  { id: 'cluster', label: 'In-page cluster' },
  { id: 'replay', label: 'Replay' },
  { id: 'experiments', label: 'Experiments' },
  { id: 'tab', label: 'This tab as a node' },
  { id: 'overview', label: 'Tab cluster overview' },
] as const;
type Mode = (typeof MODES)[number]['id'];

/**
 * The other modes' code (replay, charts and the experiment suite, PeerJS), loaded the first time
 * the mode opens: most visits never open most modes. Their elements upgrade when defined.
 */
const LOADERS: Partial<Record<Mode, (app: IvyApp) => Promise<unknown>>> = {
  replay: () => import('./replay-view.ts'),
  experiments: async (app) => {
    const [, runner] = await Promise.all([import('./experiments-panel.ts'), import('./experiments/runner.ts')]);
    app.experiments ??= runner.suiteRunner();
  },
  tab: () => import('./tab-node-view.ts'),
  overview: () => import('./overview-view.ts'),
};

function modeInUrl(): Mode {
  const asked = new URLSearchParams(location.search).get('mode');
  return MODES.find((m) => m.id === asked)?.id ?? 'cluster';
}

/** The page's address for a mode, keeping its other parameters (`debug`). */
function modeHref(mode: Mode): string {
  const params = new URLSearchParams(location.search);
  if (mode === 'cluster') params.delete('mode');
  else params.set('mode', mode);
  const query = params.toString();
  return `${location.pathname}${query ? `?${query}` : ''}`;
}

export class IvyApp extends LightElement {
  static override properties = {
    model: { attribute: false },
    session: { attribute: false },
    experiments: { attribute: false },
    mode: { state: true },
    failure: { state: true },
  };
  declare model: ClusterModel | null;
  /** The live protocol views' data; it outlives mode switches. */
  declare session: ProtocolSession | null;
  /** The Experiments mode's runner; the suite's own when none is given before the mode opens. */
  declare experiments: ExperimentsRunner | null;
  declare mode: Mode;
  declare failure: string | null;

  constructor() {
    super();
    this.model = null;
    this.session = null;
    this.experiments = null;
    this.mode = modeInUrl();
    this.failure = null;
  }

  private readonly onPopState = (): void => {
    this.mode = modeInUrl();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.onPopState);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.onPopState);
  }

  /** Views are places: links with addresses, so Back, reload and new tabs work as expected. */
  private go(e: MouseEvent, mode: Mode): void {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    if (mode === this.mode) return;
    history.pushState(null, '', modeHref(mode));
    this.mode = mode;
  }

  /** Once shown, the tab's node view stays (hidden in other modes): it runs the node. */
  private get tabNodeShown(): boolean {
    this.tabNodeSeen ||= this.mode === 'tab';
    return this.tabNodeSeen;
  }

  private tabNodeSeen = false;
  private readonly loading = new Map<Mode, Promise<unknown>>();

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('mode')) this.load(this.mode);
  }

  private load(mode: Mode): void {
    const loader = LOADERS[mode];
    if (!loader || this.loading.has(mode)) return;
    this.loading.set(
      mode,
      loader(this).catch((e: Error) => {
        this.loading.delete(mode);
        this.failure = `could not load the ${MODES.find((m) => m.id === mode)?.label ?? mode} mode: ${e.message}`;
      }),
    );
  }

  protected override render() {
    return html`
      <header class="top">
        <h1>ivy-web</h1>
        <p class="muted">IVY distributed shared memory, Li &amp; Hudak's central manager</p>
        <nav class="views" aria-label="views">
          ${MODES.map(
            (m) => html`<a href=${modeHref(m.id)} aria-current=${this.mode === m.id ? 'page' : 'false'}
            @click=${(e: MouseEvent) => this.go(e, m.id)}>${m.label}</a>`,
          )}
        </nav>
      </header>
      <main>
        ${this.failure ? html`<p class="status error" role="alert">${this.failure}</p>` : nothing}
        ${this.mode === 'cluster' && this.model ? html`<ivy-cluster-view .model=${this.model} .session=${this.session}></ivy-cluster-view>` : nothing}
        ${this.tabNodeShown ? html`<ivy-tab-node ?hidden=${this.mode !== 'tab'}></ivy-tab-node>` : nothing}
        ${this.mode === 'overview' ? html`<ivy-overview></ivy-overview>` : nothing}
        <ivy-replay-view ?hidden=${this.mode !== 'replay'}></ivy-replay-view>
        <ivy-experiments-panel ?hidden=${this.mode !== 'experiments'} .runner=${this.experiments}></ivy-experiments-panel>
      </main>`;
  }
}
customElements.define('ivy-app', IvyApp);
