// The table `print` shows, always visible in a node's card: the CM's metadata or a client's
// page store. Built from the same rows as `print`, so the two never disagree.
import { html, type TemplateResult } from 'lit';
import { CLIENT_HEADERS, CM_HEADERS, clientRows, cmRows, type PrintableState } from '../console/format.ts';

export function stateTable(state: PrintableState | null): TemplateResult {
  if (!state) return html`<p class="muted">waiting for the node's state…</p>`;
  const [caption, headers, rows] =
    state.role === 'cm'
      ? [`${state.snapshot.id} metadata`, CM_HEADERS, cmRows(state.snapshot)]
      : [`${state.snapshot.id} page store`, CLIENT_HEADERS, clientRows(state.snapshot)];
  return html`
    <table class="state">
      <caption>${caption}</caption>
      <thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
      <tbody>
        ${
          rows.length === 0
            ? html`<tr><td colspan=${headers.length} class="muted">no pages yet</td></tr>`
            : rows.map((r) => html`<tr>${r.map((c) => html`<td title=${c}>${c}</td>`)}</tr>`)
        }
      </tbody>
    </table>`;
}
