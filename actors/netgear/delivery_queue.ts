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

import { BoundedQueue, resolveQueueOptions } from "../bounded_queue.ts";
import type { Received } from "./received.ts";

/** Figures of one server's ring. */
export interface DeliveryQueueStats {
  /** Frames waiting for `recv`. */
  readonly queued: number;
  /** Frames dropped because the user did not keep up. */
  readonly dropped: number;
}

const LANE = { capacity: 1, overflow: "drop-oldest" } as const;

// One server's share: a drop-oldest BoundedQueue, plus the frames counted as
// dropped outside it (skipped before the queue, or replaced by a newer one).
class Lane {
  readonly queue: BoundedQueue<Received>;
  replaced = 0;
  constructor(capacity: number) {
    this.queue = new BoundedQueue<Received>({ capacity, overflow: LANE.overflow });
  }
}

/**
 * Per-server bounded rings with one consumer side.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DeliveryQueue } from "./delivery_queue.ts";
 * const queue = new DeliveryQueue(2);
 * queue.push({ port: 5566, seq: 0, sentAt: 0, receivedAt: 0, frame: undefined, message: "hi" });
 * const first = await queue.take();
 * assert.equal(first?.message, "hi");
 * ```
 */
export class DeliveryQueue {
  readonly #capacity: number;
  readonly #lanes = new Map<number, Lane>();
  #order: number[] = [];
  #next = 0;
  #total = 0;
  #finished = false;
  #waiters: { resolve: (d: Received | null) => void; cleanup: () => void }[] = [];

  /**
   * Creates an empty queue.
   *
   * @param capacity Frames kept per server before the oldest is dropped: an
   * integer >= 1.
   * @throws {RangeError} If `capacity` is not an integer >= 1 (or `Infinity`).
   */
  constructor(capacity: number) {
    // Checked now rather than at the first frame of the first server.
    resolveQueueOptions({ capacity }, LANE, "create a DeliveryQueue", "");
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
   * `skipped` is 0); `delivery` itself once the queue is finished.
   */
  push(delivery: Received, skipped = 0): Received | undefined {
    if (this.#finished) return delivery;
    let lane = this.#lanes.get(delivery.port);
    if (skipped > 0) {
      lane ??= this.#addLane(delivery.port);
      const stale = lane.queue.length;
      lane.replaced += skipped + stale;
      this.#total -= stale;
      lane.queue.drain(ignore);
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.cleanup();
      waiter.resolve(delivery);
      return undefined;
    }
    lane ??= this.#addLane(delivery.port);
    const dropped = lane.queue.push(delivery);
    if (dropped === undefined) this.#total++;
    return dropped;
  }

  #addLane(port: number): Lane {
    const lane = new Lane(this.#capacity);
    this.#lanes.set(port, lane);
    this.#order.push(port);
    return lane;
  }

  /**
   * The next delivery, round-robin across servers; `null` once finished and
   * drained.
   *
   * @param signal Stops waiting, rejecting with its reason.
   */
  take(signal?: AbortSignal): Promise<Received | null> {
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
    return this.#lanes.get(port)?.queue.room();
  }

  /** Accepts no more deliveries; what is queued can still be taken. */
  finish(): void {
    this.#finished = true;
    // A finished lane still gives up what it holds; its room waits end.
    for (const lane of this.#lanes.values()) lane.queue.finish();
    if (this.#total === 0) this.#releaseWaiters();
  }

  /** Drops everything queued and ends every wait with `null`. */
  clear(): Received[] {
    const all: Received[] = [];
    for (let d = this.#shift(); d; d = this.#shift()) all.push(d);
    this.#finished = true;
    this.#releaseWaiters();
    for (const lane of this.#lanes.values()) lane.queue.finish();
    return all;
  }

  /** One server's figures (zeros for a server never queued). */
  stats(port: number): DeliveryQueueStats {
    const lane = this.#lanes.get(port);
    if (lane === undefined) return { queued: 0, dropped: 0 };
    return { queued: lane.queue.length, dropped: lane.queue.dropped + lane.replaced };
  }

  #shift(): Received | undefined {
    if (this.#total === 0) return undefined;
    const count = this.#order.length;
    for (let i = 0; i < count; i++) {
      const lane = this.#lanes.get(this.#order[(this.#next + i) % count])!;
      if (lane.queue.length === 0) continue;
      this.#next = (this.#next + i + 1) % count;
      this.#total--;
      // Taking one frame also settles a producer's room wait on that lane.
      return lane.queue.poll();
    }
    return undefined;
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

function ignore(): void {}
