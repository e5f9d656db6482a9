/**
 * ActorGear's wire protocol: a CBOR map per ZeroMQ message, carrying a
 * frame, a reply, a heartbeat or a server's goodbye; in version 2 a frame's
 * bytes may follow the map as a second message part. PROTOCOL.md beside this
 * file is the specification; this module is its TypeScript implementation.
 *
 * @module
 */

import { Decoder, Encoder } from "cbor-x";
import { CborScanError, CborScanner, type ScanLimits } from "./_cbor_scan.ts";
import { decodeMessage, NotAMapError, type RawHead, readHead } from "./_envelope_reader.ts";
import { CHANNELS_OF, type Frame, PIXEL_FORMATS, type PixelFormat } from "../../capture/frame.ts";
import { ProtocolError } from "./protocol_errors.ts";
import { describeError, describeValue } from "../../actors/describe.ts";

export {
  PROTOCOL_ERROR_CODES,
  ProtocolError,
  type ProtocolErrorCode,
  type ProtocolErrorOptions,
} from "./protocol_errors.ts";

/** The newest protocol version this module speaks (see {@linkcode PROTOCOL_VERSIONS}). */
export const PROTOCOL_VERSION = 2 as const;

/**
 * Every protocol version this module reads and writes; messages with another
 * `v` are rejected. Version 2 is version 1 plus one thing: a message carrying
 * a frame may send the frame's bytes as a second ZeroMQ part, uncopied.
 */
export const PROTOCOL_VERSIONS: readonly number[] = Object.freeze([1, 2]);

/** The largest heartbeat interval an envelope may announce (key `hb`), in ms: a day. */
export const MAX_HEARTBEAT_INTERVAL: number = 86_400_000;

/** The longest server identity an envelope may carry (key `sid`), in characters. */
export const MAX_SERVER_ID_LENGTH: number = 64;

/** The default largest message a {@linkcode ProtocolCodec} accepts: 64 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES: number = 64 * 1024 * 1024;

/** The largest `maxMessageBytes` allowed: a CBOR byte string header with a 32-bit length. */
export const MAX_MESSAGE_BYTES_LIMIT: number = 0xffff_ffff;

/** The default most CBOR data items in one received message (PROTOCOL.md §9). */
export const DEFAULT_MAX_ITEMS: number = 16_384;

/** The default deepest nesting of arrays, maps and tags in a received message (PROTOCOL.md §9). */
export const DEFAULT_MAX_DEPTH: number = 32;

/**
 * The default most bytes decoding a received message may copy (text strings,
 * typed arrays): 16 MiB (PROTOCOL.md §9).
 */
export const DEFAULT_MAX_COPY_BYTES: number = 16 * 1024 * 1024;

/**
 * What a received message may decode to beyond twice its own size, in bytes
 * (PROTOCOL.md §9): room for the envelope and a small message.
 */
export const DECODED_SIZE_ALLOWANCE: number = 64 * 1024;

/**
 * What an envelope is: servers send `"frame"`, `"heartbeat"` and
 * `"terminate"`; clients answer with `"reply"`.
 */
export type EnvelopeKind = "frame" | "reply" | "terminate" | "heartbeat";

/** Every {@linkcode EnvelopeKind}, in a stable order (for error messages). */
export const ENVELOPE_KINDS: readonly EnvelopeKind[] = Object.freeze([
  "frame",
  "reply",
  "terminate",
  "heartbeat",
]);

/** How a {@linkcode WireFrame}'s bytes are encoded. */
export type FrameEncoding = "raw" | "jpeg";

/** Every {@linkcode FrameEncoding}, in a stable order (for error messages). */
export const FRAME_ENCODINGS: readonly FrameEncoding[] = Object.freeze([
  "raw",
  "jpeg",
]);

/**
 * A frame as it travels: its geometry, pixel layout, encoding and bytes.
 *
 * For `"raw"`, `data` holds exactly `width * height * channels` bytes (see
 * {@linkcode Frame}). For `"jpeg"`, `data` is a JPEG file of any length and
 * `width`, `height`, `channels` describe the decoded image.
 */
export interface WireFrame {
  /** Width in pixels, an integer 1..65535. */
  width: number;
  /** Height in pixels, an integer 1..65535. */
  height: number;
  /** Channels per pixel; must equal `CHANNELS_OF[format]`. */
  channels: number;
  /** Pixel layout (of the decoded image for `"jpeg"`). */
  format: PixelFormat;
  /** How `data` is encoded. */
  encoding: FrameEncoding;
  /**
   * The bytes. After {@linkcode ProtocolCodec.decode} this is a view into the
   * received message, never a copy.
   */
  data: Uint8Array;
}

/** Why a client rejected a request, carried by an error reply. */
export interface WireError {
  /** A {@linkcode ProtocolErrorCode}, or an application-defined code. */
  code: string;
  /** A human-readable explanation. */
  message: string;
}

/**
 * One protocol message. PROTOCOL.md maps each property to its wire key
 * (`version` is `v`, `sentAt` is `ts`).
 */
export interface Envelope {
  /**
   * Protocol version, one of {@linkcode PROTOCOL_VERSIONS}: written as given,
   * and as received after decoding. With 2, {@linkcode ProtocolCodec.encodeParts}
   * sends a frame's bytes as a second part; a peer that speaks only 1
   * refuses it, so a reply repeats the version of the request it answers.
   */
  version: number;
  /** What this message is. */
  kind: EnvelopeKind;
  /**
   * The port of the connection the message travels on, an integer 1..65535:
   * the server's own in multi-server mode, the client's in multi-client mode
   * (PROTOCOL.md §5.5). A reply carries the port of the request it answers.
   */
  port: number;
  /**
   * Sequence number, an integer 0..2^53-1. A server numbers every envelope it
   * sends on its port 0, 1, 2, … whatever the kind; a `"reply"` repeats the
   * `seq` of the request it answers (0 on an error reply to a request whose
   * `seq` could not be read).
   */
  seq: number;
  /** Send time in milliseconds since the Unix epoch (`performance.timeOrigin + performance.now()`). */
  sentAt: number;
  /**
   * The sending server's heartbeat interval in ms, an integer
   * 1..{@linkcode MAX_HEARTBEAT_INTERVAL} (wire key `hb`, optional): the
   * client judges the server's silence by it.
   */
  heartbeatInterval?: number;
  /**
   * The sending server's identity (wire key `sid`, optional): text of 1 to
   * {@linkcode MAX_SERVER_ID_LENGTH} ASCII characters, random per server,
   * so that a client can tell two servers on one port apart, and a restart
   * from a second sender.
   */
  serverId?: string;
  /** Any CBOR-encodable value; absent when `undefined`. */
  message?: unknown;
  /** The frame: required for `"frame"`, optional for `"reply"`, forbidden otherwise. */
  frame?: WireFrame;
  /** Present on a `"reply"` when the client rejected the request; forbidden otherwise. */
  error?: WireError;
}

/** Options for {@linkcode ProtocolCodec}. */
export interface ProtocolCodecOptions {
  /**
   * The largest message, in bytes, that {@linkcode ProtocolCodec.decode}
   * accepts and {@linkcode ProtocolCodec.encode} produces; an integer
   * 1..{@linkcode MAX_MESSAGE_BYTES_LIMIT}. Set the socket's ZMQ_MAXMSGSIZE to
   * the same value so libzmq drops larger messages before buffering them.
   *
   * @default {67108864}
   */
  maxMessageBytes?: number;
  /**
   * The most CBOR data items (numbers, strings, array and map headers, tags…)
   * a received message may hold, an integer 1..2^24. Decoding costs up to
   * about a microsecond an item: the default keeps any message under 20 ms.
   * Send bulk numbers as a typed array, which is one item.
   *
   * @default {16384}
   */
  maxItems?: number;
  /**
   * The deepest nesting of arrays, maps and tags in a received message, an
   * integer 2..256 (the envelope itself uses 2).
   *
   * @default {32}
   */
  maxDepth?: number;
  /**
   * The most bytes decoding one received message may copy, an integer
   * 0..{@linkcode MAX_MESSAGE_BYTES_LIMIT}: text strings (decoded at about
   * 1 ms per MiB) and typed arrays of 2-to-8-byte elements (copied when not
   * aligned). Byte strings and `Uint8Array`s are never copied.
   *
   * @default {16777216}
   */
  maxCopyBytes?: number;
}

/** Options of {@linkcode ProtocolCodec.decode} and {@linkcode ProtocolCodec.decodeParts}. */
export interface DecodeOptions {
  /**
   * The port the message arrived on: a message naming another port is
   * refused (`bad-field`, field `port`) before its `message` is decoded.
   *
   * @default {undefined} any port
   */
  port?: number;
}

type Action = "encode envelope" | "decode envelope" | "convert frame";

interface WireFrameMap {
  w: number;
  h: number;
  c: number;
  fmt: PixelFormat;
  enc: FrameEncoding;
  /** Absent when the bytes travel as the message's second part. */
  data?: Uint8Array;
}

interface WireMap {
  v: number;
  kind: EnvelopeKind;
  port: number;
  seq: number | bigint;
  ts: number;
  hb?: number;
  sid?: string;
  message?: unknown;
  error?: WireError;
  frame?: WireFrameMap;
}

// Stand-in for the frame bytes while cbor-x encodes everything else: it must
// encode as the one-byte empty byte string 0x40, the last byte of the output.
const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_BYTE_STRING = 0x40;
const MAX_DIMENSION = 65535;
const MAX_PORT = 65535;
const UINT32_LIMIT = 0x1_0000_0000;

const ALIASES: Readonly<Record<string, string>> = {
  v: "version",
  ts: "sentAt",
  hb: "heartbeatInterval",
  sid: "serverId",
  "frame.w": "width",
  "frame.h": "height",
  "frame.c": "channels",
  "frame.fmt": "format",
  "frame.enc": "encoding",
};

/**
 * Encodes and decodes {@linkcode Envelope}s: one CBOR item per message, or in
 * version 2 a CBOR item and a frame's bytes as a second part. Keep one per
 * socket: it reuses one cbor-x encoder and decoder.
 *
 * {@linkcode ProtocolCodec.encode} returns a buffer of its own (nothing else
 * writes to it later), into which the frame bytes are copied exactly once;
 * {@linkcode ProtocolCodec.encodeParts} does not copy them at all. The
 * decoders return frame bytes as a view into the message they were given.
 *
 * @example Round-trip a frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProtocolCodec } from "./protocol.ts";
 *
 * const codec = new ProtocolCodec();
 * const bytes = codec.encode({
 *   version: 1,
 *   kind: "frame",
 *   port: 5566,
 *   seq: 0,
 *   sentAt: performance.timeOrigin + performance.now(),
 *   message: { camera: "hall" },
 *   frame: {
 *     width: 2,
 *     height: 1,
 *     channels: 3,
 *     format: "bgr24",
 *     encoding: "raw",
 *     data: new Uint8Array([0, 0, 255, 0, 255, 0]),
 *   },
 * });
 * const envelope = codec.decode(bytes);
 * assert.ok(envelope.frame?.data.buffer === bytes.buffer);
 * ```
 */
export class ProtocolCodec {
  #maxMessageBytes: number;
  #maxItems: number;
  #maxDepth: number;
  #maxCopyBytes: number;
  #encoder: Encoder;
  #decoder: Decoder;
  #scanner = new CborScanner();

  /**
   * Creates a codec.
   *
   * @param options The message size limit.
   * @throws {RangeError} If `maxMessageBytes` is not an integer
   *   1..{@linkcode MAX_MESSAGE_BYTES_LIMIT}.
   */
  constructor(options: ProtocolCodecOptions = {}) {
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > MAX_MESSAGE_BYTES_LIMIT) {
      throw new RangeError(
        `Cannot create ProtocolCodec: option "maxMessageBytes" must be an integer 1..${MAX_MESSAGE_BYTES_LIMIT}, got ${
          describeValue(max)
        }`,
      );
    }
    this.#maxMessageBytes = max;
    this.#maxItems = checkLimit("maxItems", options.maxItems ?? DEFAULT_MAX_ITEMS, 1, 2 ** 24);
    this.#maxDepth = checkLimit("maxDepth", options.maxDepth ?? DEFAULT_MAX_DEPTH, 2, 256);
    this.#maxCopyBytes = checkLimit(
      "maxCopyBytes",
      options.maxCopyBytes ?? DEFAULT_MAX_COPY_BYTES,
      0,
      MAX_MESSAGE_BYTES_LIMIT,
    );
    // tagUint8Array: false keeps Uint8Array a plain byte string (cbor-x tags
    // it 64 whenever a global Buffer exists, which Deno defines);
    // variableMapSize writes the shortest map headers.
    const cborOptions = {
      useRecords: false,
      mapsAsObjects: true,
      tagUint8Array: false,
      variableMapSize: true,
    };
    this.#encoder = new Encoder(cborOptions);
    this.#decoder = new Decoder(cborOptions);
  }

  /** The largest message, in bytes, this codec encodes or accepts. */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes;
  }

  /**
   * Encodes an envelope as one CBOR map.
   *
   * The result owns its whole `ArrayBuffer` (offset 0, exact length), so it
   * stays valid however long a socket holds it. Frame bytes are copied once,
   * straight into it; bytes inside `message` are copied twice (by cbor-x,
   * then into the result).
   *
   * With `options.into` large enough, a message carrying a frame is written
   * into it instead of a new buffer (the result is a view of it): for
   * senders that know when the previous message has left, such as a REQ
   * socket once its reply came, so that no buffer is allocated per frame.
   *
   * @param envelope The message to encode.
   * @param options `into`: a buffer to reuse for frame messages.
   * @returns The encoded message.
   * @throws {TypeError} If a field is missing, of the wrong type or not
   *   allowed with this kind, or `message` holds something CBOR cannot carry
   *   (a function, a symbol, a cycle); `cause` is a {@linkcode ProtocolError}
   *   naming the field when one is at fault.
   * @throws {RangeError} If the result would exceed `maxMessageBytes` or a
   *   raw frame's byte count is not `width * height * channels`.
   * @example Encode a heartbeat
   * ```ts
   * import assert from "node:assert/strict";
   * import { ProtocolCodec } from "./protocol.ts";
   *
   * const bytes = new ProtocolCodec().encode({
   *   version: 1,
   *   kind: "heartbeat",
   *   port: 5566,
   *   seq: 3,
   *   sentAt: Date.now(),
   * });
   * assert.ok(bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length);
   * ```
   */
  encode(envelope: Envelope, options: { into?: Uint8Array } = {}): Uint8Array {
    const { wire, head } = this.#encodeHead(envelope, false);
    const data = wire.frame === undefined ? undefined : envelope.frame!.data;
    if (data === undefined) {
      this.#checkEncodedSize(head.length);
      // cbor-x returns a view into a buffer it shares between all encoders
      // and may rewrite later: copy out.
      return Uint8Array.prototype.slice.call(head);
    }
    // The frame map is the last entry and its data the last key, so the
    // output ends with the placeholder's 0x40: replace it with the real
    // byte string header and the frame bytes, copied once.
    const prefix = head.length - 1;
    if (head[prefix] !== EMPTY_BYTE_STRING) {
      throw new Error(
        "Cannot encode envelope: cbor-x did not end the message with the frame placeholder (a bug in ActorGear)",
      );
    }
    const n = data.byteLength;
    const headerBytes = n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
    const total = prefix + headerBytes + n;
    this.#checkEncodedSize(total);
    const into = options.into;
    const out = into !== undefined && into.byteLength >= total
      ? into.subarray(0, total)
      : new Uint8Array(total);
    out.set(head.subarray(0, prefix));
    let p = prefix;
    if (headerBytes === 1) {
      out[p++] = 0x40 | n;
    } else if (headerBytes === 2) {
      out[p++] = 0x58;
      out[p++] = n;
    } else if (headerBytes === 3) {
      out[p++] = 0x59;
      out[p++] = n >>> 8;
      out[p++] = n & 0xff;
    } else {
      out[p++] = 0x5a;
      out[p++] = n >>> 24;
      out[p++] = (n >>> 16) & 0xff;
      out[p++] = (n >>> 8) & 0xff;
      out[p++] = n & 0xff;
    }
    out.set(data, p);
    return out;
  }

  /**
   * Encodes an envelope as the parts of one ZeroMQ message. With `version` 2
   * and a frame that is two parts: the CBOR map without the frame's `data`,
   * then the frame's bytes themselves, not copied. Otherwise it is the one
   * part {@linkcode ProtocolCodec.encode} makes.
   *
   * The second part is `envelope.frame.data` itself, and ZeroMQ sends parts
   * over 128 bytes without copying them: leave those bytes unchanged until
   * the message has left (in REQ/REP, until its reply has come).
   *
   * @param envelope The message to encode.
   * @returns One or two parts; the first owns its whole `ArrayBuffer`.
   * @throws {TypeError} As {@linkcode ProtocolCodec.encode}.
   * @throws {RangeError} If both parts together would exceed
   *   `maxMessageBytes`, or as {@linkcode ProtocolCodec.encode}.
   * @example Send a frame without copying its pixels
   * ```ts
   * import assert from "node:assert/strict";
   * import { ProtocolCodec } from "./protocol.ts";
   *
   * const codec = new ProtocolCodec();
   * const data = new Uint8Array(640 * 480 * 3);
   * const parts = codec.encodeParts({
   *   version: 2,
   *   kind: "frame",
   *   port: 5566,
   *   seq: 0,
   *   sentAt: Date.now(),
   *   frame: { width: 640, height: 480, channels: 3, format: "bgr24", encoding: "raw", data },
   * });
   * assert.ok(parts.length === 2 && parts[1] === data);
   * assert.ok(codec.decodeParts(parts).frame?.data.buffer === data.buffer);
   * ```
   */
  encodeParts(envelope: Envelope): Uint8Array[] {
    if (envelope?.version !== 2 || envelope.frame === undefined) return [this.encode(envelope)];
    const { head } = this.#encodeHead(envelope, true);
    const data = envelope.frame.data;
    this.#checkEncodedSize(head.length + data.byteLength);
    // cbor-x's result is a view into a buffer it shares and may rewrite: copy out.
    return [Uint8Array.prototype.slice.call(head), data];
  }

  /**
   * Decodes and validates one received message.
   *
   * Frame bytes come back as a plain `Uint8Array` view into `bytes` (no
   * copy): copy them before `bytes` is reused. Byte strings inside `message`
   * are views too, and so are typed arrays whose offset is aligned.
   *
   * @param bytes The message as received (a Node `Buffer` is fine).
   * @returns The envelope.
   * @throws {ProtocolError} If the message breaks any rule of PROTOCOL.md;
   *   its `code` and `field` say which.
   * @throws {TypeError} If `bytes` is not a `Uint8Array`.
   * @example Reject garbage
   * ```ts
   * import assert from "node:assert/strict";
   * import { ProtocolCodec, ProtocolError } from "./protocol.ts";
   *
   * try {
   *   new ProtocolCodec().decode(new Uint8Array([0xff]));
   * } catch (error) {
   *   assert.ok(error instanceof ProtocolError && error.code === "malformed-cbor");
   * }
   * ```
   */
  decode(bytes: Uint8Array, options: DecodeOptions = {}): Envelope {
    checkBytes(bytes);
    this.#checkReceivedSize(bytes.byteLength);
    return this.#read(bytes, undefined, options.port);
  }

  /**
   * Decodes and validates a received message of one part (as
   * {@linkcode ProtocolCodec.decode}) or, in version 2, two: the envelope
   * and its frame's bytes.
   *
   * @param parts The message's parts as received.
   * @returns The envelope; a two-part message's `frame.data` is a plain
   *   `Uint8Array` view of the second part (no copy).
   * @throws {ProtocolError} If the message breaks any rule of PROTOCOL.md,
   *   including a part count other than 1 or 2, or two parts that are not a
   *   version 2 envelope with a frame (`code` and `field` say which).
   * @throws {TypeError} If `parts` is not an array of `Uint8Array`s.
   * @example Decode whatever a socket received
   * ```ts
   * import assert from "node:assert/strict";
   * import { ProtocolCodec, ProtocolError } from "./protocol.ts";
   *
   * const codec = new ProtocolCodec();
   * const heartbeat = codec.encode({ version: 1, kind: "heartbeat", port: 5566, seq: 0, sentAt: 0 });
   * assert.ok(codec.decodeParts([heartbeat]).kind === "heartbeat");
   * try {
   *   codec.decodeParts([heartbeat, new Uint8Array(3)]);
   * } catch (error) {
   *   assert.ok(error instanceof ProtocolError && error.field === "v");
   * }
   * ```
   */
  decodeParts(parts: readonly Uint8Array[], options: DecodeOptions = {}): Envelope {
    if (!Array.isArray(parts)) {
      throw new TypeError(
        `Cannot decode envelope: expected an array of message parts, got ${describeValue(parts)}`,
      );
    }
    if (parts.length === 1) return this.decode(parts[0], options);
    if (parts.length !== 2) {
      throw new ProtocolError(
        "malformed-cbor",
        `Cannot decode envelope: a message has 1 part (2 in version 2, with a frame), got ${parts.length}`,
      );
    }
    const [head, data] = parts;
    checkBytes(head);
    checkBytes(data);
    this.#checkReceivedSize(head.byteLength + data.byteLength);
    return this.#read(head, data, options.port);
  }

  #checkReceivedSize(size: number): void {
    if (size > this.#maxMessageBytes) {
      throw new ProtocolError(
        "oversized",
        `Cannot decode envelope: the message has ${size} bytes, more than option "maxMessageBytes" (${this.#maxMessageBytes})`,
      );
    }
  }

  /** Checks an envelope and encodes it (with `split`, its frame map without `data`). */
  #encodeHead(envelope: Envelope, split: boolean): { wire: WireMap; head: Uint8Array } {
    let wire: WireMap;
    try {
      wire = toWire(envelope, split);
    } catch (error) {
      throw asArgumentError(error);
    }
    try {
      return { wire, head: this.#encoder.encode(wire) };
    } catch (cause) {
      throw new TypeError(
        `Cannot encode envelope: key "message" holds a value CBOR cannot carry (${
          describeError(cause)
        }); use plain data, Map, Set, Date, bigint or typed arrays`,
        { cause },
      );
    }
  }

  /**
   * Reads and checks the envelope head, then decodes `message`: a message
   * refused for its head costs no decoding, and every item is scanned
   * against the limits before cbor-x sees it.
   */
  #read(bytes: Uint8Array, second: Uint8Array | undefined, port: number | undefined): Envelope {
    if (bytes.byteLength === 0) {
      throw new ProtocolError(
        "malformed-cbor",
        "Cannot decode envelope: the message is empty",
      );
    }
    // A plain Uint8Array view makes byte strings plain Uint8Array views too
    // (Buffer.subarray would give Buffers).
    const view = bytes.constructor === Uint8Array
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size = view.byteLength + (second?.byteLength ?? 0);
    this.#scanner.reset(view, this.#limits(size));
    let head: RawHead;
    try {
      head = readHead(view, this.#scanner, this.#decoder);
    } catch (error) {
      throw decodeError(error);
    }
    const envelope = fromWire(head, second, port);
    if (head.messageStart >= 0) {
      try {
        envelope.message = decodeMessage(view, head, this.#decoder);
      } catch (cause) {
        throw new ProtocolError(
          "malformed-cbor",
          `Cannot decode envelope: key "message" is not well-formed CBOR (${describeError(cause)})`,
          { field: "message", cause },
        );
      }
    }
    return envelope;
  }

  #limits(size: number): ScanLimits {
    return {
      maxDepth: this.#maxDepth,
      maxItems: this.#maxItems,
      maxCopyBytes: this.#maxCopyBytes,
      maxDecodedBytes: 2 * size + DECODED_SIZE_ALLOWANCE,
    };
  }

  #checkEncodedSize(size: number): void {
    if (size > this.#maxMessageBytes) {
      throw new RangeError(
        `Cannot encode envelope: the message would have ${size} bytes, more than option "maxMessageBytes" (${this.#maxMessageBytes})`,
        {
          cause: new ProtocolError(
            "oversized",
            `Cannot encode envelope: ${size} bytes exceed ${this.#maxMessageBytes}`,
          ),
        },
      );
    }
  }
}

/**
 * Describes a {@linkcode Frame} for the wire, without copying its bytes.
 *
 * @param frame The frame; `format` defaults to `"bgr24"`.
 * @param encoding Only `"raw"` for now.
 * @returns A wire frame sharing `frame.data`.
 * @throws {TypeError} If the format or encoding is unknown, or `channels`
 *   does not match the format.
 * @throws {RangeError} If width or height is not an integer 1..65535, or
 *   `data` does not hold `width * height * channels` bytes.
 * @example Wrap a captured frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { frameToWire } from "./protocol.ts";
 *
 * const wire = frameToWire({ width: 2, height: 2, channels: 1, format: "gray", data: new Uint8Array(4) });
 * assert.ok(wire.encoding === "raw" && wire.format === "gray");
 * ```
 */
export function frameToWire(frame: Frame, encoding: "raw" = "raw"): WireFrame {
  try {
    return makeWireFrame(
      "convert frame",
      frame.width,
      frame.height,
      frame.channels,
      frame.format ?? "bgr24",
      encoding,
      frame.data,
    );
  } catch (error) {
    throw asArgumentError(error);
  }
}

/**
 * Turns a received raw wire frame into a {@linkcode Frame}, without copying:
 * the frame's `data` stays a view into the received message.
 *
 * @param wire A wire frame with encoding `"raw"`.
 * @returns The frame.
 * @throws {TypeError} If the encoding is not `"raw"` (decode JPEG first) or a
 *   field is invalid.
 * @throws {RangeError} If `data` does not hold `width * height * channels` bytes.
 * @example Unwrap a wire frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { wireToFrame } from "./protocol.ts";
 *
 * const data = new Uint8Array(6);
 * const frame = wireToFrame({ width: 2, height: 1, channels: 3, format: "rgb24", encoding: "raw", data });
 * assert.ok(frame.data === data);
 * ```
 */
export function wireToFrame(wire: WireFrame): Frame {
  if (wire.encoding !== "raw") {
    throw new TypeError(
      `Cannot convert wire frame to Frame: encoding ${
        describeValue(wire.encoding)
      } needs decoding first; only "raw" converts directly`,
    );
  }
  let checked: WireFrame;
  try {
    checked = makeWireFrame(
      "convert frame",
      wire.width,
      wire.height,
      wire.channels,
      wire.format,
      wire.encoding,
      wire.data,
    );
  } catch (error) {
    throw asArgumentError(error);
  }
  return {
    width: checked.width,
    height: checked.height,
    channels: checked.channels,
    format: checked.format,
    data: wire.data,
  };
}

/** The map cbor-x encodes; with `split`, the frame map has no `data` (it goes as a second part). */
function toWire(envelope: Envelope, split: boolean): WireMap {
  const action = "encode envelope";
  if (envelope === null || typeof envelope !== "object") {
    throw new ProtocolError(
      "not-a-map",
      `Cannot ${action}: expected an Envelope object, got ${describeValue(envelope)}`,
    );
  }
  const version = checkVersion(action, envelope.version);
  const kind = checkKind(action, envelope.kind);
  const port = checkPort(action, envelope.port);
  const seq = checkSequence(action, envelope.seq);
  const ts = checkTimestamp(action, envelope.sentAt);
  const wire: WireMap = {
    v: version,
    kind,
    port,
    // cbor-x writes integers of 2^32 and above as float64 unless they are
    // bigints; the wire wants a CBOR unsigned integer.
    seq: seq < UINT32_LIMIT ? seq : BigInt(seq),
    ts,
  };
  if (envelope.heartbeatInterval !== undefined) {
    wire.hb = checkHeartbeatInterval(action, envelope.heartbeatInterval);
  }
  if (envelope.serverId !== undefined) wire.sid = checkServerId(action, envelope.serverId);
  const error = envelope.error === undefined ? undefined : checkError(action, envelope.error);
  checkKindRules(action, kind, envelope.frame !== undefined, envelope.message !== undefined, error);
  if (envelope.message !== undefined) wire.message = envelope.message;
  if (error !== undefined) wire.error = error;
  if (envelope.frame !== undefined) {
    const f = envelope.frame;
    if (f === null || typeof f !== "object") {
      throw badField(action, "frame", "a WireFrame object", f);
    }
    const checked = makeWireFrame(
      action,
      f.width,
      f.height,
      f.channels,
      f.format,
      f.encoding,
      f.data,
    );
    // Must stay the last key, with data its last key: encode() splices the
    // real bytes in where this placeholder ends the output.
    wire.frame = {
      w: checked.width,
      h: checked.height,
      c: checked.channels,
      fmt: checked.format,
      enc: checked.encoding,
    };
    if (!split) wire.frame.data = EMPTY_BYTES;
  }
  return wire;
}

/**
 * Validates a received head; `second` is a two-part message's second part,
 * `expectedPort` the port it arrived on. `message` is not decoded yet.
 */
function fromWire(
  map: RawHead,
  second: Uint8Array | undefined,
  expectedPort: number | undefined,
): Envelope {
  const action = "decode envelope";
  const hasMessage = map.messageStart >= 0;
  const version = checkVersion(action, map.v);
  if (second !== undefined && version !== 2) {
    throw new ProtocolError(
      "bad-field",
      `Cannot ${action}: a message of two parts must have ${
        label("v")
      } 2, got ${version}; a version ${version} message has one part`,
      { field: "v" },
    );
  }
  const kind = checkKind(action, map.kind);
  const port = checkPort(action, map.port);
  if (expectedPort !== undefined && port !== expectedPort) {
    throw new ProtocolError(
      "bad-field",
      `Cannot accept message: it names port ${port} but arrived on port ${expectedPort}; give each server its own port`,
      { field: "port" },
    );
  }
  const seq = checkSequence(action, map.seq);
  const sentAt = checkTimestamp(action, map.ts);
  const heartbeatInterval = map.hb === undefined
    ? undefined
    : checkHeartbeatInterval(action, map.hb);
  const serverId = map.sid === undefined ? undefined : checkServerId(action, map.sid);
  const error = map.error === undefined ? undefined : checkError(action, map.error);
  checkKindRules(action, kind, map.frame !== undefined, hasMessage, error);
  const envelope: Envelope = {
    version,
    kind,
    port,
    seq,
    sentAt,
  };
  if (heartbeatInterval !== undefined) envelope.heartbeatInterval = heartbeatInterval;
  if (serverId !== undefined) envelope.serverId = serverId;
  if (second !== undefined && map.frame === undefined) {
    throw new ProtocolError(
      "missing-field",
      `Cannot ${action}: a two-part message's second part is a frame's bytes, but required key "frame" is missing`,
      { field: "frame" },
    );
  }
  if (map.frame !== undefined) {
    const f = map.frame;
    if (!isPlainObject(f)) throw badField(action, "frame", "a map", f);
    if (second !== undefined && f.data !== undefined) {
      throw new ProtocolError(
        "bad-field",
        `Cannot ${action}: key "frame.data" must be absent in a two-part message, whose second part holds the frame's bytes`,
        { field: "frame.data" },
      );
    }
    envelope.frame = makeWireFrame(
      action,
      f.w,
      f.h,
      f.c,
      f.fmt,
      f.enc,
      second ?? f.data,
    );
  }
  if (error !== undefined) envelope.error = error;
  return envelope;
}

function checkVersion(action: Action, value: unknown): number {
  if (value === undefined) throw missingField(action, "v");
  const version = integerIn(value, 0, Number.MAX_SAFE_INTEGER);
  if (version === undefined) {
    throw badField(action, "v", "a non-negative integer", value);
  }
  if (!PROTOCOL_VERSIONS.includes(version)) {
    throw new ProtocolError(
      "unknown-version",
      `Cannot ${action}: protocol version ${version} is not supported; valid: ${
        PROTOCOL_VERSIONS.join(", ")
      }`,
      { field: "v" },
    );
  }
  return version;
}

/** A failure to read a message's CBOR, as the ProtocolError it is. */
function decodeError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (error instanceof CborScanError) {
    return new ProtocolError(error.failure, `Cannot decode envelope: ${error.message}`, {
      field: error.field,
      cause: error,
    });
  }
  if (error instanceof NotAMapError) {
    return new ProtocolError(
      "not-a-map",
      `Cannot decode envelope: the message must be an untagged CBOR map, got ${error.message}`,
    );
  }
  return new ProtocolError(
    "malformed-cbor",
    `Cannot decode envelope: the message is not one well-formed CBOR item (${
      describeError(error)
    })`,
    { cause: error },
  );
}

function checkLimit(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot create ProtocolCodec: option "${name}" must be an integer ${min}..${max}, got ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

function checkBytes(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot decode envelope: expected a Uint8Array, got ${describeValue(bytes)}`,
    );
  }
}

function checkKind(action: Action, value: unknown): EnvelopeKind {
  if (value === undefined) throw missingField(action, "kind");
  if (!(ENVELOPE_KINDS as readonly unknown[]).includes(value)) {
    throw badField(action, "kind", `one of ${quoted(ENVELOPE_KINDS)}`, value);
  }
  return value as EnvelopeKind;
}

function checkPort(action: Action, value: unknown): number {
  if (value === undefined) throw missingField(action, "port");
  const port = integerIn(value, 1, MAX_PORT);
  if (port === undefined) {
    throw badField(action, "port", `an integer 1..${MAX_PORT}`, value);
  }
  return port;
}

function checkSequence(action: Action, value: unknown): number {
  if (value === undefined) throw missingField(action, "seq");
  const seq = integerIn(value, 0, Number.MAX_SAFE_INTEGER);
  if (seq === undefined) {
    throw badField(
      action,
      "seq",
      `an integer 0..${Number.MAX_SAFE_INTEGER}`,
      value,
    );
  }
  return seq;
}

function checkTimestamp(action: Action, value: unknown): number {
  if (value === undefined) throw missingField(action, "ts");
  // An integer epoch in ms needs 8 bytes in CBOR, which cbor-x decodes as a
  // bigint: accept it while it is exactly representable.
  if (
    typeof value === "bigint" && value <= BigInt(Number.MAX_SAFE_INTEGER) &&
    value >= BigInt(Number.MIN_SAFE_INTEGER)
  ) {
    return Number(value);
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw badField(action, "ts", "a finite number", value);
  }
  return value;
}

function checkHeartbeatInterval(action: Action, value: unknown): number {
  const interval = integerIn(value, 1, MAX_HEARTBEAT_INTERVAL);
  if (interval === undefined) {
    throw badField(action, "hb", `an integer 1..${MAX_HEARTBEAT_INTERVAL} (ms)`, value);
  }
  return interval;
}

function checkServerId(action: Action, value: unknown): string {
  if (
    typeof value !== "string" || value.length === 0 || value.length > MAX_SERVER_ID_LENGTH ||
    !/^[\x21-\x7e]+$/.test(value)
  ) {
    throw badField(
      action,
      "sid",
      `text of 1 to ${MAX_SERVER_ID_LENGTH} printable ASCII characters`,
      value,
    );
  }
  return value;
}

function checkError(action: Action, value: unknown): WireError {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badField(action, "error", "a map", value);
  }
  const { code, message } = value as Record<string, unknown>;
  if (code === undefined) throw missingField(action, "error.code");
  if (typeof code !== "string" || code === "") {
    throw badField(action, "error.code", "a non-empty string", code);
  }
  if (message === undefined) throw missingField(action, "error.message");
  if (typeof message !== "string") {
    throw badField(action, "error.message", "a string", message);
  }
  return { code, message };
}

function checkKindRules(
  action: Action,
  kind: EnvelopeKind,
  hasFrame: boolean,
  hasMessage: boolean,
  error: WireError | undefined,
): void {
  // A "frame" envelope may carry data alone, but not nothing at all.
  if (kind === "frame" && !hasFrame && !hasMessage) throw missingField(action, "frame");
  if (kind === "reply") return;
  if (hasFrame && kind !== "frame") {
    throw notAllowed(action, "frame", kind, '"frame" and "reply"');
  }
  if (error !== undefined) throw notAllowed(action, "error", kind, '"reply"');
}

/**
 * Whether `data` is what a frame of this shape carries: exactly `w*h*c`
 * bytes when raw, a JPEG's opening markers (FF D8 FF) when JPEG.
 *
 * @param width Width in pixels.
 * @param height Height in pixels.
 * @param channels Channels per pixel.
 * @param encoding `"raw"` or `"jpeg"`.
 * @param data The frame's bytes.
 * @returns Whether an encoder or decoder takes them.
 */
export function frameDataFits(
  width: number,
  height: number,
  channels: number,
  encoding: FrameEncoding,
  data: Uint8Array,
): boolean {
  return encoding === "raw"
    ? data.byteLength === width * height * channels
    : data.byteLength >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
}

function makeWireFrame(
  action: Action,
  w: unknown,
  h: unknown,
  c: unknown,
  fmt: unknown,
  enc: unknown,
  data: unknown,
): WireFrame {
  if (w === undefined) throw missingField(action, "frame.w");
  const width = integerIn(w, 1, MAX_DIMENSION);
  if (width === undefined) {
    throw badField(action, "frame.w", `an integer 1..${MAX_DIMENSION}`, w);
  }
  if (h === undefined) throw missingField(action, "frame.h");
  const height = integerIn(h, 1, MAX_DIMENSION);
  if (height === undefined) {
    throw badField(action, "frame.h", `an integer 1..${MAX_DIMENSION}`, h);
  }
  if (fmt === undefined) throw missingField(action, "frame.fmt");
  if (!(PIXEL_FORMATS as readonly unknown[]).includes(fmt)) {
    throw badField(action, "frame.fmt", `one of ${quoted(PIXEL_FORMATS)}`, fmt);
  }
  const format = fmt as PixelFormat;
  if (c === undefined) throw missingField(action, "frame.c");
  const channels = integerIn(c, 1, 4);
  if (channels !== CHANNELS_OF[format]) {
    throw badField(
      action,
      "frame.c",
      `${CHANNELS_OF[format]} for format "${format}"`,
      c,
    );
  }
  if (enc === undefined) throw missingField(action, "frame.enc");
  if (!(FRAME_ENCODINGS as readonly unknown[]).includes(enc)) {
    throw badField(
      action,
      "frame.enc",
      `one of ${quoted(FRAME_ENCODINGS)}`,
      enc,
    );
  }
  const encoding = enc as FrameEncoding;
  if (data === undefined) throw missingField(action, "frame.data");
  if (!(data instanceof Uint8Array)) {
    throw badField(action, "frame.data", "a byte string", data);
  }
  if (!frameDataFits(width, height, channels, encoding, data)) {
    if (encoding === "raw") {
      throw new ProtocolError(
        "frame-size-mismatch",
        `Cannot ${action}: a raw ${width}x${height} "${format}" frame needs ${
          width * height * channels
        } bytes (w*h*c), key "frame.data" has ${data.byteLength}`,
        { field: "frame.data" },
      );
    }
    throw new ProtocolError(
      "bad-jpeg",
      `Cannot ${action}: key "frame.data" of a "jpeg" frame must start with the JPEG markers FF D8 FF, got ${
        hexStart(data)
      }`,
      { field: "frame.data" },
    );
  }
  return {
    width,
    height,
    channels,
    format,
    encoding,
    data: data.constructor === Uint8Array
      ? data
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function integerIn(
  value: unknown,
  min: number,
  max: number,
): number | undefined {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= min && value <= max ? value : undefined;
  }
  // cbor-x decodes every 8-byte integer as a bigint, however small.
  if (typeof value === "bigint") {
    return value >= BigInt(min) && value <= BigInt(max) ? Number(value) : undefined;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype;
}

function label(field: string): string {
  const alias = ALIASES[field];
  return alias === undefined ? `key "${field}"` : `key "${field}" (${alias})`;
}

function missingField(action: Action, field: string): ProtocolError {
  return new ProtocolError(
    "missing-field",
    `Cannot ${action}: required ${label(field)} is missing`,
    { field },
  );
}

function badField(
  action: Action,
  field: string,
  expected: string,
  got: unknown,
): ProtocolError {
  return new ProtocolError(
    "bad-field",
    `Cannot ${action}: ${label(field)} must be ${expected}, got ${describeValue(got)}`,
    { field },
  );
}

function notAllowed(
  action: Action,
  field: string,
  kind: EnvelopeKind,
  allowed: string,
): ProtocolError {
  return new ProtocolError(
    "bad-field",
    `Cannot ${action}: ${label(field)} is not allowed on kind "${kind}", only on ${allowed}`,
    { field },
  );
}

function asArgumentError(error: unknown): unknown {
  if (!(error instanceof ProtocolError)) return error;
  const ErrorClass: typeof TypeError =
    error.code === "frame-size-mismatch" || error.code === "oversized" ? RangeError : TypeError;
  return new ErrorClass(error.message, { cause: error });
}

function quoted(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(", ");
}

function hexStart(data: Uint8Array): string {
  if (data.byteLength === 0) return "no bytes";
  return Array.from(
    data.subarray(0, 3),
    (byte) => byte.toString(16).padStart(2, "0").toUpperCase(),
  ).join(" ");
}
