/**
 * JPEG compression of frames with libjpeg-turbo (its TurboJPEG library,
 * called through Deno's FFI): the counterpart of vidgear's `simplejpeg`
 * frame compression, with the same options and defaults.
 *
 * Needs `--allow-ffi` and the TurboJPEG shared library (Debian and Ubuntu:
 * `apt-get install -y libturbojpeg0`; macOS: `brew install jpeg-turbo`).
 *
 * @example Compress a frame and decompress it again
 * ```ts
 * import assert from "node:assert/strict";
 * import { JpegCodec } from "./jpeg.ts";
 *
 * using codec = new JpegCodec();
 * const frame = { width: 64, height: 48, channels: 3, data: new Uint8Array(64 * 48 * 3) };
 * const bytes = codec.encode(frame, { quality: 90 });
 * const back = codec.decode(bytes);
 * assert.ok(back.width === 64 && back.format === "bgr24");
 * ```
 *
 * @module
 */

import { CHANNELS_OF, type Frame, PIXEL_FORMATS, type PixelFormat } from "../../capture/frame.ts";
import { describeValue } from "../../actors/describe.ts";
import { JpegError, JpegUnavailableError } from "./errors.ts";
import {
  defaultLibraryNames,
  installHint,
  lastError,
  openTurbo,
  TJCS_CMYK,
  TJCS_GRAY,
  TJCS_RGB,
  TJCS_YCBCR,
  TJCS_YCCK,
  TJERR_WARNING,
  TJFLAG_ACCURATEDCT,
  TJFLAG_FASTDCT,
  TJFLAG_FASTUPSAMPLE,
  TJFLAG_NOREALLOC,
  TJFLAG_STOPONWARNING,
  TJPF_ABGR,
  TJPF_ARGB,
  TJPF_BGR,
  TJPF_BGRA,
  TJPF_BGRX,
  TJPF_GRAY,
  TJPF_RGB,
  TJPF_RGBA,
  TJPF_RGBX,
  TJPF_XBGR,
  TJPF_XRGB,
  TJSAMP_411,
  TJSAMP_420,
  TJSAMP_422,
  TJSAMP_440,
  TJSAMP_441,
  TJSAMP_444,
  TJSAMP_GRAY,
  type Turbo,
} from "./_jpeg_turbo.ts";

/**
 * vidgear's `jpeg_compression` colourspace names (simplejpeg's) that
 * libjpeg-turbo encodes and a {@linkcode Frame} can come out of: the byte
 * layout of the frames handed to the encoder. `"BGR"`, `"RGB"`, `"RGBA"` and
 * `"GRAY"` are pixel formats of their own; the others are
 * {@linkcode JpegLayout}s. vidgear's twelfth, `"CMYK"`, has no pixel format
 * to decode into.
 */
export type JpegColorspace =
  | "BGR"
  | "RGB"
  | "RGBA"
  | "GRAY"
  | JpegLayout;

/**
 * The 4-bytes-a-pixel layouts a {@linkcode Frame} cannot name: a padding
 * byte (`X`) or an alpha channel (`A`) around the colours, in that order.
 * Frames in one are sent without a `format`, with 4 channels, and arrive as
 * the pixel format of the same colour order (a JPEG keeps no alpha): see
 * {@linkcode FORMAT_OF_COLORSPACE}.
 */
export type JpegLayout = "RGBX" | "BGRX" | "XBGR" | "XRGB" | "BGRA" | "ABGR" | "ARGB";

/** Every {@linkcode JpegColorspace}, in a stable order (for error messages). */
export const JPEG_COLORSPACES: readonly JpegColorspace[] = Object.freeze([
  "BGR",
  "RGB",
  "RGBA",
  "GRAY",
  "RGBX",
  "BGRX",
  "XBGR",
  "XRGB",
  "BGRA",
  "ABGR",
  "ARGB",
]);

/**
 * The pixel format each {@linkcode JpegColorspace} decodes into: its own
 * where a {@linkcode Frame} can hold it, otherwise the one with the same
 * colour order, without the padding or alpha byte (a JPEG keeps none).
 */
export const FORMAT_OF_COLORSPACE: Readonly<Record<JpegColorspace, PixelFormat>> = Object.freeze({
  BGR: "bgr24",
  RGB: "rgb24",
  RGBA: "rgba",
  GRAY: "gray",
  RGBX: "rgb24",
  BGRX: "bgr24",
  XBGR: "bgr24",
  XRGB: "rgb24",
  BGRA: "bgr24",
  ABGR: "bgr24",
  ARGB: "rgb24",
});

const LAYOUT_CODE: Readonly<Record<JpegLayout, number>> = Object.freeze({
  RGBX: TJPF_RGBX,
  BGRX: TJPF_BGRX,
  XBGR: TJPF_XBGR,
  XRGB: TJPF_XRGB,
  BGRA: TJPF_BGRA,
  ABGR: TJPF_ABGR,
  ARGB: TJPF_ARGB,
});

/** Bytes per pixel of every {@linkcode JpegLayout}. */
export const LAYOUT_CHANNELS = 4;

/**
 * Whether a colourspace is a {@linkcode JpegLayout} (one a Frame cannot name).
 *
 * @param colorspace A colourspace.
 * @returns `true` for the padded and alpha layouts other than RGBA.
 */
export function isJpegLayout(colorspace: JpegColorspace): colorspace is JpegLayout {
  return Object.hasOwn(LAYOUT_CODE, colorspace);
}

/** Every valid value of vidgear's `jpeg_compression`, for error messages. */
export const JPEG_COMPRESSION_CHOICES: string = `true, false or a colourspace (${
  JPEG_COLORSPACES.join(", ")
}); not CMYK, which no pixel format can hold`;

/**
 * Chroma subsampling of a colour JPEG: `"444"` keeps full colour resolution,
 * `"422"` halves it horizontally (vidgear's choice), `"420"` in both
 * directions; `"gray"` stores luminance only.
 */
export type JpegSubsampling = "444" | "422" | "420" | "gray";

/** Every {@linkcode JpegSubsampling}, in a stable order (for error messages). */
export const JPEG_SUBSAMPLINGS: readonly JpegSubsampling[] = Object.freeze([
  "444",
  "422",
  "420",
  "gray",
]);

/** The value of vidgear's `jpeg_compression` option, resolved. */
export interface JpegCompression {
  /** Whether frames are JPEG-compressed before sending. */
  enabled: boolean;
  /**
   * The pixel format of frames that carry no `format`, and of the decoded
   * image (see {@linkcode FORMAT_OF_COLORSPACE}); `undefined` when the
   * option was a boolean.
   */
  format?: PixelFormat;
  /**
   * When the colourspace is a {@linkcode JpegLayout}: the byte layout of
   * frames that carry no `format` (4 channels), which `format` then only
   * describes once decoded.
   */
  layout?: JpegLayout;
}

/**
 * Resolves vidgear's `jpegCompression` option: `true`/`false` switch
 * compression on or off; a colourspace name (any case, surrounding spaces
 * ignored, as in vidgear) switches it on and names the layout of the input
 * frames.
 *
 * Every colourspace of vidgear's but `"CMYK"` is accepted; the
 * {@linkcode JpegLayout}s, which a {@linkcode Frame} cannot name, come with
 * `layout` (see {@linkcode JpegCompression}).
 *
 * @param value The option's value.
 * @returns Whether compression is on, and the declared input layout.
 * @throws {TypeError} If `value` is neither a boolean nor a string.
 * @throws {RangeError} If `value` is a string that is not a {@linkcode JpegColorspace}.
 * @example Read the option
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveJpegCompression } from "./jpeg.ts";
 *
 * assert.ok(resolveJpegCompression(" gray ").format === "gray");
 * assert.ok(resolveJpegCompression(false).enabled === false);
 * ```
 */
export function resolveJpegCompression(value: boolean | string): JpegCompression {
  if (typeof value === "boolean") return { enabled: value };
  if (typeof value !== "string") {
    throw new TypeError(
      `Cannot resolve option "jpegCompression": expected a boolean or one of ${
        JPEG_COLORSPACES.map((c) => `"${c}"`).join(", ")
      }, got ${describeValue(value)}`,
    );
  }
  const name = value.trim().toUpperCase();
  if (!(JPEG_COLORSPACES as readonly string[]).includes(name)) {
    throw new RangeError(
      `Cannot resolve option "jpegCompression": colourspace ${
        JSON.stringify(value)
      } is not supported${
        name === "CMYK" ? " (no pixel format can hold CMYK; convert the frames to RGB or BGR)" : ""
      }; valid choices are true, false, ${JPEG_COLORSPACES.map((c) => `"${c}"`).join(", ")}`,
    );
  }
  const colorspace = name as JpegColorspace;
  const format = FORMAT_OF_COLORSPACE[colorspace];
  return isJpegLayout(colorspace)
    ? { enabled: true, format, layout: colorspace }
    : { enabled: true, format };
}

/** Options for {@linkcode JpegCodec}'s constructor. */
export interface JpegCodecOptions {
  /**
   * The TurboJPEG shared library to load, as a file name or path. When unset,
   * the platform's usual names are tried (`libturbojpeg.so.0` on Linux,
   * `libturbojpeg.0.dylib` and Homebrew's paths on macOS, `turbojpeg.dll` on
   * Windows).
   *
   * @default {undefined}
   */
  libraryPath?: string;
}

/** Options for {@linkcode JpegCodec.encode}. */
export interface JpegEncodeOptions {
  /**
   * JPEG quality, an integer 1..100 (vidgear's `jpeg_compression_quality`
   * allows 10..100).
   *
   * @default {90}
   */
  quality?: number;
  /**
   * Use the fast integer DCT (vidgear's `jpeg_compression_fastdct`): a few
   * percent faster for a barely visible loss. At quality 96 and above
   * libjpeg-turbo 2.x always uses the accurate DCT.
   *
   * @default {true}
   */
  fastDct?: boolean;
  /**
   * Chroma subsampling of colour frames; gray frames always make a grayscale
   * JPEG.
   *
   * @default {"422"}
   */
  subsampling?: JpegSubsampling;
  /**
   * The layout of frames whose `format` is absent (vidgear's colourspace);
   * a frame's own `format` always wins.
   *
   * @default {"bgr24"}
   */
  defaultFormat?: PixelFormat;
  /**
   * The byte layout of frames whose `format` is absent, when it is one a
   * {@linkcode Frame} cannot name (a {@linkcode JpegLayout}, 4 channels);
   * it wins over `defaultFormat`. The JPEG keeps the colours, not the
   * padding or alpha.
   *
   * @default {undefined}
   */
  layout?: JpegLayout;
}

/** Options for {@linkcode JpegCodec.decode}. */
export interface JpegDecodeOptions {
  /**
   * The pixel layout to decode into. A colour JPEG decoded to `"gray"` keeps
   * its luminance; a grayscale JPEG decoded to colour repeats it in every
   * channel; `"rgba"` gets an opaque alpha channel.
   *
   * @default {"gray" for a grayscale JPEG, otherwise "bgr24"}
   */
  format?: PixelFormat;
  /**
   * Use the fast integer inverse DCT (vidgear's `jpeg_compression_fastdct`).
   *
   * @default {true}
   */
  fastDct?: boolean;
  /**
   * Upsample chroma by replication instead of smoothing (vidgear's
   * `jpeg_compression_fastupsample`): faster, slightly blockier colour edges.
   *
   * @default {false}
   */
  fastUpsample?: boolean;
  /**
   * Reject JPEGs that libjpeg-turbo decodes only with a warning, such as
   * truncated or corrupt data (it would fill the missing part with gray).
   *
   * @default {true}
   */
  strict?: boolean;
  /**
   * The largest image accepted, in pixels, checked from the header before
   * anything is allocated, so a hostile header cannot make the decoder
   * allocate gigabytes.
   *
   * @default {33177600 (7680 x 4320)}
   */
  maxPixels?: number;
}

/** What a JPEG's header says, from {@linkcode JpegCodec.info}. */
export interface JpegInfo {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Chroma subsampling; `"440"`, `"411"`, `"441"` or `"unknown"` for uncommon ones. */
  subsampling: JpegSubsampling | "440" | "411" | "441" | "unknown";
  /** The colour space the JPEG stores. */
  colorspace: "ycbcr" | "gray" | "rgb" | "cmyk" | "ycck" | "unknown";
}

const PIXEL_FORMAT_CODE: Readonly<Record<PixelFormat, number>> = {
  bgr24: TJPF_BGR,
  rgb24: TJPF_RGB,
  rgba: TJPF_RGBA,
  gray: TJPF_GRAY,
};
const SUBSAMPLING_CODE: Readonly<Record<JpegSubsampling, number>> = {
  "444": TJSAMP_444,
  "422": TJSAMP_422,
  "420": TJSAMP_420,
  gray: TJSAMP_GRAY,
};
const SUBSAMPLING_NAME: Readonly<Record<number, JpegInfo["subsampling"]>> = {
  [TJSAMP_444]: "444",
  [TJSAMP_422]: "422",
  [TJSAMP_420]: "420",
  [TJSAMP_GRAY]: "gray",
  [TJSAMP_440]: "440",
  [TJSAMP_411]: "411",
  [TJSAMP_441]: "441",
};
const COLORSPACE_NAME: Readonly<Record<number, JpegInfo["colorspace"]>> = {
  [TJCS_RGB]: "rgb",
  [TJCS_YCBCR]: "ycbcr",
  [TJCS_GRAY]: "gray",
  [TJCS_CMYK]: "cmyk",
  [TJCS_YCCK]: "ycck",
};
const DEFAULT_MAX_PIXELS = 7680 * 4320;
/** JPEG stores dimensions in 16 bits. */
const MAX_DIMENSION = 65535;

/** TurboJPEG handles of one codec, freed on close or, if never closed, on collection. */
interface Handles {
  compress: Deno.PointerValue;
  decompress: Deno.PointerValue;
  turbo: Turbo;
}

function destroy(handles: Handles): void {
  if (handles.compress !== null) handles.turbo.lib.tjDestroy(handles.compress);
  if (handles.decompress !== null) handles.turbo.lib.tjDestroy(handles.decompress);
  handles.compress = null;
  handles.decompress = null;
}

const unclosed = new FinalizationRegistry<Handles>(destroy);

/**
 * Encodes frames to JPEG and decodes them back with libjpeg-turbo.
 *
 * All calls are synchronous: a 640x480 frame takes about a millisecond,
 * less than a hop to a worker thread would cost. A codec keeps one
 * compressor, one decompressor and one output buffer; use one codec per
 * stream (it is not meant to be shared by concurrent workers).
 *
 * @example Compress a gray frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { JpegCodec } from "./jpeg.ts";
 *
 * using codec = new JpegCodec();
 * const gray = { width: 16, height: 16, channels: 1, format: "gray" as const, data: new Uint8Array(256).fill(128) };
 * const back = codec.decode(codec.encode(gray));
 * assert.ok(back.format === "gray" && Math.abs(back.data[0] - 128) <= 1);
 * ```
 */
export class JpegCodec {
  #handles: Handles;
  #closed = false;
  #out = new Uint8Array(0);
  // Out-parameters, made once: the output pointer, its size, and header fields.
  #outPointer = new BigUint64Array(1);
  #outSize: BigUint64Array | Uint32Array;
  #width = new Int32Array(1);
  #height = new Int32Array(1);
  #subsampling = new Int32Array(1);
  #colorspace = new Int32Array(1);

  /**
   * Loads libjpeg-turbo (once per process) and makes a codec.
   *
   * @param options Where the library is.
   * @throws {JpegUnavailableError} If the TurboJPEG library cannot be loaded;
   *   the message says how to install it.
   * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
   */
  constructor(options: JpegCodecOptions = {}) {
    this.#handles = { compress: null, decompress: null, turbo: loadTurbo(options) };
    this.#outSize = this.#handles.turbo.ulongBytes === 8
      ? new BigUint64Array(1)
      : new Uint32Array(1);
    unclosed.register(this, this.#handles, this);
  }

  /**
   * Whether libjpeg-turbo can be loaded here, to decide before enabling
   * compression (vidgear turns it off when its encoder is missing).
   *
   * @param options Where the library is.
   * @returns `true` if a codec can be made.
   * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
   * @example Enable compression only where it works
   * ```ts
   * import assert from "node:assert/strict";
   * import { JpegCodec } from "./jpeg.ts";
   *
   * const jpegCompression = JpegCodec.isAvailable();
   * assert.ok(typeof jpegCompression === "boolean");
   * ```
   */
  static isAvailable(options: JpegCodecOptions = {}): boolean {
    try {
      loadTurbo(options);
      return true;
    } catch (error) {
      if (error instanceof JpegUnavailableError) return false;
      throw error;
    }
  }

  /** Whether {@linkcode JpegCodec.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Compresses a frame to a JPEG file (JFIF).
   *
   * @param frame The frame; `gray` frames make a grayscale JPEG, `rgba`
   *   frames lose their alpha channel.
   * @param options Quality, DCT, subsampling and the layout of frames without `format`.
   * @returns The JPEG bytes, a new array the caller owns.
   * @throws {TypeError} If the frame or an option is malformed.
   * @throws {RangeError} If the frame's size or an option is out of range.
   * @throws {JpegError} If the codec is closed (`"closed"`) or libjpeg-turbo fails (`"library"`).
   * @example Compress at quality 75 with full colour resolution
   * ```ts
   * import assert from "node:assert/strict";
   * import { JpegCodec } from "./jpeg.ts";
   *
   * using codec = new JpegCodec();
   * const frame = { width: 32, height: 32, channels: 3, data: new Uint8Array(32 * 32 * 3) };
   * const bytes = codec.encode(frame, { quality: 75, subsampling: "444" });
   * assert.ok(bytes[0] === 0xff && bytes[1] === 0xd8);
   * ```
   */
  encode(frame: Frame, options: JpegEncodeOptions = {}): Uint8Array {
    const quality = options.quality ?? 90;
    if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
      throw new RangeError(
        `Cannot encode JPEG: option "quality" must be an integer 1..100, got ${
          describeValue(quality)
        }`,
      );
    }
    const subsampling = options.subsampling ?? "422";
    if (!Object.hasOwn(SUBSAMPLING_CODE, subsampling)) {
      throw new TypeError(
        `Cannot encode JPEG: option "subsampling" must be one of ${
          JPEG_SUBSAMPLINGS.map((s) => `"${s}"`).join(", ")
        }, got ${describeValue(subsampling)}`,
      );
    }
    const defaultFormat = options.defaultFormat ?? "bgr24";
    checkFormat("encode", "defaultFormat", defaultFormat);
    const layout = frame.format === undefined ? options.layout : undefined;
    if (layout !== undefined && !Object.hasOwn(LAYOUT_CODE, layout)) {
      throw new TypeError(
        `Cannot encode JPEG: option "layout" must be one of ${
          Object.keys(LAYOUT_CODE).map((l) => `"${l}"`).join(", ")
        }, got ${describeValue(layout)}`,
      );
    }
    const format = frame.format ?? defaultFormat;
    checkFrame(frame, format, layout);
    if (this.#closed) throw closedError("encode");

    const { turbo } = this.#handles;
    const handle = this.#handles.compress ??= turbo.lib.tjInitCompress();
    if (handle === null) {
      throw new JpegError(
        "encode",
        "library",
        `Cannot encode JPEG: tjInitCompress failed: ${lastError(turbo.lib, null)}`,
      );
    }
    const samp = format === "gray" ? TJSAMP_GRAY : SUBSAMPLING_CODE[subsampling];
    this.#reserve(Number(turbo.lib.tjBufSize(frame.width, frame.height, samp)));
    this.#outSize[0] = this.#outSize instanceof BigUint64Array
      ? BigInt(this.#out.length)
      : this.#out.length;
    // Explicit both ways: libjpeg-turbo 2.x compresses with the fast DCT by
    // default below quality 96, 3.x with the accurate one.
    const flags = TJFLAG_NOREALLOC |
      (options.fastDct ?? true ? TJFLAG_FASTDCT : TJFLAG_ACCURATEDCT);
    const status = turbo.lib.tjCompress2(
      handle,
      frame.data,
      frame.width,
      0,
      frame.height,
      layout === undefined ? PIXEL_FORMAT_CODE[format] : LAYOUT_CODE[layout],
      this.#outPointer,
      this.#outSize,
      samp,
      quality,
      flags,
    );
    if (status !== 0) {
      throw new JpegError(
        "encode",
        "library",
        `Cannot encode JPEG: libjpeg-turbo failed: ${lastError(turbo.lib, handle)}`,
      );
    }
    return this.#out.slice(0, Number(this.#outSize[0]));
  }

  /**
   * Reads a JPEG's header: its size, subsampling and colour space, without
   * decoding the image.
   *
   * @param bytes The JPEG file.
   * @returns What the header says.
   * @throws {TypeError} If `bytes` is not a `Uint8Array`.
   * @throws {JpegError} If the bytes are not a JPEG (`"invalid-jpeg"`) or the
   *   codec is closed (`"closed"`).
   * @example Read a JPEG's size
   * ```ts
   * import assert from "node:assert/strict";
   * import { JpegCodec } from "./jpeg.ts";
   *
   * using codec = new JpegCodec();
   * const frame = { width: 20, height: 10, channels: 3, data: new Uint8Array(600) };
   * const info = codec.info(codec.encode(frame));
   * assert.ok(info.width === 20 && info.subsampling === "422");
   * ```
   */
  info(bytes: Uint8Array): JpegInfo {
    this.#readHeader(bytes);
    return {
      width: this.#width[0],
      height: this.#height[0],
      subsampling: SUBSAMPLING_NAME[this.#subsampling[0]] ?? "unknown",
      colorspace: COLORSPACE_NAME[this.#colorspace[0]] ?? "unknown",
    };
  }

  /**
   * Decompresses a JPEG file into a frame.
   *
   * @param bytes The JPEG file.
   * @param options Output layout, DCT and upsampling, strictness, size limit.
   * @returns A new frame the caller owns.
   * @throws {TypeError} If `bytes` is not a `Uint8Array` or an option is malformed.
   * @throws {RangeError} If `maxPixels` is not a positive integer.
   * @throws {JpegError} If the bytes are not a decodable JPEG
   *   (`"invalid-jpeg"`; `warning` is set for truncated or corrupt data), the
   *   image is larger than `maxPixels` (`"too-large"`) or the codec is closed
   *   (`"closed"`).
   * @example Decode to RGB with fast upsampling
   * ```ts
   * import assert from "node:assert/strict";
   * import { JpegCodec } from "./jpeg.ts";
   *
   * using codec = new JpegCodec();
   * const frame = { width: 8, height: 8, channels: 3, data: new Uint8Array(192) };
   * const rgb = codec.decode(codec.encode(frame), { format: "rgb24", fastUpsample: true });
   * assert.ok(rgb.format === "rgb24" && rgb.data.length === 192);
   * ```
   */
  decode(bytes: Uint8Array, options: JpegDecodeOptions = {}): Frame {
    if (options.format !== undefined) checkFormat("decode", "format", options.format);
    const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) {
      throw new RangeError(
        `Cannot decode JPEG: option "maxPixels" must be a positive integer, got ${
          describeValue(maxPixels)
        }`,
      );
    }
    const handle = this.#readHeader(bytes);
    const width = this.#width[0];
    const height = this.#height[0];
    if (width * height > maxPixels) {
      throw new JpegError(
        "decode",
        "too-large",
        `Cannot decode JPEG: its header announces ${width}x${height} = ${
          width * height
        } pixels, more than option "maxPixels" allows (${maxPixels})`,
      );
    }
    const format = options.format ?? (this.#colorspace[0] === TJCS_GRAY ? "gray" : "bgr24");
    const channels = CHANNELS_OF[format];
    const data = new Uint8Array(width * height * channels);
    const strict = options.strict ?? true;
    const flags = (options.fastDct ?? true ? TJFLAG_FASTDCT : 0) |
      (options.fastUpsample ? TJFLAG_FASTUPSAMPLE : 0) |
      (strict ? TJFLAG_STOPONWARNING : 0);
    const { lib } = this.#handles.turbo;
    const status = lib.tjDecompress2(
      handle,
      bytes,
      bytes.length,
      data,
      width,
      0,
      height,
      PIXEL_FORMAT_CODE[format],
      flags,
    );
    if (status !== 0) {
      const warning = lib.tjGetErrorCode(handle) === TJERR_WARNING;
      if (strict || !warning) {
        throw new JpegError(
          "decode",
          "invalid-jpeg",
          `Cannot decode JPEG: libjpeg-turbo rejected the data: ${lastError(lib, handle)}`,
          { warning },
        );
      }
    }
    return { width, height, channels, format, data };
  }

  /**
   * Frees libjpeg-turbo's handles. Safe to call twice; later calls to
   * `encode`, `decode` and `info` throw a {@linkcode JpegError} (`"closed"`).
   *
   * @example Close twice
   * ```ts
   * import assert from "node:assert/strict";
   * import { JpegCodec } from "./jpeg.ts";
   *
   * const codec = new JpegCodec();
   * codec.close();
   * codec.close();
   * assert.ok(codec.closed);
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    unclosed.unregister(this);
    destroy(this.#handles);
    this.#out = new Uint8Array(0);
  }

  /** Same as {@linkcode JpegCodec.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Same as {@linkcode JpegCodec.close}, for `await using`.
   *
   * @returns A promise that resolves once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /** Reads the header into the out-parameters; returns the decompressor. */
  #readHeader(bytes: Uint8Array): NonNullable<Deno.PointerValue> {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`Cannot decode JPEG: expected a Uint8Array, got ${describeValue(bytes)}`);
    }
    if (this.#closed) throw closedError("decode");
    // libjpeg-turbo would say "Invalid argument" for these; say what is wrong.
    if (bytes.length < 3 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) {
      throw new JpegError(
        "decode",
        "invalid-jpeg",
        `Cannot decode JPEG: the data must start with the JPEG markers FF D8 FF, got ${
          bytes.length === 0 ? "no bytes" : hex(bytes.subarray(0, 3))
        }`,
      );
    }
    const { lib } = this.#handles.turbo;
    const handle = this.#handles.decompress ??= lib.tjInitDecompress();
    if (handle === null) {
      throw new JpegError(
        "decode",
        "library",
        `Cannot decode JPEG: tjInitDecompress failed: ${lastError(lib, null)}`,
      );
    }
    const status = lib.tjDecompressHeader3(
      handle,
      bytes,
      bytes.length,
      this.#width,
      this.#height,
      this.#subsampling,
      this.#colorspace,
    );
    if (status !== 0 || this.#width[0] < 1 || this.#height[0] < 1) {
      throw new JpegError(
        "decode",
        "invalid-jpeg",
        `Cannot decode JPEG: its header is unreadable: ${
          status !== 0 ? lastError(lib, handle) : "it announces an empty image"
        }`,
      );
    }
    return handle;
  }

  /** Makes the output buffer hold at least `bytes`, and points the out-parameter at it. */
  #reserve(bytes: number): void {
    if (this.#out.length >= bytes) return;
    this.#out = new Uint8Array(bytes);
    this.#outPointer[0] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.#out)));
  }
}

function loadTurbo(options: JpegCodecOptions): Turbo {
  const os = Deno.build.os;
  const paths = options.libraryPath === undefined ? defaultLibraryNames(os) : [options.libraryPath];
  const opened = openTurbo(paths);
  if (!Array.isArray(opened)) return opened;
  throw new JpegUnavailableError(
    paths,
    `Cannot load libjpeg-turbo: its TurboJPEG library was not found (tried ${paths.join(", ")}); ${
      installHint(os)
    }, or pass its path as option "libraryPath"`,
    { cause: new AggregateError(opened, "dlopen failed for every path") },
  );
}

function checkFormat(operation: "encode" | "decode", option: string, format: unknown): void {
  if (typeof format === "string" && Object.hasOwn(CHANNELS_OF, format)) return;
  throw new TypeError(
    `Cannot ${operation} JPEG: option "${option}" must be one of ${
      PIXEL_FORMATS.map((f) => `"${f}"`).join(", ")
    }, got ${describeValue(format)}`,
  );
}

function checkFrame(frame: Frame, format: PixelFormat, layout: JpegLayout | undefined): void {
  checkFormat("encode", "frame.format", format);
  for (const key of ["width", "height"] as const) {
    const value = frame[key];
    if (!Number.isInteger(value) || value < 1 || value > MAX_DIMENSION) {
      throw new RangeError(
        `Cannot encode JPEG: frame.${key} must be an integer 1..${MAX_DIMENSION}, got ${
          describeValue(value)
        }`,
      );
    }
  }
  const channels = layout === undefined ? CHANNELS_OF[format] : LAYOUT_CHANNELS;
  if (frame.channels !== channels) {
    throw new TypeError(
      `Cannot encode JPEG: frame.channels must be ${channels} for ${
        layout === undefined ? `format "${format}"` : `layout "${layout}"`
      }, got ${describeValue(frame.channels)}`,
    );
  }
  if (!(frame.data instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot encode JPEG: frame.data must be a Uint8Array, got ${describeValue(frame.data)}`,
    );
  }
  const expected = frame.width * frame.height * frame.channels;
  if (frame.data.length !== expected) {
    throw new RangeError(
      `Cannot encode JPEG: frame.data must hold width * height * channels = ${expected} bytes, got ${frame.data.length}`,
    );
  }
}

function closedError(operation: "encode" | "decode"): JpegError {
  return new JpegError(
    operation,
    "closed",
    `Cannot ${operation} JPEG: the codec is closed`,
  );
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ");
}
