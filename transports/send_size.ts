/**
 * How many bytes a server's send can take on the wire, measured before it
 * is handed to the transport, so that what cannot go (too large, or data
 * CBOR cannot carry) is refused in the caller's call instead of failing
 * later, in a transport, less clearly.
 *
 * @module
 */

import { frameDataFits, MAX_MESSAGE_BYTES_LIMIT, ProtocolCodec } from "./protocol/protocol.ts";
import { VidgearCodec } from "./protocol/vidgear_codec.ts";
import type { OutgoingFrame } from "./transport.ts";
import type { WireFormat } from "./zmq_transport_options.ts";

/** Options of {@linkcode SendSize}. */
export interface SendSizeOptions {
  /**
   * The wire format measured: with `"vidgear"`, what vidgear's format cannot
   * carry is refused too (data without a frame, a raw frame other than
   * `bgr24` or `gray`, a message that is not JSON data).
   *
   * @default {"cbor"}
   */
  readonly wire?: WireFormat;
}

/** A frame's shape (all its head depends on, besides the port) and its head's size. */
interface FrameHead extends Omit<OutgoingFrame, "data"> {
  readonly port: number;
  readonly bytes: number;
}

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
  readonly #vidgear: VidgearCodec | undefined;
  /** The head of the last frame measured without a message, and its shape. */
  #frameHead: FrameHead | undefined;

  /**
   * Makes a measurer.
   *
   * @param options The wire format.
   */
  constructor(options: SendSizeOptions = {}) {
    if (options.wire === "vidgear") this.#vidgear = new VidgearCodec();
  }

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
   * symbol, a cycle…); its `cause` is the encoder's error. vidgear wire:
   * also for a send its format cannot carry, with a message starting
   * "Cannot send" that says why.
   * @throws {RangeError} vidgear wire: a message nested too deeply.
   */
  measure(port: number, frame: OutgoingFrame | undefined, message: unknown): number {
    if (this.#vidgear) return this.#measureVidgear(this.#vidgear, port, frame, message);
    // A frame alone: its head is that of the last frame of the same shape,
    // so the steady stream of frames is not encoded twice.
    const known = message === undefined ? this.#knownHead(port, frame) : undefined;
    if (known !== undefined) {
      const size = known + 5 + frame!.data.byteLength;
      // Past the codec's limit, the full path below says why.
      if (size <= MAX_MESSAGE_BYTES_LIMIT) return size;
    }
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
    if (frame !== undefined && message === undefined) {
      const { width, height, channels, format, encoding } = frame;
      this.#frameHead = { port, width, height, channels, format, encoding, bytes: head.byteLength };
    }
    // PUB/SUB and PAIR send the bytes inline, behind a header of up to 5 bytes.
    return head.byteLength + (frame === undefined ? 0 : 5 + frame.data.byteLength);
  }

  /** The head size of the last frame measured alone, if `frame` has its shape and bytes the encoder takes. */
  #knownHead(port: number, frame: OutgoingFrame | undefined): number | undefined {
    const head = this.#frameHead;
    if (
      head === undefined || frame === undefined || head.port !== port ||
      head.width !== frame.width || head.height !== frame.height ||
      head.channels !== frame.channels || head.format !== frame.format ||
      head.encoding !== frame.encoding || !(frame.data instanceof Uint8Array) ||
      !frameDataFits(frame.width, frame.height, frame.channels, frame.encoding, frame.data)
    ) return undefined;
    return head.bytes;
  }

  #measureVidgear(
    codec: VidgearCodec,
    port: number,
    frame: OutgoingFrame | undefined,
    message: unknown,
  ): number {
    if (frame === undefined) {
      throw new TypeError(
        "Cannot send over vidgear's wire format: it has no data without a frame (a vidgear server sends a frame-less message only to terminate); send a frame with options.message",
      );
    }
    let parts: Uint8Array[];
    try {
      parts = frame.encoding === "jpeg"
        ? codec.encodeFrame({ port, pattern: 1, message, jpeg: frame })
        : codec.encodeFrame({ port, pattern: 1, message, frame });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const why = text.replace(/^Cannot encode vidgear frame: /, "");
      const wrapped = `Cannot send over vidgear's wire format: ${
        why.replace(/^"message/, '"options.message')
      }`;
      throw error instanceof RangeError
        ? new RangeError(wrapped, { cause: error })
        : new TypeError(wrapped, { cause: error });
    }
    return parts[0].byteLength + parts[1].byteLength;
  }
}
