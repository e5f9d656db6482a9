/**
 * Turns a {@linkcode Frame} of any {@linkcode PixelFormat} into the RGBA
 * image MediaPipe uploads, reusing one buffer across frames of the same size.
 *
 * @module
 */

import { CHANNELS_OF, type Frame, PIXEL_FORMATS, type PixelFormat } from "../../capture/frame.ts";

/** The ImageData fields MediaPipe and the WebGL2 stand-in read. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: ArrayBufferView;
}

/** Stands in for `ImageData` where the runtime has none; kept local, never made global. */
class PlainRgbaImage implements RgbaImage {
  readonly colorSpace = "srgb";
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}

function makeImage(data: Uint8ClampedArray<ArrayBuffer>, width: number, height: number): RgbaImage {
  const ImageDataClass = (globalThis as { ImageData?: typeof ImageData }).ImageData;
  return ImageDataClass
    ? new ImageDataClass(data, width, height)
    : new PlainRgbaImage(data, width, height);
}

/**
 * Checks a frame against its own description.
 *
 * @param frame The frame to check.
 * @param what The operation, for messages ("detect faces").
 * @returns The frame's pixel format.
 * @throws {TypeError} When the format is unknown or the data is not a Uint8Array.
 * @throws {RangeError} When sizes, channels and data length disagree.
 */
export function checkFrame(frame: Frame, what: string): PixelFormat {
  const format = frame?.format ?? "bgr24";
  if (!(format in CHANNELS_OF)) {
    throw new TypeError(
      `Cannot ${what}: frame.format=${JSON.stringify(format)} is not one of ${
        PIXEL_FORMATS.join(", ")
      }`,
    );
  }
  const { width, height, channels, data } = frame;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new RangeError(
      `Cannot ${what}: frame size ${width}x${height} is not two positive integers`,
    );
  }
  if (channels !== CHANNELS_OF[format]) {
    throw new RangeError(
      `Cannot ${what}: frame.channels=${channels} does not match format "${format}" ` +
        `(${CHANNELS_OF[format]} channels)`,
    );
  }
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`Cannot ${what}: frame.data is not a Uint8Array`);
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `Cannot ${what}: frame.data holds ${data.length} bytes, not ` +
        `width*height*channels = ${width}*${height}*${channels} = ${width * height * channels}`,
    );
  }
  return format;
}

/** Converts frames to RGBA into a buffer kept between calls. */
export class RgbaConverter {
  #buffer = new Uint8ClampedArray(0);
  #image: RgbaImage | undefined;

  /**
   * Returns `frame` as RGBA. The result is valid until the next call.
   *
   * @param frame A frame already passed through {@linkcode checkFrame}.
   * @param format Its pixel format.
   * @returns An ImageData (or look-alike) over the reused buffer, or over
   *   `frame.data` itself for `"rgba"` frames.
   */
  convert(frame: Frame, format: PixelFormat): RgbaImage {
    const { width, height, data } = frame;
    if (format === "rgba") {
      return makeImage(
        new Uint8ClampedArray(data.buffer as ArrayBuffer, data.byteOffset, data.length),
        width,
        height,
      );
    }
    const pixels = width * height;
    let image = this.#image;
    if (image?.width !== width || image.height !== height) {
      this.#buffer = new Uint8ClampedArray(pixels * 4);
      image = this.#image = makeImage(this.#buffer, width, height);
    }
    const out = this.#buffer;
    // Plain indexed loops: this runs for every pixel of every frame.
    if (format === "gray") {
      for (let s = 0, d = 0; s < pixels; s++, d += 4) {
        const v = data[s];
        out[d] = v;
        out[d + 1] = v;
        out[d + 2] = v;
        out[d + 3] = 255;
      }
    } else if (format === "rgb24") {
      for (let s = 0, d = 0; s < pixels * 3; s += 3, d += 4) {
        out[d] = data[s];
        out[d + 1] = data[s + 1];
        out[d + 2] = data[s + 2];
        out[d + 3] = 255;
      }
    } else {
      for (let s = 0, d = 0; s < pixels * 3; s += 3, d += 4) {
        out[d] = data[s + 2];
        out[d + 1] = data[s + 1];
        out[d + 2] = data[s];
        out[d + 3] = 255;
      }
    }
    return image;
  }
}
