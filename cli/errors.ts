/**
 * Errors of the command line.
 *
 * @module
 */

/**
 * A flag was unknown or malformed: the CLI prints the message and exits
 * with status 2 instead of a stack trace.
 *
 * @example Refuse a stray argument
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "./errors.ts";
 * const error = new UsageError("Cannot parse the command line: unexpected argument \"x\"");
 * assert.ok(error instanceof UsageError && error.name === "UsageError");
 * ```
 */
export class UsageError extends Error {
  /**
   * Makes the error.
   *
   * @param message What is wrong and how to fix it ("Cannot <do what>: <because>").
   * @param options `cause`: the error behind it, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}
