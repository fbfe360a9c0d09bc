// A node's terminal: a text box labelled "command" and the log its answers are appended to.
// The log takes no room until it has something to say.
import { html, nothing } from 'lit';
import { emit, LightElement } from './light-element.ts';
import { CONSOLE_LINE_MAX, ellipsize } from '../console/text.ts';

/** `warn` is information a person should notice (a retry, a lost link), not a failure. */
export interface ConsoleLine {
  kind: 'input' | 'ok' | 'error' | 'warn' | 'log';
  text: string;
}

export function consoleLine(kind: ConsoleLine['kind'], text: string): ConsoleLine {
  return { kind, text: ellipsize(text, CONSOLE_LINE_MAX) };
}

/** A host's log line, by its level. */
export function logLine(level: 'info' | 'warn' | 'error', text: string): ConsoleLine {
  return consoleLine(level === 'info' ? 'log' : level, text);
}

export class NodeConsole extends LightElement {
  static override properties = { lines: { attribute: false }, label: {}, placeholder: {} };
  declare lines: readonly ConsoleLine[];
  declare label: string;
  /** What this console accepts, as an example. */
  declare placeholder: string;

  constructor() {
    super();
    this.lines = [];
    this.label = 'console';
    this.placeholder = '';
  }

  protected override render() {
    return html`
      ${
        this.lines.length > 0
          ? html`<ol class="console-log" role="log" aria-label=${`${this.label} output`}>
        ${this.lines.map((l) => html`<li class=${`line ${l.kind}`}>${l.kind === 'input' ? '> ' : ''}${l.text}</li>`)}
      </ol>`
          : nothing
      }
      <form class="command" @submit=${this.onSubmit}>
        <label>command <input name="command" autocomplete="off" spellcheck="false" placeholder=${this.placeholder}></label>
        <button type="submit">Run</button>
      </form>`;
  }

  /** Lines that wrap anew when the page narrows (a phone turned) would push the last one out of view. */
  private readonly keepEnd = new ResizeObserver(() => this.toEnd());
  private watched: Element | null = null;

  protected override updated(): void {
    const log = this.querySelector('.console-log');
    if (log !== this.watched) {
      if (this.watched) this.keepEnd.unobserve(this.watched);
      if (log) this.keepEnd.observe(log);
      this.watched = log;
    }
    this.toEnd();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.keepEnd.disconnect();
    this.watched = null;
  }

  private toEnd(): void {
    if (this.watched) this.watched.scrollTop = this.watched.scrollHeight;
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
