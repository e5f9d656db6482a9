/**
 * Frames from anything ffmpeg can open: cameras, files, network streams,
 * lavfi test sources.
 *
 * @module
 */

import type { OverflowPolicy } from "../actors/bounded_queue.ts";
import type { Frame, PixelFormat } from "./frame.ts";
import { deviceNotFound, FFMPEG_INSTALL_HINT, fileNotFound, type InputKind } from "./_classify.ts";
import { buildFfmpegArgs, detectInputKind, ffprobeBesides } from "./_ffmpeg_args.ts";
import { ProcessFrameReader } from "./_process_reader.ts";
import { type DriverCounters, type SourceDriver, SourceRunner } from "./_runner.ts";
import {
  boolOption,
  checkKeys,
  intOption,
  MAX_SIDE,
  numberOption,
  pixelFormatOption,
  queueOption,
  type QueueSettings,
  stringListOption,
  stringOption,
} from "./_validate.ts";
import { CaptureError } from "./errors.ts";
import { probe } from "./probe.ts";
import type {
  FrameSource,
  QueueOptions,
  SignalOptions,
  SourceInfo,
  SourceStats,
} from "./source.ts";

export type { InputKind } from "./_classify.ts";

/** Options for {@linkcode FfmpegSource}. */
export interface FfmpegSourceOptions {
  /**
   * What to read: a camera (`"/dev/video0"`), a file (`"clip.mp4"`), a URL
   * (`"rtsp://host/stream"`, `"http://host/video.mp4"`) or any ffmpeg input
   * string, with `inputOptions` saying how to read it.
   */
  input: string;
  /**
   * ffmpeg options placed before `-i`, e.g. `["-f", "lavfi"]` for
   * `"testsrc2=size=320x240:rate=30"`, or `["-rtsp_transport", "tcp"]`.
   *
   * @default {[]}
   */
  inputOptions?: readonly string[];
  /**
   * Output width; ffmpeg scales to it. Given alone, the height follows the
   * input's aspect ratio. For a camera it is also the size asked of the device.
   *
   * @default {"the input's width (from ffprobe)"}
   */
  width?: number;
  /**
   * Output height; see `width`.
   *
   * @default {"the input's height (from ffprobe)"}
   */
  height?: number;
  /**
   * Output frame rate: ffmpeg drops or repeats frames to reach it (for a
   * camera it is the rate asked of the device instead).
   *
   * @default {"the input's rate (from ffprobe)"}
   */
  fps?: number;
  /**
   * Pixel layout of the frames.
   *
   * @default {"bgr24"}
   */
  pixelFormat?: PixelFormat;
  /**
   * Start a file over when it ends (`-stream_loop -1`), for an endless test feed.
   *
   * @default {false}
   */
  loop?: boolean;
  /**
   * Pace reading at the input's own frame rate (`-re`), as a live feed would.
   * Off reads as fast as ffmpeg decodes.
   *
   * @default {"true for lavfi inputs, false otherwise"}
   */
  realtime?: boolean;
  /**
   * Read-ahead queue between the reader loop and `read()`.
   *
   * @default {"{ capacity: 4, overflow: backpressure for files and unpaced lavfi, drop-oldest otherwise }"}
   */
  queue?: QueueOptions;
  /**
   * Reuse each frame's memory for a later frame once `read()` is called
   * again: a frame is then valid only until the next read (afterwards its
   * `data` may be emptied or overwritten; copy what you keep). Saves
   * allocating a buffer per frame; off, every frame owns its bytes.
   *
   * @default {false}
   */
  reuseBuffers?: boolean;
  /**
   * The ffmpeg program.
   *
   * @default {"ffmpeg"}
   */
  ffmpegPath?: string;
  /**
   * The ffprobe program, used when width, height or fps is not given.
   *
   * @default {"ffprobe beside ffmpegPath"}
   */
  ffprobePath?: string;
}

const OPTION_KEYS = [
  "input",
  "inputOptions",
  "width",
  "height",
  "fps",
  "pixelFormat",
  "loop",
  "realtime",
  "queue",
  "reuseBuffers",
  "ffmpegPath",
  "ffprobePath",
] as const;

const WHAT = "FfmpegSource";

interface Resolved {
  input: string;
  inputOptions: string[];
  kind: InputKind;
  width: number | undefined;
  height: number | undefined;
  fps: number | undefined;
  pixelFormat: PixelFormat;
  loop: boolean;
  realtime: boolean;
  queue: QueueSettings;
  reuseBuffers: boolean;
  ffmpegPath: string;
  ffprobePath: string;
}

function resolve(options: FfmpegSourceOptions): Resolved {
  checkKeys(WHAT, options, OPTION_KEYS);
  const input = stringOption(WHAT, "input", options.input);
  if (input === undefined) {
    throw new TypeError(
      `Cannot create ${WHAT}: option "input" is required (a file path, /dev/videoN, a URL ` +
        `or an ffmpeg input string)`,
    );
  }
  const inputOptions = stringListOption(WHAT, "inputOptions", options.inputOptions);
  const kind = detectInputKind(input, inputOptions);
  const loop = boolOption(WHAT, "loop", options.loop, false)!;
  if (loop && (kind === "camera" || kind === "stream")) {
    throw new RangeError(
      `Cannot create ${WHAT}: option "loop" needs a file input, got a ${kind} ` +
        `(${JSON.stringify(input)}); remove "loop"`,
    );
  }
  const realtime = boolOption(WHAT, "realtime", options.realtime, kind === "lavfi")!;
  const live = kind === "camera" || kind === "stream" || (kind !== "file" && realtime);
  const defaultOverflow: OverflowPolicy = live ? "drop-oldest" : "backpressure";
  const ffmpegPath = stringOption(WHAT, "ffmpegPath", options.ffmpegPath, "ffmpeg")!;
  return {
    input,
    inputOptions,
    kind,
    width: intOption(WHAT, "width", options.width, 1, MAX_SIDE),
    height: intOption(WHAT, "height", options.height, 1, MAX_SIDE),
    fps: numberOption(WHAT, "fps", options.fps, 0.001, 1000),
    pixelFormat: pixelFormatOption(WHAT, options.pixelFormat),
    loop,
    realtime,
    queue: queueOption(WHAT, options.queue, defaultOverflow),
    reuseBuffers: boolOption(WHAT, "reuseBuffers", options.reuseBuffers, false)!,
    ffmpegPath,
    ffprobePath: stringOption(
      WHAT,
      "ffprobePath",
      options.ffprobePath,
      ffprobeBesides(ffmpegPath),
    )!,
  };
}

/** Fails early, with a clear message, on a missing file or device. */
async function checkInputExists(r: Resolved): Promise<void> {
  const path = r.kind === "file"
    ? (r.input.startsWith("file://") ? decodeURIComponent(new URL(r.input).pathname) : r.input)
    : r.kind === "camera" && r.input.startsWith("/dev/")
    ? r.input
    : undefined;
  if (path === undefined) return;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw r.kind === "camera"
        ? deviceNotFound(r.input, { cause: error })
        : fileNotFound(r.input, { cause: error });
    }
    // Without read permission (Deno asks for -A for /dev paths) ffmpeg's own
    // error, classified the same way, is the answer.
    if (error instanceof Deno.errors.NotCapable) return;
    throw error;
  }
  if (r.kind === "file" && info.isDirectory) {
    throw new CaptureError(
      "file-unreadable",
      `Cannot read file ${JSON.stringify(r.input)}: it is a directory; give a video file's path`,
      { input: r.input },
    );
  }
}

class FfmpegDriver implements SourceDriver {
  #r: Resolved;
  #reader: ProcessFrameReader | undefined;

  constructor(resolved: Resolved) {
    this.#r = resolved;
  }

  get pids(): readonly number[] {
    return this.#reader?.pids ?? [];
  }

  async open(signal: AbortSignal): Promise<SourceInfo> {
    const r = this.#r;
    await checkInputExists(r);
    signal?.throwIfAborted();
    let { width, height, fps } = r;
    if (width === undefined || height === undefined || fps === undefined) {
      const found = await probe(r.input, {
        inputOptions: r.inputOptions,
        ffprobePath: r.ffprobePath,
        signal,
      });
      if (width === undefined && height === undefined) {
        width = found.width;
        height = found.height;
      } else if (width === undefined) {
        width = Math.max(1, Math.round(height! * found.width / found.height));
      } else if (height === undefined) {
        height = Math.max(1, Math.round(width * found.height / found.width));
      }
      fps ??= found.fps || undefined;
    }
    // stop() aborts `signal` before closing, so no process is started after it.
    signal?.throwIfAborted();
    const camera = r.kind === "camera";
    const args = buildFfmpegArgs({
      input: r.input,
      inputOptions: r.inputOptions,
      kind: r.kind,
      width: width!,
      height: height!,
      // Resample only when the caller asked for a rate.
      fps: r.fps,
      cameraWidth: camera && r.width !== undefined && r.height !== undefined ? r.width : undefined,
      cameraHeight: camera && r.width !== undefined && r.height !== undefined
        ? r.height
        : undefined,
      cameraFps: camera ? r.fps : undefined,
      pixelFormat: r.pixelFormat,
      loop: r.loop,
      realtime: r.realtime,
    });
    const reader = new ProcessFrameReader({
      commands: [{ tool: "ffmpeg", path: r.ffmpegPath, args, installHint: FFMPEG_INSTALL_HINT }],
      input: r.input,
      kind: r.kind,
      width: width!,
      height: height!,
      format: r.pixelFormat,
      queue: r.queue,
      reuseBuffers: r.reuseBuffers,
    });
    this.#reader = reader;
    await reader.spawn();
    await reader.ready(signal);
    return { width: width!, height: height!, fps: fps ?? 0, pixelFormat: r.pixelFormat };
  }

  next(signal: AbortSignal): Promise<Frame | null> {
    return this.#reader!.next(signal);
  }

  async close(): Promise<void> {
    await this.#reader?.close();
  }

  counters(): DriverCounters {
    const reader = this.#reader;
    return {
      framesRead: reader?.framesRead ?? 0,
      dropped: reader?.queue.dropped ?? 0,
      queueDepth: reader?.queue.length ?? 0,
      queueCapacity: this.#r.queue.capacity,
      queueOverflow: this.#r.queue.overflow,
    };
  }
}

/**
 * Reads raw frames from an `ffmpeg` child process: a camera (`/dev/videoN`
 * through v4l2), a video file, a network stream (RTSP, HTTP, ...) or any
 * ffmpeg input with `inputOptions`.
 *
 * ffmpeg decodes, scales and converts; this class reads exact frames from its
 * stdout in a background loop into a bounded queue (like CamGear's queue
 * mode). With the `"backpressure"` policy (files) it stops reading while the
 * queue is full, so ffmpeg blocks and no frame is lost; with `"drop-oldest"`
 * (cameras, streams) it keeps reading and discards the oldest queued frame,
 * counted in `stats().dropped`.
 *
 * **Frame ownership:** every frame's `data` is its own buffer, filled straight
 * from the pipe with no copy; keep frames as long as you like. With
 * `reuseBuffers: true` a frame is valid only until the next `read()` (or loop
 * iteration), which saves a buffer allocation per frame.
 *
 * Size and frame rate come from `ffprobe` when not given. Stopping, an error,
 * or leaving a `for await` loop early kills ffmpeg and waits for it to exit.
 *
 * @example Read a file
 * ```ts ignore
 * // Not run: it needs a video file.
 * import { FfmpegSource } from "./mod.ts";
 * await using source = new FfmpegSource({ input: "clip.mkv", width: 640, height: 480 });
 * for await (const frame of source) {
 *   console.log(frame.data.length); // 640 * 480 * 3
 * }
 * console.log(source.stats()); // { framesRead, framesDelivered, dropped: 0, ... }
 * ```
 *
 * @example A paced test pattern from lavfi, as a stand-in camera
 * ```ts
 * import assert from "node:assert/strict";
 * import { FfmpegSource } from "./mod.ts";
 * await using source = new FfmpegSource({
 *   input: "testsrc2=size=320x240:rate=30",
 *   inputOptions: ["-f", "lavfi"],
 * });
 * const frame = await source.read();
 * assert.equal(frame?.width, 320);
 * assert.deepEqual(source.info, { width: 320, height: 240, fps: 30, pixelFormat: "bgr24" });
 * ```
 *
 * @example A USB camera at 640x480, 30 fps
 * ```ts ignore
 * // Not run: it needs a camera.
 * import { FfmpegSource } from "./mod.ts";
 * await using camera = new FfmpegSource({ input: "/dev/video0", width: 640, height: 480, fps: 30 });
 * await camera.start(); // throws CaptureError "device-not-found" or "device-busy"
 * ```
 */
export class FfmpegSource implements FrameSource {
  #runner: SourceRunner;
  #driver: FfmpegDriver;
  #kind: InputKind;

  /**
   * Checks the options; nothing runs until `start()`, `read()` or iteration.
   *
   * @param options What to read and how; `input` is required.
   * @throws {TypeError} On a missing input, an unknown option or a value of the wrong type.
   * @throws {RangeError} On an out-of-range size, rate or capacity, an unknown
   * pixel format or queue overflow policy, or `loop` on a camera or stream.
   */
  constructor(options: FfmpegSourceOptions) {
    const resolved = resolve(options);
    this.#kind = resolved.kind;
    this.#driver = new FfmpegDriver(resolved);
    this.#runner = new SourceRunner(this.#driver, WHAT);
  }

  /**
   * Frame size, rate and format, known once `start()` has resolved.
   *
   * @throws {CaptureError} With code `"not-started"` before that.
   */
  get info(): SourceInfo {
    return this.#runner.info;
  }

  /** What the input was recognised as; decides the default queue policy and pacing. */
  get kind(): InputKind {
    return this.#kind;
  }

  /**
   * Process id of the ffmpeg child, once started; kept after it ends so
   * callers can check it is gone. Empty before start.
   */
  get pids(): readonly number[] {
    return this.#driver.pids;
  }

  /**
   * Probes the input when needed, starts ffmpeg and waits for the first frame.
   *
   * @param options `signal` abandons the start (ffmpeg is killed and the source fails).
   * @returns When the first frame is ready (or the input turned out empty).
   * @throws {ToolNotFoundError} When ffmpeg or ffprobe is not installed.
   * @throws {CaptureError} When the input cannot be opened; `code` says why.
   */
  start(options: SignalOptions = {}): Promise<void> {
    return this.#runner.start(options.signal);
  }

  /**
   * The next frame, or `null` at the end of the input or after `stop()`.
   * Starts the source if needed.
   *
   * @param options `signal` abandons this read only; the source keeps running.
   * @returns The frame, or null.
   * @throws {ProcessExitedError} When ffmpeg fails mid-stream (after the frames read before it).
   * @throws {CaptureError} When the input cannot be opened.
   */
  read(options: SignalOptions = {}): Promise<Frame | null> {
    return this.#runner.read(options.signal);
  }

  /**
   * Kills ffmpeg, waits for it to exit and discards queued frames; pending
   * and later reads return null. Safe to call twice.
   *
   * @returns When ffmpeg has exited.
   */
  stop(): Promise<void> {
    return this.#runner.stop();
  }

  /**
   * The same as {@linkcode FfmpegSource.stop}.
   *
   * @returns When ffmpeg has exited.
   */
  close(): Promise<void> {
    return this.#runner.stop();
  }

  /**
   * Traffic counters: frames read from ffmpeg, delivered, dropped, queue depth.
   *
   * @returns A snapshot.
   */
  stats(): SourceStats {
    return this.#runner.stats();
  }

  /**
   * Iterates frames until the input ends; leaving the loop stops the source.
   *
   * @returns The iterator.
   */
  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    return this.#runner.iterate();
  }

  /**
   * Stops the source (for `await using`).
   *
   * @returns When ffmpeg has exited.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#runner.stop();
  }
}
