// A bounded buffer: the page keeps the most recent items and counts what it let go, so a long
// session never grows without limit.
export class Ring<T> {
  private items: T[] = [];
  private droppedCount = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError('capacity must be a positive integer');
  }

  push(...xs: T[]): void {
    this.items.push(...xs);
    const over = this.items.length - this.capacity;
    if (over > 0) {
      this.items.splice(0, over);
      this.droppedCount += over;
    }
  }

  /** A copy, oldest first: callers may keep it while the ring moves on. */
  toArray(): T[] {
    return [...this.items];
  }

  get size(): number {
    return this.items.length;
  }

  /** How many items were let go to stay within capacity. */
  get dropped(): number {
    return this.droppedCount;
  }

  clear(): void {
    this.items = [];
    this.droppedCount = 0;
  }
}
