// Draws the synthetic source's moving test pattern: scrolling colour bars, a
// bouncing box in a colour derived from the source's name, and a top band
// with the name and frame number in the built-in font. Every step is a
// typed-array fill, set or copyWithin over whole runs; nothing runs per pixel.
// Private to capture/.

import { CHANNELS_OF, type PixelFormat } from "./frame.ts";
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRow } from "./font.ts";

type Rgb = readonly [number, number, number];

/** 75% colour bars, as on a broadcast test card. */
const BARS: readonly Rgb[] = [
  [191, 191, 191],
  [191, 191, 0],
  [0, 191, 191],
  [0, 191, 0],
  [191, 0, 191],
  [191, 0, 0],
  [0, 0, 191],
  [16, 16, 16],
];

/** Writes one pixel of colour `rgb` in `format` at byte `at`. */
function putPixel(out: Uint8Array, at: number, rgb: Rgb, format: PixelFormat): void {
  const [r, g, b] = rgb;
  switch (format) {
    case "bgr24":
      out[at] = b;
      out[at + 1] = g;
      out[at + 2] = r;
      break;
    case "rgb24":
      out[at] = r;
      out[at + 1] = g;
      out[at + 2] = b;
      break;
    case "rgba":
      out[at] = r;
      out[at + 1] = g;
      out[at + 2] = b;
      out[at + 3] = 255;
      break;
    case "gray":
      out[at] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      break;
  }
}

/** A bright colour picked by hashing `name` (FNV-1a), so streams differ at a glance. */
function accentOf(name: string): Rgb {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const hue = ((hash >>> 0) % 360) / 60;
  const x = Math.round(255 * (1 - Math.abs((hue % 2) - 1)));
  const sextant = Math.floor(hue);
  const table: Rgb[] = [[255, x, 0], [x, 255, 0], [0, 255, x], [0, x, 255], [x, 0, 255], [
    255,
    0,
    x,
  ]];
  return table[sextant];
}

/** Triangle wave: 0 → span → 0 as `t` grows, so the box bounces. */
function bounce(t: number, span: number): number {
  if (span <= 0) return 0;
  const p = t % (2 * span);
  return p <= span ? p : 2 * span - p;
}

/** Renders frames of one source's pattern; cheap to call once per frame. */
export class TestPattern {
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  readonly name: string;
  readonly frameBytes: number;
  #channels: number;
  #rowBytes: number;
  /** Two bar periods side by side, so any scroll offset is one contiguous slice. */
  #bars: Uint8Array;
  #boxRow: Uint8Array;
  #bandRow: Uint8Array;
  #scale: number;
  #bandHeight: number;
  #box: number;
  #step: number;

  constructor(width: number, height: number, format: PixelFormat, name: string) {
    this.width = width;
    this.height = height;
    this.format = format;
    this.name = name;
    const ch = CHANNELS_OF[format];
    this.#channels = ch;
    this.#rowBytes = width * ch;
    this.frameBytes = width * height * ch;

    this.#bars = new Uint8Array(2 * width * ch);
    for (let x = 0; x < 2 * width; x++) {
      const bar = Math.floor(((x % width) * BARS.length) / width);
      putPixel(this.#bars, x * ch, BARS[bar], format);
    }
    // At 640x480 the glyphs are 20x28 pixels: readable in a 4-up montage.
    this.#scale = Math.max(1, Math.floor(height / 120));
    this.#bandHeight = Math.min(height, (GLYPH_HEIGHT + 4) * this.#scale);
    this.#bandRow = new Uint8Array(this.#rowBytes);
    for (let x = 0; x < width; x++) putPixel(this.#bandRow, x * ch, [0, 0, 0], format);
    this.#box = Math.max(1, Math.floor(Math.min(width, height) / 5));
    this.#boxRow = new Uint8Array(Math.min(this.#box, width) * ch);
    const accent = accentOf(name);
    for (let x = 0; x * ch < this.#boxRow.length; x++) {
      putPixel(this.#boxRow, x * ch, accent, format);
    }
    // One full scroll of the bars takes about 120 frames (4 s at 30 fps).
    this.#step = Math.max(1, Math.round(width / 120));
  }

  /** Draws frame number `index` into `out` (exactly `frameBytes` long). */
  render(index: number, out: Uint8Array): void {
    const ch = this.#channels;
    const rowBytes = this.#rowBytes;
    const total = this.frameBytes;

    const offset = ((index * this.#step) % this.width) * ch;
    out.set(this.#bars.subarray(offset, offset + rowBytes), 0);
    for (let filled = rowBytes; filled < total; filled *= 2) {
      out.copyWithin(filled, 0, Math.min(filled, total - filled));
    }

    const box = this.#box;
    const top = this.#bandHeight;
    const x0 = Math.round(bounce(index * this.#step * 0.75, this.width - box));
    const y0 = top + Math.round(bounce(index * this.#step * 0.5, this.height - top - box));
    const yEnd = Math.min(this.height, y0 + box);
    // A white frame around the accent colour keeps the box visible on any bar.
    const edge = this.#scale;
    const inner = this.#boxRow.subarray(0, Math.max(0, box - 2 * edge) * ch);
    for (let y = y0; y < yEnd; y++) {
      const start = (y * this.width + x0) * ch;
      if (y < y0 + edge || y >= yEnd - edge || inner.length === 0) {
        out.fill(255, start, start + this.#boxRow.length);
      } else {
        out.fill(255, start, start + edge * ch);
        out.set(inner, start + edge * ch);
        out.fill(255, start + edge * ch + inner.length, start + this.#boxRow.length);
      }
    }

    const bandBytes = top * rowBytes;
    if (bandBytes > 0) {
      out.set(this.#bandRow, 0);
      for (let filled = rowBytes; filled < bandBytes; filled *= 2) {
        out.copyWithin(filled, 0, Math.min(filled, bandBytes - filled));
      }
    }
    this.#drawText(`${this.name}  #${String(index).padStart(6, "0")}`, out);
  }

  #drawText(text: string, out: Uint8Array): void {
    const s = this.#scale;
    const ch = this.#channels;
    const advance = (GLYPH_WIDTH + 1) * s;
    const left = 2 * s;
    const top = 2 * s;
    if (top + GLYPH_HEIGHT * s > this.height) return;
    const fit = Math.min(text.length, Math.floor((this.width - left) / advance));
    for (let i = 0; i < fit; i++) {
      const code = text.charCodeAt(i);
      const gx = left + i * advance;
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        const bits = glyphRow(code, row);
        if (bits === 0) continue;
        // One fill per run of lit pixels per scaled row; white is 255 in every format.
        let col = 0;
        while (col < GLYPH_WIDTH) {
          if (((bits >> (GLYPH_WIDTH - 1 - col)) & 1) === 0) {
            col++;
            continue;
          }
          let end = col + 1;
          while (end < GLYPH_WIDTH && ((bits >> (GLYPH_WIDTH - 1 - end)) & 1) === 1) end++;
          const x = gx + col * s;
          const runBytes = (end - col) * s * ch;
          for (let dy = 0; dy < s; dy++) {
            const start = ((top + row * s + dy) * this.width + x) * ch;
            out.fill(255, start, start + runBytes);
          }
          col = end;
        }
      }
    }
  }
}
