/**
 * The error raised when bytes received from the network are not a valid
 * ActorGear envelope.
 *
 * @module
 */

/**
 * Why an envelope was rejected. Each code is also a valid `error.code` in an
 * error reply (see PROTOCOL.md, "Error replies").
 *
 * - `"malformed-cbor"`: the bytes are not exactly one well-formed CBOR item.
 * - `"not-a-map"`: the item is well formed but not an (untagged) CBOR map.
 * - `"unknown-version"`: key `v` holds a version this receiver does not speak (it speaks 1 and 2).
 * - `"missing-field"`: a required key is absent.
 * - `"bad-field"`: a key holds a value of the wrong type, out of range, or not
 *   allowed with this `kind`.
 * - `"frame-size-mismatch"`: a raw frame's byte count is not `w * h * c`.
 * - `"oversized"`: the message is longer than the receiver's limit.
 * - `"bad-jpeg"`: a JPEG frame's bytes do not start with a JPEG marker.
 * - `"too-complex"`: the message breaks a decoding limit: nesting depth, item
 *   count, text bytes, a bignum's length, or the memory it would decode to.
 * - `"unsupported-tag"`: the message uses a CBOR tag PROTOCOL.md §8 does not
 *   list (cbor-x's record, packing and cycle tags among them).
 */
export type ProtocolErrorCode =
  | "malformed-cbor"
  | "not-a-map"
  | "unknown-version"
  | "missing-field"
  | "bad-field"
  | "frame-size-mismatch"
  | "oversized"
  | "bad-jpeg"
  | "too-complex"
  | "unsupported-tag";

/** Every {@linkcode ProtocolErrorCode}, in a stable order. */
export const PROTOCOL_ERROR_CODES: readonly ProtocolErrorCode[] = Object
  .freeze([
    "malformed-cbor",
    "not-a-map",
    "unknown-version",
    "missing-field",
    "bad-field",
    "frame-size-mismatch",
    "oversized",
    "bad-jpeg",
    "too-complex",
    "unsupported-tag",
  ]);

/** Options for {@linkcode ProtocolError}. */
export interface ProtocolErrorOptions {
  /**
   * The wire key at fault, dotted for nested keys (`"port"`, `"frame.data"`).
   *
   * @default {undefined}
   */
  field?: string;
  /**
   * The underlying error, for example the CBOR decoder's.
   *
   * @default {undefined}
   */
  cause?: unknown;
}

/**
 * A received message is not a valid envelope: it cannot be decoded, or it
 * breaks a rule of PROTOCOL.md.
 *
 * The receiver drops the message; in REQ/REP it answers with an error reply
 * carrying {@linkcode ProtocolError.code} so the sender is never left waiting.
 *
 * @example Report a rejected message
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProtocolError } from "./protocol_errors.ts";
 *
 * const error = new ProtocolError(
 *   "bad-field",
 *   'Cannot decode envelope: key "port" must be an integer 1..65535, got 0',
 *   { field: "port" },
 * );
 * assert.ok(error.code === "bad-field" && error.field === "port");
 * ```
 */
export class ProtocolError extends Error {
  /** Why the message was rejected. */
  readonly code: ProtocolErrorCode;
  /** The wire key at fault (dotted for nested keys), when one key is. */
  readonly field?: string;

  /**
   * Creates a protocol error.
   *
   * @param code Why the message was rejected.
   * @param message A sentence of the form "Cannot decode envelope: <because>".
   * @param options The field at fault and the underlying cause.
   */
  constructor(
    code: ProtocolErrorCode,
    message: string,
    options: ProtocolErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ProtocolError";
    this.code = code;
    if (options.field !== undefined) this.field = options.field;
  }
}
