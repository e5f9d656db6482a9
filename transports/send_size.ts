/**
 * How many bytes a server's send can take on the wire, measured before it
 * is handed to the transport, so that what cannot go (too large, or data
 * CBOR cannot carry) is refused in the caller's call instead of failing
 * later, in a transport, less clearly.
 *
 * @module
 */

import { MAX_MESSAGE_BYTES_LIMIT, ProtocolCodec } from "./protocol/protocol.ts";
import type { OutgoingFrame } from "./transport.ts";

/**
 * Measures sends of one server. Only the envelope's head is encoded: a
 * frame's bytes are counted, not copied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SendSize } from "./send_size.ts";
 * const size = new SendSize();
 * const data = new Uint8Array(300);
 * const frame = { width: 10, height: 10, channels: 3, format: "bgr24", encoding: "raw", data } as const;
 * assert.ok(size.measure(5566, frame, "hello") > 300);
 * assert.throws(() => size.measure(5566, undefined, () => {}), TypeError);
 * ```
 */
export class SendSize {
  readonly #codec = new ProtocolCodec({ maxMessageBytes: MAX_MESSAGE_BYTES_LIMIT });

  /**
   * The most bytes a send of `frame` and `message` takes on the wire, in
   * any pattern: the envelope as a transport will encode it, with the
   * largest frame number and a real time stamp, plus the frame's bytes
   * behind the longest header they can have.
   *
   * @param port The server's port.
   * @param frame The frame, or `undefined` for data alone.
   * @param message The data sent with it.
   * @returns An upper bound, in bytes.
   * @throws {TypeError} When `message` cannot be encoded (a function, a
   * symbol, a cycle…); its `cause` is the encoder's error.
   */
  measure(port: number, frame: OutgoingFrame | undefined, message: unknown): number {
    let head: Uint8Array;
    try {
      // Version 2 sends the frame's bytes as a second part, uncopied.
      [head] = this.#codec.encodeParts({
        version: 2,
        kind: "frame",
        port,
        seq: Number.MAX_SAFE_INTEGER,
        sentAt: performance.timeOrigin + performance.now(),
        message,
        frame,
      });
    } catch (error) {
      throw new TypeError(
        `Cannot encode the message: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    // PUB/SUB and PAIR send the bytes inline, behind a header of up to 5 bytes.
    return head.byteLength + (frame === undefined ? 0 : 5 + frame.data.byteLength);
  }
}
