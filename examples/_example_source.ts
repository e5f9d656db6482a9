/**
 * The frame source an example server reads: a camera, file or stream given
 * with `--input` (through ffmpeg), else a synthetic moving pattern.
 *
 * @module
 */

import { FfmpegSource } from "../capture/ffmpeg_source.ts";
import { SyntheticSource } from "../capture/synthetic_source.ts";
import type { FrameSource } from "../capture/source.ts";

/** Opens `input` through ffmpeg, or a labelled synthetic pattern when absent. */
export function exampleSource(input: string | undefined, label: string): FrameSource {
  return input
    ? new FfmpegSource({ input, width: 640, height: 480 })
    : new SyntheticSource({ width: 640, height: 480, fps: 30, name: label });
}
