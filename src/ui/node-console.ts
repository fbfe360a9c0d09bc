// A node's terminal: a text box labelled "command" and the log its answers are appended to.
import { html } from 'lit';
import { emit, LightElement } from './light-element.ts';

export interface ConsoleLine {
  kind: 'input' | 'ok' | 'error' | 'log';
  text: string;
}

export class NodeConsole extends LightElement {
  static override properties = { lines: { attribute: false }, label: {} };
  declare lines: readonly ConsoleLine[];
  declare label: string;

  constructor() {
    super();
    this.lines = [];
    this.label = 'console';
  }

  protected override render() {
    return html`
      <ol class="log" role="log" aria-label=${`${this.label} output`}>
        ${this.lines.map((l) => html`<li class=${`line ${l.kind}`}>${l.kind === 'input' ? '> ' : ''}${l.text}</li>`)}
      </ol>
      <form class="command" @submit=${this.onSubmit}>
        <label>command <input name="command" autocomplete="off" spellcheck="false"
          placeholder="writePage P1 Content1 · readPage P1 · print"></label>
        <button type="submit">Run</button>
      </form>`;
  }

  protected override updated(): void {
    const log = this.querySelector('.log');
    if (log) log.scrollTop = log.scrollHeight;
  }

  private onSubmit(e: SubmitEvent): void {
    e.preventDefault();
    const input = this.querySelector<HTMLInputElement>('input[name=command]');
    if (!input) return;
    emit(this, 'command', input.value);
    input.value = '';
  }
}
customElements.define('ivy-console', NodeConsole);
