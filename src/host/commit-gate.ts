// Store before you send: a node's outputs (messages to send, operations to acknowledge) wait
// here until the durable changes they depend on are committed, and no longer.
//
// Commits are grouped: while one batch of changes is being written, what the node changes next
// piles up as the next batch, written as one commit when the first is done; a burst of steps
// costs two commits at most, not one per step.
//
// What an output depends on is its scope (protocol/durable.ts): an output about page P waits for
// the batches holding changes to P or to the node's identity; an output about no single page
// waits for every batch before it. An output that depends on nothing uncommitted leaves at once,
// unless an earlier output of the same lane still waits: a lane (the link to one peer, the
// node's acknowledgements, its log) keeps the order the node produced, so no receiver ever sees
// a later frame of a link before an earlier one.
import type { DurableEntry } from '../protocol/durable.ts';
import { entryKey, entryScope } from '../protocol/durable.ts';
import type { PageId } from '../protocol/ids.ts';
import type { Disk, Timers } from './env.ts';

/** After a failed commit, how long before it is tried again (with whatever changed since). */
export const COMMIT_RETRY_MS = 250;

/** One output as the gate sees it: what it is about, and the lane whose order it keeps. */
export interface Gated<O> {
  value: O;
  lane: string;
  /** The page it is about, or null when it is about no single page. */
  scope: PageId | null;
}

interface Batch {
  id: number;
  changes: Map<string, DurableEntry>;
}

interface Held<O> {
  value: O;
  lane: string;
  /** The batch that must be committed before it leaves. */
  need: number;
}

export class CommitGate<O> {
  /** Ids of batches: every batch gets the next one; committed ones are all up to `committed`. */
  private lastBatch = 0;
  private committed = 0;
  private inFlight: Batch | null = null;
  private next: Batch | null = null;
  /** The newest batch holding a change to each page, and to the node's identity. */
  private readonly pageBatch = new Map<PageId, number>();
  private identityBatch = 0;
  private held: Array<Held<O>> = [];
  private readonly heldPerLane = new Map<string, number>();
  private stopped = false;
  private failing = false;
  /** Commits fail in a row: the first failure is told, the rest (every retry) are not. */
  private failedInARow = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly disk: Disk | null,
    private readonly timers: Timers,
    private readonly release: (outputs: O[]) => void,
    private readonly onError: (error: Error) => void,
    /** Commits succeed again after failing. */
    private readonly onBack: () => void = () => {},
  ) {}

  /** Hands over what one step of the node produced: its outputs, in order, and its durable changes. */
  pass(outputs: ReadonlyArray<Gated<O>>, changes: readonly DurableEntry[] | undefined): void {
    if (this.stopped) return;
    if (changes !== undefined && changes.length > 0 && this.disk !== null) this.add(changes);
    const now: O[] = [];
    for (const o of outputs) {
      const need = this.needOf(o.scope);
      if (need <= this.committed && !this.heldPerLane.has(o.lane)) {
        now.push(o.value);
        continue;
      }
      this.held.push({ value: o.value, lane: o.lane, need });
      this.heldPerLane.set(o.lane, (this.heldPerLane.get(o.lane) ?? 0) + 1);
    }
    // Released before a commit starts: a disk may commit at once, and what waited for it must
    // not overtake these on their lanes.
    if (now.length > 0) this.release(now);
    if (this.inFlight === null && !this.failing && !this.stopped) this.startNext();
  }

  /** True while a commit is under way. */
  get waiting(): boolean {
    return this.inFlight !== null;
  }

  /** The outputs not yet released, oldest first. */
  heldOutputs(): O[] {
    return this.held.map((h) => h.value);
  }

  /**
   * Takes out the held outputs `pick` chooses, leaving the rest in their order: what the host
   * answers otherwise while the disk refuses (see HostCore), never to be released from here.
   */
  withdraw<P extends O>(pick: (o: O) => o is P): P[] {
    const out: P[] = [];
    this.held = this.held.filter((h) => {
      if (!pick(h.value)) return true;
      out.push(h.value);
      const left = (this.heldPerLane.get(h.lane) ?? 1) - 1;
      if (left === 0) this.heldPerLane.delete(h.lane);
      else this.heldPerLane.set(h.lane, left);
      return false;
    });
    return out;
  }

  /** Calls `f` once every change handed over so far is committed (at once if it is). */
  whenIdle(f: () => void): void {
    if (this.idle() || this.stopped) f();
    else this.idleWaiters.push(f);
  }

  /** Drops everything not yet released or committed, as a crash would; later commits are ignored. */
  stop(): void {
    this.stopped = true;
    this.inFlight = null;
    this.next = null;
    this.held = [];
    this.heldPerLane.clear();
    for (const f of this.idleWaiters.splice(0)) f();
  }

  private idle(): boolean {
    return this.inFlight === null && this.next === null;
  }

  /** The batch an output of this scope waits for (0: none). */
  private needOf(scope: PageId | null): number {
    if (scope === null) return this.lastBatch;
    return Math.max(this.identityBatch, this.pageBatch.get(scope) ?? 0);
  }

  private add(changes: readonly DurableEntry[]): void {
    if (this.next === null) this.next = { id: ++this.lastBatch, changes: new Map() };
    const batch = this.next;
    for (const e of changes) {
      batch.changes.set(entryKey(e), e);
      const scope = entryScope(e);
      if (scope === null) this.identityBatch = batch.id;
      else this.pageBatch.set(scope, batch.id);
    }
  }

  private startNext(): void {
    const batch = this.next;
    if (batch === null) return;
    this.next = null;
    this.inFlight = batch;
    this.write(batch);
  }

  private write(batch: Batch): void {
    this.disk?.commit([...batch.changes.values()], (error) => this.done(batch, error));
  }

  private done(batch: Batch, error: Error | null): void {
    if (this.stopped || this.inFlight !== batch) return;
    if (error !== null) {
      // Nothing that depends on this batch may leave: keep it all, and try again with what
      // changed since merged in (a later value of an entry replaces the failed one).
      this.failing = true;
      if (this.failedInARow++ === 0) this.onError(error);
      this.timers.after(COMMIT_RETRY_MS, () => this.retry(batch));
      return;
    }
    this.inFlight = null;
    this.committed = batch.id;
    if (this.failedInARow > 0) this.onBack();
    this.failedInARow = 0;
    for (const [page, id] of this.pageBatch) if (id <= batch.id) this.pageBatch.delete(page);
    const out = this.releasable();
    if (out.length > 0) this.release(out);
    // Releasing may have run more of the node (a listener submitting an operation), which may
    // already have started the next commit.
    if (this.stopped || this.inFlight !== null) return;
    this.startNext();
    if (this.idle()) for (const f of this.idleWaiters.splice(0)) f();
  }

  /** Takes the held outputs whose batch is committed, each behind the earlier ones of its lane. */
  private releasable(): O[] {
    const out: O[] = [];
    const blocked = new Set<string>();
    const keep: Array<Held<O>> = [];
    for (const h of this.held) {
      if (h.need > this.committed || blocked.has(h.lane)) {
        blocked.add(h.lane);
        keep.push(h);
        continue;
      }
      out.push(h.value);
      const left = (this.heldPerLane.get(h.lane) ?? 1) - 1;
      if (left === 0) this.heldPerLane.delete(h.lane);
      else this.heldPerLane.set(h.lane, left);
    }
    this.held = keep;
    return out;
  }

  private retry(batch: Batch): void {
    if (this.stopped || this.inFlight !== batch) return;
    this.failing = false;
    const later = this.next;
    if (later !== null) {
      for (const [key, e] of later.changes) {
        batch.changes.delete(key);
        batch.changes.set(key, e);
      }
      // The merged batch stands for both: committing it satisfies whatever waited for either.
      batch.id = later.id;
      this.next = null;
    }
    this.write(batch);
  }
}
