/**
 * The logging sink an {@linkcode ActorSystem} writes to. Each actor's
 * `context.log` prefixes its path and applies the system's level.
 *
 * @module
 */

/** A severity threshold; `"silent"` logs nothing. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Every valid {@linkcode LogLevel}, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze([
  "debug",
  "info",
  "warn",
  "error",
  "silent",
]);

/**
 * Where log lines go. `data` is passed through untouched (no formatting), so a
 * sink can serialise it as it likes.
 *
 * @example Collect warnings in an array
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Logger } from "./logger.ts";
 * const lines: string[] = [];
 * const logger: Logger = {
 *   debug() {},
 *   info() {},
 *   warn(message) { lines.push(message); },
 *   error(message) { lines.push(message); },
 * };
 * logger.warn("[/worker] slow");
 * assert.ok(lines.length === 1);
 * ```
 */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string, data?: unknown): void;
  /** Normal operation worth recording. */
  info(message: string, data?: unknown): void;
  /** Something went wrong and was handled (restart, dead letter). */
  warn(message: string, data?: unknown): void;
  /** Something went wrong and was not handled, or was escalated. */
  error(message: string, data?: unknown): void;
}

/**
 * A {@linkcode Logger} writing to `console`; `data` is printed only when given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { consoleLogger } from "./logger.ts";
 * consoleLogger.debug("[/worker] started");
 * assert.ok(Object.isFrozen(consoleLogger));
 * ```
 */
export const consoleLogger: Logger = Object.freeze({
  debug: (message: string, data?: unknown): void =>
    data === undefined ? console.debug(message) : console.debug(message, data),
  info: (message: string, data?: unknown): void =>
    data === undefined ? console.info(message) : console.info(message, data),
  warn: (message: string, data?: unknown): void =>
    data === undefined ? console.warn(message) : console.warn(message, data),
  error: (message: string, data?: unknown): void =>
    data === undefined ? console.error(message) : console.error(message, data),
});
