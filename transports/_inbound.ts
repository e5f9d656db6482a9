/**
 * What arrives on a client's port, read: the envelope decoded and checked,
 * then turned into the transport interface's events with its JPEG decoded;
 * and, in REQ/REP, the answers. Shared by the REP and SUB (and PAIR) client
 * transports. With `wire: "vidgear"`, what arrives is vidgear's format, read
 * into the same envelopes, and the answers are vidgear's (`_vidgear_wire.ts`).
 *
 * @module
 */

import { describeError } from "../actors/describe.ts";
import type { Frame } from "../capture/frame.ts";
import { JpegCodec } from "./codecs/jpeg.ts";
import { type Envelope, ProtocolCodec, type WireFrame } from "./protocol/protocol.ts";
import { ProtocolError } from "./protocol/protocol_errors.ts";
import type { FrameArrived, GoodbyeArrived, HeartbeatArrived } from "./transport.ts";
import { VidgearClientWire, type VidgearWireFrame } from "./_vidgear_wire.ts";
import type { WireFormat } from "./zmq_transport_options.ts";
import { markReleasable } from "./received_bytes.ts";

/**
 * vidgear wire: each port's next frame number, per transport options
 * object, so that numbers survive the transport's restarts (its props make
 * each new instance from the same options).
 */
const VIDGEAR_NUMBERS = new WeakMap<object, Map<number, number>>();

/** What a client's inbound side needs to know. */
export interface InboundOptions {
  readonly maxMessageSize: number;
  readonly jpeg?: { readonly decode: boolean; readonly fastUpsample: boolean };
  /** @default {"cbor"} */
  readonly wire?: WireFormat;
  /** vidgear wire, REQ/REP: answer frames with bidirectional replies. */
  readonly bidirectional?: boolean;
}

/** A message's size on the wire. */
export function wireBytes(parts: Uint8Array[]): number {
  let bytes = 0;
  for (const part of parts) bytes += part.byteLength;
  return bytes;
}

/** The current time as envelopes carry it (ms since the epoch). */
export function wireNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * What an envelope says about its sender (PROTOCOL.md §5.3, §5.4), as the
 * transport events carry it: only the keys it has.
 */
export function sender(
  envelope: Envelope,
): { serverId?: string; heartbeatInterval?: number } {
  const { serverId, heartbeatInterval } = envelope;
  if (serverId === undefined) {
    return heartbeatInterval === undefined ? {} : { heartbeatInterval };
  }
  return heartbeatInterval === undefined ? { serverId } : { serverId, heartbeatInterval };
}

/** Reads one client's inbound messages. */
export class Inbound {
  /** Decodes what arrives and encodes the replies (REQ/REP). */
  readonly codec: ProtocolCodec;
  readonly #maxMessageSize: number;
  readonly #decode: boolean;
  readonly #fastUpsample: boolean;
  #jpegCodec: JpegCodec | undefined;
  /** `wire: "vidgear"`: vidgear's format instead of envelopes. */
  readonly #vidgear: VidgearClientWire | undefined;
  readonly #jpegSize = (data: Uint8Array) => (this.#jpegCodec ??= new JpegCodec()).info(data);

  /**
   * @param options The transport's options (kept as they are: the vidgear
   * wire numbers frames per options object, across restarts).
   * @param pattern The transport's pattern: 1 (REP), 2 (SUB) or 0 (PAIR).
   */
  constructor(options: InboundOptions, pattern: 0 | 1 | 2 = 1) {
    this.#maxMessageSize = options.maxMessageSize;
    this.#decode = options.jpeg?.decode ?? true;
    this.#fastUpsample = options.jpeg?.fastUpsample ?? false;
    this.codec = new ProtocolCodec({ maxMessageBytes: options.maxMessageSize });
    if (options.wire === "vidgear") {
      let numbers = VIDGEAR_NUMBERS.get(options);
      if (numbers === undefined) VIDGEAR_NUMBERS.set(options, numbers = new Map());
      this.#vidgear = new VidgearClientWire({
        pattern: pattern === 1 ? 1 : 2,
        maxMessageSize: options.maxMessageSize,
        bidirectional: options.bidirectional ?? false,
        numbers,
      });
    }
  }

  /** vidgear wire: this client's device id in its acknowledgements; `undefined` otherwise. */
  get deviceId(): string | undefined {
    return this.#vidgear?.deviceId;
  }

  /** REQ/REP: the answer to a request refused with `error`. */
  refusal(port: number, error: ProtocolError): Uint8Array | Uint8Array[] {
    if (this.#vidgear) return this.#vidgear.refusal(error);
    // Version 1: every version reads an error reply (PROTOCOL.md §7).
    return this.codec.encode({
      version: 1,
      kind: "reply",
      port,
      seq: 0,
      sentAt: wireNow(),
      error: { code: error.code, message: error.message },
    });
  }

  /** REQ/REP: the answer to a heartbeat or a goodbye. */
  signalAnswer(port: number, request: Envelope): Uint8Array | Uint8Array[] {
    if (this.#vidgear) return this.#vidgear.terminateAnswer();
    return this.codec.encode({
      version: request.version,
      kind: "reply",
      port,
      seq: request.seq,
      sentAt: wireNow(),
    });
  }

  /**
   * REQ/REP: a frame's answer, from its reply envelope (`message` is the
   * return data).
   *
   * @returns The bytes, and (vidgear) why the return data could not go.
   */
  frameAnswer(reply: Envelope): { bytes: Uint8Array | Uint8Array[]; problem?: string } {
    if (!this.#vidgear) return { bytes: this.codec.encode(reply) };
    const { parts, problem } = this.#vidgear.frameAnswer(reply.message);
    return { bytes: parts, problem };
  }

  /**
   * Decodes what arrived on `port` and checks it may come from a server
   * there (no JPEG decoding yet). Anything the decoder throws is the peer's
   * doing and becomes a refusal: only a `ProtocolError` is expected, but a
   * decoder bug tripped by hostile bytes must not end the port's loop.
   *
   * @throws {ProtocolError} When it must be refused.
   */
  accept(port: number, parts: Uint8Array[]): Envelope {
    let envelope: Envelope;
    try {
      // The port is checked with the head, before `message` is decoded: a
      // spoofed port costs no decoding.
      envelope = this.#vidgear
        ? this.#vidgear.accept(port, parts, this.#jpegSize)
        : this.codec.decodeParts(parts, { port });
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError(
        "malformed-cbor",
        `Cannot decode envelope: the decoder failed on it (${describeError(error)})`,
        { cause: error },
      );
    }
    if (envelope.kind === "reply") {
      throw new ProtocolError(
        "bad-field",
        'Cannot accept message: kind "reply" is sent by clients, not servers',
        { field: "kind" },
      );
    }
    return envelope;
  }

  /** A heartbeat's or a goodbye's event. */
  signal(port: number, envelope: Envelope, bytes: number): HeartbeatArrived | GoodbyeArrived {
    const type = envelope.kind === "terminate" ? "GoodbyeArrived" : "HeartbeatArrived";
    return { type, port, bytes, ...sender(envelope) };
  }

  /**
   * A frame's event, its JPEG decoded (or, when the client keeps JPEG, only
   * its header checked).
   *
   * @throws {ProtocolError} When the JPEG is bad or decodes too large.
   */
  frame(port: number, envelope: Envelope, bytes: number, skipped = 0): FrameArrived {
    const wire = envelope.frame;
    let frame: Frame | undefined;
    let jpeg: Uint8Array | undefined;
    if (wire === undefined) {
      frame = undefined;
    } else if (wire.encoding === "jpeg") {
      jpeg = wire.data;
      frame = this.#decodeJpeg(wire);
      markReleasable(jpeg);
    } else {
      const { width, height, channels, format, data } = wire;
      frame = { width, height, channels, format, data };
      markReleasable(data);
    }
    const { seq, sentAt, message, serverId, heartbeatInterval } = envelope;
    // One object per frame: with the sender's keys only when it said them.
    const arrived: FrameArrived = serverId === undefined && heartbeatInterval === undefined
      ? { type: "FrameArrived", port, seq, sentAt, frame, message, bytes }
      : {
        type: "FrameArrived",
        port,
        seq,
        sentAt,
        frame,
        message,
        bytes,
        serverId,
        heartbeatInterval,
      };
    if (jpeg === undefined && skipped === 0) return arrived;
    return skipped > 0 ? { ...arrived, jpeg, skipped } : { ...arrived, jpeg };
  }

  /** Releases the JPEG decoder. */
  close(): void {
    this.#jpegCodec?.close();
    this.#jpegCodec = undefined;
  }

  /**
   * Decodes (or, when the client keeps JPEG, only checks the header of) a
   * compressed frame. Bad bytes become a refused message, never a crash.
   */
  #decodeJpeg(wire: WireFrame): Frame | undefined {
    // A few hundred bytes of JPEG may claim 65535x65535 pixels: decoded
    // frames are held to the same limit as raw ones, before any allocation.
    const decodedBytes = wire.width * wire.height * wire.channels;
    if (this.#decode && decodedBytes > this.#maxMessageSize) {
      throw new ProtocolError(
        "oversized",
        `Cannot accept frame: its JPEG decodes to ${wire.width}x${wire.height}x${wire.channels} = ${decodedBytes} bytes, more than option "maxMessageSize" (${this.#maxMessageSize})`,
        { field: "frame.data" },
      );
    }
    try {
      this.#jpegCodec ??= new JpegCodec();
      const codec = this.#jpegCodec;
      if (!this.#decode) {
        const info = codec.info(wire.data);
        if (info.width !== wire.width || info.height !== wire.height) {
          throw new ProtocolError(
            "bad-jpeg",
            `Cannot accept frame: its JPEG is ${info.width}x${info.height} but the envelope says ${wire.width}x${wire.height}`,
            { field: "frame.data" },
          );
        }
        return undefined;
      }
      const frame = codec.decode(wire.data, {
        format: wire.format,
        // vidgear's rule: fast if either side asks.
        fastUpsample: this.#fastUpsample || (wire as VidgearWireFrame).fastUpsample === true,
        maxPixels: wire.width * wire.height,
      });
      if (frame.width !== wire.width || frame.height !== wire.height) {
        throw new ProtocolError(
          "bad-jpeg",
          `Cannot accept frame: its JPEG is ${frame.width}x${frame.height} but the envelope says ${wire.width}x${wire.height}`,
          { field: "frame.data" },
        );
      }
      const { width, height, format } = wire;
      return { width, height, channels: frame.channels, format, data: frame.data };
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError(
        "bad-jpeg",
        `Cannot decode the frame's JPEG: ${describeError(error)}`,
        { field: "frame.data", cause: error },
      );
    }
  }
}
