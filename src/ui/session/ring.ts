// A bounded buffer: the page keeps the most recent items and counts what it let go, so a long
// session never grows without limit. Pushing costs the same however full it is: the oldest
// items are cut off in one go once they fill a second capacity's worth.
export class Ring<T> {
  private items: T[] = [];
  /** Index of the oldest item kept; those before it are let go. */
  private head = 0;
  private droppedCount = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError('capacity must be a positive integer');
  }

  push(...xs: T[]): void {
    for (const x of xs) this.items.push(x);
    const over = this.items.length - this.head - this.capacity;
    if (over > 0) {
      this.head += over;
      this.droppedCount += over;
    }
    if (this.head >= this.capacity) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** A copy, oldest first: callers may keep it while the ring moves on. */
  toArray(): T[] {
    return this.items.slice(this.head);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** How many items were let go to stay within capacity. */
  get dropped(): number {
    return this.droppedCount;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.droppedCount = 0;
  }
}
