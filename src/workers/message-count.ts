// Counts the protocol messages a node hands to its links, per message type, for the
// experiments' "messages per operation" figures. It wraps a transport, so the host and the
// protocol core know nothing of it.
import type { Message, MessageType } from '../protocol/messages.ts';
import type { Transport, TransportListener } from '../net/transport.ts';

export type MessageCounts = Partial<Record<MessageType, number>>;

export class MessageCounter {
  private counts: MessageCounts = {};

  add(type: MessageType): void {
    this.counts[type] = (this.counts[type] ?? 0) + 1;
  }

  /** A copy, so callers may keep it while counting goes on. */
  snapshot(): MessageCounts {
    return { ...this.counts };
  }
}

/** Passes everything through; a frame the inner link accepted is counted as sent. */
export class CountingTransport implements Transport<Message> {
  constructor(
    private readonly inner: Transport<Message>,
    private readonly counter: MessageCounter,
  ) {}

  get closed(): boolean {
    return this.inner.closed;
  }

  send(frame: Message): boolean {
    const sent = this.inner.send(frame);
    if (sent) this.counter.add(frame.type);
    return sent;
  }

  addListener(listener: TransportListener<Message>): void {
    this.inner.addListener(listener);
  }

  removeListener(listener: TransportListener<Message>): void {
    this.inner.removeListener(listener);
  }

  close(): void {
    this.inner.close();
  }
}
