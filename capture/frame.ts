/**
 * The frame: the unit of video that sources produce, transports carry and
 * processors transform.
 *
 * @module
 */

/** Pixel layouts a {@linkcode Frame} can hold; the number of channels follows from it. */
export type PixelFormat = "bgr24" | "rgb24" | "rgba" | "gray";

/** Channels per pixel for each {@linkcode PixelFormat}. */
export const CHANNELS_OF: Readonly<Record<PixelFormat, number>> = Object.freeze({
  bgr24: 3,
  rgb24: 3,
  rgba: 4,
  gray: 1,
});

/** Every valid {@linkcode PixelFormat}, in a stable order (for error messages). */
export const PIXEL_FORMATS: readonly PixelFormat[] = Object.freeze(
  Object.keys(CHANNELS_OF) as PixelFormat[],
);

/**
 * One uncompressed video frame.
 *
 * `data` holds `width * height * channels` bytes, rows top to bottom, pixels
 * left to right, channels interleaved in the order `format` names. It may be
 * a view into a larger buffer (for example the received network message):
 * copy it before keeping it past the next frame if you need it to last.
 *
 * @example Make a black 2x2 BGR frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHANNELS_OF, type Frame } from "./frame.ts";
 * const frame: Frame = { width: 2, height: 2, channels: 3, data: new Uint8Array(12) };
 * // data holds width x height x channels bytes; format defaults to "bgr24".
 * assert.equal(frame.data.length, frame.width * frame.height * CHANNELS_OF["bgr24"]);
 * ```
 */
export interface Frame {
  /** Width in pixels, at least 1. */
  readonly width: number;
  /** Height in pixels, at least 1. */
  readonly height: number;
  /** Channels per pixel: 1, 3 or 4, matching `format`. */
  readonly channels: number;
  /** The pixels, exactly `width * height * channels` bytes. */
  readonly data: Uint8Array;
  /**
   * Pixel layout.
   *
   * @default {"bgr24"}
   */
  readonly format?: PixelFormat;
}
