/**
 * Errors of the frame codecs: a JPEG that cannot be encoded or decoded, and
 * a JPEG library that cannot be loaded.
 *
 * Not `TransportError`s: a codec works on frames, with or without
 * a socket (the viewer, the benches), and a receiver maps them to the
 * protocol's own errors.
 *
 * @module
 */

/**
 * Why a {@linkcode JpegError} was raised.
 *
 * - `"invalid-jpeg"`: the bytes are not a JPEG libjpeg-turbo can decode
 *   (not a JPEG, truncated, corrupt, or an unsupported kind such as CMYK).
 * - `"too-large"`: the header announces more pixels than `maxPixels`.
 * - `"closed"`: the codec was closed.
 * - `"library"`: libjpeg-turbo failed for another reason (out of memory).
 */
export type JpegErrorReason = "invalid-jpeg" | "too-large" | "closed" | "library";

/** Options for {@linkcode JpegError}. */
export interface JpegErrorOptions {
  /**
   * libjpeg-turbo reported a warning rather than a fatal error (truncated or
   * corrupt data in an otherwise readable JPEG).
   *
   * @default {false}
   */
  warning?: boolean;
  /**
   * The underlying error.
   *
   * @default {undefined}
   */
  cause?: unknown;
}

/**
 * A JPEG could not be encoded or decoded. Receivers map `"invalid-jpeg"` and
 * `"too-large"` to the protocol's `"bad-jpeg"` error.
 *
 * @example Reject bytes that are not a JPEG
 * ```ts
 * import assert from "node:assert/strict";
 * import { JpegError } from "./errors.ts";
 * import { JpegCodec } from "./jpeg.ts";
 *
 * using codec = new JpegCodec();
 * try {
 *   codec.decode(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
 * } catch (error) {
 *   assert.ok(error instanceof JpegError && error.reason === "invalid-jpeg");
 * }
 * ```
 */
export class JpegError extends Error {
  /** What was being done. */
  readonly operation: "encode" | "decode";
  /** Why it failed. */
  readonly reason: JpegErrorReason;
  /** libjpeg-turbo reported a warning (truncated or corrupt data), not a fatal error. */
  readonly warning: boolean;

  /**
   * Makes a JPEG error.
   *
   * @param operation What was being done.
   * @param reason Why it failed.
   * @param message A sentence "Cannot <do what>: <because>".
   * @param options Whether it was a warning, and the cause.
   */
  constructor(
    operation: "encode" | "decode",
    reason: JpegErrorReason,
    message: string,
    options: JpegErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "JpegError";
    this.operation = operation;
    this.reason = reason;
    this.warning = options.warning ?? false;
  }
}

/**
 * libjpeg-turbo's TurboJPEG library could not be loaded; the message says
 * how to install it.
 *
 * @example Fall back to raw frames when JPEG is unavailable
 * ```ts
 * import assert from "node:assert/strict";
 * import { JpegUnavailableError } from "./errors.ts";
 * import { JpegCodec } from "./jpeg.ts";
 *
 * let codec: JpegCodec | undefined;
 * try {
 *   codec = new JpegCodec({ libraryPath: "/nowhere/libturbojpeg.so.0" });
 * } catch (error) {
 *   if (!(error instanceof JpegUnavailableError)) throw error;
 *   assert.deepEqual(error.paths, ["/nowhere/libturbojpeg.so.0"]); // send raw frames instead
 * }
 * assert.equal(codec, undefined);
 * ```
 */
export class JpegUnavailableError extends Error {
  /** The library names and paths tried. */
  readonly paths: readonly string[];

  /**
   * Makes the error.
   *
   * @param paths The library names and paths tried.
   * @param message What could not be done, why, and how to fix it.
   * @param options `cause`: the loader's errors.
   */
  constructor(paths: readonly string[], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JpegUnavailableError";
    this.paths = Object.freeze([...paths]);
  }
}
