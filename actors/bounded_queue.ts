/**
 * The one bounded queue of the project: an actor's mailbox, a source's
 * read-ahead, a pipeline's output and each server's share of a NetGear
 * client's deliveries are all a {@linkcode BoundedQueue}, configured with the
 * same two options, `capacity` and `overflow`.
 *
 * @module
 */

import { describeValue } from "./describe.ts";
import { RingBuffer } from "./_ring_buffer.ts";

/**
 * What a full queue does with a new item.
 *
 * - `"backpressure"`: keep it, but the producer waits until the consumer has
 *   taken enough to make room (waiting producers get in in FIFO order). Use
 *   it for control messages that must not be lost, and for files.
 * - `"drop-oldest"`: discard the oldest queued item to make room. Use it for
 *   live frames, where the newest matters most.
 * - `"drop-newest"`: discard the new item.
 */
export type OverflowPolicy = "backpressure" | "drop-oldest" | "drop-newest";

/**
 * Every valid {@linkcode OverflowPolicy}, in a stable order (for error messages).
 *
 * @example Check a policy read from a configuration file
 * ```ts
 * import assert from "node:assert/strict";
 * import { OVERFLOW_POLICIES, type OverflowPolicy } from "./bounded_queue.ts";
 * const read: string = "drop-oldest";
 * assert.ok(OVERFLOW_POLICIES.includes(read as OverflowPolicy));
 * ```
 */
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = Object.freeze([
  "backpressure",
  "drop-oldest",
  "drop-newest",
]);

/** Size and overflow behaviour of a {@linkcode BoundedQueue}. */
export interface BoundedQueueOptions {
  /** Most items queued at once: an integer >= 1, or `Infinity`. */
  capacity: number;
  /**
   * What a full queue does with the next item.
   *
   * @default {"backpressure"}
   */
  overflow?: OverflowPolicy;
}

/**
 * Checks `{ capacity, overflow }` options given by a caller and fills in
 * `defaults`, with errors that name the caller's action and option.
 *
 * @param value The options as given; `undefined` takes `defaults`.
 * @param defaults What an absent option becomes.
 * @param action What the caller was doing, for messages: `"spawn /worker"`.
 * @param option The options' name, for messages: `"mailbox"` (then
 * `"mailbox.capacity"`); `""` when the options are the caller's own
 * arguments (then `"capacity"`).
 * @returns Both options.
 * @throws {TypeError} `value` is not an object, `capacity` not a number, or
 * `overflow` not one of {@linkcode OVERFLOW_POLICIES}.
 * @throws {RangeError} `capacity` is neither an integer >= 1 nor `Infinity`.
 * @example Name the option at fault
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveQueueOptions } from "./bounded_queue.ts";
 * const defaults = { capacity: 8, overflow: "drop-oldest" } as const;
 * assert.deepEqual(resolveQueueOptions({ capacity: 2 }, defaults, "spawn /a", "mailbox"), {
 *   capacity: 2,
 *   overflow: "drop-oldest",
 * });
 * assert.throws(
 *   () => resolveQueueOptions({ capacity: 0 }, defaults, "spawn /a", "mailbox"),
 *   { name: "RangeError", message: /^Cannot spawn \/a: mailbox.capacity is 0;/ },
 * );
 * ```
 */
export function resolveQueueOptions(
  value: unknown,
  defaults: Readonly<Required<BoundedQueueOptions>>,
  action: string,
  option: string,
): Required<BoundedQueueOptions> {
  if (value === undefined) return { capacity: defaults.capacity, overflow: defaults.overflow };
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `Cannot ${action}: ${option} is ${describeValue(value)}; expected { capacity, overflow }`,
    );
  }
  const { capacity = defaults.capacity, overflow = defaults.overflow } = value as Partial<
    BoundedQueueOptions
  >;
  checkOptions(capacity, overflow, action, option === "" ? "" : `${option}.`);
  return { capacity, overflow };
}

function checkOptions(capacity: unknown, overflow: unknown, action: string, prefix: string): void {
  if (!(capacity === Infinity || (Number.isInteger(capacity) && (capacity as number) >= 1))) {
    const ErrorClass = typeof capacity === "number" ? RangeError : TypeError;
    throw new ErrorClass(
      `Cannot ${action}: ${prefix}capacity is ${
        describeValue(capacity)
      }; expected an integer >= 1 or Infinity`,
    );
  }
  if (!OVERFLOW_POLICIES.includes(overflow as OverflowPolicy)) {
    throw new TypeError(
      `Cannot ${action}: ${prefix}overflow is ${describeValue(overflow)}; valid choices are ${
        OVERFLOW_POLICIES.map((policy) => `"${policy}"`).join(", ")
      }`,
    );
  }
}

// Lets a Parked or a Taker whose signal aborted update its queue's private
// counts; set by BoundedQueue's static block, the one place that can.
let forgetParked: (queue: BoundedQueue<unknown>) => void;
let forgetTaker: (queue: BoundedQueue<unknown>) => void;

// A producer waiting for room under "backpressure". It is its own abort
// listener (handleEvent), so a wait allocates this object and its promise,
// no closures. An aborted one stays in the ring, skipped when reached.
class Parked<T> {
  readonly item: T;
  cancelled = false;
  readonly #queue: BoundedQueue<T>;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: () => void;
  readonly #reject: (reason: unknown) => void;

  constructor(
    queue: BoundedQueue<T>,
    item: T,
    signal: AbortSignal | undefined,
    resolve: () => void,
    reject: (reason: unknown) => void,
  ) {
    this.#queue = queue;
    this.item = item;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    signal?.addEventListener("abort", this, { once: true });
  }

  admit(): void {
    this.#signal?.removeEventListener("abort", this);
    this.#resolve();
  }

  handleEvent(): void {
    this.cancelled = true;
    forgetParked(this.#queue as BoundedQueue<unknown>);
    this.#reject(this.#signal!.reason);
  }
}

// A consumer waiting in take() on an empty queue; the same shape as Parked.
class Taker<T> {
  cancelled = false;
  readonly #queue: BoundedQueue<T>;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: (item: T | null) => void;
  readonly #reject: (reason: unknown) => void;

  constructor(
    queue: BoundedQueue<T>,
    signal: AbortSignal | undefined,
    resolve: (item: T | null) => void,
    reject: (reason: unknown) => void,
  ) {
    this.#queue = queue;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    signal?.addEventListener("abort", this, { once: true });
  }

  resolve(item: T | null): void {
    this.#signal?.removeEventListener("abort", this);
    this.#resolve(item);
  }

  reject(error: unknown): void {
    this.#signal?.removeEventListener("abort", this);
    this.#reject(error);
  }

  handleEvent(): void {
    this.cancelled = true;
    forgetTaker(this.#queue as BoundedQueue<unknown>);
    this.#reject(this.#signal!.reason);
  }
}

// Aborted waits stay in their ring until reached, which costs nothing per
// abort; but a caller that keeps giving up (a read with a timeout on an idle
// queue) would grow the ring without end, so past a few stale entries per
// live one the ring is rebuilt with the live ones, in order: amortised O(1).
function compactIfStale(ring: RingBuffer<{ readonly cancelled: boolean }>, live: number): void {
  if (ring.length <= 2 * live + 16) return;
  for (let n = ring.length; n > 0; n--) {
    const wait = ring.shift();
    if (!wait.cancelled) ring.push(wait);
  }
}

/**
 * A first-in first-out queue holding at most `capacity` items, with an
 * {@linkcode OverflowPolicy} for the item that finds it full.
 *
 * Producers either `push` (never waits: returns the item the queue did not
 * keep, so its memory can be reused) or `offer` (waits under
 * `"backpressure"`, cancellably). Consumers either `poll` synchronously
 * after checking `length` (an actor's mailbox loop) or `await take()`, which
 * resolves to `null` once the queue is finished and empty. Nothing is
 * allocated per item unless a producer or a consumer has to wait.
 *
 * `finish()` ends it (items offered before still come out), `fail(error)`
 * ends it with an error for the consumer, `clear()` ends it and discards
 * what it holds.
 *
 * @typeParam T The items; `undefined` and `null` are items like any other
 * for `push`/`offer`/`poll`, but `take()` uses `null` to mean the end.
 * @example Keep the newest frames when the consumer falls behind
 * ```ts
 * import assert from "node:assert/strict";
 * import { BoundedQueue } from "./bounded_queue.ts";
 * const queue = new BoundedQueue<number>({ capacity: 2, overflow: "drop-oldest" });
 * for (const n of [1, 2, 3]) queue.push(n);
 * assert.equal(queue.dropped, 1);
 * queue.finish();
 * assert.equal(await queue.take(), 2);
 * assert.equal(await queue.take(), 3);
 * assert.equal(await queue.take(), null);
 * ```
 * @example Make a producer wait for room
 * ```ts
 * import assert from "node:assert/strict";
 * import { BoundedQueue } from "./bounded_queue.ts";
 * const queue = new BoundedQueue<string>({ capacity: 1 });
 * assert.equal(queue.offer("a"), undefined); // queued at once
 * const waiting = queue.offer("b"); // full: a promise, settled once "a" is taken
 * assert.ok(waiting instanceof Promise);
 * assert.equal(queue.poll(), "a");
 * await waiting;
 * assert.equal(queue.poll(), "b");
 * ```
 */
export class BoundedQueue<T> {
  static {
    forgetParked = (queue) => {
      queue.#liveParked--;
      queue.#dropped++;
      compactIfStale(queue.#parked!, queue.#liveParked);
    };
    forgetTaker = (queue) => {
      queue.#liveTakers--;
      compactIfStale(queue.#takers!, queue.#liveTakers);
    };
  }

  /** Most items queued at once (an integer >= 1, or `Infinity`). */
  readonly capacity: number;
  /** What a full queue does with a new item. */
  readonly overflow: OverflowPolicy;
  #items = new RingBuffer<T>();
  #parked: RingBuffer<Parked<T>> | undefined;
  #liveParked = 0;
  #takers: RingBuffer<Taker<T>> | undefined;
  #liveTakers = 0;
  #dropped = 0;
  #finished = false;
  #failed = false;
  #error: unknown = undefined;
  #room: PromiseWithResolvers<void> | undefined;

  /**
   * Creates an empty queue.
   *
   * @param options `capacity` (required) and `overflow` (default `"backpressure"`).
   * @throws {TypeError} `capacity` is not a number or `overflow` is unknown.
   * @throws {RangeError} `capacity` is neither an integer >= 1 nor `Infinity`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * assert.equal(new BoundedQueue({ capacity: Infinity }).overflow, "backpressure");
   * assert.throws(() => new BoundedQueue({ capacity: 0 }), RangeError);
   * ```
   */
  constructor(options: BoundedQueueOptions) {
    const { capacity, overflow = "backpressure" } = options;
    checkOptions(capacity, overflow, "create a BoundedQueue", "");
    this.capacity = capacity;
    this.overflow = overflow;
  }

  /**
   * Items queued now, not counting producers waiting for room.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<number>({ capacity: 1 });
   * queue.push(1);
   * void queue.offer(2); // waits for room
   * assert.equal(queue.length, 1);
   * assert.equal(queue.queued, 2);
   * ```
   */
  get length(): number {
    return this.#items.length;
  }

  /**
   * Items queued now plus items of producers waiting for room.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<number>({ capacity: 1 });
   * queue.push(1);
   * void queue.offer(2);
   * assert.equal(queue.queued, 2);
   * ```
   */
  get queued(): number {
    return this.#items.length + this.#liveParked;
  }

  /**
   * Items discarded so far: by a drop policy, or because the signal of a
   * producer waiting for room aborted.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<number>({ capacity: 1, overflow: "drop-newest" });
   * queue.push(1);
   * queue.push(2);
   * assert.equal(queue.dropped, 1);
   * ```
   */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Whether `finish()`, `fail()` or `clear()` was called: producers are
   * turned away, consumers get what is left and then the end.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<number>({ capacity: 1 });
   * queue.finish();
   * assert.ok(queue.finished);
   * ```
   */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Adds an item without ever waiting, handing it straight to a waiting
   * `take()` if there is one.
   *
   * @param item The item.
   * @returns `undefined` when the item was queued; otherwise the item the
   * queue did not keep, so the caller can reuse its memory: the oldest one
   * under `"drop-oldest"` (counted as dropped), `item` itself under
   * `"drop-newest"` (counted), or `item` itself, not counted, when a full
   * `"backpressure"` queue refuses it (wait for `room()` first) or the queue
   * is finished.
   * @throws Never.
   * @example Reuse the buffer of a dropped frame
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<Uint8Array>({ capacity: 1, overflow: "drop-oldest" });
   * const first = new Uint8Array(4);
   * assert.equal(queue.push(first), undefined);
   * assert.equal(queue.push(new Uint8Array(4)), first); // free to refill
   * ```
   */
  push(item: T): T | undefined {
    if (this.#finished) return item;
    if (this.#liveTakers > 0) {
      this.#nextTaker().resolve(item);
      return undefined;
    }
    const items = this.#items;
    if (items.length < this.capacity) {
      items.push(item);
      return undefined;
    }
    switch (this.overflow) {
      case "drop-oldest": {
        const oldest = items.shift();
        items.push(item);
        this.#dropped++;
        return oldest;
      }
      case "drop-newest":
        this.#dropped++;
        return item;
      case "backpressure":
        return item;
    }
  }

  /**
   * Adds an item per the overflow policy, handing it straight to a waiting
   * `take()` if there is one. Only a full `"backpressure"` queue makes the
   * producer wait; a finished queue ignores the item.
   *
   * @param item The item.
   * @param signal Gives up waiting for room: the item is then not queued
   * and counts as dropped.
   * @returns `undefined` when the item was queued, dropped or ignored at
   * once (no promise is made); a promise when it waits for room, resolved
   * once it is queued (or the queue finishes, which takes it in).
   * @throws {unknown} The returned promise rejects with `signal.reason` if
   * the signal aborts first (at once if it already has).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<number>({ capacity: 1 });
   * queue.offer(1);
   * const controller = new AbortController();
   * const waiting = queue.offer(2, controller.signal);
   * controller.abort(new Error("too slow"));
   * await assert.rejects(waiting!, { message: "too slow" });
   * assert.equal(queue.dropped, 1);
   * ```
   */
  offer(item: T, signal?: AbortSignal): Promise<void> | undefined {
    if (this.#finished) return undefined;
    if (this.#liveTakers > 0) {
      this.#nextTaker().resolve(item);
      return undefined;
    }
    const items = this.#items;
    if (items.length < this.capacity) {
      items.push(item);
      return undefined;
    }
    switch (this.overflow) {
      case "drop-newest":
        this.#dropped++;
        return undefined;
      case "drop-oldest":
        items.shift();
        items.push(item);
        this.#dropped++;
        return undefined;
      case "backpressure":
        return this.#park(item, signal);
    }
  }

  /**
   * Takes the oldest item synchronously; check `length` first (an item may
   * itself be `undefined`). Lets the first waiting producer in.
   *
   * @returns The oldest item; `undefined` when the queue is empty.
   * @throws Never.
   * @example Drain what is there now
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<string>({ capacity: 4 });
   * queue.push("a");
   * queue.push("b");
   * const seen: string[] = [];
   * while (queue.length > 0) seen.push(queue.poll()!);
   * assert.deepEqual(seen, ["a", "b"]);
   * ```
   */
  poll(): T | undefined {
    const items = this.#items;
    if (items.length === 0) return undefined;
    const item = items.shift();
    if (this.#liveParked > 0) this.#admitOne();
    else if (this.#room !== undefined) this.#releaseRoom();
    return item;
  }

  /**
   * The oldest item, waiting for one if the queue is empty. Once the queue
   * is finished and empty it resolves to `null` (or rejects with the
   * `fail()` error, every time).
   *
   * @param signal Gives up waiting.
   * @returns The item, or `null` at the end.
   * @throws {unknown} The promise rejects with `signal.reason` when the
   * signal aborts first, or with the error given to `fail()`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<string>({ capacity: 4 });
   * const next = queue.take(); // waits
   * queue.push("hello");
   * assert.equal(await next, "hello");
   * queue.fail(new Error("input broke"));
   * await assert.rejects(queue.take(), { message: "input broke" });
   * ```
   */
  take(signal?: AbortSignal): Promise<T | null> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#items.length > 0) return Promise.resolve(this.poll() as T);
    if (this.#finished) return this.#failed ? Promise.reject(this.#error) : Promise.resolve(null);
    const { promise, resolve, reject } = Promise.withResolvers<T | null>();
    this.#takers ??= new RingBuffer<Taker<T>>();
    this.#takers.push(new Taker(this, signal, resolve, reject));
    this.#liveTakers++;
    return promise;
  }

  /**
   * Resolves when there is room for one more item: lets a producer that
   * uses `push` under `"backpressure"` wait instead of being refused.
   *
   * @returns `undefined` when there is room now or the queue is finished;
   * otherwise a promise, the same one for every call until an item leaves
   * (so asking again and again piles nothing up). It resolves when one item
   * leaves, or the queue finishes: check again before pushing if several
   * producers share it.
   * @throws Never.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<number>({ capacity: 1 });
   * assert.equal(queue.room(), undefined);
   * queue.push(1);
   * const room = queue.room()!;
   * assert.equal(queue.room(), room);
   * queue.poll();
   * await room;
   * ```
   */
  room(): Promise<void> | undefined {
    if (this.#finished || this.#items.length < this.capacity) return undefined;
    this.#room ??= Promise.withResolvers<void>();
    return this.#room.promise;
  }

  /**
   * No more items: producers are turned away from now on, items of waiting
   * producers are taken in (past capacity: they came before the end), and
   * consumers get everything queued, then `null`. Later calls do nothing.
   *
   * @throws Never.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<number>({ capacity: 1 });
   * queue.push(1);
   * const late = queue.offer(2)!; // waiting for room
   * queue.finish();
   * await late;
   * assert.equal(queue.push(3), 3); // turned away
   * assert.deepEqual([await queue.take(), await queue.take(), await queue.take()], [1, 2, null]);
   * ```
   */
  finish(): void {
    if (this.#finished) return;
    this.#end();
  }

  /**
   * Like `finish()`, but once what is queued has been taken, consumers get
   * `error` instead of `null`. Ignored once the queue is finished.
   *
   * @param error What `take()` rejects with once the queue is empty.
   * @throws Never.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<number>({ capacity: 2 });
   * queue.push(1);
   * queue.fail(new Error("source died"));
   * assert.equal(await queue.take(), 1);
   * await assert.rejects(queue.take(), { message: "source died" });
   * ```
   */
  fail(error: unknown): void {
    if (this.#finished) return;
    this.#failed = true;
    this.#error = error;
    this.#end();
  }

  /**
   * Removes every item, queued ones first and then those of waiting
   * producers (whose promises resolve), passing each to `each` oldest
   * first. The queue stays open.
   *
   * @param each Called with every item removed.
   * @throws Whatever `each` throws (the items not yet passed stay queued).
   * @example Hand what is left to somebody else
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<number>({ capacity: 1 });
   * queue.push(1);
   * const waiting = queue.offer(2)!;
   * const left: number[] = [];
   * queue.drain((n) => left.push(n));
   * await waiting;
   * assert.deepEqual(left, [1, 2]);
   * assert.equal(queue.length, 0);
   * ```
   */
  drain(each: (item: T) => void): void {
    const items = this.#items;
    while (items.length > 0) each(items.shift());
    const parked = this.#parked;
    if (parked !== undefined) {
      while (parked.length > 0) {
        const producer = parked.shift();
        if (producer.cancelled) continue;
        this.#liveParked--;
        each(producer.item);
        producer.admit();
      }
    }
    if (this.#room !== undefined) this.#releaseRoom();
  }

  /**
   * The consumer is gone: finishes the queue, forgets a `fail()` error
   * (consumers now get `null`) and discards what it holds.
   *
   * @returns The discarded items, oldest first (those of waiting producers
   * last; their promises resolve).
   * @throws Never.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BoundedQueue } from "./bounded_queue.ts";
   * const queue = new BoundedQueue<number>({ capacity: 4 });
   * queue.push(1);
   * queue.push(2);
   * assert.deepEqual(queue.clear(), [1, 2]);
   * assert.equal(await queue.take(), null);
   * ```
   */
  clear(): T[] {
    const discarded: T[] = [];
    this.drain((item) => discarded.push(item));
    this.#failed = false;
    this.#error = undefined;
    if (!this.#finished) this.#end();
    return discarded;
  }

  #end(): void {
    this.#finished = true;
    // Producers must not wait forever once nobody will make room.
    const parked = this.#parked;
    if (parked !== undefined) {
      while (parked.length > 0) {
        const producer = parked.shift();
        if (producer.cancelled) continue;
        this.#liveParked--;
        this.#items.push(producer.item);
        producer.admit();
      }
    }
    if (this.#room !== undefined) this.#releaseRoom();
    // Consumers wait only on an empty queue, so every one of them gets the end.
    const takers = this.#takers;
    if (takers === undefined) return;
    while (takers.length > 0) {
      const taker = takers.shift();
      if (taker.cancelled) continue;
      this.#liveTakers--;
      if (this.#failed) taker.reject(this.#error);
      else taker.resolve(null);
    }
  }

  #park(item: T, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#parked ??= new RingBuffer<Parked<T>>();
    this.#parked.push(new Parked(this, item, signal, resolve, reject));
    this.#liveParked++;
    return promise;
  }

  #admitOne(): void {
    const parked = this.#parked!;
    while (parked.length > 0) {
      const producer = parked.shift();
      if (producer.cancelled) continue;
      this.#liveParked--;
      this.#items.push(producer.item);
      producer.admit();
      return;
    }
  }

  // Called only while #liveTakers > 0, so a live taker is in the ring.
  #nextTaker(): Taker<T> {
    const takers = this.#takers!;
    let taker = takers.shift();
    while (taker.cancelled) taker = takers.shift();
    this.#liveTakers--;
    return taker;
  }

  #releaseRoom(): void {
    const room = this.#room!;
    this.#room = undefined;
    room.resolve();
  }
}
