// The in-page cluster: the seed's start/reset actions, the registry, and one card per node.
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { ClusterModel } from './cluster-model.ts';
import { LightElement } from './light-element.ts';
import './node-card.ts';
import './registry-view.ts';

export class ClusterView extends LightElement {
  static override properties = {
    model: { attribute: false },
    status: { state: true },
    confirmingReset: { state: true },
  };
  declare model: ClusterModel | null;
  declare status: { ok: boolean; text: string } | null;
  declare confirmingReset: boolean;
  private stopListening: (() => void) | null = null;

  constructor() {
    super();
    this.model = null;
    this.status = null;
    this.confirmingReset = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.listen();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopListening?.();
    this.stopListening = null;
  }

  protected override willUpdate(): void {
    this.listen();
  }

  protected override render() {
    const model = this.model;
    if (!model) return nothing;
    return html`
      <div class="toolbar" role="toolbar" aria-label="cluster actions">
        <button @click=${() => this.act(() => model.startCm())}>Start CM</button>
        <button @click=${() => this.act(() => model.startClient())}>Start client</button>
        <button class="danger" @click=${() => { this.confirmingReset = true; }}>Reset cluster</button>
      </div>
      ${this.confirmingReset ? html`
        <div class="confirm" role="alertdialog" aria-label="confirm reset">
          <p>Reset the cluster? This empties the registry and stops every node, in every tab.</p>
          <button class="danger" @click=${() => { this.confirmingReset = false; void this.act(() => model.reset()); }}
            >Yes, reset</button>
          <button @click=${() => { this.confirmingReset = false; }}>Cancel</button>
        </div>` : nothing}
      <p class=${this.status?.ok === false ? 'status error' : 'status'} role="status" aria-label="cluster status"
        >${this.status?.text ?? ''}</p>
      <ivy-registry-view .rows=${model.rows()} address=${model.address}></ivy-registry-view>
      <div class="cards" @kill-node=${(e: CustomEvent<string>) => this.act(() => model.kill(e.detail))}>
        ${repeat(model.cluster.nodes(), (h) => h.id, (h) => html`<ivy-node-card .handle=${h}></ivy-node-card>`)}
      </div>`;
  }

  /** Subscribes once a model is present; the model says when anything it shows has changed. */
  private listen(): void {
    if (this.stopListening || !this.model || !this.isConnected) return;
    this.stopListening = this.model.onChange(() => this.requestUpdate());
  }

  private async act(action: () => Promise<string>): Promise<void> {
    try {
      this.status = { ok: true, text: await action() };
    } catch (e) {
      this.status = { ok: false, text: `error: ${(e as Error).message}` };
    }
  }
}
customElements.define('ivy-cluster-view', ClusterView);
