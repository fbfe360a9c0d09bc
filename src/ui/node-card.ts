// One node: who it is, Kill, the readPage / writePage form for clients, the live state table,
// the message trace and the command console.
import { CommandTickets } from '../console/text.ts';
import { html, nothing, type PropertyValues } from 'lit';
import { PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import type { NodeState } from '../host/make-node.ts';
import type { NodeHandle } from '../workers/node-handle.ts';
import { commonNow } from '../host/env.ts';
import type { TracedMessage } from '../host/trace.ts';
import { writeContentError } from '../console/commands.ts';
import { describeResult } from '../console/format.ts';
import { emit, LightElement } from './light-element.ts';
import { NodeController } from './node-controller.ts';
import { consoleLine } from './node-console.ts';
import { requestStatus } from './session/retry.ts';
import type { PageOpRequest } from './page-form.ts';
import { runCommand } from '../console/run-command.ts';
import { stateTable } from './state-table.ts';
import { clockText, keptReplicasText, leaseText, memberMarks, replicaWaitText } from './membership.ts';
import './node-console.ts';
import './page-form.ts';

export function nodeLabel(handle: Pick<NodeHandle, 'id' | 'role'>): string {
  if (handle.role === 'client') return `client ${handle.id}`;
  return `${handle.id === PRIMARY_CM ? 'primary' : 'backup'} CM ${handle.id}`;
}

/** A CM's role and epoch, or the CM a client follows: what changes at a failover. */
/** What each console takes, as its placeholder shows. */
export function consoleHint(role: 'cm' | 'client'): string {
  return role === 'client' ? 'writePage P1 Content1 · readPage P1 · print' : 'print · forget c3';
}

/** One line on a client's request in flight, from its state and its recent request sends. */
export function inFlightText(state: NodeState | null, sends: readonly TracedMessage[]): string | null {
  if (state?.role !== 'client') return null;
  const s = state.snapshot;
  return requestStatus(s.id, s.cm, s.inFlight, sends, commonNow());
}

export function standing(state: NodeState | null): string {
  if (!state) return '';
  if (state.role === 'cm') return `${state.snapshot.role}, epoch ${state.snapshot.epoch}`;
  return `follows ${state.snapshot.cm}, epoch ${state.snapshot.epoch}`;
}

/**
 * A CM's members (away ones marked, with for how long), or a client's lease and, when the
 * acting CM deems it away, since when: membership as each side sees it.
 */
export function membershipLine(state: NodeState | null, awaySince: number | null = null, forget?: (member: NodeId) => void) {
  if (!state) return nothing;
  const id = state.snapshot.id;
  if (state.role === 'client') {
    const verdict = awaySince === null ? '' : ` · the acting CM deems it away since ${clockText(awaySince)}`;
    const waiting = replicaWaitText(state.snapshot);
    return html`<p class="membership" aria-label=${`${id} lease`}>${leaseText(state.snapshot)}${verdict}</p>
      ${waiting ? html`<p class="membership" role="status" aria-label=${`${id} replicas`}>${waiting}</p>` : nothing}`;
  }
  const marks = memberMarks(state.snapshot);
  const kept = keptReplicasText(state.snapshot);
  return html`${kept ? html`<p class="membership" aria-label=${`${id} replicas`}>${kept}</p>` : nothing}<p class="membership" aria-label=${`${id} members`}>members: ${
    marks.length === 0
      ? 'none yet'
      : marks.map(
          (m, i) => html`${i > 0 ? ', ' : ''}<span
    class=${m.away ? 'member away' : 'member'}>${m.id}${m.note ? ` (${m.note})` : ''}</span>${
      m.away && forget && state.snapshot.role === 'acting'
        ? html` <button class="forget danger" type="button" aria-label=${`forget ${m.id}`}
    title=${`declare ${m.id} gone for good: the pages only it holds come back from their replicas if the cluster keeps them, else are declared lost (a write starts them over)`}
    @click=${() => forget(m.id)}>forget</button>`
        : nothing
    }`,
        )
  }</p>`;
}

/**
 * Where a node keeps its state, as a card has room for: "log on OPFS, process durability" is
 * "OPFS log, process"; a tab's "log on OPFS (log worker), …" keeps its log worker.
 */
export function keptInText(storage: string | null): string {
  if (storage === null) return 'no disk';
  const level = /(\w+) durability$/.exec(storage)?.[1];
  const worker = storage.includes('(log worker)') ? ' (log worker)' : '';
  const where = storage.startsWith('log on OPFS') ? `OPFS log${worker}` : storage.startsWith('IndexedDB') ? 'IndexedDB' : storage;
  return level ? `${where}, ${level}` : where;
}

export class NodeCard extends LightElement {
  static override properties = { handle: { attribute: false }, awaySince: { attribute: false }, result: { state: true } };
  declare handle: NodeHandle | null;
  /** Since when (wall clock) the acting CM deems this node away; null when it does not. */
  declare awaySince: number | null;
  declare result: { ok: boolean; text: string } | null;
  private node: NodeController | null = null;
  private readonly tickets = new CommandTickets();

  constructor() {
    super();
    this.handle = null;
    this.awaySince = null;
    this.result = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('handle') && this.handle && !this.node) this.node = new NodeController(this, this.handle);
  }

  protected override render() {
    const handle = this.handle;
    const node = this.node;
    if (!handle || !node) return nothing;
    const label = nodeLabel(handle);
    const inFlight = inFlightText(node.state, node.requestSends);
    return html`
      <section class="card ${handle.role}" aria-label=${label}>
        <header>
          <h3>${label}</h3>
          <span class="standing" aria-label=${`${handle.id} standing`}>${standing(node.state)}</span>
          <button class="danger" aria-label=${`Kill ${handle.id}`}
            @click=${() => emit(this, 'kill-node', handle.id)}>Kill</button>
        </header>
        <p class="where">
          runs in <span aria-label=${`${handle.id} runs in`} title="the worker this node runs in">${handle.thread ?? 'own worker'}</span>
          · state in <span aria-label=${`${handle.id} keeps its state`}
            title="where this node's state is kept, and how far a commit goes before anything that depends on it leaves the node"
            >${keptInText(handle.info?.storage ?? null)}</span>
        </p>
        ${membershipLine(node.state, this.awaySince, (member) => void this.command(`forget ${member}`))}
        ${
          handle.role === 'client'
            ? html`
          <ivy-page-form @page-op=${this.onPageOp}></ivy-page-form>
          <output class=${this.result?.ok === false ? 'result error' : 'result'} aria-label=${`${handle.id} result`}
            >${this.result?.text ?? ''}</output>
          ${inFlight ? html`<p class="in-flight" role="status" aria-label=${`${handle.id} request in flight`}>${inFlight}</p>` : nothing}`
            : nothing
        }
        ${stateTable(node.state)}
        <details class="trace">
          <summary>messages (${node.trace.length})</summary>
          <ol>${node.trace.map((t) => html`<li>${t}</li>`)}</ol>
        </details>
        <ivy-console .lines=${node.lines} label=${handle.id} placeholder=${consoleHint(handle.role)} @command=${this.onCommand}></ivy-console>
      </section>`;
  }

  private async onPageOp(e: CustomEvent<PageOpRequest>): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    const { kind, page, content } = e.detail;
    const refused = kind === 'write' ? writeContentError(content) : null;
    if (refused) {
      this.result = { ok: false, text: `error: ${refused}` };
      return;
    }
    this.result = { ok: true, text: `${kind === 'read' ? 'reading' : 'writing'} ${page}…` };
    try {
      const r = kind === 'read' ? await handle.readPage(page) : await handle.writePage(page, content);
      this.result = describeResult(kind, page, r);
    } catch (err) {
      this.result = { ok: false, text: `error: ${(err as Error).message}` };
    }
    await this.node?.refresh();
  }

  private onCommand(e: CustomEvent<string>): Promise<void> {
    return this.command(e.detail);
  }

  /** Runs a console line (typed, or a button's) and shows it with its answer in the console. */
  private async command(line: string): Promise<void> {
    const node = this.node;
    if (!node) return;
    node.append(consoleLine('input', line));
    const ticket = this.tickets.take();
    const answer = await runCommand(line, node.handle);
    const lines = this.tickets.name(ticket, line, answer.lines);
    node.append(...lines.map((text) => consoleLine(answer.ok ? 'ok' : 'error', text)));
    await node.refresh();
  }
}
customElements.define('ivy-node-card', NodeCard);
