// Fault injection at the transport, because browser "offline" switches do not touch WebRTC or
// MessagePorts. Wraps any transport; drop and delay apply to frames this end sends, a
// partition cuts both directions of the link.
import { ListenedTransport, type Transport, type TransportEvent } from './transport.ts';

export interface LinkFaults {
  /** Probability in [0, 1] that an outgoing frame is silently lost. */
  dropRate: number;
  /** Extra one-way latency for outgoing frames; frames keep their order. */
  delayMs: number;
  /** No frame passes in either direction while set. */
  partitioned: boolean;
}

export const NO_FAULTS: LinkFaults = { dropRate: 0, delayMs: 0, partitioned: false };

export function linkFaultsError(f: Partial<LinkFaults>): string | null {
  if (f.dropRate !== undefined && !(f.dropRate >= 0 && f.dropRate <= 1)) return 'dropRate must be in [0, 1]';
  if (f.delayMs !== undefined && !(f.delayMs >= 0 && f.delayMs <= 60_000)) return 'delayMs must be in [0, 60000]';
  return null;
}

interface Delayed<F> {
  dueMs: number;
  frame: F;
}

export interface FaultClock {
  now(): number;
  random(): number;
  /** Runs `f` once after `ms`; returns what cancels it. */
  after(ms: number, f: () => void): () => void;
}

const REAL_CLOCK: FaultClock = {
  now: () => performance.now(),
  random: () => Math.random(),
  after(ms, f) {
    const t = setTimeout(f, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

export class FaultyTransport<F> extends ListenedTransport<F> implements Transport<F> {
  private current: LinkFaults = { ...NO_FAULTS };
  private readonly delayed: Delayed<F>[] = [];
  private cancelTimer: (() => void) | null = null;
  private readonly relay = (e: TransportEvent<F>): void => this.onInner(e);

  constructor(
    private readonly inner: Transport<F>,
    private readonly clock: FaultClock = REAL_CLOCK,
  ) {
    super();
    inner.addListener(this.relay);
  }

  get faults(): Readonly<LinkFaults> {
    return this.current;
  }

  setFaults(f: Partial<LinkFaults>): void {
    const error = linkFaultsError(f);
    if (error) throw new RangeError(error);
    this.current = { ...this.current, ...f };
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  send(frame: F): boolean {
    if (this.inner.closed) return false;
    const f = this.current;
    if (f.partitioned || (f.dropRate > 0 && this.clock.random() < f.dropRate)) return true;
    // A frame behind delayed ones waits for them even when the delay was lowered: links are FIFO.
    if (f.delayMs === 0 && this.delayed.length === 0) return this.inner.send(frame);
    const last = this.delayed[this.delayed.length - 1]?.dueMs ?? 0;
    this.delayed.push({ dueMs: Math.max(this.clock.now() + f.delayMs, last), frame });
    this.arm();
    return true;
  }

  close(): void {
    this.inner.close();
  }

  private onInner(e: TransportEvent<F>): void {
    if (e.type === 'frame' && this.current.partitioned) return;
    if (e.type === 'close') this.disarm();
    this.emit(e);
  }

  private arm(): void {
    const head = this.delayed[0];
    if (this.cancelTimer !== null || !head) return;
    this.cancelTimer = this.clock.after(head.dueMs - this.clock.now(), () => this.flushDue());
  }

  private flushDue(): void {
    this.cancelTimer = null;
    const now = this.clock.now();
    while (this.delayed[0] && this.delayed[0].dueMs <= now) {
      const due = this.delayed.shift();
      if (due) this.inner.send(due.frame);
    }
    this.arm();
  }

  private disarm(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.delayed.length = 0;
  }
}
