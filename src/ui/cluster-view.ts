// The in-page cluster: the seed's start/reset actions, where nodes run (placement), which CM acts, the protocol views
// (messages, operations, step mode, link faults, invariants), the registry (with Restart), the
// cluster console, and one card per node.
import { CommandTickets } from '../console/text.ts';
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { runClusterCommand } from '../console/cluster-commands.ts';
import type { ClusterModel } from './cluster-model.ts';
import { packCount, type Placement } from '../workers/placement.ts';
import { LightElement } from './light-element.ts';
import { consoleLine, type ConsoleLine } from './node-console.ts';
import type { ProtocolSession } from './session/protocol-session.ts';
import './node-card.ts';
import './node-console.ts';
import './protocol-panel.ts';
import './registry-view.ts';
import { describeError } from '../util/errors.ts';

const CONSOLE_LINES_MAX = 100;

const PLACEMENT_LABELS: Record<Placement, () => string> = {
  'worker-per-node': () => 'a worker per node',
  packed: () => `packed: ${packCount()} worker${packCount() === 1 ? '' : 's'}, one per core`,
};

/** Keeps the choice in the address (`?placement=`), so a reload starts nodes the same way. */
function placementInUrl(placement: Placement): void {
  const url = new URL(location.href);
  if (placement === 'worker-per-node') url.searchParams.delete('placement');
  else url.searchParams.set('placement', placement);
  history.replaceState(history.state, '', url);
}

function actingText(model: ClusterModel): string {
  const acting = model.acting();
  const others = model
    .cmStatuses()
    .filter((s) => s.id !== acting?.id)
    .map((s) => `${s.id} ${s.role}`);
  const head = acting ? `acting CM: ${acting.id}, epoch ${acting.epoch}` : 'no CM acts in this tab';
  return [head, ...others].join(' · ');
}

export class ClusterView extends LightElement {
  static override properties = {
    model: { attribute: false },
    session: { attribute: false },
    status: { state: true },
    confirmingReset: { state: true },
    lines: { state: true },
  };
  declare model: ClusterModel | null;
  declare session: ProtocolSession | null;
  declare status: { ok: boolean; text: string } | null;
  declare confirmingReset: boolean;
  declare lines: readonly ConsoleLine[];
  private stopListening: (() => void) | null = null;
  private readonly tickets = new CommandTickets();

  constructor() {
    super();
    this.model = null;
    this.session = null;
    this.status = null;
    this.confirmingReset = false;
    this.lines = [];
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
        <button class="danger" @click=${() => {
          this.confirmingReset = true;
        }}>Reset cluster</button>
        <label title="Where nodes started from now on run; running nodes stay where they are">placement
          <select aria-label="placement" @change=${(e: Event) => this.choosePlacement((e.target as HTMLSelectElement).value as Placement)}>
            ${model.cluster.placements().map(
              (p) => html`
              <option value=${p} ?selected=${p === model.cluster.placement}>${PLACEMENT_LABELS[p]()}</option>`,
            )}
          </select></label>
      </div>
      ${
        this.confirmingReset
          ? html`
        <div class="confirm" role="alertdialog" aria-label="confirm reset">
          <p>Reset the cluster? This empties the registry and stops every node, in every tab.</p>
          <button class="danger" @click=${() => {
            this.confirmingReset = false;
            void this.act(() => model.reset());
          }}
            >Yes, reset</button>
          <button @click=${() => {
            this.confirmingReset = false;
          }}>Cancel</button>
        </div>`
          : nothing
      }
      ${model.elsewhereNotice() ? html`<p class="notice" role="note" aria-label="where the cluster runs">${model.elsewhereNotice()}</p>` : nothing}
      <p class=${this.status?.ok === false ? 'status error' : 'status'} role="status" aria-label="cluster status"
        >${this.status?.text ?? ''}</p>
      <p class="acting" role="status" aria-label="acting CM">${actingText(model)}</p>
      ${this.session ? html`<ivy-protocol-panel .session=${this.session}></ivy-protocol-panel>` : nothing}
      <ivy-registry-view .rows=${model.rows()} address=${model.address} .guarded=${model.guarded} .notice=${model.registryNotice}
        @restart-node=${(e: CustomEvent<string>) => this.act(() => model.restart(e.detail))}></ivy-registry-view>
      <div class="cluster-console" role="group" aria-label="cluster console">
        <h2>cluster console <small class="muted">1 · 2 · restartCM · restartBackup · restart &lt;node&gt; · kill &lt;node&gt;</small></h2>
        <ivy-console .lines=${this.lines} label="cluster" placeholder="1 · 2 · restartCM · restartBackup · restart c1 · kill cm1"
          @command=${this.onCommand}></ivy-console>
      </div>
      <div class="cards" @kill-node=${(e: CustomEvent<string>) => this.act(() => model.kill(e.detail))}>
        ${repeat(
          model.cluster.nodes(),
          (h) => h.id,
          (h) => html`<ivy-node-card .handle=${h} .awaySince=${model.away().get(h.id) ?? null}></ivy-node-card>`,
        )}
      </div>`;
  }

  /** Subscribes once a model is present; the model says when anything it shows has changed. */
  private listen(): void {
    if (this.stopListening || !this.model || !this.isConnected) return;
    this.stopListening = this.model.onChange(() => this.requestUpdate());
  }

  private choosePlacement(placement: Placement): void {
    this.model?.cluster.setPlacement(placement);
    placementInUrl(placement);
    this.status = { ok: true, text: `placement: ${PLACEMENT_LABELS[placement]()}, for nodes started from now on` };
  }

  private async onCommand(e: CustomEvent<string>): Promise<void> {
    const model = this.model;
    if (!model) return;
    this.appendLines(consoleLine('input', e.detail));
    const ticket = this.tickets.take();
    const answer = await runClusterCommand(e.detail, model);
    const lines = this.tickets.name(ticket, e.detail, answer.lines);
    this.appendLines(...lines.map((text) => consoleLine(answer.ok ? 'ok' : 'error', text)));
  }

  private appendLines(...lines: ConsoleLine[]): void {
    this.lines = [...this.lines, ...lines].slice(-CONSOLE_LINES_MAX);
  }

  private async act(action: () => Promise<string>): Promise<void> {
    try {
      this.status = { ok: true, text: await action() };
    } catch (e) {
      this.status = { ok: false, text: `error: ${describeError(e)}` };
    }
  }
}
customElements.define('ivy-cluster-view', ClusterView);
