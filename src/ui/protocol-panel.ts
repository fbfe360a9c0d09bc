// The live protocol views beside the cluster: messages, operations and failure events, with
// step mode, link faults and the invariant panel alongside, and Export of the session.
import { html, nothing } from 'lit';
import type { Partition } from './session/links.ts';
import type { ProtocolSession } from './session/protocol-session.ts';
import type { FrameRef } from './session/stepper.ts';
import type { StepSettings } from '../host/trace.ts';
import { downloadJson, recordingName } from './download.ts';
import { LightElement } from './light-element.ts';
import './invariant-panel.ts';
import './link-panel.ts';
import './run-views.ts';
import './step-panel.ts';
import './protocol.css';

export class ProtocolPanel extends LightElement {
  static override properties = { session: { attribute: false }, linkError: { state: true } };
  declare session: ProtocolSession | null;
  declare linkError: string | null;
  private stop: (() => void) | null = null;

  constructor() {
    super();
    this.session = null;
    this.linkError = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.listen();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stop?.();
    this.stop = null;
  }

  protected override willUpdate(): void {
    this.listen();
  }

  protected override render() {
    const s = this.session;
    if (!s) return nothing;
    const view = s.view();
    const culprits = new Set(s.verdict?.culprits.map((o) => o.id) ?? []);
    return html`
      <details class="protocol" open>
        <summary><h2>protocol</h2>
          <span class="muted small">${view.arrows.length} message(s) · ${view.ops.length} operation(s)</span></summary>
        <div class="toolbar">
          <button @click=${() => downloadJson(recordingName(new Date()), s.recording())}>Export recording</button>
          <button class="danger" @click=${() => s.clear()}>Clear</button>
        </div>
        <div class="protocol-grid">
          <div class="protocol-main"><ivy-run-views .source=${view} live .culprits=${culprits}></ivy-run-views></div>
          <aside class="protocol-side">
            <ivy-step-panel .settings=${s.stepper.settings} .held=${s.live.held()} ?playing=${s.stepper.playing}
              .everyMs=${s.stepper.everyMs} .error=${s.stepper.error}
              @step-settings=${(e: CustomEvent<StepSettings>) => s.stepper.setSettings(e.detail)}
              @step-next=${() => s.stepper.step()}
              @auto=${(e: CustomEvent<{ playing: boolean; everyMs: number }>) => this.auto(e.detail)}
              @deliver-frame=${(e: CustomEvent<FrameRef>) => s.stepper.deliver(e.detail)}
              @drop-frame=${(e: CustomEvent<FrameRef>) => s.stepper.drop(e.detail)}></ivy-step-panel>
            <ivy-link-panel .nodes=${s.live.nodes()} .partitions=${s.links.partitions()} .error=${this.linkError}
              @partition=${(e: CustomEvent<Partition>) => this.link(() => s.links.partition(e.detail.a, e.detail.b))}
              @heal=${(e: CustomEvent<Partition>) => this.link(() => s.links.heal(e.detail.a, e.detail.b))}></ivy-link-panel>
            <ivy-invariant-panel .invariants=${s.invariants} .verdict=${s.verdict}></ivy-invariant-panel>
          </aside>
        </div>
      </details>`;
  }

  private auto({ playing, everyMs }: { playing: boolean; everyMs: number }): void {
    const stepper = this.session?.stepper;
    if (!stepper) return;
    if (playing) {
      stepper.play(everyMs);
    } else {
      stepper.everyMs = everyMs;
      stepper.pause();
    }
  }

  private async link(f: () => Promise<void>): Promise<void> {
    try {
      await f();
      this.linkError = null;
    } catch (e) {
      this.linkError = (e as Error).message;
    }
  }

  private listen(): void {
    if (this.stop || !this.session || !this.isConnected) return;
    this.stop = this.session.onChange(() => this.requestUpdate());
  }
}
customElements.define('ivy-protocol-panel', ProtocolPanel);
