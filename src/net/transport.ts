// One end of a two-way link to one peer. Shaped like Comlink's Endpoint (post a value, listen
// for values) so that a MessagePort, a PeerJS DataConnection or an in-memory queue can carry
// it; frames are one-way: nothing here waits for an answer.

export type Decoded<F> = { ok: true; frame: F } | { ok: false; error: string };

/** Turns whatever arrived into a typed frame, or says why it is not one. Must not throw. */
export type Decode<F> = (raw: unknown) => Decoded<F>;

export type TransportEvent<F> =
  | { type: 'frame'; frame: F }
  /** Something arrived that is not a frame; it was dropped. */
  | { type: 'bad-frame'; error: string }
  /** The link is closed, by this end or the peer; nothing more will arrive or leave. */
  | { type: 'close' };

export type TransportListener<F> = (event: TransportEvent<F>) => void;

export interface Transport<F> {
  /**
   * Hands a frame to the link. False when the link is closed and the frame was not sent;
   * true does not promise delivery (a link may lose frames, as a network does).
   */
  send(frame: F): boolean;
  addListener(listener: TransportListener<F>): void;
  removeListener(listener: TransportListener<F>): void;
  /** Closes both directions; the peer receives a `close` event. Idempotent. */
  close(): void;
  readonly closed: boolean;
}

/**
 * The listener bookkeeping every transport shares. Listeners are called in the order they were
 * added, on a copy of the set: one that adds or removes listeners while called disturbs no other.
 */
export abstract class ListenedTransport<F> {
  private readonly listeners = new Set<TransportListener<F>>();

  addListener(listener: TransportListener<F>): void {
    this.listeners.add(listener);
  }

  removeListener(listener: TransportListener<F>): void {
    this.listeners.delete(listener);
  }

  protected emit(event: TransportEvent<F>): void {
    for (const l of [...this.listeners]) l(event);
  }

  /** After the last event (`close`): nobody is called again. */
  protected dropListeners(): void {
    this.listeners.clear();
  }
}
