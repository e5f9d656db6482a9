/**
 * The transports' vidgear wire (`wire: "vidgear"`): what a server transport
 * sends and makes of the answers, and what a client transport makes of what
 * arrives and answers, in vidgear 0.3.5's own format (`protocol/VIDGEAR.md`)
 * through {@linkcode VidgearCodec}. Everything above the transports stays in
 * the transport interface's terms; this file maps them:
 *
 * - A frame (raw `bgr24` or `gray`, or JPEG with vidgear's `dct`/`ups`
 *   flags) and its message go as vidgear's frame; a goodbye as its
 *   terminate; a heartbeat not at all (vidgear has none).
 * - Answers: vidgear's acknowledgement and terminate answer resolve a send
 *   with no data, a bidirectional reply with its data (`None` as
 *   `undefined`), an array reply with a `Frame`; an ActorGear client's
 *   refusal fails it with the refusal's code.
 * - Received frames get the numbers vidgear does not send: each port's
 *   frames are numbered 0, 1, 2… on arrival (so no frame is ever counted
 *   lost or resent), `sentAt` is the arrival time, and a `null` message is
 *   none.
 *
 * @module
 */

import { CHANNELS_OF, type Frame } from "../capture/frame.ts";
import { describeError } from "../actors/describe.ts";
import { failed } from "./_server_socket.ts";
import type { JpegCodec } from "./codecs/jpeg.ts";
import type { Envelope, WireFrame } from "./protocol/protocol.ts";
import { ProtocolError } from "./protocol/protocol_errors.ts";
import {
  decodeVidgearJpeg,
  newVidgearDeviceId,
  VidgearCodec,
  type VidgearPattern,
} from "./protocol/vidgear_codec.ts";
import type { SendOutcome } from "./transport.ts";

/** A vidgear JPEG frame as the client reads it: with the sender's `ups` flag for decoding. */
export interface VidgearWireFrame extends WireFrame {
  /** The sender asked for fast chroma upsampling (vidgear's `ups`). */
  readonly fastUpsample?: boolean;
}

/** How a server transport speaks vidgear. */
export interface VidgearServerWireOptions {
  /** This server's port, its identity. */
  readonly port: number;
  /** 1 (REQ) or 2 (PUB). */
  readonly pattern: VidgearPattern;
  /** The largest answer accepted, in bytes. */
  readonly maxMessageSize: number;
  /** The flags a JPEG frame's header carries. */
  readonly jpegFlags?: { readonly fastDct: boolean; readonly fastUpsample: boolean };
  /**
   * Copy raw pixels into the message: a PUB's send resolves once queued,
   * before ZeroMQ has sent them, so they must not stay the caller's.
   */
  readonly copyFrames: boolean;
}

/** A server transport's vidgear side: its messages, and what the client's answers mean. */
export class VidgearServerWire {
  readonly #options: VidgearServerWireOptions;
  readonly #codec: VidgearCodec;
  readonly #jpeg: (() => JpegCodec) | undefined;

  /**
   * @param jpeg Gives the codec that decodes JPEG arrays returned in
   * bidirectional mode (REQ only: a PUB server reads no answers).
   */
  constructor(options: VidgearServerWireOptions, jpeg?: () => JpegCodec) {
    this.#options = options;
    this.#codec = new VidgearCodec({
      maxDataBytes: options.maxMessageSize,
      maxHeaderBytes: Math.min(options.maxMessageSize, 1024 * 1024),
    });
    this.#jpeg = jpeg;
  }

  /**
   * The parts that send `envelope`, or `undefined` for what vidgear has no
   * message for (a heartbeat).
   *
   * @throws {TypeError} For a send vidgear cannot carry: data without a
   * frame, a raw frame other than `bgr24` or `gray`, a message that is not
   * JSON data.
   * @throws {RangeError} For a message nested too deeply.
   */
  encode(envelope: Envelope): Uint8Array[] | undefined {
    const { port, pattern } = this.#options;
    switch (envelope.kind) {
      case "heartbeat":
      case "reply":
        return undefined;
      case "terminate":
        return this.#codec.encodeTerminate(port);
      case "frame":
        break;
    }
    const frame = envelope.frame;
    if (frame === undefined) {
      throw new TypeError(
        "Cannot send: vidgear's wire format has no data without a frame (a vidgear server sends a frame-less message only to terminate); send a frame with the message",
      );
    }
    const message = envelope.message;
    if (frame.encoding === "jpeg") {
      const { fastDct = true, fastUpsample = false } = this.#options.jpegFlags ?? {};
      return this.#codec.encodeFrame({
        port,
        pattern,
        message,
        jpeg: { data: frame.data, format: frame.format, fastDct, fastUpsample },
      });
    }
    const { width, height, channels, format } = frame;
    const data = this.#options.copyFrames ? frame.data.slice() : frame.data;
    return this.#codec.encodeFrame({
      port,
      pattern,
      message,
      frame: { width, height, channels, format, data },
    });
  }

  /** What the client's answer to `envelope` means (REQ/REP). */
  outcome(parts: Uint8Array[], envelope: Envelope): SendOutcome {
    const { port } = this.#options;
    try {
      const reply = this.#codec.decodeReply(parts);
      switch (reply.kind) {
        case "refused":
          return failed(
            reply.code,
            `Cannot send to the client on port ${port}: it refused the ${
              envelope.kind === "terminate" ? "terminate" : "frame"
            } (${reply.code}): ${reply.message}`,
          );
        case "ack":
        case "terminate-ack":
          return { type: "Replied", returnData: undefined };
        case "data":
          return { type: "Replied", returnData: reply.data ?? undefined };
        case "array":
          return {
            type: "Replied",
            returnData: reply.encoding === "raw"
              ? copyFrame(reply.frame)
              : decodeVidgearJpeg(this.#jpeg!(), reply.jpeg, {
                maxPixels: Math.max(1, Math.floor(this.#options.maxMessageSize / 3)),
              }),
          };
      }
    } catch (error) {
      const code = error instanceof ProtocolError ? error.code : "bad-reply";
      return failed(
        code,
        `Cannot read the client's answer on port ${port}: ${
          describeError(error)
        }; does the client speak vidgear's format (a vidgear client, or option wire "vidgear")?`,
      );
    }
  }
}

/** An array reply's pixels, out of the received message (which ZeroMQ may reuse). */
function copyFrame(frame: Frame): Frame {
  return { ...frame, data: frame.data.slice() };
}

/** How a client transport speaks vidgear. */
export interface VidgearClientWireOptions {
  /** 1 (REP) or 2 (SUB): frames saying another pattern are refused. */
  readonly pattern: VidgearPattern;
  /** The largest message accepted, in bytes. */
  readonly maxMessageSize: number;
  /** Answer frames with bidirectional replies (REQ/REP). */
  readonly bidirectional: boolean;
  /**
   * Each port's next frame number: kept by the caller across the
   * transport's restarts, so numbers never start over while it runs.
   */
  readonly numbers: Map<number, number>;
}

/** A client transport's vidgear side: what arrives, read, and the answers (REQ/REP). */
export class VidgearClientWire {
  readonly #options: VidgearClientWireOptions;
  readonly #codec: VidgearCodec;
  /** This client's id in its acknowledgements, one per run, as vidgear's. */
  readonly deviceId: string = newVidgearDeviceId();

  constructor(options: VidgearClientWireOptions) {
    this.#options = options;
    this.#codec = new VidgearCodec({
      maxDataBytes: options.maxMessageSize,
      maxHeaderBytes: Math.min(options.maxMessageSize, 1024 * 1024),
    });
  }

  /**
   * Reads what arrived on `port` as an envelope: a frame numbered on
   * arrival, or the server's terminate (a goodbye).
   *
   * @param jpegSize Reads a JPEG's size from its header (vidgear does not send it).
   * @throws {ProtocolError} When it must be refused.
   */
  accept(
    port: number,
    parts: Uint8Array[],
    jpegSize: (data: Uint8Array) => { width: number; height: number },
  ): Envelope {
    const decoded = this.#codec.decodeServerMessage(parts, {
      ports: port,
      pattern: this.#options.pattern,
    });
    const numbers = this.#options.numbers;
    const next = numbers.get(port) ?? 0;
    const sentAt = performance.timeOrigin + performance.now();
    if (decoded.kind === "terminate") {
      return { version: 1, kind: "terminate", port, seq: next, sentAt };
    }
    let frame: VidgearWireFrame;
    if (decoded.encoding === "raw") {
      frame = { ...decoded.frame, format: decoded.frame.format ?? "bgr24", encoding: "raw" };
    } else {
      const { data, format, fastUpsample } = decoded.jpeg;
      let size: { width: number; height: number };
      try {
        size = jpegSize(data);
      } catch (error) {
        throw new ProtocolError(
          "bad-jpeg",
          `Cannot accept frame: its JPEG header does not read (${describeError(error)})`,
          { field: "data", cause: error },
        );
      }
      frame = {
        width: size.width,
        height: size.height,
        channels: CHANNELS_OF[format],
        format,
        encoding: "jpeg",
        data,
        fastUpsample,
      };
    }
    numbers.set(port, next + 1);
    const envelope: Envelope = { version: 1, kind: "frame", port, seq: next, sentAt, frame };
    if (decoded.message !== null) envelope.message = decoded.message;
    return envelope;
  }

  /** The answer to a refused request: text, or a `None` reply in bidirectional mode. */
  refusal(error: ProtocolError): Uint8Array[] {
    return this.#codec.encodeRefusal({
      code: error.code,
      message: error.message,
      bidirectional: this.#options.bidirectional,
    });
  }

  /** The answer to a terminate. */
  terminateAnswer(): Uint8Array[] {
    return this.#codec.encodeTerminateAck();
  }

  /**
   * The answer to a frame: vidgear's acknowledgement, or in bidirectional
   * mode a reply carrying `returnData` (a `Frame` goes as an array).
   *
   * @returns The parts, and why `returnData` could not go when it could not
   * (it is then answered as `None`, so the server is not left waiting).
   */
  frameAnswer(returnData: unknown): { parts: Uint8Array[]; problem?: string } {
    if (!this.#options.bidirectional) return { parts: this.#codec.encodeAck(this.deviceId) };
    try {
      return {
        parts: isFrame(returnData)
          ? this.#codec.encodeReply({ frame: returnData })
          : this.#codec.encodeReply({ data: returnData ?? null }),
      };
    } catch (error) {
      return {
        parts: this.#codec.encodeReply({ data: null }),
        problem: `Cannot return data to the server: ${
          describeError(error)
        }; it was answered with None. vidgear's wire carries JSON data, or a bgr24 or gray Frame`,
      };
    }
  }
}

/** Whether `value` looks like a {@linkcode Frame} (returned as vidgear's ndarray). */
function isFrame(value: unknown): value is Frame {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return v.data instanceof Uint8Array && typeof v.width === "number" &&
    typeof v.height === "number" && typeof v.channels === "number";
}
