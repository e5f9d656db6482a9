// The hand-over between a pipeline's last stage and one `run()` consumer:
// bounded, with the same overflow policies as a mailbox, one taker at a time.

import type { OverflowPolicy } from "../bounded_queue.ts";
import { RingBuffer } from "../_ring_buffer.ts";

interface Parked<T> {
  readonly item: T;
  readonly resolve: () => void;
}

interface Taker<T> {
  readonly resolve: (item: T | null) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class OutputQueue<T> {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  /** Items discarded because the consumer fell behind. */
  dropped = 0;
  #items = new RingBuffer<T>();
  #parked = new RingBuffer<Parked<T>>();
  #taker: Taker<T> | undefined;
  #finished = false;
  #failed = false;
  #error: unknown;

  constructor(capacity: number, overflow: OverflowPolicy) {
    this.capacity = capacity;
    this.overflow = overflow;
  }

  /** Offers an item; a promise only when "backpressure" parks it until the consumer makes room. */
  put(item: T): Promise<void> | undefined {
    if (this.#finished) return undefined;
    const taker = this.#taker;
    if (taker !== undefined) {
      this.#release();
      taker.resolve(item);
      return undefined;
    }
    const items = this.#items;
    if (items.length < this.capacity) {
      items.push(item);
      return undefined;
    }
    switch (this.overflow) {
      case "drop-newest":
        this.dropped++;
        return undefined;
      case "drop-oldest":
        items.shift();
        items.push(item);
        this.dropped++;
        return undefined;
      case "backpressure": {
        const { promise, resolve } = Promise.withResolvers<void>();
        this.#parked.push({ item, resolve });
        return promise;
      }
    }
  }

  /** The next item; `null` once finished and empty; rejects once failed and empty. */
  take(signal?: AbortSignal): Promise<T | null> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#items.length > 0) {
      const item = this.#items.shift();
      if (this.#parked.length > 0) {
        const parked = this.#parked.shift();
        this.#items.push(parked.item);
        parked.resolve();
      }
      return Promise.resolve(item);
    }
    if (this.#failed) return Promise.reject(this.#error);
    if (this.#finished) return Promise.resolve(null);
    const { promise, resolve, reject } = Promise.withResolvers<T | null>();
    const onAbort = () => {
      this.#release();
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#taker = { resolve, reject, signal, onAbort };
    return promise;
  }

  /** No more items: the taker gets what is queued, then `null`. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#flushParked();
    const taker = this.#taker;
    if (taker !== undefined && this.#items.length === 0) {
      this.#release();
      taker.resolve(null);
    }
  }

  /** No more items: the taker gets what is queued, then `error`. */
  fail(error: unknown): void {
    if (this.#finished) return;
    this.#failed = true;
    this.#error = error;
    this.#finished = true;
    this.#flushParked();
    const taker = this.#taker;
    if (taker !== undefined && this.#items.length === 0) {
      this.#release();
      taker.reject(error);
    }
  }

  // Parked producers must not wait forever once nobody will take: their items
  // are queued past capacity (they arrived before the end).
  #flushParked(): void {
    this.#parked.drain((parked) => {
      this.#items.push(parked.item);
      parked.resolve();
    });
  }

  #release(): void {
    const taker = this.#taker;
    this.#taker = undefined;
    taker?.signal?.removeEventListener("abort", taker.onAbort);
  }
}
