/**
 * Errors raised by frame sources.
 *
 * Wrong arguments are `TypeError` / `RangeError` thrown by the constructors;
 * everything that goes wrong at run time is a {@linkcode CaptureError} whose
 * `code` tells the caller how to react and whose message says how to fix it.
 *
 * @module
 */

/**
 * Why a source failed.
 *
 * - `"tool-missing"`: ffmpeg, ffprobe or rpicam-vid is not installed.
 * - `"permission-denied"`: Deno or the OS refused to run a tool or open the input.
 * - `"device-not-found"` / `"device-busy"`: a camera that does not exist or is in use.
 * - `"file-not-found"` / `"file-unreadable"`: a missing file, or one ffmpeg cannot decode.
 * - `"stream-open-failed"`: a network stream (RTSP, HTTP, ...) that could not be opened.
 * - `"open-failed"`: any other input ffmpeg could not open.
 * - `"probe-failed"`: ffprobe ran but found no usable video stream.
 * - `"process-exited"`: the capture process ended with an error mid-stream.
 * - `"not-started"` / `"closed"`: the source was used before start or after stop.
 */
export type CaptureErrorCode =
  | "tool-missing"
  | "permission-denied"
  | "device-not-found"
  | "device-busy"
  | "file-not-found"
  | "file-unreadable"
  | "stream-open-failed"
  | "open-failed"
  | "probe-failed"
  | "process-exited"
  | "not-started"
  | "closed";

/** Details attached to a {@linkcode CaptureError}. */
export interface CaptureErrorOptions {
  /** The input (file, device, URL, ffmpeg input string) the source was reading. */
  input?: string;
  /** The last lines the capture process wrote to stderr, oldest first. */
  stderr?: readonly string[];
  /** The original error, if any. */
  cause?: unknown;
}

/**
 * A frame source could not start or stopped with an error.
 *
 * @example Tell a missing camera from other failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { CaptureError, FfmpegSource } from "./mod.ts";
 * const source = new FfmpegSource({ input: "/dev/video99", width: 640, height: 480, fps: 30 });
 * try {
 *   await assert.rejects(source.start(), (error: unknown) => {
 *     assert.ok(error instanceof CaptureError && error.code === "device-not-found");
 *     return true; // error.message says how to list cameras
 *   });
 * } finally {
 *   await source.stop();
 * }
 * ```
 */
export class CaptureError extends Error {
  /** What went wrong, for programs to branch on. */
  readonly code: CaptureErrorCode;
  /** The input the source was reading, if known. */
  readonly input: string | undefined;
  /** The last lines the capture process wrote to stderr (empty when none). */
  readonly stderr: readonly string[];

  /**
   * Creates the error.
   *
   * @param code What went wrong.
   * @param message "Cannot <do what>: <because>; <how to fix>".
   * @param options Input, stderr lines and cause.
   */
  constructor(code: CaptureErrorCode, message: string, options: CaptureErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CaptureError";
    this.code = code;
    this.input = options.input;
    this.stderr = Object.freeze([...(options.stderr ?? [])]);
  }
}

/**
 * A program the source needs (ffmpeg, ffprobe, rpicam-vid) is not installed
 * or not at the configured path. The message says how to install it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FfmpegSource, ToolNotFoundError } from "./mod.ts";
 * const source = new FfmpegSource({
 *   input: "testsrc2=size=320x240:rate=30",
 *   inputOptions: ["-f", "lavfi"],
 *   width: 320,
 *   height: 240,
 *   fps: 30, // size and rate given: no ffprobe needed
 *   ffmpegPath: "/nowhere/ffmpeg",
 * });
 * await assert.rejects(source.start(), (error: unknown) => {
 *   assert.ok(error instanceof ToolNotFoundError && error.path === "/nowhere/ffmpeg");
 *   return true; // error.message says how to install ffmpeg
 * });
 * await source.stop();
 * ```
 */
export class ToolNotFoundError extends CaptureError {
  /** The program's name, e.g. `"ffmpeg"`. */
  readonly tool: string;
  /** The path or command that was tried. */
  readonly path: string;

  /**
   * Creates the error.
   *
   * @param tool The program's name.
   * @param path The path or command that was tried.
   * @param hint How to install it.
   * @param options Cause and input.
   */
  constructor(tool: string, path: string, hint: string, options: CaptureErrorOptions = {}) {
    super(
      "tool-missing",
      `Cannot run ${tool}: "${path}" was not found${path.includes("/") ? "" : " on PATH"}; ${hint}`,
      options,
    );
    this.name = "ToolNotFoundError";
    this.tool = tool;
    this.path = path;
  }
}

/** How a capture process ended, as reported by {@linkcode ProcessExitedError}. */
export interface ProcessExitDetails {
  /** The program that ended, e.g. `"ffmpeg"`. */
  tool: string;
  /** Its exit code (`null` when killed by a signal). */
  exitCode: number | null;
  /** The signal that killed it, if any. */
  signal: Deno.Signal | null;
  /** Frames that were read before it ended. */
  framesRead: number;
}

/**
 * The capture process ended with an error after frames had started to flow.
 * The frames read before it are delivered first; this error comes after them.
 *
 * @example
 * ```ts ignore
 * // Not run: it needs a stream that fails part-way, such as an RTSP camera that drops.
 * import { FfmpegSource, ProcessExitedError } from "./mod.ts";
 * const source = new FfmpegSource({ input: "rtsp://camera.local/live" });
 * try {
 *   for await (const frame of source) console.log(frame.width);
 * } catch (error) {
 *   if (error instanceof ProcessExitedError) console.error(error.exitCode, error.stderr.join("\n"));
 * }
 * ```
 */
export class ProcessExitedError extends CaptureError {
  /** The program that ended. */
  readonly tool: string;
  /** Its exit code (`null` when killed by a signal). */
  readonly exitCode: number | null;
  /** The signal that killed it, if any. */
  readonly signal: Deno.Signal | null;
  /** Frames read before it ended. */
  readonly framesRead: number;

  /**
   * Creates the error.
   *
   * @param message "Cannot read frames from ...: ...".
   * @param details How the process ended.
   * @param options Input and stderr lines.
   */
  constructor(message: string, details: ProcessExitDetails, options: CaptureErrorOptions = {}) {
    super("process-exited", message, options);
    this.name = "ProcessExitedError";
    this.tool = details.tool;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.framesRead = details.framesRead;
  }
}
