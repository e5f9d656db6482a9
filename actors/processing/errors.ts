/**
 * Errors a {@linkcode Pipeline} rejects with. Wrong arguments are plain
 * `TypeError` / `RangeError`; these classes name conditions a caller reacts to.
 *
 * @module
 */

import { describeError } from "../describe.ts";

/**
 * A processor threw on an item: `Pipeline.process` rejects with it (in
 * `Pipeline.run` the item is dropped instead and the stream goes on). The
 * stage restarts either way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessorError } from "./errors.ts";
 * const error = new ProcessorError("faces", 5566, 12, { cause: new Error("bad frame") });
 * assert.ok(error.stage === "faces" && error.message.includes("bad frame"));
 * ```
 */
export class ProcessorError extends Error {
  /** The stage whose processor threw. */
  readonly stage: string;
  /** The item's port. */
  readonly port: number;
  /** The item's frame number. */
  readonly seq: number;

  /**
   * Creates the error.
   *
   * @param stage The stage whose processor threw.
   * @param port The item's port.
   * @param seq The item's frame number.
   * @param options `cause`: what the processor threw.
   */
  constructor(stage: string, port: number, seq: number, options?: ErrorOptions) {
    super(
      `Cannot process frame ${seq} of port ${port} in stage "${stage}": ${
        describeError(options?.cause)
      } (the item was dropped and the stage restarted)`,
      options,
    );
    this.name = "ProcessorError";
    this.stage = stage;
    this.port = port;
    this.seq = seq;
  }
}

/**
 * A stage failed more often than its restart budget allows (or could not
 * start, e.g. a model or Worker module failed to load) and was stopped, so
 * the pipeline stopped too: `run` iterators throw it, pending and later
 * `process` calls reject with it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StageStoppedError } from "./errors.ts";
 * const error = new StageStoppedError("faces", { cause: new Error("model not found") });
 * assert.ok(error.stage === "faces" && error.message.includes("model not found"));
 * ```
 */
export class StageStoppedError extends Error {
  /** The stage that stopped. */
  readonly stage: string;

  /**
   * Creates the error.
   *
   * @param stage The stage that stopped.
   * @param options `cause`: its last failure.
   */
  constructor(stage: string, options?: ErrorOptions) {
    super(
      `Cannot go on processing: stage "${stage}" stopped after ${
        describeError(options?.cause)
      } (past its restart budget, see PipelineOptions.maxRestarts and withinMs)`,
      options,
    );
    this.name = "StageStoppedError";
    this.stage = stage;
  }
}

/**
 * The pipeline was closed: `process` calls made after `close()`, or still
 * waiting when it was called, reject with it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PipelineClosedError } from "./errors.ts";
 * assert.equal(new PipelineClosedError().name, "PipelineClosedError");
 * ```
 */
export class PipelineClosedError extends Error {
  /**
   * Creates the error.
   *
   * @param options Standard error options.
   */
  constructor(options?: ErrorOptions) {
    super("Cannot process: the pipeline is closed", options);
    this.name = "PipelineClosedError";
  }
}

/**
 * A Worker stage's module failed: it did not load, threw outside `process`,
 * or did not call `serveProcessor`. The stage restarts with a new Worker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkerStageError } from "./errors.ts";
 * const error = new WorkerStageError("faces", "file:///app/faces.ts", "it failed to load");
 * assert.ok(error.message.startsWith("Cannot run stage"));
 * ```
 */
export class WorkerStageError extends Error {
  /** The stage. */
  readonly stage: string;
  /** The Worker module's URL. */
  readonly url: string;

  /**
   * Creates the error.
   *
   * @param stage The stage.
   * @param url The Worker module's URL.
   * @param because What went wrong.
   * @param options `cause`: the Worker's error, if any.
   */
  constructor(stage: string, url: string, because: string, options?: ErrorOptions) {
    super(`Cannot run stage "${stage}" in a Worker (${url}): ${because}`, options);
    this.name = "WorkerStageError";
    this.stage = stage;
    this.url = url;
  }
}

// ------------------------------------------------------------ vision tasks

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
 *   (error: unknown) => error instanceof ModelError && error.code === "not-found",
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
