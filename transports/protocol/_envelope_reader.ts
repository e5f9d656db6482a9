/**
 * Reads an envelope's head straight from the CBOR bytes: the keys a receiver
 * checks (`v`, `kind`, `port`, `seq`, `ts`, `hb`, `sid`, `error`, `frame`) are read
 * without cbor-x, and `message` is only located. The caller validates the
 * head first and decodes `message` last, so a message that is refused for
 * its port or version costs no decoding at all. Every item is walked by a
 * {@linkcode CborScanner} on the way, so nothing unbounded reaches cbor-x.
 *
 * @module
 */

import type { Decoder } from "cbor-x";
import { CborScanError, type CborScanner } from "./_cbor_scan.ts";

/** The values of an envelope's head keys, as CBOR gave them (`undefined` when absent). */
export interface RawHead {
  v: unknown;
  kind: unknown;
  port: unknown;
  seq: unknown;
  ts: unknown;
  /** The server's heartbeat interval (optional). */
  hb: unknown;
  /** The server's identity (optional). */
  sid: unknown;
  error: unknown;
  /** A plain object of the frame map's keys, or whatever else `frame` held. */
  frame: unknown;
  /** Where the `message` value starts, or -1 when the key is absent. */
  messageStart: number;
  /** Where the `message` value ends. */
  messageEnd: number;
}

/** The top-level item was not a map: the caller reports `not-a-map`. */
export class NotAMapError extends Error {
  /**
   * @param found What the item is, for the error message.
   */
  constructor(found: string) {
    super(found);
    this.name = "NotAMapError";
  }
}

const UNDEFINED = 0xf7;
const KNOWN_KEYS: ReadonlySet<string> = new Set([
  "v",
  "kind",
  "port",
  "seq",
  "ts",
  "hb",
  "sid",
  "error",
  "frame",
  "message",
]);
const text = new TextDecoder();

/**
 * Reads the head of the envelope in `bytes`, which `scanner` has been reset
 * for.
 *
 * @param bytes One CBOR item, the whole first part.
 * @param scanner Reset for `bytes`; enforces the limits on every item.
 * @param decoder Decodes head values of unusual shapes (already scanned).
 * @returns The head values and where `message` is.
 * @throws {CborScanError} If the bytes break a limit or are not well formed.
 * @throws {NotAMapError} If the item is well formed but not a plain map.
 */
export function readHead(bytes: Uint8Array, scanner: CborScanner, decoder: Decoder): RawHead {
  const head: RawHead = {
    v: undefined,
    kind: undefined,
    port: undefined,
    seq: undefined,
    ts: undefined,
    hb: undefined,
    sid: undefined,
    error: undefined,
    frame: undefined,
    messageStart: -1,
    messageEnd: -1,
  };
  let pos = scanner.header(0);
  if (scanner.major !== 5) {
    const found = describeHeader(scanner);
    // Well formed or not decides between two codes; a top-level tag is
    // "not a map" whatever it is, so its tag number is not judged here.
    if (scanner.major === 6) pos = scanner.skip(pos, 1);
    else pos = scanner.skipContent(pos, 0);
    if (pos !== bytes.length) throw trailing(bytes.length - pos);
    throw new NotAMapError(found);
  }
  const count = scanner.argument;
  pos = eachEntry(bytes, scanner, pos, count, 0, (key, valueStart) => {
    let valueEnd: number;
    try {
      valueEnd = scanner.skip(valueStart, 1);
    } catch (error) {
      // A limit or a tag is the fault of one key's value; malformed bytes
      // are the message's.
      if (
        error instanceof CborScanError && error.failure !== "malformed-cbor" &&
        key !== undefined && KNOWN_KEYS.has(key)
      ) {
        error.field = key;
      }
      throw error;
    }
    switch (key) {
      case "v":
      case "kind":
      case "port":
      case "seq":
      case "ts":
      case "hb":
      case "sid":
        head[key] = readScalar(bytes, valueStart, valueEnd, decoder);
        break;
      case "error":
        head.error = decodeRange(bytes, valueStart, valueEnd, decoder);
        break;
      case "frame":
        head.frame = readFrame(bytes, valueStart, valueEnd, decoder);
        break;
      case "message":
        head.messageStart = bytes[valueStart] === UNDEFINED ? -1 : valueStart;
        head.messageEnd = valueEnd;
        break;
    }
    return valueEnd;
  });
  if (pos !== bytes.length) throw trailing(bytes.length - pos);
  return head;
}

/**
 * Decodes the `message` value the head located, with cbor-x: it has been
 * scanned, so its cost is bounded.
 *
 * @param bytes The first part.
 * @param head What {@linkcode readHead} returned.
 * @param decoder The codec's cbor-x decoder.
 * @returns The message value.
 */
export function decodeMessage(bytes: Uint8Array, head: RawHead, decoder: Decoder): unknown {
  return decodeRange(bytes, head.messageStart, head.messageEnd, decoder);
}

/**
 * Walks the `count` pairs of the map whose content starts at `pos`, handing
 * each text key to `onEntry` (other keys are skipped: unknown, so ignored).
 */
function eachEntry(
  bytes: Uint8Array,
  scanner: CborScanner,
  pos: number,
  count: number,
  depth: number,
  onEntry: (key: string | undefined, valueStart: number) => number,
): number {
  const indefinite = count < 0;
  if (!indefinite && count > (bytes.length - pos) / 2) {
    throw new CborScanError(
      "malformed-cbor",
      `a map announces ${count} pairs but only ${bytes.length - pos} bytes follow`,
    );
  }
  for (let i = 0; indefinite || i < count; i++) {
    if (indefinite) {
      if (pos >= bytes.length) {
        throw new CborScanError("malformed-cbor", "it ends in the middle of a CBOR item");
      }
      if (bytes[pos] === 0xff) return pos + 1;
    }
    pos = scanner.header(pos);
    let key: string | undefined;
    if (scanner.major === 3 && scanner.argument >= 0 && scanner.argument <= 8) {
      const end = pos + scanner.argument;
      if (end > bytes.length) {
        throw new CborScanError("malformed-cbor", "it ends in the middle of a CBOR item");
      }
      key = shortKey(bytes, pos, end);
      pos = end;
    } else {
      pos = scanner.skipContent(pos, depth + 1);
    }
    pos = onEntry(key, pos);
  }
  return pos;
}

/** The known keys are short ASCII: compare bytes, allocate nothing for them. */
function shortKey(bytes: Uint8Array, start: number, end: number): string | undefined {
  let key = "";
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    if (byte >= 0x80) return undefined;
    key += String.fromCharCode(byte);
  }
  return key;
}

/** A frame map as a plain object of its known keys, or the decoded value of anything else. */
function readFrame(bytes: Uint8Array, start: number, end: number, decoder: Decoder): unknown {
  if (bytes[start] >> 5 !== 5) return decodeRange(bytes, start, end, decoder);
  // The caller's scan has checked the whole frame map: walk it again
  // without counting, to pick out its keys.
  const frame: Record<string, unknown> = {};
  let pos = start;
  const [count, contentStart] = readLength(bytes, pos);
  pos = contentStart;
  const indefinite = count < 0;
  for (let i = 0; indefinite || i < count; i++) {
    if (indefinite && bytes[pos] === 0xff) break;
    const keyStart = pos;
    const keyEnd = itemEnd(bytes, keyStart);
    const valueEnd = itemEnd(bytes, keyEnd);
    const [keyLength, keyContent] = readLength(bytes, keyStart);
    if (bytes[keyStart] >> 5 === 3 && keyLength <= 8) {
      const key = shortKey(bytes, keyContent, keyContent + keyLength);
      switch (key) {
        case "w":
        case "h":
        case "c":
        case "fmt":
        case "enc":
          frame[key] = readScalar(bytes, keyEnd, valueEnd, decoder);
          break;
        case "data":
          frame.data = bytes[keyEnd] >> 5 === 2
            ? bytes.subarray(valueEnd - readLength(bytes, keyEnd)[0], valueEnd)
            : decodeRange(bytes, keyEnd, valueEnd, decoder);
          break;
      }
    }
    pos = valueEnd;
  }
  return frame;
}

/** Where the item at `pos` ends; only for items a scan has already checked. */
function itemEnd(bytes: Uint8Array, pos: number): number {
  const [argument, content] = readLength(bytes, pos);
  const major = bytes[pos] >> 5;
  switch (major) {
    case 0:
    case 1:
    case 7:
      return content;
    case 2:
    case 3:
      return content + argument;
    case 6:
      return itemEnd(bytes, content);
    default: {
      let p = content;
      if (argument < 0) {
        while (bytes[p] !== 0xff) p = itemEnd(bytes, p);
        return p + 1;
      }
      const items = major === 5 ? 2 * argument : argument;
      for (let i = 0; i < items; i++) p = itemEnd(bytes, p);
      return p;
    }
  }
}

/** A header's argument and where its content starts; -1 for indefinite. */
function readLength(bytes: Uint8Array, pos: number): [number, number] {
  const info = bytes[pos] & 0x1f;
  if (info < 24) return [info, pos + 1];
  switch (info) {
    case 24:
      return [bytes[pos + 1], pos + 2];
    case 25:
      return [(bytes[pos + 1] << 8) | bytes[pos + 2], pos + 3];
    case 26:
      return [
        (bytes[pos + 1] * 0x100_0000) + ((bytes[pos + 2] << 16) | (bytes[pos + 3] << 8) |
          bytes[pos + 4]),
        pos + 5,
      ];
    case 27: {
      let value = 0;
      for (let i = 1; i <= 8; i++) value = value * 256 + bytes[pos + i];
      return [value, pos + 9];
    }
    default:
      return [-1, pos + 1];
  }
}

/**
 * A head value: integers, floats, text and simple values are read here;
 * anything else (a map where a number belongs, say) by cbor-x, so error
 * messages can say what was found.
 */
function readScalar(bytes: Uint8Array, start: number, end: number, decoder: Decoder): unknown {
  const initial = bytes[start];
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (major === 0 || major === 1) {
    if (info === 27) {
      // cbor-x reads every 8-byte integer as a bigint; so does this.
      const view = new DataView(bytes.buffer, bytes.byteOffset + start + 1, 8);
      const value = view.getBigUint64(0);
      return major === 0 ? value : -1n - value;
    }
    const [value] = readLength(bytes, start);
    return major === 0 ? value : -1 - value;
  }
  if (major === 3) {
    const [length, content] = readLength(bytes, start);
    return length <= 16 ? asciiOrUtf8(bytes, content, content + length) : text.decode(
      bytes.subarray(content, content + length),
    );
  }
  if (major === 7) {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 25:
        return float16(bytes[start + 1], bytes[start + 2]);
      case 26:
        return new DataView(bytes.buffer, bytes.byteOffset + start + 1, 4).getFloat32(0);
      case 27:
        return new DataView(bytes.buffer, bytes.byteOffset + start + 1, 8).getFloat64(0);
    }
  }
  return decodeRange(bytes, start, end, decoder);
}

function asciiOrUtf8(bytes: Uint8Array, start: number, end: number): string {
  let value = "";
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    if (byte >= 0x80) return text.decode(bytes.subarray(start, end));
    value += String.fromCharCode(byte);
  }
  return value;
}

function float16(high: number, low: number): number {
  const half = (high << 8) | low;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decodeRange(bytes: Uint8Array, start: number, end: number, decoder: Decoder): unknown {
  return decoder.decode(bytes.subarray(start, end));
}

function trailing(count: number): CborScanError {
  return new CborScanError(
    "malformed-cbor",
    `${count} byte${count === 1 ? "" : "s"} follow the CBOR item; a message is exactly one item`,
  );
}

function describeHeader(scanner: CborScanner): string {
  switch (scanner.major) {
    case 0:
    case 1:
      return "an integer";
    case 2:
      return "a byte string";
    case 3:
      return "a text string";
    case 4:
      return scanner.argument < 0 ? "an array" : `an array of ${scanner.argument}`;
    case 6:
      return `CBOR tag ${scanner.argument}`;
    default:
      return "a simple value or float";
  }
}
