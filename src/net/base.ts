// The bookkeeping every envelope transport shares: the closed flag and turning received
// envelopes into events. Subclasses only say how to post a wire value and how to shut down.
import { CLOSE_WIRE, frameWire, openWire, type Wire } from './envelope.ts';
import { ListenedTransport, type Decode, type Transport } from './transport.ts';

export abstract class EnvelopeTransport<F> extends ListenedTransport<F> implements Transport<F> {
  private isClosed = false;

  constructor(private readonly decode: Decode<F>) {
    super();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(frame: F): boolean {
    if (this.isClosed) return false;
    this.post(frameWire(frame));
    return true;
  }

  close(): void {
    if (this.isClosed) return;
    this.post(CLOSE_WIRE);
    this.markClosed();
  }

  protected abstract post(wire: Wire): void;
  protected abstract shutdown(): void;

  /** Called by subclasses with every value that arrives. */
  protected receive(raw: unknown): void {
    if (this.isClosed) return;
    const event = openWire(raw, this.decode);
    if (event.type === 'close') this.markClosed();
    else this.emit(event);
  }

  /** For values the platform could not even deserialise. */
  protected reportBadFrame(error: string): void {
    if (!this.isClosed) this.emit({ type: 'bad-frame', error });
  }

  /** For links whose platform reports the peer going away by itself. */
  protected peerGone(): void {
    if (!this.isClosed) this.markClosed();
  }

  private markClosed(): void {
    this.isClosed = true;
    this.shutdown();
    this.emit({ type: 'close' });
    this.dropListeners();
  }
}
