// What kind of input a string is, and the ffmpeg command line that turns it
// into raw frames on stdout. Private to capture/.

import type { PixelFormat } from "./frame.ts";
import type { InputKind } from "./_classify.ts";

const DEVICE_FORMATS = new Set([
  "v4l2",
  "video4linux2",
  "avfoundation",
  "dshow",
  "vfwcap",
  "x11grab",
  "gdigrab",
  "kmsgrab",
  "fbdev",
  "decklink",
]);

const STREAM_SCHEMES = new Set([
  "rtsp",
  "rtsps",
  "rtmp",
  "rtmps",
  "http",
  "https",
  "udp",
  "tcp",
  "srt",
  "rtp",
  "mms",
  "mmsh",
  "hls",
]);

/** The value of `-f` in an ffmpeg option list, if any. */
export function formatOption(inputOptions: readonly string[]): string | undefined {
  const at = inputOptions.lastIndexOf("-f");
  return at >= 0 ? inputOptions[at + 1] : undefined;
}

/** Guesses what `input` is from its shape and the `-f` input option. */
export function detectInputKind(input: string, inputOptions: readonly string[]): InputKind {
  const format = formatOption(inputOptions);
  if (format === "lavfi") return "lavfi";
  if (format !== undefined && DEVICE_FORMATS.has(format)) return "camera";
  if (input.startsWith("/dev/")) return "camera";
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)?.[1]?.toLowerCase();
  if (scheme === "file") return "file";
  if (scheme !== undefined && STREAM_SCHEMES.has(scheme)) return "stream";
  if (scheme !== undefined || input === "-" || input.startsWith("pipe:")) return "other";
  if (format !== undefined) return "other";
  return "file";
}

/** Everything the ffmpeg command line depends on, resolved. */
export interface FfmpegPlan {
  input: string;
  inputOptions: readonly string[];
  kind: InputKind;
  /** Output size; always applied with a scale filter so frame boundaries never move. */
  width: number;
  height: number;
  /** Output frame rate to resample to (fps filter), or undefined to keep the input's. */
  fps: number | undefined;
  /** Size and rate to request from a camera, when the caller gave them. */
  cameraWidth: number | undefined;
  cameraHeight: number | undefined;
  cameraFps: number | undefined;
  pixelFormat: PixelFormat;
  loop: boolean;
  realtime: boolean;
}

/** ffmpeg's own names for our pixel formats. */
const FFMPEG_PIX_FMT: Readonly<Record<PixelFormat, string>> = {
  bgr24: "bgr24",
  rgb24: "rgb24",
  rgba: "rgba",
  gray: "gray",
};

/** The ffmpeg arguments (without the program) for `plan`. */
export function buildFfmpegArgs(plan: FfmpegPlan): string[] {
  const args = ["-hide_banner", "-nostdin", "-loglevel", "error"];
  if (plan.realtime) args.push("-re");
  if (plan.loop) args.push("-stream_loop", "-1");
  if (plan.kind === "camera") {
    if (formatOption(plan.inputOptions) === undefined && plan.input.startsWith("/dev/video")) {
      args.push("-f", "v4l2");
    }
    if (plan.cameraWidth !== undefined && plan.cameraHeight !== undefined) {
      args.push("-video_size", `${plan.cameraWidth}x${plan.cameraHeight}`);
    }
    if (plan.cameraFps !== undefined) args.push("-framerate", String(plan.cameraFps));
  }
  args.push(...plan.inputOptions, "-i", plan.input);
  // Only the first video stream; audio, subtitles and data would only cost time.
  args.push("-map", "0:v:0", "-an", "-sn", "-dn");
  const filters: string[] = [];
  // A camera is asked for its rate at the input; resampling it again would duplicate frames.
  if (plan.fps !== undefined && plan.kind !== "camera") filters.push(`fps=${plan.fps}`);
  // An explicit size keeps every frame the same byte length even if the input changes size.
  filters.push(`scale=${plan.width}:${plan.height}`);
  args.push("-vf", filters.join(","));
  args.push("-pix_fmt", FFMPEG_PIX_FMT[plan.pixelFormat], "-f", "rawvideo", "pipe:1");
  return args;
}

/** ffprobe's path next to a given ffmpeg path ("ffmpeg" → "ffprobe", "/x/ffmpeg" → "/x/ffprobe"). */
export function ffprobeBesides(ffmpegPath: string): string {
  const slash = ffmpegPath.lastIndexOf("/");
  const dir = ffmpegPath.slice(0, slash + 1);
  const base = ffmpegPath.slice(slash + 1);
  return dir + (base.includes("ffmpeg") ? base.replace("ffmpeg", "ffprobe") : "ffprobe");
}
