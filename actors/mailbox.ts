/**
 * Mailbox configuration: how many user messages an actor queues and what a
 * full mailbox does with the next one. System messages (start, stop, restart,
 * child-terminated) use their own unbounded queue and are served first.
 *
 * @module
 */

/**
 * What a full mailbox does with a new user message.
 *
 * - `"backpressure"`: keep it, but `tell()` resolves only when the actor has
 *   consumed enough to make room (waiters are released in FIFO order). Use it
 *   for control messages that must not be lost.
 * - `"drop-oldest"`: discard the oldest queued message to make room. Use it
 *   for frames, where the newest matters most.
 * - `"drop-newest"`: discard the new message.
 */
export type OverflowPolicy = "backpressure" | "drop-oldest" | "drop-newest";

/** Every valid {@linkcode OverflowPolicy}, in a stable order (for error messages). */
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = Object.freeze([
  "backpressure",
  "drop-oldest",
  "drop-newest",
]);

/** Bounds and overflow behaviour of an actor's user-message queue. */
export interface MailboxOptions {
  /**
   * Most user messages queued at once: an integer >= 1, or `Infinity`.
   *
   * @default {1000}
   */
  capacity?: number;
  /**
   * What a full mailbox does with the next message.
   *
   * @default {"backpressure"}
   */
  overflow?: OverflowPolicy;
}

/** Mailbox capacity used when {@linkcode MailboxOptions.capacity} is not given. */
export const DEFAULT_MAILBOX_CAPACITY = 1000;
