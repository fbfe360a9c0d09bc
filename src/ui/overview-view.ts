// The overview page: every node of the tab cluster, wherever its tab runs, who acts under which
// epoch, and a console line for any of them, run in that node's tab over a control link.
import { html, nothing } from 'lit';
import { fetchIvyConfig, peerServerAddress } from '../net/ivy-config.ts';
import { ClusterPeer } from '../net/peer-connect.ts';
import { isCmId, type NodeId } from '../protocol/ids.ts';
import { OverviewModel } from '../tab/overview.ts';
import type { OverviewRow } from '../tab/overview-rows.ts';
import { LightElement } from './light-element.ts';
import { leaseText, secondsText } from './membership.ts';
import { consoleHint, standing } from './node-card.ts';
import { cmLinkText } from './tab-node-view.ts';
import { randomHex } from '../util/random-hex.ts';

/** The row's standing: the node's own word only while it is live, else why it is not shown as it was. */
export function standingText(r: OverviewRow, acting: NodeId | null): string {
  const heard = r.heardByActingMs === null || acting === null ? '' : ` · ${acting} heard it ${secondsText(r.heardByActingMs)} ago`;
  const st = r.standing;
  switch (st.kind) {
    case 'live': {
      const s = r.info?.state ?? null;
      const own = s?.role === 'client' ? `${standing(s)} · ${leaseText(s.snapshot)}` : standing(s);
      return r.awayMs === null || acting === null ? own : `${own} · ${acting} deems it away (${secondsText(r.awayMs)})`;
    }
    case 'superseded':
      return `not acting: ${st.by} acts under the newer epoch ${st.epoch}`;
    case 'away':
      return `away ${secondsText(st.forMs)} (${st.judge} says)`;
    case 'stopped':
      return 'stopped';
    case 'silent': {
      if (st.forMs === null) return `unreachable: ${st.error ?? 'no answer yet'}${heard}`;
      return `no answer for ${secondsText(st.forMs)}${st.error ? ` (${st.error})` : ''}${heard}`;
    }
  }
}

function pagesText(r: OverviewRow): string {
  const s = r.standing.kind === 'live' ? r.info?.state : null;
  if (!s) return '';
  return (
    s.snapshot.pages
      .map((p) => ('content' in p ? `${p.page}=${p.content ?? ''} (${p.access})` : `${p.page}→${p.owner ?? '-'}`))
      .join(', ') || 'none'
  );
}

export class OverviewView extends LightElement {
  static override properties = { model: { state: true }, failure: { state: true }, answers: { state: true }, version: { state: true } };
  declare model: OverviewModel | null;
  declare failure: string | null;
  declare answers: ReadonlyMap<NodeId, { ok: boolean; text: string }>;
  declare version: number;

  constructor() {
    super();
    this.model = null;
    this.failure = null;
    this.answers = new Map();
    this.version = 0;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.model) void this.open();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.model?.dispose();
    this.model = null;
  }

  private async open(): Promise<void> {
    try {
      const config = await fetchIvyConfig();
      const clusterKey = config.clusterKey;
      if (clusterKey === null) throw new Error('this server does not hand out the cluster key; the overview needs it');
      const tag = randomHex(5);
      const peer = await ClusterPeer.open({
        id: `${config.peerIdPrefix}-overview-${tag}`,
        server: peerServerAddress(config, location),
        iceServers: config.iceServers,
        clusterKey,
        log: () => {},
      });
      if (!this.isConnected) return peer.destroy();
      this.model = new OverviewModel(peer, config.peerIdPrefix, () => {
        this.version += 1;
      });
    } catch (e) {
      this.failure = `overview: ${(e as Error).message}`;
    }
  }

  protected override render() {
    if (this.failure) return html`<p class="status error" role="alert">${this.failure}</p>`;
    const model = this.model;
    if (!model) return html`<p class="muted">joining the PeerServer…</p>`;
    const { acting, rows } = model.judged();
    return html`
      <section class="overview" aria-label="cluster overview">
        <h2>Tab cluster</h2>
        <p aria-label="acting CM">${acting ? `acting CM: ${acting.id}, epoch ${acting.epoch}` : 'no acting CM answers'}</p>
        <div class="table-scroll"><table class="state" aria-label="nodes">
          <thead><tr>${['node', 'standing', 'link to CM', 'pages', 'command'].map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
          <tbody>${rows.map((r) => this.row(r, acting?.id ?? null))}</tbody>
        </table></div>
        <p class="muted">Open more tabs of this page and choose "This tab as a node" to add nodes;
          closing a node's tab kills that node.</p>
      </section>`;
  }

  private row(r: OverviewRow, acting: NodeId | null) {
    const answer = this.answers.get(r.id);
    const live = r.standing.kind === 'live';
    return html`
      <tr aria-label=${`node ${r.id}`} class=${live ? '' : 'not-live'}>
        <th scope="row">${r.id}</th>
        <td data-label="standing" aria-label=${`${r.id} standing`}>${standingText(r, acting)}</td>
        <td data-label="link to CM">${live ? cmLinkText(r.info, r.ageMs) : ''}</td>
        <td data-label="pages">${pagesText(r)}</td>
        <td data-label="command">
          <form class="command" @submit=${(e: SubmitEvent) => this.run(e, r.id)}>
            <input name="line" aria-label=${`command for ${r.id}`} autocomplete="off" placeholder=${consoleHint(isCmId(r.id) ? 'cm' : 'client')}>
            <button type="submit">Run</button>
            <button type="button" class="danger" aria-label=${`Kill ${r.id}`} ?disabled=${!live && r.standing.kind !== 'superseded'}
              @click=${() => this.kill(r.id)}>Kill</button>
          </form>
          ${answer ? html`<output class=${answer.ok ? 'result' : 'result error'} aria-label=${`${r.id} answer`}>${answer.text}</output>` : nothing}
        </td>
      </tr>`;
  }

  private async run(e: SubmitEvent, id: NodeId): Promise<void> {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).querySelector<HTMLInputElement>('input[name=line]');
    const line = input?.value ?? '';
    if (!this.model || line.trim() === '') return;
    this.setAnswer(id, { ok: true, text: `${line}…` });
    const answer = await this.model.command(id, line);
    this.setAnswer(id, { ok: answer.ok, text: answer.lines.join('\n') });
  }

  private async kill(id: NodeId): Promise<void> {
    try {
      await this.model?.kill(id);
      this.setAnswer(id, { ok: true, text: `${id} killed` });
    } catch (e) {
      this.setAnswer(id, { ok: false, text: `error: ${(e as Error).message}` });
    }
  }

  private setAnswer(id: NodeId, a: { ok: boolean; text: string }): void {
    this.answers = new Map([...this.answers, [id, a]]);
  }
}
customElements.define('ivy-overview', OverviewView);
