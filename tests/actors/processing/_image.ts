// Test fixtures for the vision tests: the repository's models and images
// (assets/, read in place), PNG decoding through ffmpeg, and whether ffmpeg
// is here at all.

import type { Frame, PixelFormat } from "../../../capture/frame.ts";

const ASSETS = new URL("../../../assets/", import.meta.url);

/** Path of a model in assets/models. */
export function modelPath(name: "face_detector.tflite" | "face_landmarker.task"): string {
  return decodeURIComponent(new URL(`models/${name}`, ASSETS).pathname);
}

/** Path of an image in assets/images. */
export function imagePath(name: "astronaut.png" | "coffee.png" | "chelsea.png"): string {
  return decodeURIComponent(new URL(`images/${name}`, ASSETS).pathname);
}

/** SHA-256 of the face detector model (assets/README.md). */
export const FACE_DETECTOR_SHA256 =
  "b4578f35940bf5a1a655214a1cce5cab13eba73c1297cd78e1a04c2380b0152f";

async function runs(tool: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(tool, { args: ["-version"], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

const HAVE_FFMPEG = (await runs("ffmpeg")) && (await runs("ffprobe"));

/**
 * `ignore:` value for tests that decode images: skip when ffmpeg is missing,
 * except in CI (CI=true), where a missing ffmpeg must fail the run.
 */
export const NO_FFMPEG: boolean = !HAVE_FFMPEG && Deno.env.get("CI") !== "true";

if (NO_FFMPEG) {
  console.warn(
    "vision tests: ffmpeg/ffprobe not found on PATH, so the tests that decode images are " +
      "ignored (install it with: sudo apt-get install ffmpeg; with CI=true they fail instead)",
  );
}

const FFMPEG_PIX_FMT: Record<PixelFormat, string> = {
  bgr24: "bgr24",
  rgb24: "rgb24",
  rgba: "rgba",
  gray: "gray",
};
const CHANNELS: Record<PixelFormat, number> = { bgr24: 3, rgb24: 3, rgba: 4, gray: 1 };

async function run(args: string[], what: string): Promise<Uint8Array> {
  const out = await new Deno.Command(args[0], {
    args: args.slice(1),
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`Cannot ${what}: ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

/** Width and height of an image, from ffprobe. */
export async function imageSize(path: string): Promise<{ width: number; height: number }> {
  const text = new TextDecoder().decode(
    await run(
      [
        "ffprobe",
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=width,height",
        "-of",
        "csv=p=0",
        path,
      ],
      `probe ${path}`,
    ),
  );
  const [width, height] = text.trim().split(",").map(Number);
  if (!(width > 0 && height > 0)) throw new Error(`Cannot probe ${path}: got "${text}"`);
  return { width, height };
}

/** Options for {@linkcode decodeImage}. */
export interface DecodeOptions {
  /** Pixel format of the frame. Default "rgb24". */
  format?: PixelFormat;
  /** Fit the image into this size (keeping its aspect) and pad with black. */
  fit?: { width: number; height: number };
}

/** Decodes an image file into a Frame with ffmpeg. */
export async function decodeImage(path: string, options: DecodeOptions = {}): Promise<Frame> {
  const format = options.format ?? "rgb24";
  const { width, height } = options.fit ?? await imageSize(path);
  const filters = options.fit
    ? [
      "-vf",
      `scale=${width}:${height}:force_original_aspect_ratio=decrease,` +
      `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`,
    ]
    : [];
  const data = await run(
    [
      "ffmpeg",
      "-v",
      "error",
      "-i",
      path,
      ...filters,
      "-frames:v",
      "1",
      "-f",
      "rawvideo",
      "-pix_fmt",
      FFMPEG_PIX_FMT[format],
      "-",
    ],
    `decode ${path}`,
  );
  const channels = CHANNELS[format];
  if (data.length !== width * height * channels) {
    throw new Error(
      `Cannot decode ${path}: got ${data.length} bytes, expected ${width}x${height}x${channels}`,
    );
  }
  return { width, height, channels, data, format };
}
