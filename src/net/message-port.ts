// A transport over one end of a MessageChannel: what joins two workers directly, with no hop
// through the page. The other end lives in the peer's worker.
import { EnvelopeTransport } from './base.ts';
import type { Wire } from './envelope.ts';
import type { Decode } from './transport.ts';

export class MessagePortTransport<F> extends EnvelopeTransport<F> {
  private readonly onMessage = (e: MessageEvent): void => this.receive(e.data);
  private readonly onMessageError = (): void => this.reportBadFrame('value could not be deserialised');
  private readonly onPortClose = (): void => this.peerGone();

  constructor(
    private readonly port: MessagePort,
    decode: Decode<F>,
  ) {
    super(decode);
    port.addEventListener('message', this.onMessage);
    port.addEventListener('messageerror', this.onMessageError);
    // Node and recent Chromium fire `close` when the other end goes away; elsewhere the close
    // envelope (or the protocol's own timeouts) has to tell.
    port.addEventListener('close', this.onPortClose);
    port.start();
  }

  protected post(wire: Wire): void {
    this.port.postMessage(wire);
  }

  protected shutdown(): void {
    this.port.removeEventListener('message', this.onMessage);
    this.port.removeEventListener('messageerror', this.onMessageError);
    this.port.removeEventListener('close', this.onPortClose);
    this.port.close();
  }
}
