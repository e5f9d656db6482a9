/**
 * Errors of NetGear's secure mode: a CURVE key file or directory that cannot
 * be stored or loaded.
 *
 * @module
 */

/** Why a key could not be stored or loaded. */
export type CurveKeyErrorCode =
  | "not-found"
  | "unreadable"
  | "malformed"
  | "exists"
  | "insecure";

/**
 * A key file or directory is missing, unreadable, malformed, already there
 * (without `overwrite`) or readable by others. `path` names it and `cause`
 * holds the file system error, if any.
 *
 * @example Tell a missing keys directory from a corrupt key
 * ```ts
 * import assert from "node:assert/strict";
 * import { CurveKeyError } from "./errors.ts";
 * import { loadKeyPair } from "./curve_keys.ts";
 * await assert.rejects(
 *   loadKeyPair("/nonexistent-keys", "client"),
 *   (error) => error instanceof CurveKeyError && error.code === "not-found",
 * );
 * ```
 */
export class CurveKeyError extends Error {
  /** What went wrong, for callers to branch on. */
  readonly code: CurveKeyErrorCode;
  /** The file or directory at fault. */
  readonly path: string;

  /**
   * Makes the error.
   *
   * @param code What went wrong.
   * @param path The file or directory at fault.
   * @param message What could not be done, why, and what to do.
   * @param options `cause`: the file system error, if any.
   */
  constructor(code: CurveKeyErrorCode, path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CurveKeyError";
    this.code = code;
    this.path = path;
  }
}
