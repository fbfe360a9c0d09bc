// The Experiments mode: pick scenarios and sweeps, run them on real worker clusters in this page
// with a progress bar, and plot latency, throughput, unavailability and the sweeps.
import { html, nothing } from 'lit';
import { allCharts } from './experiments/chart-data.ts';
import { ExperimentsSession, type ExperimentsRunner } from './experiments/experiments-session.ts';
import { LightElement } from './light-element.ts';
import './chart-view.ts';
import './protocol.css';

export type { ExperimentsRunner } from './experiments/experiments-session.ts';

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const ms = (x: number | null): string => (x === null ? '-' : x.toFixed(2));

export class ExperimentsPanel extends LightElement {
  static override properties = { runner: { attribute: false }, quick: { state: true }, chosen: { state: true } };
  declare runner: ExperimentsRunner | null;
  declare quick: boolean;
  /** Ids of planned runs left out by the user. */
  declare chosen: ReadonlySet<string> | null;
  private session: ExperimentsSession | null = null;

  constructor() {
    super();
    this.runner = null;
    this.quick = true;
    this.chosen = null;
  }

  protected override render() {
    if (!this.runner) {
      return html`<section class="experiments" aria-label="experiments"><h2>experiments</h2>
        <p class="muted">The experiments runner is not part of this build.</p></section>`;
    }
    const session = (this.session ??= new ExperimentsSession(this.runner, () => this.requestUpdate()));
    const plan = session.plan(this.quick);
    const chosen = this.chosen ?? new Set(plan.map((r) => r.id));
    const charts = allCharts(session.points);
    return html`
      <section class="experiments" aria-label="experiments">
        <h2>experiments</h2>
        <p class="muted small">Each run starts its own cluster of worker nodes in this page (separate from the dashboard's), runs
          the clients' random reads and writes, injects the scenario's CM faults and checks the history.</p>
        <div class="controls">
          <label class="check"><input type="checkbox" .checked=${this.quick} ?disabled=${session.running}
            @change=${(e: Event) => {
              this.quick = (e.target as HTMLInputElement).checked;
              this.chosen = null;
            }}>quick (small runs)</label>
          <button ?disabled=${session.running || chosen.size === 0}
            @click=${() =>
              session.run(
                plan.filter((r) => chosen.has(r.id)),
                this.quick,
              )}>Run ${chosen.size} run(s)</button>
          ${session.running ? html`<button class="danger" @click=${() => session.cancel()}>Stop after this run</button>` : nothing}
        </div>
        <fieldset class="plan"><legend>runs</legend>
          ${plan.map(
            (r) => html`<label class="check"><input type="checkbox" .checked=${chosen.has(r.id)} ?disabled=${session.running}
            @change=${(e: Event) => this.toggle(chosen, r.id, (e.target as HTMLInputElement).checked)}>${r.label}</label>`,
          )}
        </fieldset>
        ${
          session.progress
            ? html`<progress aria-label="experiment progress" max="1" .value=${session.progress.fraction}></progress>
          <p class="small" role="status" aria-label="experiment status">${session.progress.text}</p>`
            : nothing
        }
        ${session.errors.map((e) => html`<p class="error small">${e}</p>`)}
        ${session.points.length > 0 ? this.table(session) : nothing}
        <div class="charts">${charts.map((c) => html`<ivy-chart .spec=${c}></ivy-chart>`)}</div>
      </section>`;
  }

  private table(session: ExperimentsSession) {
    return html`<div class="table-scroll"><table class="results" aria-label="experiment results">
      <thead><tr><th>run</th><th>ok / issued</th><th>ops/s</th><th>read fault p50 ms</th><th>write fault p50 ms</th>
        <th>msgs/op</th><th>linearizable</th></tr></thead>
      <tbody>${session.points.map(
        ({ result: r, sweep, x }) => html`<tr>
        <td>${sweep ? `${sweep}=${x}` : r.name}</td><td>${r.ok}/${r.issued} (${pct(r.completion)})</td>
        <td>${r.throughputOpsPerS.toFixed(0)}</td><td>${ms(r.latency.readFault.p50Ms)}</td><td>${ms(r.latency.writeFault.p50Ms)}</td>
        <td>${r.messagesPerOpTotal.toFixed(2)}</td><td class=${r.linearizable ? '' : 'error'}>${r.linearizable ? 'yes' : 'NO'}</td></tr>`,
      )}</tbody>
    </table></div>`;
  }

  private toggle(chosen: ReadonlySet<string>, id: string, on: boolean): void {
    const next = new Set(chosen);
    if (on) next.add(id);
    else next.delete(id);
    this.chosen = next;
  }
}
customElements.define('ivy-experiments-panel', ExperimentsPanel);
