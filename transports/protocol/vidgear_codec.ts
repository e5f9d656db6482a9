/**
 * vidgear 0.3.5's own NetGear wire format, multi-server mode: a JSON header
 * and the frame's bytes per message, so that a Python camera running
 * vidgear can stream to an ActorGear client and an ActorGear server to a
 * vidgear client. VIDGEAR.md beside this file describes the format and how
 * each key maps to ActorGear's values.
 *
 * {@linkcode VidgearCodec} turns ActorGear's values (a {@linkcode Frame},
 * JPEG bytes, a message, a terminate, a reply) into the parts of one ZeroMQ
 * message and back. It does no I/O and decodes no JPEG: a JPEG frame comes
 * out as its bytes and the pixel format to decode it into, for
 * `JpegCodec` (transports/codecs/jpeg.ts), or {@linkcode decodeVidgearJpeg}.
 *
 * Decoding is meant for untrusted input: every message is bounded (header
 * size, JSON nesting and item count), every key's type is checked, a raw
 * frame's byte count must match its dtype and shape, and anything else is
 * refused with a {@linkcode ProtocolError}, never another exception.
 *
 * @example A frame from a vidgear server, decoded
 * ```ts
 * import assert from "node:assert/strict";
 * import { VidgearCodec } from "./vidgear_codec.ts";
 *
 * const codec = new VidgearCodec();
 * const header = '{"port": 5566, "terminate_flag": false, "compression": false, "message": "hi", ' +
 *   '"pattern": "2", "dtype": "uint8", "shape": [1, 2, 3]}';
 * const pixels = new Uint8Array([0, 0, 255, 0, 255, 0]);
 * const decoded = codec.decodeServerMessage([new TextEncoder().encode(header), pixels]);
 * assert.ok(decoded.kind === "frame" && decoded.encoding === "raw");
 * assert.equal(decoded.port, 5566);
 * assert.equal(decoded.frame.format, "bgr24");
 * assert.ok(decoded.frame.data.buffer === pixels.buffer); // a view, not a copy
 * ```
 *
 * @module
 */

import { CHANNELS_OF, type Frame, PIXEL_FORMATS, type PixelFormat } from "../../capture/frame.ts";
import { describeError, describeValue } from "../../actors/describe.ts";
import { JpegError } from "../codecs/errors.ts";
import type { JpegCodec } from "../codecs/jpeg.ts";
import { ProtocolError } from "./protocol_errors.ts";

/** vidgear's messaging patterns in multi-server mode: 1 = REQ/REP, 2 = PUB/SUB. */
export type VidgearPattern = 1 | 2;

/**
 * The colourspaces vidgear's `jpeg_compression` accepts (simplejpeg's): the
 * layout of the sender's frames, which a vidgear receiver decodes into.
 */
export type VidgearColorspace =
  | "RGB"
  | "BGR"
  | "RGBX"
  | "BGRX"
  | "XBGR"
  | "XRGB"
  | "GRAY"
  | "RGBA"
  | "BGRA"
  | "ABGR"
  | "ARGB"
  | "CMYK";

/** Every {@linkcode VidgearColorspace}, in a stable order (for error messages). */
export const VIDGEAR_COLORSPACES: readonly VidgearColorspace[] = Object.freeze([
  "RGB",
  "BGR",
  "RGBX",
  "BGRX",
  "XBGR",
  "XRGB",
  "GRAY",
  "RGBA",
  "BGRA",
  "ABGR",
  "ARGB",
  "CMYK",
]);

/**
 * The pixel format an ActorGear receiver decodes a JPEG into, by the
 * colourspace its vidgear sender declared: the same layout when a
 * {@linkcode Frame} can hold it, otherwise the one with the same colour order
 * without the padding or alpha byte (a JPEG holds no alpha). `CMYK` has
 * none: such frames are refused.
 */
export const FORMAT_OF_VIDGEAR_COLORSPACE: Readonly<
  Record<Exclude<VidgearColorspace, "CMYK">, PixelFormat>
> = Object.freeze({
  RGB: "rgb24",
  BGR: "bgr24",
  RGBX: "rgb24",
  BGRX: "bgr24",
  XBGR: "bgr24",
  XRGB: "rgb24",
  GRAY: "gray",
  RGBA: "rgba",
  BGRA: "bgr24",
  ABGR: "bgr24",
  ARGB: "rgb24",
});

/** The colourspace a JPEG made from frames of each {@linkcode PixelFormat} declares. */
export const VIDGEAR_COLORSPACE_OF_FORMAT: Readonly<Record<PixelFormat, VidgearColorspace>> = Object
  .freeze({
    bgr24: "BGR",
    rgb24: "RGB",
    rgba: "RGBA",
    gray: "GRAY",
  });

/** What vidgear's REQ/REP client answers a terminate with. */
export const VIDGEAR_TERMINATE_ACK = "Termination signal successfully received at client!";

/** The default largest JSON part a {@linkcode VidgearCodec} accepts: 1 MiB. */
export const VIDGEAR_DEFAULT_MAX_HEADER_BYTES: number = 1024 * 1024;
/** The default largest frame or array part a {@linkcode VidgearCodec} accepts: 64 MiB. */
export const VIDGEAR_DEFAULT_MAX_DATA_BYTES: number = 64 * 1024 * 1024;
/** The default deepest nesting of arrays and objects in a received JSON part. */
export const VIDGEAR_DEFAULT_MAX_DEPTH: number = 32;
/** The default most JSON values and keys in a received JSON part. */
export const VIDGEAR_DEFAULT_MAX_ITEMS: number = 16_384;

/** A JPEG as it travels: its bytes and how vidgear says to decode them. */
export interface VidgearJpeg {
  /** The JPEG file; after decoding, a view into the received message. */
  readonly data: Uint8Array;
  /** The colourspace the sender declared (its frames' layout). */
  readonly colorspace: VidgearColorspace;
  /** The layout to decode into: {@linkcode FORMAT_OF_VIDGEAR_COLORSPACE} of `colorspace`. */
  readonly format: PixelFormat;
  /** The sender's `dct` flag: decode with the fast integer DCT. */
  readonly fastDct: boolean;
  /** The sender's `ups` flag: upsample chroma by replication. */
  readonly fastUpsample: boolean;
}

/** A JPEG to send; see {@linkcode VidgearCodec.encodeFrame}. */
export interface VidgearJpegInput {
  /** The JPEG file (for example from `JpegCodec.encode`); sent as is, not copied. */
  readonly data: Uint8Array;
  /**
   * The layout of the frame it was made from: its colourspace
   * ({@linkcode VIDGEAR_COLORSPACE_OF_FORMAT}) is what a vidgear receiver
   * decodes into.
   *
   * @default {"bgr24"}
   */
  readonly format?: PixelFormat;
  /**
   * The `dct` flag: the receiver decodes with the fast DCT.
   *
   * @default {true} (vidgear's `jpeg_compression_fastdct`)
   */
  readonly fastDct?: boolean;
  /**
   * The `ups` flag: the receiver upsamples chroma fast.
   *
   * @default {false} (vidgear's `jpeg_compression_fastupsample`)
   */
  readonly fastUpsample?: boolean;
}

/** Properties every decoded frame message has. */
export interface VidgearFrameBase {
  /** A frame, not a terminate. */
  readonly kind: "frame";
  /** The sending server's port, its identity in multi-server mode. */
  readonly port: number;
  /** The pattern the server says it uses. */
  readonly pattern: VidgearPattern;
  /** The message sent with the frame, any JSON value; `null` when none. */
  readonly message: unknown;
}

/** A decoded raw frame message: the pixels as a {@linkcode Frame}. */
export interface VidgearRawFrame extends VidgearFrameBase {
  /** Raw pixels (`compression` false). */
  readonly encoding: "raw";
  /** `bgr24` (shape [h, w, 3]) or `gray` ([h, w] or [h, w, 1]); `data` is a view into the message. */
  readonly frame: Frame;
}

/** A decoded JPEG frame message: the JPEG, for the caller to decode. */
export interface VidgearJpegFrame extends VidgearFrameBase {
  /** A JPEG (`compression` an object). */
  readonly encoding: "jpeg";
  /** The JPEG and how to decode it. */
  readonly jpeg: VidgearJpeg;
}

/** A decoded frame message. */
export type VidgearFrame = VidgearRawFrame | VidgearJpegFrame;

/** A decoded terminate: the server on `port` has stopped. */
export interface VidgearTerminate {
  /** A terminate, not a frame. */
  readonly kind: "terminate";
  /** The stopping server's port. */
  readonly port: number;
}

/** A frame to send; see {@linkcode VidgearCodec.encodeFrame}. Give `frame` or `jpeg`. */
export interface VidgearFrameInput {
  /** This server's port: its identity at the multi-server client. */
  readonly port: number;
  /** The pattern in use, 1 (REQ/REP) or 2 (PUB/SUB). */
  readonly pattern: VidgearPattern;
  /**
   * Sent with the frame: any JSON value (`NaN` and `±Infinity` are sent as
   * Python's `json` writes them). `undefined` sends `null`.
   *
   * @default {undefined}
   */
  readonly message?: unknown;
  /** A raw frame, `bgr24` or `gray`; its `data` is sent as is, not copied. */
  readonly frame?: Frame;
  /** A JPEG instead of a raw frame. */
  readonly jpeg?: VidgearJpegInput;
}

/** A reply to send in bidirectional mode; see {@linkcode VidgearCodec.encodeReply}. Give one of `data`, `frame`, `jpeg`. */
export interface VidgearReplyInput {
  /** Return data: any JSON value. */
  readonly data?: unknown;
  /** Return an array: a raw `bgr24` or `gray` frame (vidgear's `ndarray` return). */
  readonly frame?: Frame;
  /** Return an array as a JPEG (vidgear's client with `jpeg_compression`). */
  readonly jpeg?: VidgearJpegInput;
  /**
   * The answering client's port, which vidgear's multi-client mode adds.
   *
   * @default {undefined} no `port` key (multi-server and plain modes)
   */
  readonly port?: number;
}

/** A decoded plain-text answer: vidgear's acknowledgement of a frame. */
export interface VidgearAck {
  /** An acknowledgement. */
  readonly kind: "ack";
  /** The text as received. */
  readonly text: string;
  /** The client's 8-character device id, when the text is vidgear's `Data received on device: <id> !`. */
  readonly deviceId: string | undefined;
}

/** A decoded answer to a terminate: {@linkcode VIDGEAR_TERMINATE_ACK}. */
export interface VidgearTerminateAck {
  /** The terminate's answer. */
  readonly kind: "terminate-ack";
  /** The text as received. */
  readonly text: string;
}

/** Properties of every decoded bidirectional reply. */
export interface VidgearReturnBase {
  /** The Python type name the client sent in `return_type`. */
  readonly returnType: string;
  /** The client's port, when it sent one (vidgear's multi-client mode). */
  readonly port: number | undefined;
}

/** A decoded bidirectional reply carrying JSON data. */
export interface VidgearDataReply extends VidgearReturnBase {
  /** Return data other than an array. */
  readonly kind: "data";
  /** The returned value, any JSON value. */
  readonly data: unknown;
}

/** A decoded bidirectional reply carrying a raw array, as a {@linkcode Frame}. */
export interface VidgearRawArrayReply extends VidgearReturnBase {
  /** A returned array. */
  readonly kind: "array";
  /** Raw (`compression` false). */
  readonly encoding: "raw";
  /** The returned array; `data` is a view into the message. */
  readonly frame: Frame;
}

/** A decoded bidirectional reply carrying a JPEG-compressed array. */
export interface VidgearJpegArrayReply extends VidgearReturnBase {
  /** A returned array. */
  readonly kind: "array";
  /** A JPEG (`compression` an object). */
  readonly encoding: "jpeg";
  /** The returned array as a JPEG, for the caller to decode. */
  readonly jpeg: VidgearJpeg;
}

/**
 * A decoded refusal: an ActorGear client refused the request (vidgear's own
 * client has no refusals; see {@linkcode VidgearCodec.encodeRefusal}).
 */
export interface VidgearRefusal {
  /** A refusal. */
  readonly kind: "refused";
  /** Why, as a `ProtocolError` code such as `"bad-field"`. */
  readonly code: string;
  /** What was wrong. */
  readonly message: string;
}

/** Anything a vidgear REQ/REP client answers with. */
export type VidgearReply =
  | VidgearAck
  | VidgearTerminateAck
  | VidgearRefusal
  | VidgearDataReply
  | VidgearRawArrayReply
  | VidgearJpegArrayReply;

/** Options of {@linkcode VidgearCodec}. */
export interface VidgearCodecOptions {
  /**
   * The largest JSON part (a header, a reply, an answer's text) accepted, in
   * bytes; larger ones are refused (`oversized`) before they are read.
   *
   * @default {1048576}
   */
  maxHeaderBytes?: number;
  /**
   * The largest frame or array part accepted, in bytes (`oversized`). Set the
   * socket's `maxMessageSize` too, so ZeroMQ drops larger messages first.
   *
   * @default {67108864}
   */
  maxDataBytes?: number;
  /**
   * The deepest nesting of arrays and objects in a JSON part, 2..256: the
   * header or reply object is 1 deep, so a message or returned value may
   * nest `maxDepth - 1` levels. The encoders refuse messages and data that
   * would break it, so what one codec sends another with the same limit reads.
   *
   * @default {32}
   */
  maxDepth?: number;
  /**
   * The most JSON values and keys in a JSON part, 16..2^24: bounds the time
   * and memory parsing takes.
   *
   * @default {16384}
   */
  maxItems?: number;
}

/** Options of {@linkcode VidgearCodec.decodeServerMessage}. */
export interface VidgearDecodeOptions {
  /**
   * The ports this client serves: a message naming another port is refused
   * (`bad-field`, field `port`).
   *
   * @default {undefined} any port
   */
  ports?: number | readonly number[];
  /**
   * The pattern this client uses: a frame saying another is refused
   * (`bad-field`, field `pattern`), as vidgear's client refuses it.
   *
   * @default {undefined} either
   */
  pattern?: VidgearPattern;
}

/**
 * A well-formed vidgear frame or returned array that an ActorGear
 * {@linkcode Frame} cannot hold: a dtype other than `uint8`, a shape other
 * than [h, w], [h, w, 1] or [h, w, 3] (4 channels: BGRA has no
 * {@linkcode PixelFormat}), or a CMYK JPEG. A {@linkcode ProtocolError} with
 * code `bad-field`, so receivers that drop bad messages drop these too.
 *
 * @example Tell an unsupported frame from a malformed one
 * ```ts
 * import assert from "node:assert/strict";
 * import { VidgearCodec, VidgearUnsupportedFrameError } from "./vidgear_codec.ts";
 *
 * const header = '{"port": 5566, "terminate_flag": false, "compression": false, ' +
 *   '"message": null, "pattern": "2", "dtype": "float32", "shape": [2, 2]}';
 * try {
 *   new VidgearCodec().decodeServerMessage([new TextEncoder().encode(header), new Uint8Array(16)]);
 *   assert.fail("float32 is not a Frame");
 * } catch (error) {
 *   assert.ok(error instanceof VidgearUnsupportedFrameError);
 *   assert.equal(error.dtype, "float32");
 *   assert.deepEqual(error.shape, [2, 2]);
 * }
 * ```
 */
export class VidgearUnsupportedFrameError extends ProtocolError {
  /** The numpy dtype received (`""` for a JPEG). */
  readonly dtype: string;
  /** The shape received (`""` for a JPEG). */
  readonly shape: readonly number[] | "";
  /** The JPEG's colourspace, for a JPEG. */
  readonly colorspace: string | undefined;

  /**
   * Makes the error.
   *
   * @param message Why the frame is refused.
   * @param field The wire key at fault: `dtype`, `shape` or `compression.colorspace`.
   * @param details The dtype, shape and colourspace received.
   */
  constructor(
    message: string,
    field: string,
    details: { dtype: string; shape: readonly number[] | ""; colorspace?: string },
  ) {
    super("bad-field", message, { field });
    this.name = "VidgearUnsupportedFrameError";
    this.dtype = details.dtype;
    this.shape = details.shape === "" ? "" : Object.freeze([...details.shape]);
    this.colorspace = details.colorspace;
  }
}

const MAX_PORT = 65535;
const MAX_DIMENSION = 65535;
/** numpy's most dimensions (NPY_MAXDIMS is 32 before numpy 2, 64 since). */
const MAX_NDIM = 64;
const ACK = /^Data received on device: ([A-Z0-9]{8}) !$/;
/** An ActorGear client's refusal, as text (outside bidirectional mode). */
const REFUSAL = /^ActorGear client refused the message \(([a-z0-9-]{1,40})\): ([\s\S]*)$/;
/** A refusal's code: a `ProtocolError` code's shape. */
const REFUSAL_CODE = /^[a-z0-9-]{1,40}$/;
/** The longest refusal message sent, in UTF-16 units: a reason, not a payload. */
const MAX_REFUSAL_MESSAGE = 1000;
const DEVICE_ID = /^[A-Z0-9]{8}$/;
const DEVICE_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ACTION = "Cannot decode vidgear message";

/** numpy's dtype names (str(dtype)) with their item sizes. */
const DTYPE_ITEMSIZE: Readonly<Record<string, number>> = Object.freeze({
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float16: 2,
  float32: 4,
  float64: 8,
  float128: 16,
  longdouble: 16,
  complex64: 8,
  complex128: 16,
  complex256: 32,
});
/** numpy's array-protocol type strings, such as "<u2" or "|u1". */
const TYPESTR = /^[<>=|]?([biufc])(1|2|4|8|16|32)$/;

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes and decodes vidgear 0.3.5's NetGear messages in multi-server mode.
 * Stateless apart from its limits: one codec may serve any number of
 * sockets.
 *
 * Encoders return the parts of one ZeroMQ message; a frame's or JPEG's bytes
 * are the caller's array itself (ZeroMQ sends it uncopied, so do not change
 * it afterwards). Decoders take the parts as a REP or SUB socket hands them
 * over and return frame bytes as views into them.
 *
 * A REP socket hands over exactly what the server sent: vidgear's REQ sets
 * ZMQ_REQ_CORRELATE, which adds a 4-byte request id before the empty
 * delimiter, and REP keeps both for its reply, as routing. A ROUTER socket
 * would see `[identity, request id, "", ...parts]`: pass only `...parts`.
 *
 * @example An ActorGear server's frame, and the terminate that ends its stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { VidgearCodec } from "./vidgear_codec.ts";
 *
 * const codec = new VidgearCodec();
 * const frame = { width: 2, height: 1, channels: 1, format: "gray" as const, data: new Uint8Array([7, 9]) };
 * const parts = codec.encodeFrame({ port: 5566, pattern: 1, frame, message: { seq: 1 } });
 * assert.equal(parts.length, 2);
 * assert.ok(parts[1] === frame.data);
 * const header = JSON.parse(new TextDecoder().decode(parts[0]));
 * assert.deepEqual(header.shape, [1, 2]);
 * assert.deepEqual(codec.decodeServerMessage(codec.encodeTerminate(5566)), { kind: "terminate", port: 5566 });
 * ```
 */
export class VidgearCodec {
  readonly #maxHeaderBytes: number;
  readonly #maxDataBytes: number;
  readonly #maxDepth: number;
  readonly #maxItems: number;

  /**
   * Creates a codec.
   *
   * @param options Limits on what is decoded.
   * @throws {RangeError} If a limit is not an integer in its range.
   */
  constructor(options: VidgearCodecOptions = {}) {
    this.#maxHeaderBytes = limit("maxHeaderBytes", options.maxHeaderBytes, 64, 0xffff_ffff) ??
      VIDGEAR_DEFAULT_MAX_HEADER_BYTES;
    this.#maxDataBytes = limit("maxDataBytes", options.maxDataBytes, 0, 0xffff_ffff) ??
      VIDGEAR_DEFAULT_MAX_DATA_BYTES;
    this.#maxDepth = limit("maxDepth", options.maxDepth, 2, 256) ?? VIDGEAR_DEFAULT_MAX_DEPTH;
    this.#maxItems = limit("maxItems", options.maxItems, 16, 2 ** 24) ?? VIDGEAR_DEFAULT_MAX_ITEMS;
  }

  /**
   * Encodes a server's frame: `[JSON header, frame or JPEG bytes]`, the
   * header's keys in vidgear's order (`port` first). A raw frame is sent as
   * numpy's uint8 array of shape [h, w, 3] (`bgr24`) or [h, w] (`gray`).
   *
   * @param input The port, pattern, message, and the frame or the JPEG.
   * @returns The two parts; the second is the caller's bytes, uncopied.
   * @throws {TypeError} If neither or both of `frame` and `jpeg` are given,
   *   the frame is not `bgr24` or `gray` (vidgear receivers take raw pixels
   *   as BGR: convert, or send a JPEG), the JPEG does not start with a JPEG
   *   marker, or the message is not JSON data.
   * @throws {RangeError} If the port, pattern or frame geometry is out of
   *   range, or the message nests deeper than `maxDepth`.
   * @example Send a JPEG
   * ```ts
   * import assert from "node:assert/strict";
   * import { VidgearCodec } from "./vidgear_codec.ts";
   *
   * const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
   * const [head] = new VidgearCodec().encodeFrame({ port: 5577, pattern: 2, jpeg: { data: jpeg } });
   * assert.deepEqual(JSON.parse(new TextDecoder().decode(head)).compression, {
   *   dct: true,
   *   ups: false,
   *   colorspace: "BGR",
   * });
   * ```
   */
  encodeFrame(input: VidgearFrameInput): Uint8Array[] {
    const action = "Cannot encode vidgear frame";
    if (input === null || typeof input !== "object") {
      throw new TypeError(`${action}: expected an object, got ${describeValue(input)}`);
    }
    const port = checkPortArgument(action, input.port);
    const pattern = input.pattern;
    if (pattern !== 1 && pattern !== 2) {
      throw new RangeError(
        `${action}: "pattern" must be 1 (REQ/REP) or 2 (PUB/SUB), got ${describeValue(pattern)}`,
      );
    }
    const message = jsonText(action, "message", input.message ?? null, this.#maxDepth);
    const hasFrame = input.frame !== undefined;
    if (hasFrame === (input.jpeg !== undefined)) {
      throw new TypeError(`${action}: give exactly one of "frame" and "jpeg"`);
    }
    let head: string;
    let data: Uint8Array;
    if (hasFrame) {
      const array = arrayOfFrame(action, "frame", input.frame!);
      data = array.data;
      head = `{"port":${port},"terminate_flag":false,"compression":false,"message":${message},` +
        `"pattern":"${pattern}","dtype":"uint8","shape":${JSON.stringify(array.shape)}}`;
    } else {
      const jpeg = checkJpegInput(action, input.jpeg!);
      data = jpeg.data;
      head = `{"port":${port},"terminate_flag":false,"compression":${jpeg.compression},` +
        `"message":${message},"pattern":"${pattern}","dtype":"","shape":""}`;
    }
    return [encoder.encode(head), data];
  }

  /**
   * Encodes a server's terminate: one part, `{"terminate_flag": true,
   * "port": P}`, as vidgear's `close()` sends it.
   *
   * @param port This server's port.
   * @returns The one part.
   * @throws {RangeError} If `port` is not an integer 1..65535.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VidgearCodec } from "./vidgear_codec.ts";
   *
   * const [part] = new VidgearCodec().encodeTerminate(5566);
   * assert.equal(new TextDecoder().decode(part), '{"terminate_flag":true,"port":5566}');
   * ```
   */
  encodeTerminate(port: number): Uint8Array[] {
    const checked = checkPortArgument("Cannot encode vidgear terminate", port);
    return [encoder.encode(`{"terminate_flag":true,"port":${checked}}`)];
  }

  /**
   * Decodes what a vidgear server sent: a frame or a terminate. A
   * terminate is one part, or two with an empty second part.
   *
   * @param parts The message's parts, as a REP or SUB socket hands them over.
   * @param options The ports and pattern this client expects.
   * @returns The frame (raw, or a JPEG to decode) or the terminate.
   * @throws {ProtocolError} If the message is not vidgear's format or breaks
   *   a limit: `malformed-cbor` (a part count other than 1 or 2, or a first
   *   part that is not UTF-8 JSON; the code's name is the envelope
   *   protocol's), `not-a-map` (JSON, but not an object), `oversized`,
   *   `too-complex` (JSON nesting or item count), `missing-field`,
   *   `bad-field` (a key of the wrong type or value, another port or
   *   pattern than expected), `frame-size-mismatch` (the bytes do not match
   *   dtype and shape), `bad-jpeg` (compressed bytes that do not start with
   *   a JPEG marker). {@linkcode VidgearUnsupportedFrameError}, a
   *   `bad-field`, for well-formed frames ActorGear cannot hold.
   * @throws {TypeError} If `parts` is not an array of `Uint8Array`s.
   * @example Refuse a frame whose bytes do not match its shape
   * ```ts
   * import assert from "node:assert/strict";
   * import { ProtocolError, VidgearCodec } from "./vidgear_codec.ts";
   *
   * const header = new TextEncoder().encode(
   *   '{"port": 5566, "terminate_flag": false, "compression": false, "message": null, ' +
   *     '"pattern": "1", "dtype": "uint8", "shape": [2, 2, 3]}',
   * );
   * assert.throws(
   *   () => new VidgearCodec().decodeServerMessage([header, new Uint8Array(11)]),
   *   (error) => error instanceof ProtocolError && error.code === "frame-size-mismatch",
   * );
   * ```
   */
  decodeServerMessage(
    parts: readonly Uint8Array[],
    options: VidgearDecodeOptions = {},
  ): VidgearFrame | VidgearTerminate {
    checkParts(parts);
    const ports = expectedPorts(options.ports);
    const expectedPattern = options.pattern;
    if (expectedPattern !== undefined && expectedPattern !== 1 && expectedPattern !== 2) {
      throw new RangeError(
        `${ACTION}: option "pattern" must be 1 or 2, got ${describeValue(expectedPattern)}`,
      );
    }
    if (parts.length < 1 || parts.length > 2) {
      throw new ProtocolError(
        "malformed-cbor",
        `${ACTION}: a server sends 2 parts (JSON, bytes), or 1 for a terminate; got ${parts.length}`,
      );
    }
    const header = this.#readObject(parts[0], "the header");
    const flag = field(header, "terminate_flag");
    if (typeof flag !== "boolean") throw wrongType("terminate_flag", "a boolean", flag);
    const port = readPort(header, ports);
    if (flag) {
      if (parts.length === 2 && parts[1].byteLength !== 0) {
        throw new ProtocolError(
          "bad-field",
          `${ACTION}: a terminate is one part (or two with an empty second); its second part has ${
            parts[1].byteLength
          } bytes`,
          { field: "data" },
        );
      }
      return { kind: "terminate", port };
    }
    const compression = field(header, "compression");
    const message = field(header, "message");
    const patternText = field(header, "pattern");
    const dtype = field(header, "dtype");
    const shape = field(header, "shape");
    if (patternText !== "1" && patternText !== "2") {
      throw wrongType("pattern", '"1" or "2"', patternText);
    }
    const pattern: VidgearPattern = patternText === "1" ? 1 : 2;
    if (expectedPattern !== undefined && pattern !== expectedPattern) {
      throw new ProtocolError(
        "bad-field",
        `${ACTION}: the server uses pattern ${pattern}, this client pattern ${expectedPattern}`,
        { field: "pattern" },
      );
    }
    if (parts.length !== 2) {
      throw new ProtocolError(
        "missing-field",
        `${ACTION}: a frame is 2 parts (JSON, bytes); the bytes are missing`,
        { field: "data" },
      );
    }
    const data = this.#checkData(parts[1]);
    const array = readArray(compression, dtype, shape, data, {
      compression: "compression",
      dtype: "dtype",
      shape: "shape",
    });
    return array.encoding === "raw"
      ? { kind: "frame", port, pattern, message, encoding: "raw", frame: array.frame }
      : { kind: "frame", port, pattern, message, encoding: "jpeg", jpeg: array.jpeg };
  }

  /**
   * Encodes a client's acknowledgement of a frame in REQ/REP without
   * bidirectional mode: vidgear's `Data received on device: <id> !`.
   *
   * @param deviceId This client's id: 8 characters A-Z, 0-9 (see {@linkcode newVidgearDeviceId}).
   * @returns The one part.
   * @throws {RangeError} If `deviceId` is not 8 characters A-Z, 0-9.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VidgearCodec } from "./vidgear_codec.ts";
   *
   * const codec = new VidgearCodec();
   * const reply = codec.decodeReply(codec.encodeAck("ABCD1234"));
   * assert.ok(reply.kind === "ack" && reply.deviceId === "ABCD1234");
   * ```
   */
  encodeAck(deviceId: string): Uint8Array[] {
    if (typeof deviceId !== "string" || !DEVICE_ID.test(deviceId)) {
      throw new RangeError(
        `Cannot encode vidgear acknowledgement: the device id must be 8 characters A-Z, 0-9, got ${
          describeValue(deviceId)
        }`,
      );
    }
    return [encoder.encode(`Data received on device: ${deviceId} !`)];
  }

  /**
   * Encodes a client's answer to a terminate in REQ/REP:
   * {@linkcode VIDGEAR_TERMINATE_ACK}.
   *
   * @returns The one part.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VidgearCodec } from "./vidgear_codec.ts";
   *
   * const codec = new VidgearCodec();
   * assert.equal(codec.decodeReply(codec.encodeTerminateAck()).kind, "terminate-ack");
   * ```
   */
  encodeTerminateAck(): Uint8Array[] {
    return [encoder.encode(VIDGEAR_TERMINATE_ACK)];
  }

  /**
   * Encodes an ActorGear client's answer to a request it refused (a
   * malformed or unsupported message), so that the vidgear server, which
   * waits for an answer to every request, is never left hanging, and reads
   * it without failing: outside bidirectional mode a text (vidgear's server
   * only logs the answer), in bidirectional mode `{"return_type":
   * "NoneType", "data": null, "refused": {"code", "message"}}` (vidgear's
   * server returns `None` from `send()` and ignores the extra key).
   * {@linkcode VidgearCodec.decodeReply} reads both as `kind: "refused"`.
   *
   * @param input The `ProtocolError` code (lowercase letters, digits, `-`),
   *   its message (cut to 1000 characters), and whether the server waits
   *   for a bidirectional reply.
   * @returns The one part.
   * @throws {RangeError} If `code` is not a code's shape.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { VidgearCodec } from "./vidgear_codec.ts";
   *
   * const codec = new VidgearCodec();
   * for (const bidirectional of [false, true]) {
   *   const parts = codec.encodeRefusal({ code: "bad-field", message: "no port", bidirectional });
   *   assert.deepEqual(codec.decodeReply(parts), { kind: "refused", code: "bad-field", message: "no port" });
   * }
   * ```
   */
  encodeRefusal(
    input: { readonly code: string; readonly message: string; readonly bidirectional: boolean },
  ): Uint8Array[] {
    const { code, bidirectional } = input;
    if (typeof code !== "string" || !REFUSAL_CODE.test(code)) {
      throw new RangeError(
        `Cannot encode vidgear refusal: the code must be lowercase letters, digits and "-", got ${
          describeValue(code)
        }`,
      );
    }
    const message = String(input.message).slice(0, MAX_REFUSAL_MESSAGE);
    if (!bidirectional) {
      return [encoder.encode(`ActorGear client refused the message (${code}): ${message}`)];
    }
    return [
      encoder.encode(
        `{"return_type":"NoneType","data":null,"refused":${JSON.stringify({ code, message })}}`,
      ),
    ];
  }

  /**
   * Encodes a client's reply in bidirectional mode (REQ/REP): return data as
   * `{"return_type": <Python type name>, "data": <value>}`, or an array as
   * `{"return_type": "ndarray", "compression", "array_dtype",
   * "array_shape", "data": null}` followed by its bytes. With `port`, the
   * JSON starts with it, as in vidgear's multi-client mode.
   *
   * The Python type name of data: `str`, `int` (an integral number),
   * `float`, `bool`, `NoneType`, `list`, `dict`.
   *
   * @param input One of `data`, `frame`, `jpeg`, and optionally `port`.
   * @returns One part, or two for an array.
   * @throws {TypeError} If not exactly one of `data`, `frame`, `jpeg` is
   *   given, data is not JSON data, or the frame is not `bgr24` or `gray`.
   * @throws {RangeError} If the port or frame geometry is out of range, or
   *   data nests deeper than `maxDepth`.
   * @example Return a value, then an array
   * ```ts
   * import assert from "node:assert/strict";
   * import { VidgearCodec } from "./vidgear_codec.ts";
   *
   * const codec = new VidgearCodec();
   * const reply = codec.decodeReply(codec.encodeReply({ data: { seen: 3 } }));
   * assert.ok(reply.kind === "data" && reply.returnType === "dict");
   * assert.deepEqual(reply.data, { seen: 3 });
   *
   * const frame = { width: 1, height: 1, channels: 3, data: new Uint8Array([1, 2, 3]) };
   * const parts = codec.encodeReply({ frame });
   * assert.equal(parts.length, 2);
   * const array = codec.decodeReply(parts);
   * assert.ok(array.kind === "array" && array.encoding === "raw");
   * assert.deepEqual([...array.frame.data], [1, 2, 3]);
   * ```
   */
  encodeReply(input: VidgearReplyInput): Uint8Array[] {
    const action = "Cannot encode vidgear reply";
    if (input === null || typeof input !== "object") {
      throw new TypeError(`${action}: expected an object, got ${describeValue(input)}`);
    }
    const given = (["data", "frame", "jpeg"] as const).filter((key) =>
      key === "data" ? "data" in input : input[key] !== undefined
    );
    if (given.length !== 1) {
      throw new TypeError(
        `${action}: give exactly one of "data", "frame" and "jpeg", got ${
          given.length === 0 ? "none" : given.map((key) => `"${key}"`).join(", ")
        }`,
      );
    }
    const port = input.port === undefined ? "" : `"port":${checkPortArgument(action, input.port)},`;
    if (given[0] === "data") {
      const data = input.data ?? null;
      const text = jsonText(action, "data", data, this.#maxDepth);
      return [encoder.encode(`{${port}"return_type":"${pythonTypeName(data)}","data":${text}}`)];
    }
    if (given[0] === "frame") {
      const array = arrayOfFrame(action, "frame", input.frame!);
      return [
        encoder.encode(
          `{${port}"return_type":"ndarray","compression":false,"array_dtype":"uint8",` +
            `"array_shape":${JSON.stringify(array.shape)},"data":null}`,
        ),
        array.data,
      ];
    }
    const jpeg = checkJpegInput(action, input.jpeg!);
    return [
      encoder.encode(
        `{${port}"return_type":"ndarray","compression":${jpeg.compression},"array_dtype":"",` +
          `"array_shape":"","data":null}`,
      ),
      jpeg.data,
    ];
  }

  /**
   * Decodes a vidgear client's answer: a plain-text acknowledgement, the
   * answer to a terminate, or in bidirectional mode a JSON reply (with an
   * array's bytes as a second part); and an ActorGear client's refusal
   * (`kind: "refused"`, see {@linkcode VidgearCodec.encodeRefusal}).
   *
   * A reply whose first part starts with `{` is JSON; anything else is text.
   *
   * @param parts The reply's parts, as a REQ socket hands them over.
   * @returns The answer.
   * @throws {ProtocolError} As {@linkcode VidgearCodec.decodeServerMessage}
   *   does; also `malformed-cbor` for text that is not UTF-8 and
   *   `missing-field`/`bad-field` for `return_type`, `data`,
   *   `compression`, `array_dtype` and `array_shape`.
   * @throws {TypeError} If `parts` is not an array of `Uint8Array`s.
   * @example A vidgear client's terminate answer
   * ```ts
   * import assert from "node:assert/strict";
   * import { VidgearCodec } from "./vidgear_codec.ts";
   *
   * const text = new TextEncoder().encode("Termination signal successfully received at client!");
   * assert.equal(new VidgearCodec().decodeReply([text]).kind, "terminate-ack");
   * ```
   */
  decodeReply(parts: readonly Uint8Array[]): VidgearReply {
    checkParts(parts);
    if (parts.length < 1 || parts.length > 2) {
      throw new ProtocolError(
        "malformed-cbor",
        `${ACTION}: a reply has 1 part, or 2 for an array; got ${parts.length}`,
      );
    }
    const first = parts[0];
    if (first.byteLength > this.#maxHeaderBytes) throw this.#oversizedHeader(first, "the reply");
    if (!startsWithBrace(first)) {
      if (parts.length !== 1) {
        throw new ProtocolError(
          "malformed-cbor",
          `${ACTION}: a text answer is 1 part, got ${parts.length}`,
        );
      }
      const text = decodeText(first, "the answer");
      if (text === VIDGEAR_TERMINATE_ACK) return { kind: "terminate-ack", text };
      const refusal = REFUSAL.exec(text);
      if (refusal !== null) return { kind: "refused", code: refusal[1], message: refusal[2] };
      return { kind: "ack", text, deviceId: ACK.exec(text)?.[1] };
    }
    const reply = this.#readObject(first, "the reply");
    const returnType = field(reply, "return_type");
    if (typeof returnType !== "string") throw wrongType("return_type", "a string", returnType);
    const data = field(reply, "data");
    const port = Object.hasOwn(reply, "port") ? readPort(reply, undefined) : undefined;
    if (returnType !== "ndarray") {
      const refused = Object.hasOwn(reply, "refused") ? reply.refused : undefined;
      if (
        refused !== null && typeof refused === "object" && !Array.isArray(refused) &&
        typeof (refused as Record<string, unknown>).code === "string" &&
        REFUSAL_CODE.test((refused as Record<string, string>).code) &&
        typeof (refused as Record<string, unknown>).message === "string"
      ) {
        const { code, message } = refused as Record<string, string>;
        return { kind: "refused", code, message };
      }
      if (parts.length !== 1) {
        throw new ProtocolError(
          "malformed-cbor",
          `${ACTION}: a reply of return_type ${
            JSON.stringify(returnType.slice(0, 40))
          } is 1 part, got ${parts.length}`,
        );
      }
      return { kind: "data", returnType, data, port };
    }
    const compression = field(reply, "compression");
    const dtype = field(reply, "array_dtype");
    const shape = field(reply, "array_shape");
    if (parts.length !== 2) {
      throw new ProtocolError(
        "missing-field",
        `${ACTION}: an ndarray reply is 2 parts (JSON, bytes); the bytes are missing`,
        { field: "data" },
      );
    }
    const bytes = this.#checkData(parts[1]);
    const array = readArray(compression, dtype, shape, bytes, {
      compression: "compression",
      dtype: "array_dtype",
      shape: "array_shape",
    });
    return array.encoding === "raw"
      ? { kind: "array", returnType, port, encoding: "raw", frame: array.frame }
      : { kind: "array", returnType, port, encoding: "jpeg", jpeg: array.jpeg };
  }

  /** The JSON object in `part`, within the limits. */
  #readObject(part: Uint8Array, what: string): Record<string, unknown> {
    if (part.byteLength > this.#maxHeaderBytes) throw this.#oversizedHeader(part, what);
    const text = decodeText(part, what);
    const value = parseJson(text, what, this.#maxDepth, this.#maxItems);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ProtocolError(
        "not-a-map",
        `${ACTION}: ${what} must be a JSON object, got ${describeValue(value)}`,
      );
    }
    return value as Record<string, unknown>;
  }

  #oversizedHeader(part: Uint8Array, what: string): ProtocolError {
    return new ProtocolError(
      "oversized",
      `${ACTION}: ${what} has ${part.byteLength} bytes, more than option "maxHeaderBytes" (${this.#maxHeaderBytes})`,
    );
  }

  /** The frame part as a plain `Uint8Array` view, within the limit. */
  #checkData(part: Uint8Array): Uint8Array {
    if (part.byteLength > this.#maxDataBytes) {
      throw new ProtocolError(
        "oversized",
        `${ACTION}: the data part has ${part.byteLength} bytes, more than option "maxDataBytes" (${this.#maxDataBytes})`,
        { field: "data" },
      );
    }
    // A plain view: ZeroMQ's parts are Node Buffers, whose subarray() makes Buffers.
    return part.constructor === Uint8Array
      ? part
      : new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
  }
}

/**
 * A new vidgear device id: 8 random characters A-Z, 0-9, as vidgear's
 * client makes one per run to put in its acknowledgements.
 *
 * @returns The id.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newVidgearDeviceId } from "./vidgear_codec.ts";
 *
 * assert.match(newVidgearDeviceId(), /^[A-Z0-9]{8}$/);
 * ```
 */
export function newVidgearDeviceId(): string {
  const id: string[] = [];
  // 36 * 7 = 252: bytes from 252 up are drawn again, so every character is equally likely.
  while (id.length < 8) {
    for (const byte of crypto.getRandomValues(new Uint8Array(16))) {
      if (byte < 252 && id.length < 8) id.push(DEVICE_ID_ALPHABET[byte % 36]);
    }
  }
  return id.join("");
}

/** Options of {@linkcode decodeVidgearJpeg}. */
export interface VidgearJpegDecodeOptions {
  /**
   * This client's `jpeg_compression_fastdct`: vidgear decodes with the fast
   * DCT if either it or the sender's `dct` flag says so.
   *
   * @default {true}
   */
  fastDct?: boolean;
  /**
   * This client's `jpeg_compression_fastupsample`: vidgear upsamples fast if
   * either it or the sender's `ups` flag says so.
   *
   * @default {false}
   */
  fastUpsample?: boolean;
  /**
   * The largest image accepted, in pixels, checked before decoding.
   *
   * @default {33177600} (7680 x 4320, JpegCodec's default)
   */
  maxPixels?: number;
}

/**
 * Decodes a received vidgear JPEG into a {@linkcode Frame} with the caller's
 * `JpegCodec`, as vidgear's client does: into the layout its colourspace
 * names, with the fast DCT and fast upsampling when either side asks.
 *
 * @param codec A `JpegCodec` (transports/codecs/jpeg.ts).
 * @param jpeg The JPEG from a decoded frame or array reply.
 * @param options This client's JPEG settings.
 * @returns A new frame the caller owns.
 * @throws {ProtocolError} `bad-jpeg`, if libjpeg-turbo cannot decode the
 *   bytes or the image is larger than `maxPixels` (the `JpegError` is the
 *   cause).
 * @throws {JpegError} If the codec is closed or libjpeg-turbo fails otherwise.
 * @example Decode a JPEG frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { JpegCodec } from "../codecs/jpeg.ts";
 * import { decodeVidgearJpeg, VidgearCodec } from "./vidgear_codec.ts";
 *
 * using jpegCodec = new JpegCodec();
 * const codec = new VidgearCodec();
 * const gray = { width: 8, height: 8, channels: 1, format: "gray" as const, data: new Uint8Array(64).fill(90) };
 * const parts = codec.encodeFrame({
 *   port: 5566,
 *   pattern: 2,
 *   jpeg: { data: jpegCodec.encode(gray), format: "gray" },
 * });
 * const decoded = codec.decodeServerMessage(parts);
 * assert.ok(decoded.kind === "frame" && decoded.encoding === "jpeg");
 * const frame = decodeVidgearJpeg(jpegCodec, decoded.jpeg);
 * assert.ok(frame.format === "gray" && Math.abs(frame.data[0] - 90) <= 1);
 * ```
 */
export function decodeVidgearJpeg(
  codec: JpegCodec,
  jpeg: VidgearJpeg,
  options: VidgearJpegDecodeOptions = {},
): Frame {
  try {
    return codec.decode(jpeg.data, {
      format: jpeg.format,
      fastDct: (options.fastDct ?? true) || jpeg.fastDct,
      fastUpsample: (options.fastUpsample ?? false) || jpeg.fastUpsample,
      maxPixels: options.maxPixels,
    });
  } catch (error) {
    if (
      error instanceof JpegError &&
      (error.reason === "invalid-jpeg" || error.reason === "too-large")
    ) {
      throw new ProtocolError("bad-jpeg", `${ACTION}: ${describeError(error)}`, {
        field: "data",
        cause: error,
      });
    }
    throw error;
  }
}

// ------------------------------------------------------------------ decoding

function checkParts(parts: readonly Uint8Array[]): void {
  if (!Array.isArray(parts)) {
    throw new TypeError(
      `${ACTION}: expected an array of message parts, got ${describeValue(parts)}`,
    );
  }
  for (let i = 0; i < parts.length && i < 3; i++) {
    if (!(parts[i] instanceof Uint8Array)) {
      throw new TypeError(
        `${ACTION}: message part ${i} must be a Uint8Array, got ${describeValue(parts[i])}`,
      );
    }
  }
}

function expectedPorts(ports: number | readonly number[] | undefined): Set<number> | undefined {
  if (ports === undefined) return undefined;
  const list = typeof ports === "number" ? [ports] : ports;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(
      `${ACTION}: option "ports" must be a port or a non-empty array of ports, got ${
        describeValue(ports)
      }`,
    );
  }
  for (const port of list) checkPortArgument(ACTION, port);
  return new Set(list);
}

/** A key of a received object, required; absent keys are `missing-field`. */
function field(object: Record<string, unknown>, key: string): unknown {
  if (!Object.hasOwn(object, key)) {
    throw new ProtocolError("missing-field", `${ACTION}: key "${key}" is missing`, { field: key });
  }
  return object[key];
}

function wrongType(key: string, expected: string, got: unknown): ProtocolError {
  return new ProtocolError(
    "bad-field",
    `${ACTION}: key "${key}" must be ${expected}, got ${describeValue(got)}`,
    { field: key },
  );
}

/**
 * The `port` key: an integer 1..65535, or its decimal digits as a string
 * (vidgear sends the `port` option as given, and its examples give strings).
 */
function readPort(object: Record<string, unknown>, ports: Set<number> | undefined): number {
  const value = field(object, "port");
  let port: number | undefined;
  if (typeof value === "number") port = value;
  else if (typeof value === "string" && /^[0-9]{1,5}$/.test(value)) port = Number(value);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > MAX_PORT) {
    throw wrongType("port", "a port 1..65535 (a number or its digits)", value);
  }
  if (ports !== undefined && !ports.has(port)) {
    throw new ProtocolError(
      "bad-field",
      `${ACTION}: port ${port} is not one this client serves (${[...ports].join(", ")})`,
      { field: "port" },
    );
  }
  return port;
}

function decodeText(part: Uint8Array, what: string): string {
  try {
    return utf8.decode(part);
  } catch (cause) {
    throw new ProtocolError("malformed-cbor", `${ACTION}: ${what} is not UTF-8`, { cause });
  }
}

function startsWithBrace(part: Uint8Array): boolean {
  for (let i = 0; i < part.byteLength && i < 64; i++) {
    const byte = part[i];
    if (byte === 0x7b) return true;
    // JSON's whitespace may come first.
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
  }
  return false;
}

/**
 * Parses JSON as Python's `json` writes it: standard JSON plus the bare
 * tokens `NaN`, `Infinity` and `-Infinity`. First scans the text for its
 * nesting depth and item count, so that what `JSON.parse` builds is bounded.
 */
function parseJson(text: string, what: string, maxDepth: number, maxItems: number): unknown {
  let depth = 0;
  let items = 1;
  let inString = false;
  let constants = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    switch (c) {
      case 0x22: // "
        inString = true;
        break;
      case 0x7b: // {
      case 0x5b: // [
        if (++depth > maxDepth) {
          throw new ProtocolError(
            "too-complex",
            `${ACTION}: ${what} nests deeper than option "maxDepth" (${maxDepth})`,
          );
        }
        items++;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        depth--;
        break;
      case 0x2c: // ,
      case 0x3a: // :
        if (++items > maxItems) {
          throw new ProtocolError(
            "too-complex",
            `${ACTION}: ${what} holds more than option "maxItems" (${maxItems}) values and keys`,
          );
        }
        break;
      case 0x4e: // N: outside strings only in NaN
      case 0x49: // I: outside strings only in Infinity
        constants = true;
        break;
    }
  }
  try {
    return constants ? parseWithConstants(text) : JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError(
      "malformed-cbor",
      `${ACTION}: ${what} is not well-formed JSON (${describeError(cause)})`,
      { cause },
    );
  }
}

/** `JSON.parse` after turning Python's NaN/Infinity tokens into marked strings and back. */
function parseWithConstants(text: string): unknown {
  const mark = `\u0000vidgear-${crypto.randomUUID()}:`;
  const values: Record<string, number> = {
    [`${mark}NaN`]: NaN,
    [`${mark}Infinity`]: Infinity,
    [`${mark}-Infinity`]: -Infinity,
  };
  const out: string[] = [];
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    for (const token of ["NaN", "Infinity", "-Infinity"]) {
      if (text.startsWith(token, i)) {
        out.push(text.slice(start, i), JSON.stringify(`${mark}${token}`));
        i += token.length - 1;
        start = i + 1;
        break;
      }
    }
  }
  out.push(text.slice(start));
  return JSON.parse(
    out.join(""),
    (_key, value) =>
      typeof value === "string" && Object.hasOwn(values, value) ? values[value] : value,
  );
}

type ReadArray =
  | { encoding: "raw"; frame: Frame }
  | { encoding: "jpeg"; jpeg: VidgearJpeg };

/** A frame, or an array reply, from its compression, dtype and shape keys and its bytes. */
function readArray(
  compression: unknown,
  dtype: unknown,
  shape: unknown,
  data: Uint8Array,
  keys: { compression: string; dtype: string; shape: string },
): ReadArray {
  if (compression === false) return { encoding: "raw", frame: readRaw(dtype, shape, data, keys) };
  if (compression === null || typeof compression !== "object" || Array.isArray(compression)) {
    throw wrongType(keys.compression, 'false or {"dct", "ups", "colorspace"}', compression);
  }
  const c = compression as Record<string, unknown>;
  const dct = fieldOf(c, keys.compression, "dct");
  const ups = fieldOf(c, keys.compression, "ups");
  const colorspace = fieldOf(c, keys.compression, "colorspace");
  if (typeof dct !== "boolean") throw wrongType(`${keys.compression}.dct`, "a boolean", dct);
  if (typeof ups !== "boolean") throw wrongType(`${keys.compression}.ups`, "a boolean", ups);
  if (
    typeof colorspace !== "string" ||
    !(VIDGEAR_COLORSPACES as readonly string[]).includes(colorspace)
  ) {
    throw wrongType(
      `${keys.compression}.colorspace`,
      `one of ${VIDGEAR_COLORSPACES.join(", ")}`,
      colorspace,
    );
  }
  if (dtype !== "" || shape !== "") {
    throw new ProtocolError(
      "bad-field",
      `${ACTION}: a JPEG's "${keys.dtype}" and "${keys.shape}" must be "", got ${
        describeValue(dtype)
      } and ${describeValue(shape)}`,
      { field: dtype !== "" ? keys.dtype : keys.shape },
    );
  }
  if (colorspace === "CMYK") {
    throw new VidgearUnsupportedFrameError(
      `${ACTION}: a CMYK JPEG has no ActorGear pixel format`,
      `${keys.compression}.colorspace`,
      { dtype: "", shape: "", colorspace },
    );
  }
  if (data.byteLength < 3 || data[0] !== 0xff || data[1] !== 0xd8 || data[2] !== 0xff) {
    throw new ProtocolError(
      "bad-jpeg",
      `${ACTION}: compressed bytes must start with the JPEG markers FF D8 FF`,
      { field: "data" },
    );
  }
  const space = colorspace as Exclude<VidgearColorspace, "CMYK">;
  return {
    encoding: "jpeg",
    jpeg: {
      data,
      colorspace: space,
      format: FORMAT_OF_VIDGEAR_COLORSPACE[space],
      fastDct: dct,
      fastUpsample: ups,
    },
  };
}

function fieldOf(object: Record<string, unknown>, parent: string, key: string): unknown {
  if (!Object.hasOwn(object, key)) {
    throw new ProtocolError("missing-field", `${ACTION}: key "${parent}.${key}" is missing`, {
      field: `${parent}.${key}`,
    });
  }
  return object[key];
}

function readRaw(
  dtype: unknown,
  shape: unknown,
  data: Uint8Array,
  keys: { dtype: string; shape: string },
): Frame {
  if (typeof dtype !== "string") throw wrongType(keys.dtype, "a numpy dtype name", dtype);
  const itemsize = itemsizeOf(dtype);
  if (itemsize === undefined) throw wrongType(keys.dtype, "a numpy dtype name", dtype);
  if (
    !Array.isArray(shape) || shape.length === 0 || shape.length > MAX_NDIM ||
    !shape.every((n) => Number.isSafeInteger(n) && n >= 0)
  ) {
    throw wrongType(keys.shape, "a list of sizes", shape);
  }
  const dims = shape as number[];
  let expected = BigInt(itemsize);
  for (const n of dims) expected *= BigInt(n);
  if (expected !== BigInt(data.byteLength)) {
    throw new ProtocolError(
      "frame-size-mismatch",
      `${ACTION}: ${dtype} of shape [${
        dims.join(", ")
      }] is ${expected} bytes, got ${data.byteLength}`,
      { field: "data" },
    );
  }
  const isUint8 = dtype === "uint8" || /^[<>=|]?u1$/.test(dtype);
  const [height, width, channels = 1] = dims;
  const fits = dims.length >= 2 && dims.length <= 3 && height >= 1 && width >= 1 &&
    height <= MAX_DIMENSION && width <= MAX_DIMENSION && (channels === 1 || channels === 3);
  if (!isUint8 || !fits) {
    throw new VidgearUnsupportedFrameError(
      `${ACTION}: an ActorGear frame is uint8 of shape [h, w], [h, w, 1] or [h, w, 3] (h, w 1..65535), got ${dtype} of shape [${
        dims.slice(0, 8).join(", ")
      }${dims.length > 8 ? ", …" : ""}]`,
      isUint8 ? keys.shape : keys.dtype,
      { dtype, shape: dims },
    );
  }
  return { width, height, channels, format: channels === 3 ? "bgr24" : "gray", data };
}

function itemsizeOf(dtype: string): number | undefined {
  if (Object.hasOwn(DTYPE_ITEMSIZE, dtype)) return DTYPE_ITEMSIZE[dtype];
  const match = TYPESTR.exec(dtype);
  return match === null ? undefined : Number(match[2]);
}

// ------------------------------------------------------------------ encoding

function limit(name: string, value: number | undefined, min: number, max: number) {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot create VidgearCodec: option "${name}" must be an integer ${min}..${max}, got ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

function checkPortArgument(action: string, port: unknown): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > MAX_PORT) {
    throw new RangeError(
      `${action}: "port" must be an integer 1..65535, got ${describeValue(port)}`,
    );
  }
  return port;
}

/** A frame as numpy's uint8 array: its shape and bytes. */
function arrayOfFrame(
  action: string,
  what: string,
  frame: Frame,
): { shape: number[]; data: Uint8Array } {
  if (frame === null || typeof frame !== "object") {
    throw new TypeError(`${action}: "${what}" must be a Frame, got ${describeValue(frame)}`);
  }
  const format = frame.format ?? "bgr24";
  if (!(PIXEL_FORMATS as readonly unknown[]).includes(format)) {
    throw new TypeError(
      `${action}: "${what}.format" must be one of ${PIXEL_FORMATS.join(", ")}, got ${
        describeValue(format)
      }`,
    );
  }
  if (format !== "bgr24" && format !== "gray") {
    throw new TypeError(
      `${action}: "${what}.format" is ${format}; vidgear receivers take raw pixels as BGR (or gray), so convert to bgr24 or send a JPEG`,
    );
  }
  for (const key of ["width", "height"] as const) {
    const n = frame[key];
    if (!Number.isInteger(n) || n < 1 || n > MAX_DIMENSION) {
      throw new RangeError(
        `${action}: "${what}.${key}" must be an integer 1..65535, got ${describeValue(n)}`,
      );
    }
  }
  if (frame.channels !== CHANNELS_OF[format]) {
    throw new TypeError(
      `${action}: "${what}.channels" must be ${CHANNELS_OF[format]} for ${format}, got ${
        describeValue(frame.channels)
      }`,
    );
  }
  if (!(frame.data instanceof Uint8Array)) {
    throw new TypeError(
      `${action}: "${what}.data" must be a Uint8Array, got ${describeValue(frame.data)}`,
    );
  }
  const expected = frame.width * frame.height * frame.channels;
  if (frame.data.byteLength !== expected) {
    throw new RangeError(
      `${action}: "${what}.data" must hold width * height * channels = ${expected} bytes, got ${frame.data.byteLength}`,
    );
  }
  return {
    shape: format === "gray" ? [frame.height, frame.width] : [frame.height, frame.width, 3],
    data: frame.data,
  };
}

function checkJpegInput(
  action: string,
  jpeg: VidgearJpegInput,
): { data: Uint8Array; compression: string } {
  if (jpeg === null || typeof jpeg !== "object") {
    throw new TypeError(`${action}: "jpeg" must be an object, got ${describeValue(jpeg)}`);
  }
  const { data } = jpeg;
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`${action}: "jpeg.data" must be a Uint8Array, got ${describeValue(data)}`);
  }
  if (data.byteLength < 3 || data[0] !== 0xff || data[1] !== 0xd8 || data[2] !== 0xff) {
    throw new TypeError(`${action}: "jpeg.data" does not start with the JPEG markers FF D8 FF`);
  }
  const format = jpeg.format ?? "bgr24";
  if (!Object.hasOwn(VIDGEAR_COLORSPACE_OF_FORMAT, format)) {
    throw new TypeError(
      `${action}: "jpeg.format" must be one of ${PIXEL_FORMATS.join(", ")}, got ${
        describeValue(format)
      }`,
    );
  }
  const fastDct = jpeg.fastDct ?? true;
  const fastUpsample = jpeg.fastUpsample ?? false;
  if (typeof fastDct !== "boolean" || typeof fastUpsample !== "boolean") {
    throw new TypeError(`${action}: "jpeg.fastDct" and "jpeg.fastUpsample" must be booleans`);
  }
  return {
    data,
    compression: `{"dct":${fastDct},"ups":${fastUpsample},"colorspace":"${
      VIDGEAR_COLORSPACE_OF_FORMAT[format]
    }"}`,
  };
}

/** Python's type name for a JSON value, as vidgear's `return_type` carries it. */
function pythonTypeName(value: unknown): string {
  if (value === null) return "NoneType";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return Array.isArray(value) ? "list" : "dict";
}

/**
 * JSON text for a value, as Python's `json` reads it: checks that it is JSON
 * data (null, booleans, numbers, strings, arrays, plain objects; no
 * `undefined`, cycles or class instances) nested at most `maxDepth` deep,
 * and writes `NaN` and `±Infinity` as Python's bare tokens.
 */
function jsonText(action: string, key: string, value: unknown, maxDepth: number): string {
  let nonFinite = false;
  const ancestors = new Set<object>();
  const check = (v: unknown, path: string, depth: number): void => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return;
      case "number":
        if (!Number.isFinite(v)) nonFinite = true;
        return;
      case "object":
        break;
      default:
        throw new TypeError(
          `${action}: "${path}" is ${
            describeValue(v)
          }, which JSON cannot carry; use null, booleans, numbers, strings, arrays and plain objects`,
        );
    }
    if (v === null) return;
    // In the JSON object that carries it, a top-level container is 2 deep.
    if (depth + 2 > maxDepth) {
      throw new RangeError(
        `${action}: "${key}" nests deeper than option "maxDepth" (${maxDepth})`,
      );
    }
    if (ancestors.has(v)) throw new TypeError(`${action}: "${path}" refers to itself`);
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
      throw new TypeError(
        `${action}: "${path}" is ${describeValue(v)}, which JSON cannot carry; use plain objects`,
      );
    }
    ancestors.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) check(v[i], `${path}[${i}]`, depth + 1);
    } else {
      for (const [k, item] of Object.entries(v)) check(item, `${path}.${k}`, depth + 1);
    }
    ancestors.delete(v);
  };
  check(value, key, 0);
  if (!nonFinite) return JSON.stringify(value);
  const mark = `\u0000vidgear-${crypto.randomUUID()}:`;
  const text = JSON.stringify(
    value,
    (_k, v) =>
      typeof v === "number" && !Number.isFinite(v)
        ? `${mark}${Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity"}`
        : v,
  );
  // The marks are JSON strings whose escaped NUL no real string can end in the same nonce.
  const quoted = JSON.stringify(mark).slice(0, -1);
  return text.replaceAll(
    new RegExp(`${escapeRegExp(quoted)}(NaN|-?Infinity)"`, "g"),
    (_match, token: string) => token,
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export { ProtocolError } from "./protocol_errors.ts";
export type { ProtocolErrorCode } from "./protocol_errors.ts";
