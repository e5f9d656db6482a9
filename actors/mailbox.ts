/**
 * Mailbox configuration: how many user messages an actor queues and what a
 * full mailbox does with the next one. System messages (start, stop, restart,
 * child-terminated) use their own unbounded queue and are served first.
 *
 * A mailbox is a `BoundedQueue` (`bounded_queue.ts`): these are its options.
 *
 * @module
 */

import type { OverflowPolicy } from "./bounded_queue.ts";

/** Bounds and overflow behaviour of an actor's user-message queue. */
export interface MailboxOptions {
  /**
   * Most user messages queued at once: an integer >= 1, or `Infinity`.
   *
   * @default {1000}
   */
  capacity?: number;
  /**
   * What a full mailbox does with the next message. Under `"backpressure"`
   * `tell()` resolves only once the actor has consumed enough to make room.
   *
   * @default {"backpressure"}
   */
  overflow?: OverflowPolicy;
}

/**
 * Mailbox capacity used when {@linkcode MailboxOptions.capacity} is not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MAILBOX_CAPACITY } from "./mailbox.ts";
 * assert.equal(DEFAULT_MAILBOX_CAPACITY, 1000);
 * ```
 */
export const DEFAULT_MAILBOX_CAPACITY = 1000;
