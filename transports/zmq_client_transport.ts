/**
 * The client's transport actor over ZeroMQ: one REP, SUB or PAIR socket per
 * port, so the port a message came in on is known without trusting the
 * message (one socket bound on many ports could not tell them apart).
 *
 * @module
 */

import type { Actor, ActorContext } from "../actors/actor.ts";
import type { ActorRef } from "../actors/actor_ref.ts";
import type { ClientTransportCommand, ClientTransportEvent } from "../actors/netgear/messages.ts";
import type { Pattern, SecureMode } from "./netgear_options.ts";
import { CLIENT_KEY_NAME, loadAuthorizedKeys, loadKeyPair } from "./curve_keys.ts";
import { ZapHandler } from "./zap_handler.ts";
import { type Envelope, ProtocolCodec, type WireFrame } from "./protocol.ts";
import { JpegCodec } from "./jpeg.ts";
import { ProtocolError } from "./protocol_errors.ts";
import { type SocketKind, ZmqSocket, type ZmqSocketOptions } from "./zmq_socket.ts";
import { TransportClosedError } from "./errors.ts";

/** How the client transport opens its sockets. */
export interface ZmqClientTransportOptions {
  /** Host to bind or connect to. */
  readonly address: string;
  /** One socket per port. */
  readonly ports: readonly number[];
  /** 0 = PAIR, 1 = REP, 2 = SUB. */
  readonly pattern: Pattern;
  /** Bind (multi-server: servers connect to us) or connect (plain mode). */
  readonly role: "bind" | "connect";
  /** Largest message accepted, in bytes. */
  readonly maxMessageSize: number;
  /** Told once every socket is open, or with the error that stopped it. */
  readonly onReady: (error?: unknown) => void;
  /**
   * PUB/SUB: resolves when the user has room for another frame from `port`
   * (`undefined` when there is room now). While it waits the port is not
   * read, so a slow consumer costs no decoding or memory for frames it would
   * only drop; ZeroMQ's own bounded queues hold the rest. (ZeroMQ's conflate
   * would keep only the newest frame, but it also discards a goodbye still
   * queued when its server disconnects.)
   */
  readonly room?: (port: number) => Promise<void> | undefined;
  /** Longest wait for room before the port is read anyway, in ms. */
  readonly roomWaitMs?: number;
  /** What to do with JPEG frames. */
  readonly jpeg?: { readonly decode: boolean; readonly fastUpsample: boolean };
  /** 0 (default) = plain; 1 = CURVE server; 2 = CURVE server admitting only known servers (ZAP). */
  readonly secureMode?: SecureMode;
  /** Where the keys are; needed when `secureMode` is 1 or 2. */
  readonly keysDir?: string;
}

const KIND_OF: Readonly<Record<Pattern, SocketKind>> = { 0: "pair", 1: "rep", 2: "sub" };

/**
 * Receives on every port; in REQ/REP holds each request until its parent
 * sends the reply (or answers at once with an error reply when the request
 * is refused), so no server is ever left waiting by a bad message.
 *
 * @example
 * ```ts ignore
 * context.spawn("transport", { create: () => new ZmqClientTransport(options) });
 * ```
 */
export class ZmqClientTransport implements Actor<ClientTransportCommand> {
  readonly #options: ZmqClientTransportOptions;
  readonly #codec: ProtocolCodec;
  readonly #sockets = new Map<number, ZmqSocket>();
  readonly #pendingReplies = new Map<number, (envelope: Envelope | undefined) => void>();
  readonly #loops: Promise<void>[] = [];
  #jpegCodec: JpegCodec | undefined;
  #zap: ZapHandler | undefined;
  #stopping = false;

  /** @param options Where and how to open the sockets. */
  constructor(options: ZmqClientTransportOptions) {
    this.#options = options;
    this.#codec = new ProtocolCodec({ maxMessageBytes: options.maxMessageSize });
  }

  /** Opens one socket per port and starts receiving on each. */
  async started(context: ActorContext<ClientTransportCommand>): Promise<void> {
    const { address, ports, pattern, role, maxMessageSize } = this.#options;
    const parent = context.parent as ActorRef<ClientTransportEvent>;
    try {
      const security = await this.#security(context);
      for (const port of ports) {
        const socket = new ZmqSocket(KIND_OF[pattern], {
          maxMessageSize,
          // PUB/SUB: a few frames wait here while the port is paused (see
          // `room`); past that the server holds back (or drops and counts).
          receiveHighWaterMark: pattern === 2 ? 4 : 1000,
          // Long enough for the last replies to leave when the client shuts down.
          linger: 200,
          ...security,
        });
        // Ironhouse fails closed: with no ZAP handler bound, no server is admitted.
        if (security.zapDomain !== undefined) socket.raw.zapEnforceDomain = true;
        this.#sockets.set(port, socket);
        const endpoint = `tcp://${address}:${port}`;
        if (role === "bind") await socket.bind(endpoint);
        else socket.connect(endpoint);
        if (pattern === 2) socket.subscribe();
      }
    } catch (error) {
      await this.#closeAll();
      this.#options.onReady(error);
      return;
    }
    for (const [port, socket] of this.#sockets) {
      this.#loops.push(this.#receiveLoop(port, socket, parent, context));
    }
    this.#options.onReady();
  }

  /** Closes every socket and waits for the receive loops to end. */
  async stopped(): Promise<void> {
    await this.#closeAll();
  }

  /** Handles one message. */
  receive(message: ClientTransportCommand): void {
    switch (message.type) {
      case "SendReply": {
        const resolve = this.#pendingReplies.get(message.port);
        this.#pendingReplies.delete(message.port);
        resolve?.(message.envelope);
        return;
      }
      default: {
        const unreachable: never = message.type;
        throw new TypeError(`Cannot handle message type ${unreachable}`);
      }
    }
  }

  async #receiveLoop(
    port: number,
    socket: ZmqSocket,
    parent: ActorRef<ClientTransportEvent>,
    context: ActorContext<ClientTransportCommand>,
  ): Promise<void> {
    const requestReply = this.#options.pattern === 1;
    try {
      const room = requestReply ? undefined : this.#options.room;
      while (!this.#stopping) {
        const waiting = room?.(port);
        // Not forever: reading now and then keeps the server's liveness
        // fresh (and taps such as the viewer fed) when nobody calls recv.
        if (waiting) await this.#atMost(waiting, this.#options.roomWaitMs ?? 500);
        if (this.#stopping) return;
        const parts = await socket.receive();
        const bytes = parts.length === 2
          ? parts[0].byteLength + parts[1].byteLength
          : parts[0]?.byteLength ?? 0;
        let envelope: Envelope;
        let jpeg: Uint8Array | undefined;
        try {
          envelope = this.#codec.decodeParts(parts);
          if (envelope.kind === "reply") {
            throw new ProtocolError(
              "bad-field",
              'Cannot accept message: kind "reply" is sent by clients, not servers',
              { field: "kind" },
            );
          }
          if (envelope.frame?.encoding === "jpeg") {
            jpeg = envelope.frame.data;
            envelope = { ...envelope, frame: this.#decodeJpeg(envelope.frame) };
          }
          if (envelope.port !== port) {
            throw new ProtocolError(
              "bad-field",
              `Cannot accept message: it names port ${envelope.port} but arrived on port ${port}; give each server its own port`,
              { field: "port" },
            );
          }
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          parent.tell({ type: "EnvelopeRejected", port, code: error.code, reason: error.message });
          if (requestReply) {
            // Version 1: every version reads an error reply (PROTOCOL.md §7).
            await socket.send(this.#codec.encode({
              version: 1,
              kind: "reply",
              port,
              seq: 0,
              sentAt: performance.timeOrigin + performance.now(),
              error: { code: error.code, message: error.message },
            }));
          }
          continue;
        }
        if (!requestReply) {
          parent.tell({ type: "EnvelopeReceived", port, envelope, bytes, jpeg });
          continue;
        }
        if (envelope.kind !== "frame") {
          // Heartbeats and goodbyes are answered here, at once: the goodbye
          // may be the last message before the client shuts down, and its
          // answer must not race that shutdown.
          parent.tell({ type: "EnvelopeReceived", port, envelope, bytes });
          await socket.send(this.#codec.encode({
            version: envelope.version,
            kind: "reply",
            port,
            seq: envelope.seq,
            sentAt: performance.timeOrigin + performance.now(),
          }));
          continue;
        }
        // Settled by SendReply, or with undefined when the transport stops.
        // (A race against a shared "stopped" promise would add a reaction
        // to it per frame, kept until the end.)
        const reply = new Promise<Envelope | undefined>((resolve) =>
          this.#pendingReplies.set(port, resolve)
        );
        parent.tell({ type: "EnvelopeReceived", port, envelope, bytes, jpeg });
        const answer = await reply;
        if (answer === undefined || this.#stopping) return;
        // In the request's version: a server that speaks only 1 refuses a 2.
        // One part even in version 2: a reply's send resolves once queued,
        // so a frame in it must be copied (the user may reuse its buffer).
        await socket.send(this.#codec.encode(
          answer.version === envelope.version ? answer : { ...answer, version: envelope.version },
        ));
      }
    } catch (error) {
      if (this.#stopping || error instanceof TransportClosedError) return;
      context.log.error(`receive loop on port ${port} failed: ${String(error)}`);
      parent.tell({ type: "TransportFailed", port, reason: String(error) });
    }
  }

  /** Secure mode's CURVE server options; for ironhouse, starts the ZAP handler. */
  async #security(context: ActorContext<ClientTransportCommand>): Promise<ZmqSocketOptions> {
    const { secureMode = 0, keysDir } = this.#options;
    if (secureMode === 0) return {};
    const own = await loadKeyPair(keysDir!, CLIENT_KEY_NAME);
    const curve = {
      curveServer: true,
      curveSecretKey: own.secretKey,
      curvePublicKey: own.publicKey,
    };
    if (secureMode === 1) return curve;
    this.#zap = await ZapHandler.start(await loadAuthorizedKeys(keysDir!), {
      log: (message) => context.log.warn(message),
    });
    return { ...curve, zapDomain: this.#zap.domain };
  }

  async #atMost(promise: Promise<void>, ms: number): Promise<void> {
    let timer!: ReturnType<typeof setTimeout>;
    await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
    clearTimeout(timer);
  }

  /**
   * Decodes (or, when the client keeps JPEG, only checks the header of) a
   * compressed frame. Bad bytes become a refused message, never a crash.
   */
  #decodeJpeg(wire: WireFrame): WireFrame | undefined {
    const { decode = true, fastUpsample = false } = this.#options.jpeg ?? {};
    try {
      this.#jpegCodec ??= new JpegCodec();
      const codec = this.#jpegCodec;
      if (!decode) {
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
        fastUpsample,
        maxPixels: wire.width * wire.height,
      });
      if (frame.width !== wire.width || frame.height !== wire.height) {
        throw new ProtocolError(
          "bad-jpeg",
          `Cannot accept frame: its JPEG is ${frame.width}x${frame.height} but the envelope says ${wire.width}x${wire.height}`,
          { field: "frame.data" },
        );
      }
      return { ...wire, channels: frame.channels, encoding: "raw", data: frame.data };
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError(
        "bad-jpeg",
        `Cannot decode the frame's JPEG: ${error instanceof Error ? error.message : String(error)}`,
        { field: "frame.data", cause: error },
      );
    }
  }

  async #closeAll(): Promise<void> {
    this.#jpegCodec?.close();
    this.#stopping = true;
    for (const resolve of this.#pendingReplies.values()) resolve(undefined);
    this.#pendingReplies.clear();
    await Promise.all([...this.#sockets.values()].map((socket) => socket.close()));
    await Promise.allSettled(this.#loops);
    // After the sockets, so none is ever left guarded by a missing handler.
    await this.#zap?.close();
  }
}
