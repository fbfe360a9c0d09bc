// What the registry holds (shared by all tabs) next to what runs in this tab, with a Restart
// button for each registered node that does not run here.
import { html } from 'lit';
import { emit, LightElement } from './light-element.ts';
import type { RegistryRow } from './cluster-model.ts';
import { clockText } from './membership.ts';
import { UNGUARDED } from '../host/node-lock.ts';

function statusText(r: RegistryRow): string {
  return r.awaySince === null ? r.status : `${r.status} · away since ${clockText(r.awaySince)}`;
}

export class RegistryView extends LightElement {
  static override properties = { rows: { attribute: false }, address: {}, guarded: { type: Boolean }, notice: { attribute: false } };
  declare rows: readonly RegistryRow[];
  declare address: string;
  /** Whether each node id is kept to one run in this browser (Web Locks); see node-lock.ts. */
  declare guarded: boolean;
  /** The registry's database went from under this tab and was made again: what it said. */
  declare notice: string | null;

  constructor() {
    super();
    this.rows = [];
    this.address = '';
    this.guarded = true;
    this.notice = null;
  }

  protected override render() {
    return html`
      <table class="registry">
        <caption>Registry</caption>
        <thead><tr>
          <th scope="col">node</th><th scope="col">role</th><th scope="col">status</th>
          <th scope="col">started by</th><th scope="col">running here</th><th scope="col">action</th>
        </tr></thead>
        <tbody>
          ${
            this.rows.length === 0
              ? html`<tr><td colspan="6" class="muted">nothing registered</td></tr>`
              : this.rows.map(
                  (r) => html`<tr>
                <td>${r.nodeId}</td><td>${r.role}</td><td title=${statusText(r)}>${statusText(r)}</td>
                <td>${r.address === this.address ? 'this tab' : r.address}</td>
                <td>${r.runningHere ? 'yes' : 'no'}</td>
                <td>${
                  r.runningHere
                    ? ''
                    : html`<button aria-label=${`Restart ${r.nodeId}`}
                  @click=${() => emit(this, 'restart-node', r.nodeId)}>Restart</button>`
                }</td>
              </tr>`,
                )
          }
        </tbody>
      </table>
      ${this.notice ? html`<p class="status" role="status" aria-label="registry notice">${this.notice}</p>` : ''}
      ${this.guarded ? '' : html`<p class="muted">Nodes here run unguarded: ${UNGUARDED}.</p>`}`;
  }
}
customElements.define('ivy-registry-view', RegistryView);
