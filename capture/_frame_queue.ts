// The bounded read-ahead queue between a source's reader loop and its consumer.
// Private to capture/.

import type { QueuePolicy } from "./source.ts";

interface Taker<T> {
  resolve(item: T | null): void;
  reject(error: unknown): void;
}

/**
 * A bounded FIFO with one producer and any number of waiting consumers.
 *
 * With `"drop-oldest"`, `push` never waits: a full queue discards its oldest
 * item and hands it back so the producer can reuse its memory. With
 * `"backpressure"` the producer awaits `space()` before reading the next
 * item, which is what stops it from draining its input.
 */
export class FrameQueue<T> {
  readonly capacity: number;
  readonly policy: QueuePolicy;
  #items: T[] = [];
  #takers: Taker<T>[] = [];
  #spaceWaiters: (() => void)[] = [];
  #ended = false;
  #error: unknown = undefined;
  #failed = false;
  #dropped = 0;

  constructor(capacity: number, policy: QueuePolicy) {
    this.capacity = capacity;
    this.policy = policy;
  }

  /** Items waiting now. */
  get depth(): number {
    return this.#items.length;
  }

  /** Items discarded by drop-oldest so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True once `end()` or `clear()` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Adds an item, handing it straight to a waiting consumer when there is one.
   * Returns the item discarded to make room (drop-oldest), if any. Pushing to a
   * full backpressure queue or an ended queue hands the item back unqueued.
   */
  push(item: T): T | undefined {
    if (this.#ended) return item;
    const taker = this.#takers.shift();
    if (taker !== undefined) {
      taker.resolve(item);
      return undefined;
    }
    if (this.#items.length < this.capacity) {
      this.#items.push(item);
      return undefined;
    }
    if (this.policy === "backpressure") return item;
    const oldest = this.#items.shift();
    this.#items.push(item);
    this.#dropped++;
    return oldest;
  }

  /** Resolves when there is room for one more item, or the queue has ended. */
  space(): Promise<void> {
    if (this.#ended || this.#items.length < this.capacity) return Promise.resolve();
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /**
   * The oldest item; waits for one when empty. After `end()` the remaining
   * items come out first, then `null` (or the end error, every time).
   */
  shift(signal?: AbortSignal): Promise<T | null> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#items.length > 0) {
      const item = this.#items.shift()!;
      this.#wakeProducer();
      return Promise.resolve(item);
    }
    if (this.#ended) {
      return this.#failed ? Promise.reject(this.#error) : Promise.resolve(null);
    }
    return new Promise<T | null>((resolve, reject) => {
      const taker: Taker<T> = { resolve, reject };
      if (signal !== undefined) {
        const onAbort = (): void => {
          const index = this.#takers.indexOf(taker);
          if (index >= 0) this.#takers.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        taker.resolve = (item) => {
          signal.removeEventListener("abort", onAbort);
          resolve(item);
        };
        taker.reject = (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        };
      }
      this.#takers.push(taker);
    });
  }

  /**
   * The producer is done: waiting consumers get `null`, or `error` when given
   * (queued items are still delivered first). Later calls are ignored.
   */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error !== undefined) {
      this.#failed = true;
      this.#error = error;
    }
    for (const taker of this.#takers.splice(0)) {
      if (this.#failed) taker.reject(this.#error);
      else taker.resolve(null);
    }
    this.#wakeAllProducers();
  }

  /** Ends the queue and discards what it holds (the consumer stopped); returns the discarded items. */
  clear(): T[] {
    const items = this.#items.splice(0);
    this.#failed = false;
    this.#error = undefined;
    if (!this.#ended) this.end();
    return items;
  }

  #wakeProducer(): void {
    this.#spaceWaiters.shift()?.();
  }

  #wakeAllProducers(): void {
    for (const wake of this.#spaceWaiters.splice(0)) wake();
  }
}
