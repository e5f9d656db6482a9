/**
 * Errors a {@linkcode Pipeline} rejects with. Wrong arguments are plain
 * `TypeError` / `RangeError`; these classes name conditions a caller reacts to.
 *
 * @module
 */

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

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
        describe(options?.cause)
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
        describe(options?.cause)
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
