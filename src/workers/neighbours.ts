// The nodes that share one worker thread (packed placement), by id, so that two of them can be
// linked in memory: the same Transport interface as across threads, a MemoryTransport pair
// instead of a MessageChannel. The pack decodes with the `own` decoder: a link made here
// carries only what this code's own nodes sent (message-codec.ts).
import type { NodeId } from '../protocol/ids.ts';
import { MemoryTransport } from '../net/memory.ts';
import type { Decode, Transport } from '../net/transport.ts';

/** Joins a link to `peer` to one node of this thread. */
export type Attach<F> = (peer: NodeId, transport: Transport<F>) => void;

export class Neighbours<F> {
  private readonly nodes = new Map<NodeId, Attach<F>>();

  constructor(private readonly decode: Decode<F>) {}

  /**
   * Makes a started node reachable by its neighbours until the returned function is called. A
   * node restarted under the same id replaces an old life whose release has not arrived yet;
   * that life's own removal then leaves the new one in place.
   */
  add(id: NodeId, attach: Attach<F>): () => void {
    this.nodes.set(id, attach);
    return () => {
      if (this.nodes.get(id) === attach) this.nodes.delete(id);
    };
  }

  /** Links `a` and `b` both ways, replacing any link either had to the other. */
  link(a: NodeId, b: NodeId): void {
    if (a === b) throw new Error(`${a} cannot be linked to itself`);
    const attachA = this.nodes.get(a);
    const attachB = this.nodes.get(b);
    if (!attachA || !attachB) throw new Error(`${attachA ? b : a} does not run in this worker`);
    const [toB, toA] = MemoryTransport.pair(this.decode);
    attachA(b, toB);
    attachB(a, toA);
  }
}
