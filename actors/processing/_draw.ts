// Drawing on frames for the built-in processors: filled and outlined
// rectangles and text in capture's 5x7 font. Each primitive writes one pixel
// run and then copies it (copyWithin) down the rows; nothing runs per pixel
// through a closure.

import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRow } from "../../capture/font.ts";
import { CHANNELS_OF, type Frame, PIXEL_FORMATS, type PixelFormat } from "../../capture/frame.ts";

/** A colour as `[red, green, blue]`, each 0 to 255, whatever the frame's layout. */
export type Color = readonly [red: number, green: number, blue: number];

/** Where R, G and B sit in each layout; gray has one channel for all three. */
export const RGB_AT: Readonly<Record<PixelFormat, readonly [number, number, number]>> = {
  bgr24: [2, 1, 0],
  rgb24: [0, 1, 2],
  rgba: [0, 1, 2],
  gray: [0, 0, 0],
};

/** Checks that a frame describes itself consistently and returns its layout. */
export function formatOf(frame: Frame, what: string): PixelFormat {
  const format = frame.format ?? "bgr24";
  const channels = CHANNELS_OF[format];
  if (channels === undefined) {
    throw new TypeError(
      `Cannot ${what}: frame.format is ${JSON.stringify(format)}; valid choices are ${
        PIXEL_FORMATS.join(", ")
      }`,
    );
  }
  const { width, height, data } = frame;
  if (frame.channels !== channels || data.length !== width * height * channels) {
    throw new RangeError(
      `Cannot ${what}: a ${width}x${height} ${format} frame needs ${channels} channels and ` +
        `${
          width * height * channels
        } bytes, got ${frame.channels} channels and ${data.length} bytes`,
    );
  }
  return format;
}

/** Checks a colour option. */
export function checkColor(owner: string, name: string, color: Color): Color {
  if (
    !Array.isArray(color) || color.length !== 3 ||
    !color.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)
  ) {
    throw new TypeError(
      `Cannot create ${owner}: ${name} is ${
        JSON.stringify(color)
      }; expected [red, green, blue] with integers from 0 to 255`,
    );
  }
  return color;
}

/** The bytes of one pixel of `color` in `format`. */
export function pixelOf(color: Color, format: PixelFormat): Uint8Array {
  const [r, g, b] = color;
  switch (format) {
    case "bgr24":
      return Uint8Array.of(b, g, r);
    case "rgb24":
      return Uint8Array.of(r, g, b);
    case "rgba":
      return Uint8Array.of(r, g, b, 255);
    case "gray":
      return Uint8Array.of((77 * r + 150 * g + 29 * b) >> 8);
  }
}

/** A copy of `frame` with its own buffer (never a view: `Buffer#slice` would share). */
export function copyFrame(frame: Frame): Frame {
  return { ...frame, data: new Uint8Array(frame.data) };
}

/** Fills the rectangle, clipped to the frame. */
export function fillRect(
  frame: Frame,
  pixel: Uint8Array,
  x: number,
  y: number,
  width: number,
  height: number,
): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(frame.width, Math.floor(x + width));
  const y1 = Math.min(frame.height, Math.floor(y + height));
  if (x1 <= x0 || y1 <= y0) return;
  const { data } = frame;
  const channels = pixel.length;
  const stride = frame.width * channels;
  const first = y0 * stride + x0 * channels;
  const runBytes = (x1 - x0) * channels;
  if (channels === 1) {
    for (let row = first, y = y0; y < y1; y++, row += stride) {
      data.fill(pixel[0], row, row + runBytes);
    }
    return;
  }
  data.set(pixel, first);
  // Double the painted run until the row is full, then copy the row down.
  for (let done = channels; done < runBytes;) {
    const size = Math.min(done, runBytes - done);
    data.copyWithin(first + done, first, first + size);
    done += size;
  }
  for (let row = first + stride, y = y0 + 1; y < y1; y++, row += stride) {
    data.copyWithin(row, first, first + runBytes);
  }
}

/** Outlines the rectangle with lines `thickness` pixels wide, inside its edges. */
export function strokeRect(
  frame: Frame,
  pixel: Uint8Array,
  x: number,
  y: number,
  width: number,
  height: number,
  thickness: number,
): void {
  const t = Math.max(1, Math.min(thickness, Math.ceil(width / 2), Math.ceil(height / 2)));
  fillRect(frame, pixel, x, y, width, t);
  fillRect(frame, pixel, x, y + height - t, width, t);
  fillRect(frame, pixel, x, y + t, t, height - 2 * t);
  fillRect(frame, pixel, x + width - t, y + t, t, height - 2 * t);
}

/** Horizontal distance from one character's left edge to the next, in glyph pixels. */
const ADVANCE = GLYPH_WIDTH + 1;
/** Vertical distance from one line's top to the next, in glyph pixels. */
const LINE_HEIGHT = GLYPH_HEIGHT + 2;

/** Size in pixels of `text` (lines split at "\n") drawn at `scale`. */
export function textSize(text: string, scale: number): { width: number; height: number } {
  let longest = 0;
  let lines = 1;
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      lines++;
      length = 0;
    } else if (++length > longest) longest = length;
  }
  return {
    width: longest === 0 ? 0 : (longest * ADVANCE - 1) * scale,
    height: (lines * LINE_HEIGHT - 2) * scale,
  };
}

/** Draws `text` with its top-left corner at (x, y), each font pixel a `scale`-sided square. */
export function drawText(
  frame: Frame,
  pixel: Uint8Array,
  text: string,
  x: number,
  y: number,
  scale: number,
): void {
  let left = x;
  let top = y;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10) {
      left = x;
      top += LINE_HEIGHT * scale;
      continue;
    }
    if (left >= frame.width || top >= frame.height) continue;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      const bits = glyphRow(code, row);
      // One rectangle per run of lit pixels in the row, not one per pixel.
      for (let column = 0; column < GLYPH_WIDTH;) {
        if ((bits & (1 << (GLYPH_WIDTH - 1 - column))) === 0) {
          column++;
          continue;
        }
        let end = column + 1;
        while (end < GLYPH_WIDTH && (bits & (1 << (GLYPH_WIDTH - 1 - end))) !== 0) end++;
        fillRect(
          frame,
          pixel,
          left + column * scale,
          top + row * scale,
          (end - column) * scale,
          scale,
        );
        column = end;
      }
    }
    left += ADVANCE * scale;
  }
}
