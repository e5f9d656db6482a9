// The arithmetic of motion detection, on flat typed arrays: box-averaged
// grayscale, thresholded differencing, 8-connected regions, and merging of
// regions that lie close together. Scratch buffers are reused across frames.

import type { Frame, PixelFormat } from "../../capture/frame.ts";
import { RGB_AT } from "./_draw.ts";

/** A region in frame pixels; `area` counts changed pixels, not the box. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
  area: number;
}

/**
 * Writes the frame's luma, averaged over `factor` x `factor` blocks, into
 * `out` (`floor(width / factor)` x `floor(height / factor)`; leftover edge
 * pixels are ignored). BT.601 weights in 8-bit fixed point (77, 150, 29).
 */
export function grayDownscaled(
  frame: Frame,
  format: PixelFormat,
  factor: number,
  out: Uint8Array,
  sums: Uint32Array,
): void {
  const { width, data, channels } = frame;
  const outWidth = Math.floor(width / factor);
  const outHeight = Math.floor(frame.height / factor);
  const [r, g, b] = RGB_AT[format];
  const stride = width * channels;
  const divisor = factor * factor * 256;
  for (let oy = 0; oy < outHeight; oy++) {
    sums.fill(0, 0, outWidth);
    for (let sy = 0; sy < factor; sy++) {
      let p = (oy * factor + sy) * stride;
      for (let ox = 0; ox < outWidth; ox++) {
        let sum = 0;
        for (let sx = 0; sx < factor; sx++, p += channels) {
          sum += 77 * data[p + r] + 150 * data[p + g] + 29 * data[p + b];
        }
        sums[ox] += sum;
      }
    }
    const row = oy * outWidth;
    for (let ox = 0; ox < outWidth; ox++) out[row + ox] = (sums[ox] / divisor) | 0;
  }
}

/** Sets `mask[i]` to 1 where the frames differ by more than `threshold`; returns how many. */
export function differenceMask(
  current: Uint8Array,
  previous: Uint8Array,
  threshold: number,
  mask: Uint8Array,
  length: number,
): number {
  let changed = 0;
  for (let i = 0; i < length; i++) {
    const d = current[i] - previous[i];
    if (d > threshold || d < -threshold) {
      mask[i] = 1;
      changed++;
    } else {
      mask[i] = 0;
    }
  }
  return changed;
}

/** Bounding boxes (inclusive, in mask cells) and cell counts of connected components. */
export interface Components {
  count: number;
  minX: Int32Array;
  minY: Int32Array;
  maxX: Int32Array;
  maxY: Int32Array;
  cells: Int32Array;
}

/**
 * Finds the 8-connected components of the set cells of `mask` by flood fill
 * with an explicit stack (no recursion), clearing the mask as it goes.
 * Components past the arrays' length are folded into the last one, so a
 * noisy frame costs bounded memory.
 */
export function components(
  mask: Uint8Array,
  width: number,
  height: number,
  stack: Int32Array,
  out: Components,
): void {
  const limit = out.cells.length;
  let count = 0;
  const size = width * height;
  for (let start = 0; start < size; start++) {
    if (mask[start] === 0) continue;
    let minX = width, minY = height, maxX = -1, maxY = -1, cells = 0;
    let top = 0;
    stack[top++] = start;
    mask[start] = 0;
    while (top > 0) {
      const i = stack[--top];
      const y = (i / width) | 0;
      const x = i - y * width;
      cells++;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      const x0 = x > 0 ? x - 1 : 0;
      const x1 = x < width - 1 ? x + 1 : x;
      const y0 = y > 0 ? y - 1 : 0;
      const y1 = y < height - 1 ? y + 1 : y;
      for (let ny = y0; ny <= y1; ny++) {
        for (let j = ny * width + x0, end = ny * width + x1; j <= end; j++) {
          if (mask[j] !== 0) {
            mask[j] = 0;
            stack[top++] = j;
          }
        }
      }
    }
    if (count < limit) {
      const c = count++;
      out.minX[c] = minX;
      out.minY[c] = minY;
      out.maxX[c] = maxX;
      out.maxY[c] = maxY;
      out.cells[c] = cells;
    } else {
      const c = limit - 1;
      out.minX[c] = Math.min(out.minX[c], minX);
      out.minY[c] = Math.min(out.minY[c], minY);
      out.maxX[c] = Math.max(out.maxX[c], maxX);
      out.maxY[c] = Math.max(out.maxY[c], maxY);
      out.cells[c] += cells;
    }
  }
  out.count = count;
}

/**
 * Merges boxes closer than `gap` cells (in both directions) until no two
 * are, then scales them to frame pixels (`factor`) and keeps those whose
 * changed area reaches `minArea` frame pixels, largest first.
 */
export function mergeRegions(
  found: Components,
  gap: number,
  factor: number,
  minArea: number,
): Region[] {
  let boxes: Region[] = [];
  for (let c = 0; c < found.count; c++) {
    boxes.push({
      x: found.minX[c],
      y: found.minY[c],
      width: found.maxX[c], // holds maxX until scaled
      height: found.maxY[c], // holds maxY until scaled
      area: found.cells[c],
    });
  }
  for (let merged = true; merged && boxes.length > 1;) {
    merged = false;
    boxes.sort((a, b) => a.x - b.x);
    const next: Region[] = [];
    const used = new Uint8Array(boxes.length);
    for (let i = 0; i < boxes.length; i++) {
      if (used[i]) continue;
      const box = { ...boxes[i] };
      // Boxes are sorted by left edge: stop once one starts past this box's reach.
      for (let j = i + 1; j < boxes.length && boxes[j].x <= box.width + gap + 1; j++) {
        if (used[j]) continue;
        const other = boxes[j];
        if (other.y > box.height + gap + 1 || box.y > other.height + gap + 1) continue;
        box.x = Math.min(box.x, other.x);
        box.y = Math.min(box.y, other.y);
        box.width = Math.max(box.width, other.width);
        box.height = Math.max(box.height, other.height);
        box.area += other.area;
        used[j] = 1;
        merged = true;
      }
      next.push(box);
    }
    boxes = next;
  }
  const regions: Region[] = [];
  const cellArea = factor * factor;
  for (const box of boxes) {
    const area = box.area * cellArea;
    if (area < minArea) continue;
    regions.push({
      x: box.x * factor,
      y: box.y * factor,
      width: (box.width - box.x + 1) * factor,
      height: (box.height - box.y + 1) * factor,
      area,
    });
  }
  return regions.sort((a, b) => b.area - a.area);
}
