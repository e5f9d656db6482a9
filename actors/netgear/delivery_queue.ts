/**
 * The bounded hand-over between the client's actors and the user's `recv`.
 *
 * One small ring per server, served round-robin, so a fast server cannot
 * starve a slow one; when a server's ring is full its oldest frame is dropped
 * and counted (the right policy for live video: the newest frame wins). When
 * the producer had to drop frames before they reached the ring (the user was
 * that far behind), a newer frame replaces everything its server has queued,
 * so the user's next frame is the newest, not one that waited its turn.
 *
 * @module
 */

import type { Delivery } from "./messages.ts";

/** Figures of one server's ring. */
export interface DeliveryQueueStats {
  /** Frames waiting for `recv`. */
  readonly queued: number;
  /** Frames dropped because the user did not keep up. */
  readonly dropped: number;
}

class Ring {
  readonly items: (Delivery | undefined)[];
  head = 0;
  size = 0;
  dropped = 0;
  constructor(capacity: number) {
    this.items = new Array(capacity);
  }
}

/**
 * Per-server bounded rings with one consumer side.
 *
 * @example
 * ```ts
 * import { DeliveryQueue } from "./delivery_queue.ts";
 * const queue = new DeliveryQueue(2);
 * queue.push({ port: 5566, seq: 0, sentAt: 0, receivedAt: 0, frame: undefined, message: "hi" });
 * const first = await queue.take();
 * console.assert(first?.message === "hi");
 * ```
 */
export class DeliveryQueue {
  readonly #capacity: number;
  readonly #rings = new Map<number, Ring>();
  #order: number[] = [];
  #next = 0;
  #total = 0;
  #finished = false;
  #waiters: { resolve: (d: Delivery | null) => void; cleanup: () => void }[] = [];
  /** Per port, the one promise handed to everyone waiting for room there. */
  readonly #roomWaits = new Map<number, { promise: Promise<void>; resolve: () => void }>();

  /**
   * Creates an empty queue.
   *
   * @param capacity Frames kept per server before the oldest is dropped.
   */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Whether `finish()` was called and nothing is left. */
  get drained(): boolean {
    return this.#finished && this.#total === 0;
  }

  /**
   * Hands a delivery to the user, or queues it.
   *
   * @param delivery The frame.
   * @param skipped Frames of its server dropped before they reached the
   * queue because the user was behind (counted as dropped). The user being
   * behind, the frames still queued from that server are older than it
   * wants: they are dropped too, so that this newest one comes next.
   * @returns The delivery dropped to make room, if any (the oldest, when
   * `skipped` is 0).
   */
  push(delivery: Delivery, skipped = 0): Delivery | undefined {
    if (this.#finished) return delivery;
    let ring = this.#rings.get(delivery.port);
    if (skipped > 0) {
      ring ??= this.#addRing(delivery.port);
      ring.dropped += skipped + ring.size;
      this.#total -= ring.size;
      for (; ring.size > 0; ring.size--) {
        ring.items[ring.head] = undefined;
        ring.head = (ring.head + 1) % this.#capacity;
      }
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.cleanup();
      waiter.resolve(delivery);
      return undefined;
    }
    ring ??= this.#addRing(delivery.port);
    let dropped: Delivery | undefined;
    if (ring.size === this.#capacity) {
      dropped = ring.items[ring.head];
      ring.items[ring.head] = undefined;
      ring.head = (ring.head + 1) % this.#capacity;
      ring.size--;
      ring.dropped++;
      this.#total--;
    }
    ring.items[(ring.head + ring.size) % this.#capacity] = delivery;
    ring.size++;
    this.#total++;
    return dropped;
  }

  #addRing(port: number): Ring {
    const ring = new Ring(this.#capacity);
    this.#rings.set(port, ring);
    this.#order.push(port);
    return ring;
  }

  /**
   * The next delivery, round-robin across servers; `null` once finished and
   * drained.
   *
   * @param signal Stops waiting, rejecting with its reason.
   */
  take(signal?: AbortSignal): Promise<Delivery | null> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const ready = this.#shift();
    if (ready) return Promise.resolve(ready);
    if (this.#finished) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(signal!.reason);
      };
      const waiter = {
        resolve,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /**
   * Resolves when `port`'s ring has room again (at once if it has, or once
   * the queue is finished), so a producer can hold off instead of having its
   * frames dropped.
   *
   * @param port The server's port.
   * @returns `undefined` when there is room now, else a promise: the same
   * one for every call until room comes, so a producer asking again and
   * again piles nothing up.
   */
  room(port: number): Promise<void> | undefined {
    const ring = this.#rings.get(port);
    if (this.#finished || !ring || ring.size < this.#capacity) return undefined;
    let wait = this.#roomWaits.get(port);
    if (wait === undefined) {
      const { promise, resolve } = Promise.withResolvers<void>();
      wait = { promise, resolve };
      this.#roomWaits.set(port, wait);
    }
    return wait.promise;
  }

  /** Accepts no more deliveries; what is queued can still be taken. */
  finish(): void {
    this.#finished = true;
    this.#releaseRoom();
    if (this.#total === 0) this.#releaseWaiters();
  }

  /** Drops everything queued and ends every wait with `null`. */
  clear(): Delivery[] {
    const all: Delivery[] = [];
    for (let d = this.#shift(); d; d = this.#shift()) all.push(d);
    this.#finished = true;
    this.#releaseWaiters();
    this.#releaseRoom();
    return all;
  }

  /** One server's figures (zeros for a server never queued). */
  stats(port: number): DeliveryQueueStats {
    const ring = this.#rings.get(port);
    return { queued: ring?.size ?? 0, dropped: ring?.dropped ?? 0 };
  }

  #shift(): Delivery | undefined {
    if (this.#total === 0) return undefined;
    const count = this.#order.length;
    for (let i = 0; i < count; i++) {
      const port = this.#order[(this.#next + i) % count];
      const ring = this.#rings.get(port)!;
      if (ring.size === 0) continue;
      this.#next = (this.#next + i + 1) % count;
      const item = ring.items[ring.head]!;
      ring.items[ring.head] = undefined;
      ring.head = (ring.head + 1) % this.#capacity;
      ring.size--;
      this.#total--;
      const wait = this.#roomWaits.get(port);
      if (wait) {
        this.#roomWaits.delete(port);
        wait.resolve();
      }
      return item;
    }
    return undefined;
  }

  #releaseRoom(): void {
    for (const wait of this.#roomWaits.values()) wait.resolve();
    this.#roomWaits.clear();
  }

  #releaseWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      waiter.cleanup();
      waiter.resolve(null);
    }
  }
}
