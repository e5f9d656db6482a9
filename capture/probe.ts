/**
 * Asks ffprobe for a video input's size and frame rate.
 *
 * @module
 */

import { classifyFailure, FFPROBE_INSTALL_HINT, spawnError } from "./_classify.ts";
import { detectInputKind } from "./_ffmpeg_args.ts";
import { CaptureError } from "./errors.ts";

/** What {@linkcode probe} found about the first video stream. */
export interface ProbeResult {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Frames per second (average, else the nominal rate); 0 when unknown. */
  readonly fps: number;
  /** The codec's short name (e.g. "h264"), or "" when not reported. */
  readonly codec: string;
  /** The stream's frame count when the container records it, else undefined. */
  readonly frames: number | undefined;
  /** Duration in seconds when known, else undefined. */
  readonly duration: number | undefined;
}

/** Options for {@linkcode probe}. */
export interface ProbeOptions {
  /**
   * ffmpeg input options placed before `-i`, as for FfmpegSource
   * (e.g. `["-f", "lavfi"]`).
   *
   * @default {[]}
   */
  inputOptions?: readonly string[];
  /**
   * The ffprobe program.
   *
   * @default {"ffprobe"}
   */
  ffprobePath?: string;
  /** Abandons the probe (ffprobe is killed); rejects with `signal.reason`. */
  signal?: AbortSignal;
}

interface FfprobeJson {
  streams?: {
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    codec_name?: string;
    nb_frames?: string;
  }[];
  format?: { duration?: string };
}

/** "30000/1001" → 29.97; "0/0" or junk → 0. */
function parseRate(rate: string | undefined): number {
  if (rate === undefined) return 0;
  const [num, den = "1"] = rate.split("/");
  const value = Number(num) / Number(den);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

function positiveNumber(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * Reads the size and frame rate of `input`'s first video stream with
 * `ffprobe -of json`.
 *
 * @param input A file path, device, URL or any ffmpeg input string.
 * @param options Input options, ffprobe path and signal.
 * @returns The stream's size, rate, codec and, when known, length.
 * @throws {ToolNotFoundError} When ffprobe is not installed.
 * @throws {CaptureError} When the input cannot be opened (code says why) or has
 * no video stream (`"probe-failed"`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probe } from "./mod.ts";
 * const info = await probe("testsrc2=size=320x240:rate=25", { inputOptions: ["-f", "lavfi"] });
 * assert.deepEqual([info.width, info.height, info.fps], [320, 240, 25]);
 * ```
 */
export async function probe(input: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const { inputOptions = [], ffprobePath = "ffprobe", signal } = options;
  signal?.throwIfAborted();
  const args = [
    "-v",
    "error",
    "-of",
    "json",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=width,height,avg_frame_rate,r_frame_rate,codec_name,nb_frames:format=duration",
    ...inputOptions,
    "-i",
    input,
  ];
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(ffprobePath, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
  } catch (error) {
    signal?.throwIfAborted();
    throw spawnError("ffprobe", ffprobePath, FFPROBE_INSTALL_HINT, error);
  }
  signal?.throwIfAborted();
  const stderr = new TextDecoder().decode(output.stderr).split(/\r?\n/)
    .map((line) => line.trim()).filter((line) => line.length > 0).slice(-20);
  if (!output.success) {
    throw classifyFailure({
      tool: "ffprobe",
      kind: detectInputKind(input, inputOptions),
      input,
      stderr,
      exitCode: output.signal === null ? output.code : null,
      signal: output.signal,
      framesRead: 0,
    });
  }
  let json: FfprobeJson;
  try {
    json = JSON.parse(new TextDecoder().decode(output.stdout));
  } catch (error) {
    throw new CaptureError(
      "probe-failed",
      `Cannot probe ${JSON.stringify(input)}: ffprobe printed no valid JSON; check ffprobe works ` +
        `(ffprobe -version) or give width, height and fps so no probe is needed`,
      { input, stderr, cause: error },
    );
  }
  const stream = json.streams?.[0];
  if (stream?.width === undefined || stream.height === undefined) {
    throw new CaptureError(
      "probe-failed",
      `Cannot probe ${JSON.stringify(input)}: it has no video stream; check it is a video ` +
        `(an audio-only file or an image sequence pattern needs different input options)`,
      { input, stderr },
    );
  }
  return {
    width: stream.width,
    height: stream.height,
    fps: parseRate(stream.avg_frame_rate) || parseRate(stream.r_frame_rate),
    codec: stream.codec_name ?? "",
    frames: positiveNumber(stream.nb_frames),
    duration: positiveNumber(json.format?.duration),
  };
}
