// A growable FIFO over a power-of-two array: O(1) push and shift without the
// O(n) copying of Array.prototype.shift on long queues.

const MIN_CAPACITY = 16;

/** First-in first-out queue backed by a circular array that doubles when full. */
export class RingBuffer<T> {
  #items: (T | undefined)[];
  #mask: number;
  #head = 0;
  #length = 0;

  constructor(initialCapacity: number = MIN_CAPACITY) {
    let capacity = MIN_CAPACITY;
    while (capacity < initialCapacity) capacity *= 2;
    this.#items = new Array(capacity);
    this.#mask = capacity - 1;
  }

  /** Number of queued items. */
  get length(): number {
    return this.#length;
  }

  /** Appends an item at the tail. */
  push(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes the head; callers check `length` first (`undefined` can be an item). */
  shift(): T {
    const items = this.#items;
    const head = this.#head;
    const item = items[head] as T;
    // Clear the slot so a consumed message is not kept alive by the buffer.
    items[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    this.#length--;
    return item;
  }

  /** Removes every item, oldest first, passing each to `each`. */
  drain(each: (item: T) => void): void {
    while (this.#length > 0) each(this.shift());
  }

  #grow(): void {
    const old = this.#items;
    const items = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#length; i++) {
      items[i] = old[(this.#head + i) & this.#mask];
    }
    this.#items = items;
    this.#mask = items.length - 1;
    this.#head = 0;
  }
}
