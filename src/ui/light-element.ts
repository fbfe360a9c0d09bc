// Dashboard components render into the light DOM so one plain stylesheet styles them all.
import { LitElement } from 'lit';

export class LightElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}

/** Fires a bubbling custom event from a component, the only way components talk upward. */
export function emit<T>(from: HTMLElement, type: string, detail: T): void {
  from.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
}
