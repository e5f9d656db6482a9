/**
 * Errors the vision tasks reject with. Wrong arguments are plain `TypeError`
 * / `RangeError`; these classes name conditions a caller reacts to.
 *
 * @module
 */

/**
 * Why a model could not be used.
 *
 * - `"not-found"`: the path or `file:` URL names no file.
 * - `"download-failed"`: an `http(s):` model could not be fetched (network
 *   error or a non-2xx status).
 * - `"checksum-mismatch"`: the bytes' SHA-256 differs from the `sha256` option.
 * - `"invalid-model"`: MediaPipe rejected the bytes (not a model for this
 *   task, or a model without MediaPipe Tasks metadata).
 */
export type ModelErrorCode =
  | "not-found"
  | "download-failed"
  | "checksum-mismatch"
  | "invalid-model";

/** Details attached to a {@linkcode ModelError}. */
export interface ModelErrorOptions {
  /** The SHA-256 the caller expected (lowercase hex), for `"checksum-mismatch"`. */
  expectedSha256?: string;
  /** The SHA-256 of the bytes that were read (lowercase hex), for `"checksum-mismatch"`. */
  actualSha256?: string;
  /** The HTTP status, for a `"download-failed"` that got an answer. */
  status?: number;
  /** The original error, if any. */
  cause?: unknown;
}

/**
 * A model could not be found, fetched, verified or loaded.
 *
 * @example Tell a missing model from other failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaceDetector, ModelError } from "./mod.ts";
 * await assert.rejects(
 *   FaceDetector.create({ model: "./no_such_model.tflite" }),
 *   (error) => error instanceof ModelError && error.code === "not-found",
 * );
 * ```
 */
export class ModelError extends Error {
  /** What went wrong, for programs to branch on. */
  readonly code: ModelErrorCode;
  /** The model as the caller gave it (path or URL). */
  readonly model: string;
  /** The SHA-256 the caller expected, for `"checksum-mismatch"`. */
  readonly expectedSha256: string | undefined;
  /** The SHA-256 of the bytes that were read, for `"checksum-mismatch"`. */
  readonly actualSha256: string | undefined;
  /** The HTTP status, for a `"download-failed"` that got an answer. */
  readonly status: number | undefined;

  /**
   * Creates the error.
   *
   * @param code What went wrong.
   * @param model The model as the caller gave it (path or URL).
   * @param message "Cannot <do what>: <because>; <how to fix>".
   * @param options Checksums, HTTP status and cause.
   */
  constructor(
    code: ModelErrorCode,
    model: string,
    message: string,
    options: ModelErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ModelError";
    this.code = code;
    this.model = model;
    this.expectedSha256 = options.expectedSha256;
    this.actualSha256 = options.actualSha256;
    this.status = options.status;
  }
}

/**
 * The MediaPipe WebAssembly runtime could not be located or started.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VisionRuntimeError } from "./errors.ts";
 * const error = new VisionRuntimeError("Cannot start MediaPipe: example");
 * assert.equal(error.name, "VisionRuntimeError");
 * ```
 */
export class VisionRuntimeError extends Error {
  /**
   * Creates the error.
   *
   * @param message "Cannot <do what>: <because>; <how to fix>".
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "VisionRuntimeError";
  }
}

/**
 * A vision task was used after `close()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VisionTaskClosedError } from "./errors.ts";
 * const error = new VisionTaskClosedError("FaceDetector");
 * assert.equal(error.task, "FaceDetector");
 * ```
 */
export class VisionTaskClosedError extends Error {
  /** The kind of task that was closed, for example `"FaceDetector"`. */
  readonly task: string;

  /**
   * Creates the error.
   *
   * @param task The kind of task that was closed, for example `"FaceDetector"`.
   * @param options Standard error options (`cause`).
   */
  constructor(task: string, options?: ErrorOptions) {
    super(
      `Cannot run ${task}.detect(): the ${task} is closed (create a new one with ${task}.create())`,
      options,
    );
    this.name = "VisionTaskClosedError";
    this.task = task;
  }
}
