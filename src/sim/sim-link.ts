// A link between two simulated nodes, behind the same Transport interface the browser's links
// implement: frames take the time the simulated network says (FIFO per direction, lost across
// a partition) and arrive only at the life of the node they were sent to. Frames a node sends
// are handed over as objects, as between trusted workers; anything injected from outside goes
// through the validator, as a frame from a tab or machine does.
import type { Message } from '../protocol/messages.ts';
import { ListenedTransport, type Decode, type Transport } from '../net/transport.ts';
import type { SimNetwork } from './network.ts';
import type { Life, SimWorld } from './world.ts';

export interface LinkObserver {
  /** A frame left the sender (and will arrive at `at`, or is lost when `at` is null). */
  sent(m: Message, at: number | null): void;
  /** The frame reached its receiver's host (whether or not the receiver was still alive). */
  arrived(m: Message, delivered: boolean): void;
}

export class SimLinkEnd extends ListenedTransport<Message> implements Transport<Message> {
  private peer: SimLinkEnd | null = null;
  private isClosed = false;

  private constructor(
    private readonly world: SimWorld,
    private readonly net: SimNetwork,
    private readonly self: string,
    /** The life of the node at this end: what arrives here belongs to it. */
    private readonly life: Life,
    private readonly observer: LinkObserver,
    private readonly decode: Decode<Message>,
  ) {
    super();
  }

  static pair(
    world: SimWorld,
    net: SimNetwork,
    a: Life,
    b: Life,
    observer: LinkObserver,
    decode: Decode<Message>,
  ): [SimLinkEnd, SimLinkEnd] {
    const ea = new SimLinkEnd(world, net, a.node, a, observer, decode);
    const eb = new SimLinkEnd(world, net, b.node, b, observer, decode);
    ea.peer = eb;
    eb.peer = ea;
    return [ea, eb];
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(frame: Message): boolean {
    const peer = this.peer;
    if (this.isClosed || !peer) return false;
    const at = this.net.arrivalTime(this.self, peer.self, this.world.now);
    this.observer.sent(frame, at);
    if (at !== null) this.world.at(at, null, () => peer.arrive(frame));
    return true;
  }

  /**
   * A raw value from outside arrives at the other end after `delayMs`, through the validator;
   * `make` builds it at that moment (so it can say what is true then).
   */
  injectRaw(make: () => unknown, delayMs: number): void {
    const peer = this.peer;
    if (!peer) return;
    this.world.at(this.world.now + delayMs, peer.life, () => {
      if (peer.isClosed) return;
      const d = peer.decode(make());
      peer.emit(d.ok ? { type: 'frame', frame: d.frame } : { type: 'bad-frame', error: d.error });
    });
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.dropListeners();
    const peer = this.peer;
    this.peer = null;
    if (peer) peer.peerClosed();
  }

  private peerClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.peer = null;
    this.emit({ type: 'close' });
    this.dropListeners();
  }

  /** Runs at arrival time, whatever became of the receiver; a stalled receiver takes it later. */
  private arrive(m: Message): void {
    const delivered = this.life.alive && !this.isClosed && !this.net.isCut(m.from, m.to);
    if (!delivered) {
      this.observer.arrived(m, false);
      return;
    }
    if (this.life.stalledUntil > this.world.now) {
      // The frame waits in the stalled node's queue, in order behind earlier ones.
      this.world.at(this.life.stalledUntil, this.life, () => this.arrive(m));
      return;
    }
    this.emit({ type: 'frame', frame: m });
    this.observer.arrived(m, true);
  }
}
