/**
 * Errors the actor runtime rejects with. Wrong arguments are plain
 * `TypeError` / `RangeError`; these classes name conditions a caller reacts to.
 *
 * @module
 */

/**
 * An {@linkcode ActorRef.ask} got no reply within its `timeoutMs`.
 *
 * @example Tell a timeout apart from other failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { AskTimeoutError } from "./errors.ts";
 * const error = new AskTimeoutError("/worker", 100);
 * assert.ok(error instanceof AskTimeoutError && error.timeoutMs === 100);
 * ```
 */
export class AskTimeoutError extends Error {
  /** Path of the actor that was asked. */
  readonly path: string;
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * Creates the error.
   *
   * @param path Path of the actor that was asked.
   * @param timeoutMs The timeout that elapsed, in milliseconds.
   * @param options Standard error options (`cause`).
   */
  constructor(path: string, timeoutMs: number, options?: ErrorOptions) {
    super(
      `Cannot get a reply from ${path}: none arrived within timeoutMs=${timeoutMs} ` +
        `(raise AskOptions.timeoutMs, or check that the actor tells replyTo)`,
      options,
    );
    this.name = "AskTimeoutError";
    this.path = path;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The actor (or the whole system) stopped, so an ask can never be answered
 * or a child can no longer be spawned under it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ActorStoppedError } from "./errors.ts";
 * const error = new ActorStoppedError("/worker", "it stopped before replying");
 * assert.ok(error.path === "/worker");
 * ```
 */
export class ActorStoppedError extends Error {
  /** Path of the stopped actor (`"/"` for the system itself). */
  readonly path: string;

  /**
   * Creates the error.
   *
   * @param path Path of the stopped actor (`"/"` for the system).
   * @param because Why the operation cannot complete, ending the message.
   * @param options Standard error options (`cause`).
   */
  constructor(path: string, because: string, options?: ErrorOptions) {
    super(`Cannot reach ${path}: ${because}`, options);
    this.name = "ActorStoppedError";
    this.path = path;
  }
}
