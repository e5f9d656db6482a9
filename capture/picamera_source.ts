/**
 * Frames from a Raspberry Pi camera module, through `rpicam-vid` and ffmpeg.
 *
 * @module
 */

import type { Frame, PixelFormat } from "./frame.ts";
import { FFMPEG_INSTALL_HINT } from "./_classify.ts";
import { ProcessFrameReader } from "./_process_reader.ts";
import { type DriverCounters, type SourceDriver, SourceRunner } from "./_runner.ts";
import {
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
import { ToolNotFoundError } from "./errors.ts";
import type {
  FrameSource,
  QueueOptions,
  SignalOptions,
  SourceInfo,
  SourceStats,
} from "./source.ts";

/** Options for {@linkcode PiCameraSource} and {@linkcode buildPiCameraCommand}. */
export interface PiCameraSourceOptions {
  /**
   * Frame width in pixels, even. Multiples of 64 (320, 640, 1280, 1920) avoid
   * row padding (see {@linkcode PiCameraSource}).
   *
   * @default {640}
   */
  width?: number;
  /**
   * Frame height in pixels, even.
   *
   * @default {480}
   */
  height?: number;
  /**
   * Frames per second asked of the camera (`--framerate`).
   *
   * @default {30}
   */
  fps?: number;
  /**
   * Pixel layout of the frames.
   *
   * @default {"bgr24"}
   */
  pixelFormat?: PixelFormat;
  /**
   * Which camera, by its index in `rpicam-hello --list-cameras` (`--camera`).
   *
   * @default {"the first camera"}
   */
  camera?: number;
  /**
   * The camera program. When unset, `rpicam-vid` is tried, then its older
   * name `libcamera-vid`.
   *
   * @default {"rpicam-vid, else libcamera-vid"}
   */
  cameraPath?: string;
  /**
   * More `rpicam-vid` options, placed before `-o -` (e.g. `["--hflip", "--vflip"]`).
   *
   * @default {[]}
   */
  extraArgs?: readonly string[];
  /**
   * The ffmpeg program that converts YUV 4:2:0 to the pixel format.
   *
   * @default {"ffmpeg"}
   */
  ffmpegPath?: string;
  /**
   * Read-ahead queue.
   *
   * @default {"{ capacity: 4, overflow: drop-oldest }"}
   */
  queue?: QueueOptions;
}

/** The two command lines {@linkcode PiCameraSource} runs, from {@linkcode buildPiCameraCommand}. */
export interface PiCameraCommand {
  /** Arguments for `rpicam-vid` (or `libcamera-vid`), which writes YUV 4:2:0 frames to stdout. */
  readonly cameraArgs: readonly string[];
  /** Arguments for `ffmpeg`, which reads them on stdin and writes raw frames to stdout. */
  readonly ffmpegArgs: readonly string[];
  /** Bytes per luma row in the camera's output (the width rounded up to 64). */
  readonly stride: number;
}

const OPTION_KEYS = [
  "width",
  "height",
  "fps",
  "pixelFormat",
  "camera",
  "cameraPath",
  "extraArgs",
  "ffmpegPath",
  "queue",
] as const;

const WHAT = "PiCameraSource";

/** The Raspberry Pi ISP pads YUV 4:2:0 luma rows to 64 bytes (raspberrypi/linux#4419). */
const ROW_ALIGN = 64;

const CAMERA_TOOLS = ["rpicam-vid", "libcamera-vid"] as const;

const RPICAM_INSTALL_HINT = "nor was libcamera-vid (its older name); PiCameraSource needs a " +
  "Raspberry Pi running Raspberry Pi OS: install the camera apps with sudo apt install " +
  "rpicam-apps (or rpicam-apps-lite), see " +
  "https://www.raspberrypi.com/documentation/computers/camera_software.html; on other " +
  "machines use FfmpegSource with /dev/videoN";

interface Resolved {
  width: number;
  height: number;
  fps: number;
  pixelFormat: PixelFormat;
  camera: number | undefined;
  cameraPath: string | undefined;
  extraArgs: string[];
  ffmpegPath: string;
  queue: QueueSettings;
}

function evenOption(name: string, value: unknown, fallback: number): number {
  const n = intOption(WHAT, name, value, 2, MAX_SIDE, fallback);
  if (n % 2 !== 0) {
    throw new RangeError(
      `Cannot create ${WHAT}: option "${name}" must be even (YUV 4:2:0 halves it for colour), ` +
        `got ${n}; use ${n - 1} or ${n + 1}`,
    );
  }
  return n;
}

function resolve(options: PiCameraSourceOptions): Resolved {
  checkKeys(WHAT, options, OPTION_KEYS);
  return {
    width: evenOption("width", options.width, 640),
    height: evenOption("height", options.height, 480),
    fps: numberOption(WHAT, "fps", options.fps, 0.001, 1000, 30)!,
    pixelFormat: pixelFormatOption(WHAT, options.pixelFormat),
    camera: intOption(WHAT, "camera", options.camera, 0, 63),
    cameraPath: stringOption(WHAT, "cameraPath", options.cameraPath),
    extraArgs: stringListOption(WHAT, "extraArgs", options.extraArgs),
    ffmpegPath: stringOption(WHAT, "ffmpegPath", options.ffmpegPath, "ffmpeg")!,
    queue: queueOption(WHAT, options.queue, "drop-oldest"),
  };
}

function commandOf(r: Resolved): PiCameraCommand {
  const stride = Math.ceil(r.width / ROW_ALIGN) * ROW_ALIGN;
  const cameraArgs = [
    "-t",
    "0",
    "-n",
    "--codec",
    "yuv420",
    "--width",
    String(r.width),
    "--height",
    String(r.height),
    "--framerate",
    String(r.fps),
    ...(r.camera === undefined ? [] : ["--camera", String(r.camera)]),
    ...r.extraArgs,
    "-o",
    "-",
  ];
  const ffmpegArgs = [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "yuv420p",
    "-video_size",
    `${stride}x${r.height}`,
    "-framerate",
    String(r.fps),
    "-i",
    "pipe:0",
    // Padding columns are cut off; they hold no picture.
    ...(stride === r.width ? [] : ["-vf", `crop=${r.width}:${r.height}:0:0`]),
    "-pix_fmt",
    r.pixelFormat,
    "-f",
    "rawvideo",
    "pipe:1",
  ];
  return { cameraArgs, ffmpegArgs, stride };
}

/**
 * The `rpicam-vid` and `ffmpeg` command lines a {@linkcode PiCameraSource}
 * with these options runs: useful to try by hand,
 * `rpicam-vid <cameraArgs> | ffmpeg <ffmpegArgs> > frames.raw`.
 *
 * @param options As for the source.
 * @returns Both argument lists and the row stride assumed.
 * @throws {TypeError} On an unknown option or a value of the wrong type.
 * @throws {RangeError} On an odd or out-of-range size, or an out-of-range rate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPiCameraCommand } from "./mod.ts";
 * const { cameraArgs } = buildPiCameraCommand({ width: 640, height: 480, fps: 30 });
 * assert.equal(
 *   cameraArgs.join(" "),
 *   "-t 0 -n --codec yuv420 --width 640 --height 480 --framerate 30 -o -",
 * );
 * ```
 */
export function buildPiCameraCommand(options: PiCameraSourceOptions = {}): PiCameraCommand {
  return commandOf(resolve(options));
}

class PiCameraDriver implements SourceDriver {
  #r: Resolved;
  #info: SourceInfo;
  #reader: ProcessFrameReader | undefined;

  constructor(resolved: Resolved, info: SourceInfo) {
    this.#r = resolved;
    this.#info = info;
  }

  get pids(): readonly number[] {
    return this.#reader?.pids ?? [];
  }

  async open(signal: AbortSignal): Promise<SourceInfo> {
    const r = this.#r;
    const { cameraArgs, ffmpegArgs } = commandOf(r);
    const tools = r.cameraPath === undefined ? CAMERA_TOOLS : [r.cameraPath];
    const input = `Raspberry Pi camera ${r.camera ?? 0}`;
    for (const [i, tool] of tools.entries()) {
      signal?.throwIfAborted();
      const reader = new ProcessFrameReader({
        commands: [
          {
            tool,
            path: tool,
            args: [...cameraArgs],
            installHint:
              "check the cameraPath option, or leave it unset to find rpicam-vid on PATH",
          },
          {
            tool: "ffmpeg",
            path: r.ffmpegPath,
            args: [...ffmpegArgs],
            installHint: FFMPEG_INSTALL_HINT,
          },
        ],
        input,
        kind: "camera",
        width: r.width,
        height: r.height,
        format: r.pixelFormat,
        queue: r.queue,
      });
      this.#reader = reader;
      try {
        await reader.spawn();
      } catch (error) {
        const missing = error instanceof ToolNotFoundError && error.tool === tool;
        if (missing && i + 1 < tools.length) continue;
        if (missing && r.cameraPath === undefined) {
          // Name the current program: it is the one to install.
          throw new ToolNotFoundError(tools[0], tools[0], RPICAM_INSTALL_HINT, { cause: error });
        }
        throw error;
      }
      await reader.ready(signal);
      return this.#info;
    }
    throw new Error("unreachable: every path through the loop returns or throws");
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
 * Reads a Raspberry Pi camera module (libcamera stack) by running
 * `rpicam-vid -t 0 -n --codec yuv420 --width W --height H --framerate F -o -`
 * (or `libcamera-vid`, its older name) and piping its YUV 4:2:0 frames
 * through `ffmpeg` to convert them to `pixelFormat`.
 *
 * The camera writes each luma row padded to a multiple of 64 bytes; the
 * source tells ffmpeg that stride and crops the padding, so any even width
 * works, and widths that are multiples of 64 need no cropping. This follows
 * the Raspberry Pi 4 ISP driver; if frames from another model look sheared,
 * use a width that is a multiple of 64.
 *
 * Only runs on a Raspberry Pi with the camera apps installed; elsewhere
 * `start()` fails with a {@linkcode ToolNotFoundError} saying how to install
 * them. Defaults to the `"drop-oldest"` queue policy, like any camera.
 *
 * **Frame ownership:** every frame's `data` is its own buffer.
 *
 * @example
 * ```ts ignore
 * // Not run: it needs a Raspberry Pi with a camera.
 * import { PiCameraSource } from "./mod.ts";
 * await using camera = new PiCameraSource({ width: 640, height: 480, fps: 30 });
 * try {
 *   for await (const frame of camera) console.log(frame.data.length);
 * } catch (error) {
 *   console.error((error as Error).message); // e.g. how to install rpicam-apps
 * }
 * ```
 */
export class PiCameraSource implements FrameSource {
  #runner: SourceRunner;
  #driver: PiCameraDriver;

  /**
   * Checks the options; nothing runs until `start()`, `read()` or iteration.
   *
   * @param options Size, rate, pixel format, camera index and tool paths.
   * @throws {TypeError} On an unknown option or a value of the wrong type.
   * @throws {RangeError} On an odd or out-of-range size, an out-of-range rate,
   * or an unknown pixel format or queue overflow policy.
   */
  constructor(options: PiCameraSourceOptions = {}) {
    const r = resolve(options);
    const info: SourceInfo = {
      width: r.width,
      height: r.height,
      fps: r.fps,
      pixelFormat: r.pixelFormat,
    };
    this.#driver = new PiCameraDriver(r, info);
    this.#runner = new SourceRunner(this.#driver, WHAT, info);
  }

  /**
   * Frame size, rate and format, as requested.
   *
   * @returns The info.
   */
  get info(): SourceInfo {
    return this.#runner.info;
  }

  /**
   * Process ids (camera program, then ffmpeg) once started; kept after they end.
   *
   * @returns The ids.
   */
  get pids(): readonly number[] {
    return this.#driver.pids;
  }

  /**
   * Starts the camera program and ffmpeg and waits for the first frame.
   *
   * @param options `signal` abandons the start.
   * @returns When the first frame is ready.
   * @throws {ToolNotFoundError} When rpicam-vid/libcamera-vid or ffmpeg is missing.
   * @throws {CaptureError} When the camera cannot be opened.
   */
  start(options: SignalOptions = {}): Promise<void> {
    return this.#runner.start(options.signal);
  }

  /**
   * The next frame, or null after `stop()`.
   *
   * @param options `signal` abandons this read only.
   * @returns The frame, or null.
   * @throws {CaptureError} When the camera fails.
   */
  read(options: SignalOptions = {}): Promise<Frame | null> {
    return this.#runner.read(options.signal);
  }

  /**
   * Kills both processes and waits for them; safe to call twice.
   *
   * @returns When they have exited.
   */
  stop(): Promise<void> {
    return this.#runner.stop();
  }

  /**
   * The same as {@linkcode PiCameraSource.stop}.
   *
   * @returns When they have exited.
   */
  close(): Promise<void> {
    return this.#runner.stop();
  }

  /**
   * Traffic counters.
   *
   * @returns A snapshot.
   */
  stats(): SourceStats {
    return this.#runner.stats();
  }

  /**
   * Iterates frames; leaving the loop stops the camera.
   *
   * @returns The iterator.
   */
  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    return this.#runner.iterate();
  }

  /**
   * Stops the camera (for `await using`).
   *
   * @returns When the processes have exited.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#runner.stop();
  }
}
