// What the registry holds (shared by all tabs) next to what runs in this tab, with a Restart
// button for each registered node that does not run here.
import { html } from 'lit';
import { emit, LightElement } from './light-element.ts';
import type { RegistryRow } from './cluster-model.ts';

export class RegistryView extends LightElement {
  static override properties = { rows: { attribute: false }, address: {} };
  declare rows: readonly RegistryRow[];
  declare address: string;

  constructor() {
    super();
    this.rows = [];
    this.address = '';
  }

  protected override render() {
    return html`
      <table class="registry">
        <caption>Registry</caption>
        <thead><tr>
          <th scope="col">node</th><th scope="col">role</th><th scope="col">status</th>
          <th scope="col">registered by</th><th scope="col">running here</th><th scope="col">action</th>
        </tr></thead>
        <tbody>
          ${this.rows.length === 0
            ? html`<tr><td colspan="6" class="muted">nothing registered</td></tr>`
            : this.rows.map((r) => html`<tr>
                <td>${r.nodeId}</td><td>${r.role}</td><td>${r.status}</td>
                <td>${r.address === this.address ? 'this tab' : r.address}</td>
                <td>${r.runningHere ? 'yes' : 'no'}</td>
                <td>${r.runningHere ? '' : html`<button aria-label=${`Restart ${r.nodeId}`}
                  @click=${() => emit(this, 'restart-node', r.nodeId)}>Restart</button>`}</td>
              </tr>`)}
        </tbody>
      </table>`;
  }
}
customElements.define('ivy-registry-view', RegistryView);
