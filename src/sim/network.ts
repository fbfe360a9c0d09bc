// The simulated network: it decides when (and whether) each message arrives. Every link is
// FIFO, as a data channel or MessagePort is; different links reorder freely.
import type { NodeId } from '../protocol/ids.ts';
import type { Rng } from './rng.ts';

export interface NetworkOptions {
  delayMinMs: number;
  delayMaxMs: number;
}

export const NETWORK_DEFAULTS: NetworkOptions = { delayMinMs: 0.05, delayMaxMs: 2 };

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}->${to}`;
}

export class SimNetwork {
  private readonly lastArrival = new Map<string, number>();
  private readonly cutLinks = new Set<string>();

  constructor(
    private readonly rng: Rng,
    private readonly opts: NetworkOptions = NETWORK_DEFAULTS,
  ) {}

  /** When a message sent now arrives, or null when the link is cut and it is lost. */
  arrivalTime(from: NodeId, to: NodeId, now: number): number | null {
    const key = linkKey(from, to);
    if (this.cutLinks.has(key)) return null;
    // Thousandths of a millisecond keep the history's times short and exact.
    const delay = Math.round(this.rng.between(this.opts.delayMinMs, this.opts.delayMaxMs) * 1000) / 1000;
    const at = Math.max(now + delay, this.lastArrival.get(key) ?? 0);
    this.lastArrival.set(key, at);
    return at;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks.has(linkKey(from, to));
  }

  /** Cuts both directions between `node` and each of `others`. */
  isolate(node: NodeId, others: readonly NodeId[]): void {
    for (const o of others) {
      this.cutLinks.add(linkKey(node, o));
      this.cutLinks.add(linkKey(o, node));
    }
  }

  healAll(): void {
    this.cutLinks.clear();
  }
}
