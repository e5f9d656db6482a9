/**
 * Montages: many frames shrunk to tiles on one canvas, the counterpart of
 * imutils' `build_montages`, for a live view of every server's stream.
 *
 * @example Four frames in a 2x2 grid of 320x240 tiles
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildMontages } from "./montage.ts";
 *
 * const frame = { width: 640, height: 480, channels: 3, data: new Uint8Array(640 * 480 * 3) };
 * const [montage] = buildMontages([frame, frame, frame, frame], [320, 240], [2, 2]);
 * assert.ok(montage.width === 640 && montage.height === 480);
 * ```
 *
 * @module
 */

import { describeValue } from "../actors/describe.ts";
import { CHANNELS_OF, type Frame, PIXEL_FORMATS, type PixelFormat } from "./frame.ts";

/** A tile's size in pixels: `[width, height]` (imutils' order) or `{ width, height }`. */
export type TileSize =
  | readonly [width: number, height: number]
  | { readonly width: number; readonly height: number };

/** Tiles per montage: `[columns, rows]` (imutils' order). */
export type MontageGrid = readonly [columns: number, rows: number];

/**
 * How frames are resized to tiles: `"nearest"` takes the source pixel whose
 * centre is nearest, `"bilinear"` blends the four around it (OpenCV's
 * `INTER_LINEAR` geometry: pixel centres aligned, edges clamped).
 */
export type Interpolation = "nearest" | "bilinear";

/** Options for {@linkcode buildMontages}. */
export interface MontageOptions {
  /**
   * Resampling used to fit frames into tiles (imutils uses OpenCV's default,
   * bilinear).
   *
   * @default {"bilinear"}
   */
  interpolation?: Interpolation;
  /**
   * Pixel layout of the montages. Frames of another layout are converted:
   * channels reordered, gray repeated into every colour channel, colour to
   * gray by BT.601 luma (`0.299 R + 0.587 G + 0.114 B`, as OpenCV), alpha
   * dropped, or set opaque when added.
   *
   * @default {the first frame's format, or "bgr24" when there are no frames}
   */
  format?: PixelFormat;
}

/** Fixed-point scale of bilinear weights: 11 bits, as OpenCV. */
const WEIGHT_BITS = 11;
const ONE = 1 << WEIGHT_BITS;
const SHIFT = 2 * WEIGHT_BITS;
const ROUND = 1 << (SHIFT - 1);
/** Where R, G and B sit in each layout; gray has one channel for all three. */
const RGB_AT: Readonly<Record<PixelFormat, readonly [number, number, number]>> = {
  bgr24: [2, 1, 0],
  rgb24: [0, 1, 2],
  rgba: [0, 1, 2],
  gray: [0, 0, 0],
};

/**
 * Lays frames out row-major on canvases of `grid` tiles, each frame resized
 * to `tileSize`; cells without a frame stay black, and frames beyond one
 * canvas spill onto the next, as imutils' `build_montages` does.
 *
 * Every call returns at least one montage: with no frames, one black canvas
 * (like imutils). Frames may differ in size and layout.
 *
 * @param frames The frames, in order.
 * @param tileSize Size each frame is resized to.
 * @param grid Columns and rows of tiles per montage.
 * @param options Interpolation and output layout.
 * @returns `max(1, ceil(frames.length / (columns * rows)))` new frames of
 *   `columns * tileWidth` by `rows * tileHeight` pixels.
 * @throws {TypeError} If a frame, the tile size, the grid or an option is malformed.
 * @throws {RangeError} If a size is not a positive integer or a frame's data
 *   does not hold `width * height * channels` bytes.
 * @example Five frames in 2x2 grids spill into a second montage
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildMontages } from "./montage.ts";
 *
 * const frame = { width: 4, height: 4, channels: 1, format: "gray" as const, data: new Uint8Array(16).fill(200) };
 * const montages = buildMontages(Array(5).fill(frame), { width: 2, height: 2 }, [2, 2]);
 * assert.ok(montages.length === 2);
 * assert.ok(montages[1].data[0] === 200 && montages[1].data[2] === 0);
 * ```
 */
export function buildMontages(
  frames: readonly Frame[],
  tileSize: TileSize,
  grid: MontageGrid,
  options: MontageOptions = {},
): Frame[] {
  if (!Array.isArray(frames as unknown)) {
    throw new TypeError(
      `Cannot build montages: frames must be an array, got ${describeValue(frames)}`,
    );
  }
  const [tileWidth, tileHeight] = Array.isArray(tileSize)
    ? tileSize
    : [(tileSize as { width: number }).width, (tileSize as { height: number }).height];
  checkSize("tileSize width", tileWidth);
  checkSize("tileSize height", tileHeight);
  if (!Array.isArray(grid) || grid.length !== 2) {
    throw new TypeError(
      `Cannot build montages: grid must be [columns, rows], got ${describeValue(grid)}`,
    );
  }
  const [columns, rows] = grid;
  checkSize("grid columns", columns);
  checkSize("grid rows", rows);
  const interpolation = options.interpolation ?? "bilinear";
  if (interpolation !== "nearest" && interpolation !== "bilinear") {
    throw new TypeError(
      `Cannot build montages: option "interpolation" must be "nearest" or "bilinear", got ${
        describeValue(interpolation)
      }`,
    );
  }
  frames.forEach(checkFrame);
  const format: PixelFormat = options.format ?? frames[0]?.format ?? "bgr24";
  if (!Object.hasOwn(CHANNELS_OF, format)) {
    throw new TypeError(
      `Cannot build montages: option "format" must be one of ${
        PIXEL_FORMATS.map((f) => `"${f}"`).join(", ")
      }, got ${describeValue(format)}`,
    );
  }

  const channels = CHANNELS_OF[format];
  const width = columns * tileWidth;
  const height = rows * tileHeight;
  const stride = width * channels;
  const cells = columns * rows;
  const count = Math.max(1, Math.ceil(frames.length / cells));
  const xTables = new Map<string, AxisTable>();
  const yTables = new Map<string, AxisTable>();
  let scratch: Uint8Array | undefined;
  const montages: Frame[] = [];
  for (let m = 0; m < count; m++) {
    const data = new Uint8Array(height * stride);
    if (format === "rgba") fillAlpha(data);
    const last = Math.min(frames.length, (m + 1) * cells);
    for (let i = m * cells; i < last; i++) {
      const frame = frames[i];
      const cell = i - m * cells;
      const offset = Math.floor(cell / columns) * tileHeight * stride +
        (cell % columns) * tileWidth * channels;
      const from = frame.format ?? "bgr24";
      const c = frame.channels;
      const xKey = `${frame.width}:${c}`;
      let xs = xTables.get(xKey);
      if (xs === undefined) {
        xs = axisTable(frame.width, tileWidth, c, interpolation);
        xTables.set(xKey, xs);
      }
      // Rows are indexed in bytes, so the table depends on the row length too.
      const yKey = `${frame.height}:${frame.width * c}`;
      let ys = yTables.get(yKey);
      if (ys === undefined) {
        ys = axisTable(frame.height, tileHeight, frame.width * c, interpolation);
        yTables.set(yKey, ys);
      }
      if (from === format) {
        resize(frame, xs, ys, data, offset, stride, tileWidth, tileHeight, interpolation);
      } else {
        scratch ??= new Uint8Array(tileWidth * tileHeight * 4);
        resize(frame, xs, ys, scratch, 0, tileWidth * c, tileWidth, tileHeight, interpolation);
        convert(scratch, from, data, offset, stride, format, tileWidth, tileHeight);
      }
    }
    montages.push({ width, height, channels, format, data });
  }
  return montages;
}

/**
 * Source positions for each destination index along one axis: two
 * neighbours (already multiplied by `step`, the bytes between neighbours)
 * and the 11-bit weight of the second.
 */
interface AxisTable {
  first: Int32Array;
  second: Int32Array;
  weight: Int32Array;
}

function axisTable(
  source: number,
  target: number,
  step: number,
  interpolation: Interpolation,
): AxisTable {
  const first = new Int32Array(target);
  const second = new Int32Array(target);
  const weight = new Int32Array(target);
  const scale = source / target;
  for (let d = 0; d < target; d++) {
    if (interpolation === "nearest") {
      first[d] = Math.min(Math.floor((d + 0.5) * scale), source - 1) * step;
      continue;
    }
    let s = (d + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    let i = Math.floor(s);
    let f = s - i;
    if (i >= source - 1) {
      i = source - 1;
      f = 0;
    }
    first[d] = i * step;
    second[d] = Math.min(i + 1, source - 1) * step;
    weight[d] = Math.round(f * ONE);
  }
  return { first, second, weight };
}

function resize(
  frame: Frame,
  xs: AxisTable,
  ys: AxisTable,
  out: Uint8Array,
  offset: number,
  stride: number,
  width: number,
  height: number,
  interpolation: Interpolation,
): void {
  const src = frame.data;
  const c = frame.channels;
  const rowBytes = width * c;
  if (frame.width === width && frame.height === height) {
    for (let y = 0; y < height; y++) {
      out.set(src.subarray(y * rowBytes, (y + 1) * rowBytes), offset + y * stride);
    }
    return;
  }
  const x0 = xs.first;
  if (interpolation === "nearest") {
    for (let y = 0; y < height; y++) {
      const row = ys.first[y];
      let o = offset + y * stride;
      for (let x = 0; x < width; x++) {
        const s = row + x0[x];
        for (let k = 0; k < c; k++) out[o++] = src[s + k];
      }
    }
    return;
  }
  const x1 = xs.second;
  const wx = xs.weight;
  for (let y = 0; y < height; y++) {
    const top = ys.first[y];
    const bottom = ys.second[y];
    const wb = ys.weight[y];
    const wt = ONE - wb;
    let o = offset + y * stride;
    // Three channels (BGR/RGB) is the common case: unrolled, it runs about
    // twice as fast as the generic loop below.
    if (c === 3) {
      for (let x = 0; x < width; x++, o += 3) {
        const a = x0[x];
        const b = x1[x];
        const wr = wx[x];
        const wl = ONE - wr;
        const ta = top + a, tb = top + b, ba = bottom + a, bb = bottom + b;
        out[o] = ((src[ta] * wl + src[tb] * wr) * wt + (src[ba] * wl + src[bb] * wr) * wb +
          ROUND) >> SHIFT;
        out[o + 1] = ((src[ta + 1] * wl + src[tb + 1] * wr) * wt +
          (src[ba + 1] * wl + src[bb + 1] * wr) * wb + ROUND) >> SHIFT;
        out[o + 2] = ((src[ta + 2] * wl + src[tb + 2] * wr) * wt +
          (src[ba + 2] * wl + src[bb + 2] * wr) * wb + ROUND) >> SHIFT;
      }
      continue;
    }
    for (let x = 0; x < width; x++) {
      const a = x0[x];
      const b = x1[x];
      const wr = wx[x];
      const wl = ONE - wr;
      for (let k = 0; k < c; k++) {
        const t = src[top + a + k] * wl + src[top + b + k] * wr;
        const u = src[bottom + a + k] * wl + src[bottom + b + k] * wr;
        out[o++] = (t * wt + u * wb + ROUND) >> SHIFT;
      }
    }
  }
}

/** Copies a packed tile of layout `from` into the canvas in layout `to`. */
function convert(
  tile: Uint8Array,
  from: PixelFormat,
  out: Uint8Array,
  offset: number,
  stride: number,
  to: PixelFormat,
  width: number,
  height: number,
): void {
  const sc = CHANNELS_OF[from];
  const dc = CHANNELS_OF[to];
  const [rs, gs, bs] = RGB_AT[from];
  const [rd, gd, bd] = RGB_AT[to];
  let s = 0;
  for (let y = 0; y < height; y++) {
    let o = offset + y * stride;
    for (let x = 0; x < width; x++, s += sc, o += dc) {
      if (dc === 1) {
        // OpenCV's fixed-point BT.601 weights (14 bits).
        out[o] = sc === 1
          ? tile[s]
          : (tile[s + rs] * 4899 + tile[s + gs] * 9617 + tile[s + bs] * 1868 + 8192) >> 14;
        continue;
      }
      out[o + rd] = tile[s + rs];
      out[o + gd] = tile[s + gs];
      out[o + bd] = tile[s + bs];
    }
  }
}

/** Black but opaque: every alpha byte of an RGBA canvas set to 255. */
function fillAlpha(data: Uint8Array): void {
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
}

function checkSize(name: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new RangeError(
      `Cannot build montages: ${name} must be a positive integer, got ${describeValue(value)}`,
    );
  }
}

function checkFrame(frame: Frame, index: number): void {
  const format = frame?.format ?? "bgr24";
  if (!Object.hasOwn(CHANNELS_OF, format)) {
    throw new TypeError(
      `Cannot build montages: frames[${index}].format must be one of ${
        PIXEL_FORMATS.map((f) => `"${f}"`).join(", ")
      }, got ${describeValue(format)}`,
    );
  }
  checkSize(`frames[${index}].width`, frame.width);
  checkSize(`frames[${index}].height`, frame.height);
  if (frame.channels !== CHANNELS_OF[format]) {
    throw new TypeError(
      `Cannot build montages: frames[${index}].channels must be ${
        CHANNELS_OF[format]
      } for format "${format}", got ${describeValue(frame.channels)}`,
    );
  }
  if (!(frame.data instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot build montages: frames[${index}].data must be a Uint8Array, got ${
        describeValue(frame.data)
      }`,
    );
  }
  const expected = frame.width * frame.height * frame.channels;
  if (frame.data.length !== expected) {
    throw new RangeError(
      `Cannot build montages: frames[${index}].data must hold width * height * channels = ${expected} bytes, got ${frame.data.length}`,
    );
  }
}
