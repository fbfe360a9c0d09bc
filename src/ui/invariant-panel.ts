// The cluster's invariants, checked live from the nodes' states, and the linearizability
// verdict of the session's operations so far, with the operations to blame when it fails.
import { html, nothing } from 'lit';
import type { InvariantResult } from '../protocol/invariants.ts';
import type { LinVerdict } from './session/linearizability.ts';
import { opLabel } from './session/timeline-layout.ts';
import { LightElement } from './light-element.ts';

export type JudgedInvariant = InvariantResult & { settling: boolean };

export class InvariantPanel extends LightElement {
  static override properties = { invariants: { attribute: false }, verdict: { attribute: false } };
  declare invariants: readonly JudgedInvariant[];
  declare verdict: LinVerdict | null;

  constructor() {
    super();
    this.invariants = [];
    this.verdict = null;
  }

  protected override render() {
    const v = this.verdict;
    return html`
      <div class="panel invariants" role="group" aria-label="invariants">
        <h3>invariants</h3>
        <ul>
          ${this.invariants.map(
            (r) => html`<li class=${r.ok ? (r.settling ? 'settling' : 'ok') : 'bad'}>
            <span class="mark" aria-hidden="true">${r.ok ? (r.settling ? '…' : '✓') : '✗'}</span>
            <span class="name">${r.name}</span> <span class="muted small">${r.detail}</span></li>`,
          )}
        </ul>
        ${
          v
            ? html`
          <p class=${`verdict ${v.status}`} role="status" aria-label="linearizability verdict">${v.summary}</p>
          ${
            v.assumed.length > 0
              ? html`<p class="muted small" aria-label="history begins mid-run">The history begins mid-run; taken as
            written before it: ${v.assumed.join('; ')}.</p>`
              : nothing
          }
          ${v.explanation ? html`<pre class="explanation">${v.explanation}</pre>` : nothing}
          ${
            v.culprits.length > 0
              ? html`<ul class="culprits" aria-label="offending operations">
            ${v.culprits.map((o) => html`<li>${o.node} ${opLabel(o)} (${o.outcome}${o.req ? `, ${o.req}` : ''})</li>`)}</ul>`
              : nothing
          }`
            : nothing
        }
      </div>`;
  }
}
customElements.define('ivy-invariant-panel', InvariantPanel);
