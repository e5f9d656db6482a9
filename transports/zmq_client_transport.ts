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
  /**
   * How often a port whose receive loop failed is reopened: at most `max`
   * times within any `withinMs`; past that the next reopening waits until
   * the oldest one leaves the window, so a port keeps coming back at a
   * bounded rate instead of spinning or staying down.
   *
   * @default {{ max: 5, withinMs: 10_000 }}
   */
  readonly portRestarts?: { readonly max: number; readonly withinMs: number };
  /**
   * Makes each port's socket (tests inject failures with it).
   *
   * @default {(kind, options) => new ZmqSocket(kind, options)}
   */
  readonly openSocket?: (kind: SocketKind, options: ZmqSocketOptions) => ZmqSocket;
}

const KIND_OF: Readonly<Record<Pattern, SocketKind>> = { 0: "pair", 1: "rep", 2: "sub" };
const DEFAULT_PORT_RESTARTS = { max: 5, withinMs: 10_000 } as const;
/** Binding again right after closing: ZeroMQ releases the port on its I/O thread. */
const REBIND_TRIES = 20;
const REBIND_WAIT_MS = 50;

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
  /** Aborted when the transport stops: ends any wait between reopenings. */
  readonly #stop = new AbortController();
  #security: ZmqSocketOptions = {};

  /** @param options Where and how to open the sockets. */
  constructor(options: ZmqClientTransportOptions) {
    this.#options = options;
    this.#codec = new ProtocolCodec({ maxMessageBytes: options.maxMessageSize });
  }

  /** Opens one socket per port and starts receiving on each. */
  async started(context: ActorContext<ClientTransportCommand>): Promise<void> {
    const parent = context.parent as ActorRef<ClientTransportEvent>;
    try {
      this.#security = await this.#loadSecurity(context);
      for (const port of this.#options.ports) await this.#open(port);
    } catch (error) {
      await this.#closeAll();
      this.#options.onReady(error);
      return;
    }
    for (const port of this.#sockets.keys()) {
      this.#loops.push(this.#servePort(port, parent, context));
    }
    this.#options.onReady();
  }

  /** Opens `port`'s socket and makes it the one its loop reads. */
  async #open(port: number): Promise<void> {
    const { address, pattern, role, maxMessageSize } = this.#options;
    const options: ZmqSocketOptions = {
      maxMessageSize,
      // PUB/SUB: a few frames wait here while the port is paused (see
      // `room`); past that the server holds back (or drops and counts).
      receiveHighWaterMark: pattern === 2 ? 4 : 1000,
      // Long enough for the last replies to leave when the client shuts down.
      linger: 200,
      ...this.#security,
    };
    const socket = this.#options.openSocket?.(KIND_OF[pattern], options) ??
      new ZmqSocket(KIND_OF[pattern], options);
    // Ironhouse fails closed: with no ZAP handler bound, no server is admitted.
    if (options.zapDomain !== undefined) socket.raw.zapEnforceDomain = true;
    const endpoint = `tcp://${address}:${port}`;
    try {
      if (role === "bind") await socket.bind(endpoint);
      else socket.connect(endpoint);
      if (pattern === 2) socket.subscribe();
    } catch (error) {
      await socket.close();
      throw error;
    }
    this.#sockets.set(port, socket);
  }

  /**
   * Serves `port` until the transport stops. Nothing a peer sends should
   * make its receive loop fail; if it fails anyway (a bug, or ZeroMQ in a
   * state we did not foresee) the port must not silently stop serving: the
   * failure is logged and told, the port's socket is replaced by a fresh
   * one (an old REP socket may be stuck owing a reply) and its loop starts
   * again, at most `portRestarts.max` times within `portRestarts.withinMs`.
   */
  async #servePort(
    port: number,
    parent: ActorRef<ClientTransportEvent>,
    context: ActorContext<ClientTransportCommand>,
  ): Promise<void> {
    const { max, withinMs } = this.#options.portRestarts ?? DEFAULT_PORT_RESTARTS;
    const restartedAt: number[] = [];
    while (!this.#stopping) {
      const socket = this.#sockets.get(port);
      if (socket === undefined) return;
      try {
        await this.#receiveLoop(port, socket, parent);
        return;
      } catch (error) {
        if (this.#stopping) return;
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        parent.tell({ type: "TransportFailed", port, reason });
        const now = performance.now();
        while (restartedAt.length > 0 && now - restartedAt[0] >= withinMs) restartedAt.shift();
        const waitMs = restartedAt.length < max ? 0 : restartedAt[0] + withinMs - now;
        context.log.error(
          `receive loop on port ${port} failed: ${reason}; reopening the port${
            waitMs > 0
              ? ` in ${Math.ceil(waitMs)} ms (${max} restarts within ${withinMs} ms already)`
              : ` (restart ${restartedAt.length + 1} of at most ${max} within ${withinMs} ms)`
          }`,
        );
        if (waitMs > 0 && !(await this.#wait(waitMs))) return;
        restartedAt.push(performance.now());
        if (!(await this.#reopen(port, socket, context))) return;
      }
    }
  }

  /**
   * Replaces `port`'s socket. Binding again may briefly find the port still
   * held (ZeroMQ closes on its own thread), so it is retried a few times.
   *
   * @returns `false` when the transport stopped meanwhile.
   */
  async #reopen(
    port: number,
    old: ZmqSocket,
    context: ActorContext<ClientTransportCommand>,
  ): Promise<boolean> {
    this.#pendingReplies.get(port)?.(undefined);
    this.#pendingReplies.delete(port);
    // Whatever the old socket still holds is what broke it: do not keep it.
    if (!old.closed) old.raw.linger = 0;
    await old.close();
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        await this.#open(port);
        if (!this.#stopping) return true;
      } catch (error) {
        const inUse = (error as { code?: unknown }).code === "EADDRINUSE";
        if (!inUse || attempt >= REBIND_TRIES) {
          context.log.error(
            `Cannot reopen port ${port}: ${String(error)}; trying again after the restart window`,
          );
          const { withinMs } = this.#options.portRestarts ?? DEFAULT_PORT_RESTARTS;
          if (!(await this.#wait(withinMs))) return false;
          attempt = 0;
          continue;
        }
        if (!(await this.#wait(REBIND_WAIT_MS))) return false;
      }
    }
    // Stopped while reopening: #closeAll may have run before the new socket
    // was in the map.
    await this.#sockets.get(port)?.close();
    return false;
  }

  /** Waits `ms`, or less if the transport stops. @returns `false` if it stopped. */
  #wait(ms: number): Promise<boolean> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve(!signal.aborted);
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
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

  /**
   * Reads `port` until the transport stops. Every message a peer can send
   * is either passed on or refused (and, in REQ/REP, answered); it throws
   * only for what no peer should be able to cause.
   */
  async #receiveLoop(
    port: number,
    socket: ZmqSocket,
    parent: ActorRef<ClientTransportEvent>,
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
          envelope = this.#decode(parts);
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
      // Closed by stop(): the loop is done. Anything else (a socket closed
      // underneath included) is a failure: the port is reopened.
      if (this.#stopping && error instanceof TransportClosedError) return;
      throw error;
    }
  }

  /**
   * Decodes what a peer sent. Anything the decoder throws is the peer's
   * doing and becomes a refusal: only a `ProtocolError` is expected, but a
   * decoder bug tripped by hostile bytes must not end the port's loop.
   */
  #decode(parts: Uint8Array[]): Envelope {
    try {
      return this.#codec.decodeParts(parts);
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError(
        "malformed-cbor",
        `Cannot decode envelope: the decoder failed on it (${
          error instanceof Error ? error.message : String(error)
        })`,
        { cause: error },
      );
    }
  }

  /** Secure mode's CURVE server options; for ironhouse, starts the ZAP handler. */
  async #loadSecurity(context: ActorContext<ClientTransportCommand>): Promise<ZmqSocketOptions> {
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
    this.#stop.abort();
    for (const resolve of this.#pendingReplies.values()) resolve(undefined);
    this.#pendingReplies.clear();
    await Promise.all([...this.#sockets.values()].map((socket) => socket.close()));
    await Promise.allSettled(this.#loops);
    // After the sockets, so none is ever left guarded by a missing handler.
    await this.#zap?.close();
  }
}
