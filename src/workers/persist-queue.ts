// Writes a node's durable state in the background: in order, one write at a time, and when
// several states pile up behind a slow write only the latest is written (each state is whole,
// so an older one is worth nothing once a newer exists).
export type Save<D> = (durable: D) => Promise<void>;

export class PersistQueue<D> {
  private next: { value: D } | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly save: Save<D>, private readonly onError: (e: Error) => void) {}

  /** Never waits: the caller goes on sending messages while the write happens. */
  push(durable: D): void {
    this.next = { value: durable };
    this.running ??= this.drain();
  }

  /** Settles once everything pushed so far has been written (or has failed). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.next) {
      const { value } = this.next;
      this.next = null;
      try {
        await this.save(value);
      } catch (e) {
        this.onError(e instanceof Error ? e : new Error(String(e)));
      }
    }
    this.running = null;
  }
}
