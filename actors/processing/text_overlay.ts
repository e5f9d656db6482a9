/**
 * Text drawn on frames with a small built-in bitmap font: the counterpart of
 * the seed's `cv2.putText`.
 *
 * @module
 */

import type { Frame } from "../../capture/frame.ts";
import type { Processor, ProcessorContext, ProcessorItem, ProcessorResult } from "./processor.ts";
import {
  checkColor,
  type Color,
  copyFrame,
  drawText,
  fillRect,
  formatOf,
  pixelOf,
  textSize,
} from "./_draw.ts";

export type { Color } from "./_draw.ts";

/** Options for {@linkcode TextOverlay}. */
export interface TextOverlayOptions {
  /**
   * The text, or a function of the item returning it (lines split at "\n";
   * characters outside printable ASCII draw as "?"). Empty text draws nothing.
   *
   * @default {"the item's message, when it is a string or a number"}
   */
  text?: string | ((item: ProcessorItem) => string);
  /**
   * Left edge of the text in pixels; negative counts from the right edge
   * (the text's right side `-x` pixels from it).
   *
   * @default {10}
   */
  x?: number;
  /**
   * Top edge of the text in pixels; negative counts from the bottom edge
   * (the text's bottom `-y` pixels above it), as the seed's
   * `(10, frame.shape[0] - 10)`.
   *
   * @default {-10}
   */
  y?: number;
  /**
   * Size of one font pixel in frame pixels: glyphs are 5x7 times `scale` (an integer 1..32).
   *
   * @default {2}
   */
  scale?: number;
  /**
   * Text colour as `[red, green, blue]`, converted to the frame's layout.
   *
   * @default {[0, 255, 0]}
   */
  color?: Color;
  /**
   * A box drawn behind the text (one `scale` of margin) for legibility.
   *
   * @default {undefined} (none)
   */
  background?: Color;
  /**
   * Draw on the item's frame itself, even if someone else holds it. Off, the
   * frame is copied once per item (an earlier drawing stage's copy is reused).
   *
   * @default {false}
   */
  inPlace?: boolean;
  /**
   * The processor's name.
   *
   * @default {"text-overlay"}
   */
  name?: string;
}

/**
 * Draws text on every frame, in any pixel layout, with the 5x7 ASCII font
 * the synthetic source uses.
 *
 * @example The seed's overlay: the server's message, bottom left, green
 * ```ts
 * import assert from "node:assert/strict";
 * import { TextOverlay } from "./mod.ts";
 *
 * const overlay = new TextOverlay({ text: (item) => String(item.message), x: 10, y: -10, scale: 2 });
 * const frame = { width: 320, height: 240, channels: 3, data: new Uint8Array(320 * 240 * 3) };
 * const result = overlay.process({ port: 5577, frame, message: "I'm Server-1", seq: 0, data: {} });
 * assert.ok(result?.frame !== frame); // drawn on a copy
 * ```
 */
export class TextOverlay implements Processor {
  /** The processor's name. */
  readonly name: string;
  #text: string | ((item: ProcessorItem) => string) | undefined;
  #x: number;
  #y: number;
  #scale: number;
  #color: Color;
  #background: Color | undefined;
  #inPlace: boolean;

  /**
   * Checks the options.
   *
   * @param options See {@linkcode TextOverlayOptions}.
   * @throws {TypeError} `text` is neither a string nor a function, or a colour is malformed.
   * @throws {RangeError} `x` or `y` is not an integer, or `scale` is outside 1..32.
   */
  constructor(options: TextOverlayOptions = {}) {
    const {
      text,
      x = 10,
      y = -10,
      scale = 2,
      color = [0, 255, 0],
      background,
      inPlace = false,
      name = "text-overlay",
    } = options;
    if (text !== undefined && typeof text !== "string" && typeof text !== "function") {
      throw new TypeError(
        `Cannot create TextOverlay: text is ${typeof text}; expected a string or a function of the item`,
      );
    }
    for (const [key, value] of [["x", x], ["y", y]] as const) {
      if (!Number.isInteger(value)) {
        throw new RangeError(`Cannot create TextOverlay: ${key} is ${value}; expected an integer`);
      }
    }
    if (!Number.isInteger(scale) || scale < 1 || scale > 32) {
      throw new RangeError(
        `Cannot create TextOverlay: scale is ${scale}; expected an integer from 1 to 32`,
      );
    }
    this.name = name;
    this.#text = text;
    this.#x = x;
    this.#y = y;
    this.#scale = scale;
    this.#color = checkColor("TextOverlay", "color", color);
    this.#background = background && checkColor("TextOverlay", "background", background);
    this.#inPlace = inPlace;
  }

  /**
   * Draws the text on the item's frame.
   *
   * @param item The item; items without a frame pass unchanged.
   * @param context Supplies the writable frame (outside a pipeline: a copy).
   * @returns The frame with the text, or nothing when there is nothing to draw.
   * @throws {TypeError} The frame's format is unknown.
   * @throws {RangeError} The frame's sizes and data length disagree.
   */
  process(item: ProcessorItem, context?: ProcessorContext): ProcessorResult {
    const source = item.frame;
    if (source === undefined) return undefined;
    const text = this.#textOf(item);
    if (text === "") return undefined;
    const format = formatOf(source, "draw text");
    const frame: Frame = this.#inPlace
      ? source
      : context?.writableFrame(source) ?? copyFrame(source);
    const scale = this.#scale;
    const size = textSize(text, scale);
    const left = this.#x >= 0 ? this.#x : frame.width + this.#x - size.width;
    const top = this.#y >= 0 ? this.#y : frame.height + this.#y - size.height;
    if (this.#background !== undefined) {
      fillRect(
        frame,
        pixelOf(this.#background, format),
        left - scale,
        top - scale,
        size.width + 2 * scale,
        size.height + 2 * scale,
      );
    }
    drawText(frame, pixelOf(this.#color, format), text, left, top, scale);
    return { frame };
  }

  #textOf(item: ProcessorItem): string {
    const text = this.#text;
    if (typeof text === "string") return text;
    if (text !== undefined) return String(text(item));
    const message = item.message;
    return typeof message === "string" || typeof message === "number" ? String(message) : "";
  }
}
