// "This tab as a node": the seed's prompt as buttons (CM, Client, restartCM, restartBackup) and
// a console that takes the same words; once chosen, the node's card: who it is, the live link to
// its CM, the readPage / writePage form, its table, its messages and its console.
import { CommandTickets } from '../console/text.ts';
import { html, nothing } from 'lit';
import { describeTiming } from '../protocol/config.ts';
import { fetchIvyConfig, pageTiming, type IvyConfig } from '../net/ivy-config.ts';
import type { TabNodeInfo } from '../tab/control.ts';
import { parseChoice, PROMPT, type TabChoice } from '../tab/identity.ts';
import { TabNode } from '../tab/tab-node.ts';
import type { HostEvent } from '../host/node-host.ts';
import type { NodeState } from '../host/make-node.ts';
import type { TracedMessage } from '../host/trace.ts';
import { writeContentError } from '../console/commands.ts';
import { describeResult } from '../console/format.ts';
import { LightElement } from './light-element.ts';
import { consoleHint, inFlightText, keptInText, membershipLine, nodeLabel, standing } from './node-card.ts';
import { consoleLine, logLine, type ConsoleLine } from './node-console.ts';
import { isRequestSend } from './session/retry.ts';
import type { PageOpRequest } from './page-form.ts';
import { stateTable } from './state-table.ts';
import './node-console.ts';
import './page-form.ts';
import { describeError } from '../util/errors.ts';

const LINES_MAX = 300;
const TRACE_MAX = 40;
const REQUEST_SENDS_MAX = 30;
const STATUS_MS = 500;
const RENDER_MS = 100;
const CHOICES: ReadonlyArray<{ label: string; line: string }> = [
  { label: 'CM', line: 'CM' },
  { label: 'Client', line: 'Client' },
  { label: 'restartCM', line: 'restartCM' },
  { label: 'restartBackup', line: 'restartBackup' },
];

/**
 * The live status line of the link to the CM: "cm1 · linked · heard 40 ms ago", from `info`
 * taken `ageMs` ago (its "heard" is that much older now).
 */
export function cmLinkText(info: TabNodeInfo | null, ageMs = 0): string {
  const l = info?.cmLink;
  if (!l) return '';
  const heard = l.heardMsAgo === null ? 'nothing heard yet' : `heard ${Math.round(l.heardMsAgo + ageMs)} ms ago`;
  return `${l.peer} · ${l.linked ? 'linked' : 'no link'} · ${heard}`;
}

// Declared before the element is defined: an element already in the page upgrades (and reads it) during define.
/** Where a tab keeps the node it runs, as the prompt line that restarts it (`restart c2`). */
const TAB_NODE_KEY = 'ivy-tab-node';

export class TabNodeView extends LightElement {
  static override properties = {
    node: { state: true },
    busy: { state: true },
    lines: { state: true },
    state: { state: true },
    info: { state: true },
    trace: { state: true },
    result: { state: true },
    config: { state: true },
    keyKept: { state: true },
    requestSends: { state: true },
  };
  declare node: TabNode | null;
  declare busy: boolean;
  declare lines: readonly ConsoleLine[];
  declare state: NodeState | null;
  declare info: TabNodeInfo | null;
  declare trace: readonly string[];
  declare result: { ok: boolean; text: string } | null;
  declare config: IvyConfig | null;
  /** The server keeps the cluster key to itself: the key box shows before a role is chosen. */
  declare keyKept: boolean;
  declare requestSends: readonly TracedMessage[];
  private timer: ReturnType<typeof setInterval> | null = null;
  /**
   * The page is put away (closed, reloaded, left for another page, kept in the back/forward cache):
   * the node stops so that its links close at once. The tab remembers which node it ran
   * (sessionStorage lives as long as the tab, across its pages), so that when the page is shown
   * again (from the cache, reloaded, or brought back after the browser discarded it) it rejoins.
   */
  private readonly onPageHide = (e: PageTransitionEvent): void => {
    const node = this.node;
    if (!node?.running) return;
    node.stop(e.persisted ? 'the tab left this page (it may come back from the back/forward cache)' : 'the page closed');
  };
  private readonly onPageShow = (e: PageTransitionEvent): void => {
    const line = sessionStorage.getItem(TAB_NODE_KEY);
    if (!e.persisted || line === null || this.node?.running) return;
    this.rejoin(line, 'this tab is back from the back/forward cache');
  };

  constructor() {
    super();
    this.node = null;
    this.busy = false;
    // The prompt is the card's text above; the console starts empty, as it takes no room then.
    this.lines = [];
    this.state = null;
    this.info = null;
    this.trace = [];
    this.result = null;
    this.config = null;
    this.keyKept = false;
    this.requestSends = [];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Best effort: a closing tab says goodbye on its links; a crashed one cannot, and pulses tell.
    window.addEventListener('pagehide', this.onPageHide);
    window.addEventListener('pageshow', this.onPageShow);
    // The settings now, not at the first choice: a server that keeps the cluster key to itself
    // shows the key box before the user picks a role.
    // Only that is taken from it: choosing a node reads the settings anew (the server may be gone).
    void fetchIvyConfig().then(
      (config) => {
        this.keyKept = config.clusterKey === null;
      },
      () => undefined,
    );
    const ran = sessionStorage.getItem(TAB_NODE_KEY);
    if (ran !== null) this.rejoin(ran, 'this tab ran a node before this page was loaded');
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('pagehide', this.onPageHide);
    window.removeEventListener('pageshow', this.onPageShow);
  }

  protected override render() {
    const node = this.node;
    if (!node) {
      return html`
        <section class="card tab-prompt" aria-label="this tab as a node">
          <h3>This tab as a node</h3>
          <p>${PROMPT}</p>
          <div class="buttons" role="group" aria-label="node type">
            ${CHOICES.map((c) => html`<button ?disabled=${this.busy} @click=${() => this.choose(c.line)}>${c.label}</button>`)}
          </div>
          ${
            this.keyKept || this.config?.clusterKey === null
              ? html`
            <label>cluster key <input name="cluster-key" type="password" autocomplete="off"></label>`
              : nothing
          }
          <ivy-console .lines=${this.lines} label="node prompt" placeholder="CM · Client · restartCM · restartBackup · restart c2"
            @command=${(e: CustomEvent<string>) => this.choose(e.detail)}></ivy-console>
        </section>`;
    }
    const label = nodeLabel(node);
    const inFlight = node.running ? inFlightText(this.state, this.requestSends) : null;
    return html`
      <section class="card ${node.role}" aria-label=${label}>
        <header>
          <h3>${label}</h3>
          <span class="standing" aria-label=${`${node.id} standing`}>${node.running ? standing(this.state) : 'stopped'}</span>
          <button class="danger" aria-label=${`Kill ${node.id}`} ?disabled=${!node.running}
            @click=${() => this.kill(node)}>Kill</button>
        </header>
        <p class="muted">state in <span aria-label=${`${node.id} keeps its state`} title=${node.storage}>${keptInText(node.storage)}</span>
          · link to ${node.role === 'cm' ? 'the other CM' : 'the CM'}: <output aria-label=${`${node.id} CM link`}>${cmLinkText(this.info)}</output>
          · peers linked: ${
            this.info?.peers
              .filter((p) => p.linked)
              .map((p) => p.peer)
              .join(', ') || 'none'
          }</p>
        ${node.running ? membershipLine(this.state, null, (member) => void this.onCommand(`forget ${member}`)) : nothing}
        ${
          node.role === 'client'
            ? html`
          <ivy-page-form @page-op=${this.onPageOp}></ivy-page-form>
          <output class=${this.result?.ok === false ? 'result error' : 'result'} aria-label=${`${node.id} result`}
            >${this.result?.text ?? ''}</output>
          ${inFlight ? html`<p class="in-flight" role="status" aria-label=${`${node.id} request in flight`}>${inFlight}</p>` : nothing}`
            : nothing
        }
        ${stateTable(this.state)}
        <details class="trace">
          <summary>messages (${this.trace.length})</summary>
          <ol>${this.trace.map((t) => html`<li>${t}</li>`)}</ol>
        </details>
        <ivy-console .lines=${this.lines} label=${node.id} placeholder=${consoleHint(node.role)}
          @command=${(e: CustomEvent<string>) => this.onCommand(e.detail)}></ivy-console>
      </section>`;
  }

  /** Starts the node this tab ran again, from its store, saying why. */
  private rejoin(line: string, why: string): void {
    this.say(consoleLine('log', `${why}: it rejoins (${line})`));
    if (this.timer !== null) clearInterval(this.timer);
    this.node = null;
    void this.choose(line);
  }

  /** A prompt word: which node this tab becomes. */
  async choose(line: string): Promise<void> {
    if (this.node) return this.onCommand(line);
    this.say(consoleLine('input', line));
    const choice = parseChoice(line);
    if (choice.kind === 'invalid') return this.say(consoleLine('error', `error: ${choice.error}`));
    if (this.busy) return this.say(consoleLine('error', 'error: already starting a node; its progress is above'));
    this.busy = true;
    try {
      await this.startNode(choice);
    } catch (e) {
      this.say(consoleLine('error', `error: ${describeError(e)}`));
    } finally {
      this.busy = false;
    }
  }

  private async startNode(choice: TabChoice): Promise<void> {
    this.config ??= await fetchIvyConfig();
    const config = this.config;
    const typed = this.querySelector<HTMLInputElement>('input[name=cluster-key]')?.value ?? '';
    const clusterKey = config.clusterKey ?? typed;
    if (clusterKey.length < 8) throw new Error('this server does not hand out the cluster key: type it (8+ characters) above');
    const timing = pageTiming(config, location.search);
    const log = (text: string): void => this.say(consoleLine('log', text));
    if (describeTiming(timing)) log(`time limits other than the defaults: ${describeTiming(timing)}`);
    const node = await TabNode.start(choice, { config, clusterKey, location, timing, log });
    this.node = node;
    sessionStorage.setItem(TAB_NODE_KEY, restartLine(node.id));
    log(nextStep(node.id));
    node.subscribe((e) => this.onEvent(e));
    this.state = await node.snapshot();
    document.title = `${node.id} · ivy-web`;
    this.timer = setInterval(() => this.refreshInfo(node), STATUS_MS);
    this.refreshInfo(node);
  }

  /** Killed by hand: the tab no longer rejoins as this node when its page is shown again. */
  private kill(node: TabNode): void {
    sessionStorage.removeItem(TAB_NODE_KEY);
    node.stop('killed by hand; close the tab, or reopen it and choose a restart');
  }

  private refreshInfo(node: TabNode): void {
    this.info = node.info();
    if (!node.running && this.timer !== null) clearInterval(this.timer);
  }

  /**
   * State and messages are shown at most every RENDER_MS: under a write stream a node sees
   * hundreds of messages a second, and redrawing its tables for each would take the main
   * thread from the node (which then answers pulses late).
   */
  private onEvent(e: HostEvent): void {
    switch (e.type) {
      case 'state':
        this.pending.state = e.state;
        break;
      case 'log':
        this.say(logLine(e.level, e.text));
        return;
      case 'trace':
        this.pending.trace.push(`${e.direction === 'sent' ? '→' : '←'} ${e.text}`);
        if (isRequestSend(e.message, this.node?.id ?? '')) this.requestSends = [...this.requestSends, e.message].slice(-REQUEST_SENDS_MAX);
        break;
      default:
        return;
    }
    this.renderTimer ??= setTimeout(() => {
      this.renderTimer = null;
      if (this.pending.state) this.state = this.pending.state;
      if (this.pending.trace.length > 0) this.trace = [...this.trace, ...this.pending.trace].slice(-TRACE_MAX);
      this.pending = { state: null, trace: [] };
    }, RENDER_MS);
  }

  private pending: { state: NodeState | null; trace: string[] } = { state: null, trace: [] };
  private readonly tickets = new CommandTickets();
  private renderTimer: ReturnType<typeof setTimeout> | null = null;

  private async onCommand(line: string): Promise<void> {
    const node = this.node;
    if (!node) return;
    if (!node.running && parseChoice(line).kind !== 'invalid') {
      // A stopped node's tab takes the prompt's words again: restartCM, restart c2, Client...
      if (this.timer !== null) clearInterval(this.timer);
      this.node = null;
      return this.choose(line);
    }
    if (!node.running) {
      this.say(
        consoleLine('input', line),
        consoleLine('error', `error: ${node.id} is stopped: type ${restartLine(node.id)} to start it again here`),
      );
      return;
    }
    this.say(consoleLine('input', line));
    const ticket = this.tickets.take();
    const answer = await node.command(line);
    this.refreshState(node);
    const lines = this.tickets.name(ticket, line, answer.lines);
    this.say(...lines.map((text) => consoleLine(answer.ok ? 'ok' : 'error', text)));
  }

  /** After an operation the table must agree with its result at once, not at the next push. */
  private refreshState(node: TabNode): void {
    if (!node.running) return;
    this.pending.state = null;
    this.state = node.host.snapshot();
  }

  private async onPageOp(e: CustomEvent<PageOpRequest>): Promise<void> {
    const node = this.node;
    if (!node) return;
    const { kind, page, content } = e.detail;
    const refused = kind === 'write' ? writeContentError(content) : null;
    if (refused) {
      this.result = { ok: false, text: `error: ${refused}` };
      return;
    }
    this.result = { ok: true, text: `${kind === 'read' ? 'reading' : 'writing'} ${page}…` };
    const r = kind === 'read' ? await node.readPage(page) : await node.writePage(page, content);
    this.refreshState(node);
    this.result = describeResult(kind, page, r);
  }

  private say(...lines: ConsoleLine[]): void {
    this.lines = [...this.lines, ...lines].slice(-LINES_MAX);
  }
}
customElements.define('ivy-tab-node', TabNodeView);

/** The prompt line that restarts node `id` in a tab (identity.ts parseChoice). */
export function restartLine(id: string): string {
  return `restart ${id}`;
}

/** What a person does next, once this tab runs node `id`: a cluster is several tabs. */
export function nextStep(id: string): string {
  const here = `${location.origin}/?mode=tab`;
  if (id === 'cm1') return `next: open ${here} in another tab and choose CM for the backup (cm2), then Client in more tabs`;
  if (id === 'cm2') return `next: open ${here} in more tabs and choose Client; close cm1's tab to watch this one take over`;
  return `next: read and write pages here (readPage P1, writePage P1 hello, x); more clients in more tabs of ${here}`;
}
