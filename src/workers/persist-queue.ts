// Writes a node's durable state in the background: in order, one write at a time, and when
// several states pile up behind a slow write only the latest is written (each state is whole,
// so an older one is worth nothing once a newer exists). States are read when written, not when
// pushed, so a busy node pays for building its state only as often as the disk is written.
export type Save<D> = (durable: D) => Promise<void>;

/** What hosts space their writes by: a crash can lose at most about this much of a node's life. */
export const PERSIST_INTERVAL_MS = 25;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class PersistQueue<D> {
  private next: (() => D) | null = null;
  private running: Promise<void> | null = null;

  /**
   * `minIntervalMs` spaces writes out: under load many changes share one write, at the price of
   * a longer window in which a crash loses the latest change.
   */
  constructor(
    private readonly save: Save<D>,
    private readonly onError: (e: Error) => void,
    private readonly minIntervalMs = 0,
  ) {}

  /** Never waits: the caller goes on sending messages while the write happens. */
  push(read: () => D): void {
    this.next = read;
    this.running ??= this.drain();
  }

  /** Settles once everything pushed so far has been written (or has failed). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.next) {
      const read = this.next;
      this.next = null;
      const started = performance.now();
      try {
        await this.save(read());
      } catch (e) {
        this.onError(e instanceof Error ? e : new Error(String(e)));
      }
      const wait = this.minIntervalMs - (performance.now() - started);
      if (this.next && wait > 0) await sleep(wait);
    }
    this.running = null;
  }
}
