/**
 * Frame sources for ActorGear servers: every source yields
 * {@linkcode Frame}s through one interface, {@linkcode FrameSource}
 * (`start()`, `read()`, `for await`, `stop()`, `await using`, `info`, `stats()`).
 *
 * - {@linkcode SyntheticSource}: a moving, labelled test pattern in pure
 *   TypeScript; the default for demos and tests.
 * - {@linkcode FfmpegSource}: cameras (`/dev/videoN`), files, RTSP/HTTP streams
 *   and any ffmpeg input, read through an `ffmpeg` child process with a
 *   bounded read-ahead queue (drop-oldest or backpressure).
 * - {@linkcode PiCameraSource}: a Raspberry Pi camera through `rpicam-vid`.
 *
 * Failures are {@linkcode CaptureError}s whose `code` says what happened and
 * whose message says how to fix it.
 *
 * @example Stream a test pattern
 * ```ts
 * import assert from "node:assert/strict";
 * import { SyntheticSource } from "./mod.ts";
 * await using source = new SyntheticSource({ name: "cam-1", width: 320, height: 240, frames: 3 });
 * let frames = 0;
 * for await (const frame of source) {
 *   assert.equal(frame.data.length, 320 * 240 * 3);
 *   frames++;
 * }
 * assert.equal(frames, 3);
 * ```
 *
 * @module
 */

export type { Frame, PixelFormat } from "./frame.ts";
export type { OverflowPolicy } from "../actors/bounded_queue.ts";
export * from "./errors.ts";
export * from "./source.ts";
export * from "./synthetic_source.ts";
export * from "./ffmpeg_source.ts";
export * from "./picamera_source.ts";
export * from "./probe.ts";
