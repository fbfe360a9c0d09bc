// A host's links, one a peer: each wrapped in a FaultyTransport (the dashboard's partitions, loss
// and delay live here, since browser "offline" switches do not touch WebRTC), each frame checked
// against the link it came on. What a link hears goes to the host's handlers; nothing here knows
// of a node.
import type { NodeId } from '../protocol/ids.ts';
import { describeMessage, type Message } from '../protocol/messages.ts';
import { FaultyTransport, type LinkFaults } from '../net/faults.ts';
import type { Transport, TransportEvent } from '../net/transport.ts';
import type { HostEnv } from './env.ts';

interface Link {
  transport: FaultyTransport<Message>;
  listener: (e: TransportEvent<Message>) => void;
}

export interface LinkHandlers {
  /** A well-formed frame from `peer`, addressed to this host by `peer` (anything else is warned of). */
  frame(peer: NodeId, m: Message): void;
  /** What the host's log says of its links. */
  log(level: 'info' | 'warn', text: string): void;
}

/**
 * `sent`: handed to the link; `lost`: the link is partitioned and swallowed it; `unreachable`:
 * there is no open link to the addressee.
 */
export type SendOutcome = 'sent' | 'lost' | 'unreachable';

export class HostLinks {
  private readonly links = new Map<NodeId, Link>();
  /** Peers a message could not go to since their last link: one notice each, not one per pulse. */
  private readonly unreachable = new Set<NodeId>();

  constructor(
    private readonly self: () => NodeId,
    private readonly env: HostEnv,
    private readonly handlers: LinkHandlers,
  ) {}

  /** Joins a link to `peer`, replacing any previous one. */
  connect(peer: NodeId, transport: Transport<Message>): void {
    this.disconnect(peer);
    const faulty = new FaultyTransport(transport, {
      now: () => this.env.now(),
      random: () => this.env.random(),
      after: (ms, f) => this.env.timers.after(ms, f),
    });
    const listener = (e: TransportEvent<Message>): void => this.onEvent(peer, faulty, e);
    faulty.addListener(listener);
    this.links.set(peer, { transport: faulty, listener });
    this.unreachable.delete(peer);
  }

  disconnect(peer: NodeId): void {
    const link = this.links.get(peer);
    if (!link) return;
    this.links.delete(peer);
    link.transport.removeListener(link.listener);
    link.transport.close();
  }

  disconnectAll(): void {
    for (const peer of [...this.links.keys()]) this.disconnect(peer);
  }

  peers(): NodeId[] {
    return [...this.links.keys()].sort();
  }

  /** Throws when there is no such link or the faults are out of range. */
  setFaults(peer: NodeId, faults: Partial<LinkFaults>): void {
    const link = this.links.get(peer);
    if (!link) throw new Error(`${this.self()} has no link to ${peer}`);
    link.transport.setFaults(faults);
  }

  send(m: Message): SendOutcome {
    const link = this.links.get(m.to);
    if (!link || !link.transport.send(m)) {
      // A dead peer is pulsed or re-asked many times a second; say so once until it is back.
      // The protocol retries on its own (clients re-send, the CM re-asks, pulses repeat).
      if (!this.unreachable.has(m.to)) {
        this.unreachable.add(m.to);
        this.handlers.log(
          'info',
          `${this.self()} has no link to ${m.to} (${describeMessage(m)} not sent); the protocol retries or fails over`,
        );
      }
      return 'unreachable';
    }
    return link.transport.faults.partitioned ? 'lost' : 'sent';
  }

  private onEvent(peer: NodeId, transport: Transport<Message>, e: TransportEvent<Message>): void {
    switch (e.type) {
      case 'frame':
        // A link belongs to one peer: a frame naming another sender or addressee is forged or lost.
        if (e.frame.from !== peer || e.frame.to !== this.self()) {
          this.handlers.log('warn', `${this.self()} dropped ${describeMessage(e.frame)}: it arrived on the link from ${peer}`);
          return;
        }
        this.handlers.frame(peer, e.frame);
        break;
      case 'bad-frame':
        this.handlers.log('warn', `${this.self()} dropped a bad frame from ${peer}: ${e.error}`);
        break;
      case 'close':
        if (this.links.get(peer)?.transport === transport) this.links.delete(peer);
        this.handlers.log('info', `${this.self()}: link to ${peer} closed`);
        break;
    }
  }
}
