// Store before you send: a node's outputs (messages to send, operations to acknowledge) wait
// here until the durable state they depend on is committed. Commits are grouped: while one is
// being written, everything the node does next piles up behind it and goes to disk as the next
// single commit, so a burst of steps costs two commits at most, not one per step.
//
// Outputs leave strictly in the order the node produced them: an output that changed nothing
// durable still waits for the commit before it, because it may depend on that state (a read hit
// on a page just received, a message about an epoch just adopted).
import type { Disk, Timers } from './env.ts';

/** After a failed commit, how long before the latest state is tried again. */
export const COMMIT_RETRY_MS = 250;

export class CommitGate<O> {
  /** Outputs waiting on the commit in flight, or null when nothing is being written. */
  private committing: O[] | null = null;
  /** Outputs produced since that commit started; they wait for the next one. */
  private next: O[] = [];
  /** Reads the node's latest durable state: set when it changed since the commit in flight began. */
  private dirty: (() => unknown) | null = null;
  private lastRead: (() => unknown) | null = null;
  private stopped = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly disk: Disk | null,
    private readonly timers: Timers,
    private readonly release: (outputs: O[]) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Hands over what one step of the node produced, and a reader of its state if that changed. */
  pass(outputs: readonly O[], read: (() => unknown) | undefined): void {
    if (this.stopped) return;
    if (read !== undefined && this.disk !== null) this.dirty = read;
    for (const o of outputs) this.next.push(o);
    if (this.committing === null) this.startNext();
  }

  /** True while outputs wait for the disk. */
  get waiting(): boolean {
    return this.committing !== null;
  }

  /** The outputs not yet released, oldest first. */
  held(): O[] {
    return [...(this.committing ?? []), ...this.next];
  }

  /** Calls `f` once nothing waits for the disk (at once if nothing does). */
  whenIdle(f: () => void): void {
    if (this.committing === null || this.stopped) f();
    else this.idleWaiters.push(f);
  }

  /** Drops everything not yet released, as a crash would; later commits are ignored. */
  stop(): void {
    this.stopped = true;
    this.committing = null;
    this.next = [];
    for (const f of this.idleWaiters.splice(0)) f();
  }

  private startNext(): void {
    const read = this.dirty;
    if (read === null) {
      const out = this.next;
      this.next = [];
      if (out.length > 0) this.release(out);
      for (const f of this.idleWaiters.splice(0)) f();
      return;
    }
    this.dirty = null;
    this.lastRead = read;
    this.committing = this.next;
    this.next = [];
    this.write(read());
  }

  private write(state: unknown): void {
    this.disk?.commit(state, (error) => this.committed(error));
  }

  private committed(error: Error | null): void {
    if (this.stopped || this.committing === null) return;
    if (error !== null) {
      // Nothing that depends on this state may leave: keep it all, and try again with the latest.
      this.onError(error);
      this.timers.after(COMMIT_RETRY_MS, () => this.retry());
      return;
    }
    const out = this.committing;
    this.committing = null;
    if (out.length > 0) this.release(out);
    // Releasing may have run more of the node (a listener submitting an operation), which may
    // already have started the next commit.
    if (!this.stopped && this.committing === null) this.startNext();
  }

  private retry(): void {
    if (this.stopped || this.committing === null) return;
    const read = this.dirty ?? this.lastRead;
    this.dirty = null;
    for (const o of this.next) this.committing.push(o);
    this.next = [];
    if (read !== null) this.write(read());
  }
}
