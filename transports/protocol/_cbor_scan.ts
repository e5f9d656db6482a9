/**
 * A bounded walk over untrusted CBOR, before anything is decoded.
 *
 * cbor-x decodes whatever it is given, and some shapes cost far more than
 * their size: a bignum of n bytes takes O(n²) time (200 KB froze a client for
 * 22 s), an array header may announce 67 million empty maps (out of memory
 * from one 64 MiB message), and tags 28/29 build cycles that crash code
 * printing the value. {@linkcode CborScanner} reads only headers, allocates
 * nothing, and refuses an item before cbor-x sees it when it is malformed,
 * nests too deep, holds too many items or too much text, would decode to
 * more than twice its size in memory, or uses a tag PROTOCOL.md does not
 * list.
 *
 * @module
 */

/** Why a scan refused its input: the {@linkcode ProtocolErrorCode} it maps to. */
export type ScanFailure = "malformed-cbor" | "too-complex" | "unsupported-tag";

/** Thrown by {@linkcode CborScanner}; protocol.ts turns it into a ProtocolError. */
export class CborScanError extends Error {
  /** Which rule the input broke. */
  readonly failure: ScanFailure;
  /** The envelope key whose value broke it, once known. */
  field?: string;
  /**
   * @param failure Which rule was broken.
   * @param message What was found, without the "Cannot …" prefix.
   */
  constructor(failure: ScanFailure, message: string) {
    super(message);
    this.name = "CborScanError";
    this.failure = failure;
  }
}

/** The bounds a scan enforces (PROTOCOL.md §9). */
export interface ScanLimits {
  /** Deepest nesting of arrays, maps and tags. */
  readonly maxDepth: number;
  /** Most data items in one message. */
  readonly maxItems: number;
  /**
   * Most bytes decoding may copy in one message: text strings (decoded into
   * JavaScript strings) and typed arrays of 2-to-8-byte elements (copied when
   * their bytes are not aligned in the message).
   */
  readonly maxCopyBytes: number;
  /**
   * The largest estimated decoded size, in bytes. A message may decode to at
   * most this much JavaScript heap, whatever its shape.
   */
  readonly maxDecodedBytes: number;
}

/**
 * Tags a receiver decodes (PROTOCOL.md §8), and what their content must be.
 * Everything else, cbor-x's own record, packing, string-reference and cycle
 * tags above all, is refused: they make cbor-x keep state across messages,
 * build structures much larger than the bytes, or cycles.
 */
// The CBOR major type a tag's content must have; -1 for any number.
type Content = 2 | 3 | 4 | 5 | -1;
const BYTES: Content = 2;
const TEXT: Content = 3;
const ARRAY: Content = 4;
const MAP: Content = 5;
const NUMBER: Content = -1;

/** Longest bignum (tags 2 and 3) accepted: cbor-x converts it in O(n²) time. */
export const MAX_BIGNUM_BYTES = 64;
/** Longest date string (tag 0) accepted. */
const MAX_DATE_TEXT_BYTES = 64;

function allowedTag(tag: number): Content | undefined {
  if (tag >= 64 && tag <= 87) return BYTES; // RFC 8746 typed arrays
  switch (tag) {
    case 0:
      return TEXT; // date/time string
    case 1:
      return NUMBER; // epoch date
    case 2:
    case 3:
      return BYTES; // bignum
    case 27:
      return ARRAY; // Error / RegExp
    case 258:
      return ARRAY; // Set
    case 259:
      return MAP; // Map with any keys
    default:
      return undefined;
  }
}

// Estimated heap cost of each decoded item, in bytes, rounded up from V8
// measurements of cbor-x's output (64-bit, no pointer compression): an
// array element slot 8 plus a boxed number 16, an object 64 plus about 48
// per property once it leaves fast mode, a Uint8Array view about 112.
const COST_SCALAR = 16;
const COST_FLOAT = 24;
const COST_BIGINT = 40;
const COST_ARRAY = 48;
const COST_OBJECT = 64;
const COST_PER_PROPERTY = 48;
const COST_STRING = 40;
const COST_VIEW = 112;
const COST_TYPED_ARRAY = 96;
const COST_TAG_OBJECT = 64;
const COST_COLLECTION_ENTRY = 32;
const COST_ERROR = 256;

const UTF8_LIMIT = 0x1_0000_0000;

/**
 * Walks CBOR items without decoding them, enforcing {@linkcode ScanLimits}
 * across every item of one message. Reuse one per codec: {@linkcode reset}
 * starts a new message.
 *
 * @example Refuse an array that announces more items than the message holds
 * ```ts
 * import assert from "node:assert/strict";
 * import { CborScanError, CborScanner } from "./_cbor_scan.ts";
 *
 * const scanner = new CborScanner();
 * const bytes = new Uint8Array([0x9a, 0x04, 0x00, 0x00, 0x00, 0xa0]);
 * scanner.reset(bytes, { maxDepth: 32, maxItems: 1000, maxCopyBytes: 1024, maxDecodedBytes: 1 << 20 });
 * assert.throws(() => scanner.skip(0, 0), CborScanError);
 * ```
 */
export class CborScanner {
  #bytes: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  #limits!: ScanLimits;
  #items = 0;
  #copyBytes = 0;
  #cost = 0;
  /** The last header read: major type, argument (length or value), and where its content starts. */
  major = 0;
  /** The last header's argument: a length, a count, a tag number or an integer; -1 for indefinite. */
  argument = 0;
  /** The last header's additional information (low 5 bits of its first byte). */
  info = 0;

  /**
   * Starts a new message: counters go back to zero.
   *
   * @param bytes The whole message part.
   * @param limits The bounds for this message.
   */
  reset(bytes: Uint8Array, limits: ScanLimits): void {
    if (bytes !== this.#bytes) {
      this.#bytes = bytes;
      this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.#limits = limits;
    this.#items = 0;
    this.#copyBytes = 0;
    this.#cost = 0;
  }

  /** Items counted so far in this message. */
  get items(): number {
    return this.#items;
  }

  /** Estimated decoded size so far, in bytes. */
  get cost(): number {
    return this.#cost;
  }

  /**
   * Reads the header at `pos` into {@linkcode major}, {@linkcode argument}
   * and {@linkcode info}, counting it as one item.
   *
   * @param pos Where the item starts.
   * @returns Where its content (or the next item) starts.
   * @throws {CborScanError} If the header is truncated or reserved, or the
   *   item budget is spent.
   */
  header(pos: number): number {
    const bytes = this.#bytes;
    if (pos >= bytes.length) throw truncated();
    if (++this.#items > this.#limits.maxItems) {
      throw new CborScanError(
        "too-complex",
        `it holds more than ${this.#limits.maxItems} CBOR items (limit "maxItems")`,
      );
    }
    const initial = bytes[pos++];
    const major = initial >> 5;
    const info = initial & 0x1f;
    this.major = major;
    this.info = info;
    if (info < 24) {
      this.argument = info;
      return pos;
    }
    const view = this.#view;
    switch (info) {
      case 24:
        if (pos + 1 > bytes.length) throw truncated();
        this.argument = bytes[pos];
        return pos + 1;
      case 25:
        if (pos + 2 > bytes.length) throw truncated();
        this.argument = view.getUint16(pos);
        return pos + 2;
      case 26:
        if (pos + 4 > bytes.length) throw truncated();
        this.argument = view.getUint32(pos);
        return pos + 4;
      case 27: {
        if (pos + 8 > bytes.length) throw truncated();
        const high = view.getUint32(pos);
        // Beyond 2^53 no length fits and no tag is allowed; integers keep
        // their value only as a flag that they are large.
        this.argument = high >= 0x20_0000
          ? Number.MAX_VALUE
          : high * 0x1_0000_0000 + view.getUint32(pos + 4);
        return pos + 8;
      }
      case 31:
        if (major === 0 || major === 1 || major === 6) {
          throw new CborScanError("malformed-cbor", `byte 0x${hex(initial)} is not a CBOR header`);
        }
        this.argument = -1;
        return pos;
      default:
        throw new CborScanError(
          "malformed-cbor",
          `byte 0x${hex(initial)} uses reserved additional information ${info}`,
        );
    }
  }

  /**
   * Checks the whole item at `pos` and everything inside it.
   *
   * @param pos Where the item starts.
   * @param depth Its nesting depth (0 for a message's top-level item).
   * @returns Where the next item starts.
   * @throws {CborScanError} If the item breaks a limit or is malformed.
   */
  skip(pos: number, depth: number): number {
    const next = this.header(pos);
    return this.skipContent(next, depth);
  }

  /**
   * Checks the content of the item whose header {@linkcode header} just read.
   *
   * @param pos Where the content starts (what `header()` returned).
   * @param depth The item's nesting depth.
   * @returns Where the next item starts.
   */
  skipContent(pos: number, depth: number): number {
    const major = this.major;
    const argument = this.argument;
    switch (major) {
      case 0:
      case 1:
        // cbor-x reads every 8-byte integer as a bigint.
        this.#spend(this.info === 27 ? COST_BIGINT : COST_SCALAR);
        return pos;
      case 2:
        this.#spend(COST_VIEW);
        return this.#stringEnd(pos, argument, "byte");
      case 3: {
        const end = this.#stringEnd(pos, argument, "text");
        this.#copy(argument);
        // A string with one character beyond Latin-1 is stored two bytes a
        // character, ASCII included.
        this.#spend(COST_STRING + 2 * argument);
        return end;
      }
      case 4:
      case 5:
        return this.#skipContainer(pos, depth, major === 5, argument);
      case 6:
        return this.#skipTag(pos, depth, argument);
      default:
        return this.#skipSimple(pos);
    }
  }

  #skipContainer(pos: number, depth: number, isMap: boolean, count: number): number {
    this.#enter(depth);
    this.#spend(isMap ? COST_OBJECT : COST_ARRAY);
    const perEntry = isMap ? 2 : 1;
    if (count >= 0) {
      // Every item takes at least one byte: a count the remaining bytes
      // cannot hold is refused before any of it is walked.
      const left = this.#bytes.length - pos;
      if (count > left / perEntry) {
        throw new CborScanError(
          "malformed-cbor",
          `${isMap ? "a map" : "an array"} announces ${count} ${
            isMap ? "pairs" : "items"
          } but only ${left} bytes follow`,
        );
      }
      if (this.#items + count * perEntry > this.#limits.maxItems) {
        throw new CborScanError(
          "too-complex",
          `${isMap ? "a map" : "an array"} of ${count} ${
            isMap ? "pairs" : "items"
          } exceeds ${this.#limits.maxItems} CBOR items (limit "maxItems")`,
        );
      }
      if (isMap) this.#spend(COST_PER_PROPERTY * count);
      for (let i = 0; i < count * perEntry; i++) pos = this.skip(pos, depth + 1);
      return pos;
    }
    // Indefinite length: items until the break byte 0xff.
    const bytes = this.#bytes;
    for (let i = 0;; i++) {
      if (pos >= bytes.length) throw truncated();
      if (bytes[pos] === 0xff) {
        if (isMap && i % 2 === 1) {
          throw new CborScanError(
            "malformed-cbor",
            "an indefinite map ends between a key and its value",
          );
        }
        return pos + 1;
      }
      if (isMap && i % 2 === 0) this.#spend(COST_PER_PROPERTY);
      pos = this.skip(pos, depth + 1);
    }
  }

  #skipTag(pos: number, depth: number, tag: number): number {
    const content = allowedTag(tag);
    if (content === undefined) {
      throw new CborScanError(
        "unsupported-tag",
        `CBOR tag ${
          tag === Number.MAX_VALUE ? "≥ 2^53" : tag
        } is not accepted; PROTOCOL.md §8 lists the tags a receiver decodes`,
      );
    }
    this.#enter(depth);
    const contentStart = this.header(pos);
    const major = this.major;
    const length = this.argument;
    const expected = content === NUMBER
      ? major === 0 || major === 1 || (major === 7 && this.info >= 25 && this.info <= 27)
      : major === content;
    if (!expected) {
      throw new CborScanError(
        "malformed-cbor",
        `tag ${tag} must enclose ${CONTENT_NAMES[content]}, got CBOR major type ${major}`,
      );
    }
    if ((tag === 2 || tag === 3) && length > MAX_BIGNUM_BYTES) {
      throw new CborScanError(
        "too-complex",
        `a bignum (tag ${tag}) of ${length} bytes exceeds ${MAX_BIGNUM_BYTES} bytes`,
      );
    }
    if (tag === 0 && length > MAX_DATE_TEXT_BYTES) {
      throw new CborScanError(
        "too-complex",
        `a date string (tag 0) of ${length} bytes exceeds ${MAX_DATE_TEXT_BYTES} bytes`,
      );
    }
    if (tag === 27 && (length < 2 || length > 3)) {
      throw new CborScanError(
        "malformed-cbor",
        `tag 27 (Error or RegExp) must enclose an array of 2 or 3 items, got ${length}`,
      );
    }
    if (tag === 258 || tag === 259) {
      this.#spend(COST_TAG_OBJECT + COST_COLLECTION_ENTRY * Math.max(0, length));
    } else if (tag === 27) {
      this.#spend(COST_ERROR);
    } else if (tag >= 64) {
      // A typed array whose bytes are not aligned for its element size is
      // copied (one-byte elements never are).
      // Beyond the view counted with the byte string inside: a typed array
      // of its own kind and, when copied, a fresh ArrayBuffer (measured:
      // about 184 bytes in all, plus the bytes).
      const copied = tag === 64 || tag === 68 || tag === 72 ? 0 : Math.max(0, length);
      this.#copy(copied);
      this.#spend(COST_TYPED_ARRAY + copied);
    } else {
      // Dates and bignums: an object, plus a bignum's or date string's bytes.
      this.#spend(COST_TAG_OBJECT + (content === NUMBER ? 0 : length));
    }
    return this.skipContent(contentStart, depth + 1);
  }

  #skipSimple(pos: number): number {
    const info = this.info;
    if (info >= 20 && info <= 23) return pos; // false, true, null, undefined
    if (info >= 25 && info <= 27) {
      this.#spend(COST_FLOAT);
      return pos;
    }
    if (info === 31) {
      throw new CborScanError(
        "malformed-cbor",
        "a break byte 0xff outside an indefinite-length item",
      );
    }
    throw new CborScanError(
      "malformed-cbor",
      `simple value ${
        info === 24 ? this.argument : info
      } is not assigned; only false, true, null, undefined and floats are`,
    );
  }

  #stringEnd(pos: number, length: number, kind: "byte" | "text"): number {
    if (length < 0) {
      throw new CborScanError(
        "malformed-cbor",
        `an indefinite-length ${kind} string is not supported (PROTOCOL.md §9)`,
      );
    }
    if (length >= UTF8_LIMIT || pos + length > this.#bytes.length) {
      throw new CborScanError(
        "malformed-cbor",
        `a ${kind} string announces ${
          length === Number.MAX_VALUE ? "≥ 2^53" : length
        } bytes but only ${this.#bytes.length - pos} follow`,
      );
    }
    return pos + length;
  }

  #enter(depth: number): void {
    if (depth >= this.#limits.maxDepth) {
      throw new CborScanError(
        "too-complex",
        `it nests arrays, maps and tags more than ${this.#limits.maxDepth} deep (limit "maxDepth")`,
      );
    }
  }

  #copy(bytes: number): void {
    this.#copyBytes += bytes;
    if (this.#copyBytes > this.#limits.maxCopyBytes) {
      throw new CborScanError(
        "too-complex",
        `decoding it would copy more than ${this.#limits.maxCopyBytes} bytes of text strings and typed arrays (limit "maxCopyBytes")`,
      );
    }
  }

  #spend(bytes: number): void {
    this.#cost += bytes;
    if (this.#cost > this.#limits.maxDecodedBytes) {
      throw new CborScanError(
        "too-complex",
        `it would decode to more than ${this.#limits.maxDecodedBytes} bytes of memory, more than twice its size (limit "maxDecodedBytes")`,
      );
    }
  }
}

const CONTENT_NAMES: Readonly<Record<Content, string>> = {
  [TEXT]: "a text string",
  [NUMBER]: "a number",
  [BYTES]: "a byte string",
  [ARRAY]: "an array",
  [MAP]: "a map",
};

function truncated(): CborScanError {
  return new CborScanError("malformed-cbor", "it ends in the middle of a CBOR item");
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
