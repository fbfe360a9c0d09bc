// Two transports joined back to back inside one process, for tests and single-thread hosts.
// Delivery is asynchronous and values are structured-cloned, as postMessage does, so code that
// passes here does not rely on sharing objects or on synchronous delivery.
import { EnvelopeTransport } from './base.ts';
import type { Wire } from './envelope.ts';
import type { Decode } from './transport.ts';

export class MemoryTransport<F> extends EnvelopeTransport<F> {
  private peer: MemoryTransport<F> | null = null;

  static pair<F>(decode: Decode<F>): [MemoryTransport<F>, MemoryTransport<F>] {
    const a = new MemoryTransport(decode);
    const b = new MemoryTransport(decode);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  /** Delivers any value to the peer as if it had come over the wire (tests use it for garbage). */
  postRaw(raw: unknown): void {
    const peer = this.peer;
    if (!peer) return;
    const copy = structuredClone(raw);
    queueMicrotask(() => peer.receive(copy));
  }

  protected post(wire: Wire): void {
    this.postRaw(wire);
  }

  protected shutdown(): void {
    this.peer = null;
  }
}
