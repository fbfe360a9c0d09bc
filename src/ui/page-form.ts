// The readPage / writePage form of a client card. It only collects input; the card runs it.
import { html } from 'lit';
import { emit, LightElement } from './light-element.ts';

export interface PageOpRequest {
  kind: 'read' | 'write';
  page: string;
  content: string;
}

export class PageForm extends LightElement {
  protected override render() {
    return html`
      <form class="page-op" @submit=${(e: SubmitEvent) => this.submit(e, 'write')}>
        <label>page id <input name="page" autocomplete="off" placeholder="P1"></label>
        <label>content <input name="content" autocomplete="off" placeholder="Content1"></label>
        <div class="buttons">
          <button type="button" @click=${() => this.submit(null, 'read')}>Read</button>
          <button type="submit">Write</button>
        </div>
      </form>`;
  }

  private submit(e: SubmitEvent | null, kind: PageOpRequest['kind']): void {
    e?.preventDefault();
    const value = (name: string): string => this.querySelector<HTMLInputElement>(`input[name=${name}]`)?.value ?? '';
    emit<PageOpRequest>(this, 'page-op', { kind, page: value('page').trim(), content: value('content') });
  }
}
customElements.define('ivy-page-form', PageForm);
