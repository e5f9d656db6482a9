/**
 * A server's `send()` checks, made in the caller's call so that nothing
 * invalid reaches the actors: the frame's every field, the options, and a
 * message CBOR cannot carry or that would be too large, each refused with a
 * `TypeError` or `RangeError` naming the field.
 *
 * @module
 */

import { CHANNELS_OF, type Frame, PIXEL_FORMATS, type PixelFormat } from "../../capture/frame.ts";

/** What `checkSendOptions` looks at. */
export interface CheckedSendOptions {
  /** The signal, if any. */
  readonly signal?: AbortSignal;
}

const MAX_DIMENSION = 65535;

/**
 * Checks every field of a frame given to `send()`.
 *
 * @returns The frame's pixel format.
 */
export function checkFrame(
  frame: Frame,
  defaultFormat: PixelFormat,
  maxMessageSize: number,
  defaultLayout?: { readonly name: string; readonly channels: number },
): PixelFormat {
  if (frame === null || typeof frame !== "object") {
    throw new TypeError(
      `Cannot send frame: frame must be a Frame object ({ width, height, channels, data }), or undefined to send options.message alone; got ${
        describe(frame)
      }`,
    );
  }
  const { width, height, channels, data } = frame;
  checkDimension("width", width);
  checkDimension("height", height);
  const format = frame.format ?? defaultFormat;
  if (!(PIXEL_FORMATS as readonly unknown[]).includes(format)) {
    throw new TypeError(
      `Cannot send frame: frame.format is ${describe(format)}; valid: ${
        PIXEL_FORMATS.map((f) => `"${f}"`).join(", ")
      }, or none for "${defaultFormat}"`,
    );
  }
  // A frame without a format is in the default layout, which may be one a
  // format cannot name (jpegCompression "BGRA", say).
  const layout = frame.format === undefined ? defaultLayout : undefined;
  const expected = layout?.channels ?? CHANNELS_OF[format];
  if (channels !== expected) {
    const valid = layout !== undefined
      ? `${expected} for layout "${layout.name}" (option jpegCompression), or a frame.format`
      : `${expected} for format "${format}"${
        frame.format === undefined ? " (the default format)" : ""
      }`;
    if (typeof channels !== "number") {
      throw new TypeError(
        `Cannot send frame: frame.channels is ${describe(channels)}; valid: ${valid}`,
      );
    }
    throw new RangeError(
      `Cannot send frame: frame.channels is ${describe(channels)}; valid: ${valid}`,
    );
  }
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot send frame: frame.data is ${
        describe(data)
      }; valid: a Uint8Array of width x height x channels bytes`,
    );
  }
  const bytes = width * height * channels;
  if (data.byteLength !== bytes) {
    throw new RangeError(
      `Cannot send frame: frame.data has ${data.byteLength} bytes but width x height x channels = ${width} x ${height} x ${channels} = ${bytes}`,
    );
  }
  // Before anything copies or compresses it.
  if (bytes > maxMessageSize) throw tooLarge(bytes, maxMessageSize);
  return format;
}

function checkDimension(field: "width" | "height", value: unknown): void {
  if (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_DIMENSION) {
    return;
  }
  const text = `Cannot send frame: frame.${field} is ${
    describe(value)
  }; valid: an integer from 1 to ${MAX_DIMENSION}`;
  throw typeof value === "number" ? new RangeError(text) : new TypeError(text);
}

export function checkSendOptions(options: CheckedSendOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot send: options is ${describe(options)}; valid: an object such as { message, signal }`,
    );
  }
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot send: options.signal is ${describe(signal)}; valid: an AbortSignal or undefined`,
    );
  }
}

export function tooLarge(size: number, maxMessageSize: number): RangeError {
  return new RangeError(
    `Cannot send: the message would have at least ${size} bytes, more than option "maxMessageSize" (${maxMessageSize}); send smaller frames or data, compress frames (jpegCompression), or raise maxMessageSize on this server and on the client`,
  );
}

/** Why `options.message` (or the envelope as a whole) cannot be encoded, in the caller's terms. */
export function messageError(error: unknown, message: unknown): TypeError {
  // SendSize wraps the encoder's error: what it says is in there.
  const encoder = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const inner = encoder instanceof Error && encoder.cause instanceof Error
    ? encoder.cause.message
    : encoder instanceof Error
    ? encoder.message
    : String(encoder);
  const why = /call stack/i.test(inner) ? "it holds a cycle, or nests too deeply" : inner;
  return new TypeError(
    `Cannot send: options.message is ${
      describe(message)
    }, which CBOR cannot carry (${why}); valid: plain data (objects, arrays, strings, numbers, booleans, null), Map, Set, Date, bigint or typed arrays, without cycles`,
    { cause: encoder },
  );
}

function describe(value: unknown): string {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "string":
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "symbol":
      return `a symbol (${value.description ?? ""})`;
    case "function":
      return "a function";
    default:
      if (value === null) return "null";
      if (Array.isArray(value)) return `an array of ${value.length}`;
      if (ArrayBuffer.isView(value)) {
        return `a ${value.constructor.name} of ${value.byteLength} bytes`;
      }
      return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  }
}
