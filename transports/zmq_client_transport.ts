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
import { CLIENT_KEY_NAME, loadAuthorizedKeys, loadKeyPair } from "./security/curve_keys.ts";
import { ZapHandler } from "./security/zap_handler.ts";
import { type Envelope, ProtocolCodec, type WireFrame } from "./protocol/protocol.ts";
import { JpegCodec } from "./codecs/jpeg.ts";
import { ProtocolError } from "./protocol/protocol_errors.ts";
import { type SocketKind, ZmqSocket, type ZmqSocketOptions } from "./zmq/zmq_socket.ts";
import { TransportClosedError } from "./errors.ts";
import { describeError } from "../actors/describe.ts";

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
   * (`undefined` when there is room now; while there is none, the same
   * promise each time). The port is read all the same, so the user gets
   * the newest frame, not an old one that waited in ZeroMQ's and TCP's
   * queues; meanwhile only the newest frame is kept, undecoded, and those
   * it replaces are reported as `skipped`. (ZeroMQ's conflate would keep
   * only the newest frame too, but it also discards a goodbye still queued
   * when its server disconnects.)
   */
  readonly room?: (port: number) => Promise<void> | undefined;
  /** Longest a frame is held for room before it is passed on anyway, in ms. */
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

/** PUB/SUB: one port's newest frame while the user has no room for it. */
interface Held {
  envelope: Envelope | undefined;
  /** Bytes of the held frame and of those it replaced. */
  bytes: number;
  /** Frames replaced (dropped unseen) while waiting. */
  skipped: number;
  /** The room promise already reacted to (a queue hands out one per wait). */
  hooked: Promise<void> | undefined;
  /** Passes the frame on anyway after `roomWaitMs`. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Made once per port: no closure per frame. */
  release: () => void;
}

/** A message's size on the wire. */
function wireBytes(parts: Uint8Array[]): number {
  let bytes = 0;
  for (const part of parts) bytes += part.byteLength;
  return bytes;
}

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
  /** PUB/SUB: per port, the newest frame waiting for the user's room. */
  readonly #held = new Map<number, Held>();

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
      // PUB/SUB: the port is always read (see `room`), so this only bounds
      // what queues while this process is busy; past it the server holds
      // back (or drops and counts).
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
    try {
      if (this.#options.pattern === 1) await this.#serveRequests(port, socket, parent);
      else await this.#serveStream(port, socket, parent);
    } catch (error) {
      // Closed by stop(): the loop is done. Anything else (a socket closed
      // underneath included) is a failure: the port is reopened.
      if (this.#stopping && error instanceof TransportClosedError) return;
      throw error;
    }
  }

  /** REQ/REP: each request is held until its reply comes (or answered at once when refused). */
  async #serveRequests(
    port: number,
    socket: ZmqSocket,
    parent: ActorRef<ClientTransportEvent>,
  ): Promise<void> {
    while (!this.#stopping) {
      const parts = await socket.receive();
      const bytes = wireBytes(parts);
      let envelope: Envelope;
      let jpeg: Uint8Array | undefined;
      try {
        envelope = this.#accept(port, parts);
        if (envelope.frame?.encoding === "jpeg") {
          jpeg = envelope.frame.data;
          envelope = { ...envelope, frame: this.#decodeJpeg(envelope.frame) };
        }
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        parent.tell({ type: "EnvelopeRejected", port, code: error.code, reason: error.message });
        // Version 1: every version reads an error reply (PROTOCOL.md §7).
        await socket.send(this.#codec.encode({
          version: 1,
          kind: "reply",
          port,
          seq: 0,
          sentAt: performance.timeOrigin + performance.now(),
          error: { code: error.code, message: error.message },
        }));
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
  }

  /**
   * PUB/SUB (and PAIR): reads every message as it comes, so that what the
   * user gets next is the newest frame, not one that waited in ZeroMQ's and
   * TCP's queues while the user was busy (those held seconds of video).
   * While the user has no room for `port`, only the newest frame is kept
   * here, undecoded (its JPEG is decoded only if it is passed on); each one
   * it replaces is counted as dropped. It is passed on when room comes, or
   * after `roomWaitMs` anyway so that a client nobody reads from still
   * sees its servers alive (and taps such as the viewer get frames).
   * Heartbeats and goodbyes are never held: a held frame goes before them.
   */
  async #serveStream(
    port: number,
    socket: ZmqSocket,
    parent: ActorRef<ClientTransportEvent>,
  ): Promise<void> {
    const room = this.#options.room;
    let held = this.#held.get(port);
    if (held === undefined) {
      held = {
        envelope: undefined,
        bytes: 0,
        skipped: 0,
        hooked: undefined,
        timer: undefined,
        release: () => {},
      };
      const state = held;
      held.release = () => this.#release(port, state, parent);
      this.#held.set(port, held);
    }
    while (!this.#stopping) {
      const parts = await socket.receive();
      const bytes = wireBytes(parts);
      let envelope: Envelope;
      try {
        envelope = this.#accept(port, parts);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        parent.tell({ type: "EnvelopeRejected", port, code: error.code, reason: error.message });
        continue;
      }
      if (envelope.kind !== "frame") {
        held.release();
        parent.tell({ type: "EnvelopeReceived", port, envelope, bytes });
        continue;
      }
      if (held.envelope !== undefined) {
        // Still no room: the newer frame replaces the one waiting.
        held.envelope = envelope;
        held.bytes += bytes;
        held.skipped++;
        continue;
      }
      const waiting = room?.(port);
      if (waiting === undefined) {
        this.#pass(port, envelope, bytes, 0, parent);
        continue;
      }
      held.envelope = envelope;
      held.bytes = bytes;
      held.skipped = 0;
      // One reaction per wait for room, not per frame or per timeout.
      if (held.hooked !== waiting) {
        held.hooked = waiting;
        waiting.then(held.release);
      }
      held.timer ??= setTimeout(held.release, this.#options.roomWaitMs ?? 500);
    }
  }

  /** Passes on `port`'s held frame, if any (room came, time is up, or a message must follow it). */
  #release(port: number, held: Held, parent: ActorRef<ClientTransportEvent>): void {
    clearTimeout(held.timer);
    held.timer = undefined;
    const envelope = held.envelope;
    if (envelope === undefined || this.#stopping) return;
    held.envelope = undefined;
    this.#pass(port, envelope, held.bytes, held.skipped, parent);
  }

  /** Tells the parent of one accepted message, decoding its JPEG first. */
  #pass(
    port: number,
    envelope: Envelope,
    bytes: number,
    skipped: number,
    parent: ActorRef<ClientTransportEvent>,
  ): void {
    let jpeg: Uint8Array | undefined;
    if (envelope.frame?.encoding === "jpeg") {
      jpeg = envelope.frame.data;
      try {
        envelope = { ...envelope, frame: this.#decodeJpeg(envelope.frame) };
      } catch (error) {
        // #decodeJpeg throws only ProtocolErrors; this may run from a timer,
        // where anything thrown would end the process: refuse, whatever it is.
        const code = error instanceof ProtocolError ? error.code : "bad-jpeg";
        const reason = describeError(error);
        parent.tell({ type: "EnvelopeRejected", port, code, reason });
        return;
      }
    }
    parent.tell(
      skipped > 0
        ? { type: "EnvelopeReceived", port, envelope, bytes, jpeg, skipped }
        : { type: "EnvelopeReceived", port, envelope, bytes, jpeg },
    );
  }

  /**
   * Decodes what arrived on `port` and checks it may come from a server
   * there (no JPEG decoding yet).
   *
   * @throws {ProtocolError} When it must be refused.
   */
  #accept(port: number, parts: Uint8Array[]): Envelope {
    // The port is checked with the head, before `message` is decoded: a
    // spoofed port costs no decoding.
    const envelope = this.#decode(port, parts);
    if (envelope.kind === "reply") {
      throw new ProtocolError(
        "bad-field",
        'Cannot accept message: kind "reply" is sent by clients, not servers',
        { field: "kind" },
      );
    }
    return envelope;
  }

  /**
   * Decodes what a peer sent. Anything the decoder throws is the peer's
   * doing and becomes a refusal: only a `ProtocolError` is expected, but a
   * decoder bug tripped by hostile bytes must not end the port's loop.
   */
  #decode(port: number, parts: Uint8Array[]): Envelope {
    try {
      return this.#codec.decodeParts(parts, { port });
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError(
        "malformed-cbor",
        `Cannot decode envelope: the decoder failed on it (${describeError(error)})`,
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

  /**
   * Decodes (or, when the client keeps JPEG, only checks the header of) a
   * compressed frame. Bad bytes become a refused message, never a crash.
   */
  #decodeJpeg(wire: WireFrame): WireFrame | undefined {
    const { decode = true, fastUpsample = false } = this.#options.jpeg ?? {};
    // A few hundred bytes of JPEG may claim 65535x65535 pixels: decoded
    // frames are held to the same limit as raw ones, before any allocation.
    const decodedBytes = wire.width * wire.height * wire.channels;
    if (decode && decodedBytes > this.#options.maxMessageSize) {
      throw new ProtocolError(
        "oversized",
        `Cannot accept frame: its JPEG decodes to ${wire.width}x${wire.height}x${wire.channels} = ${decodedBytes} bytes, more than option "maxMessageSize" (${this.#options.maxMessageSize})`,
        { field: "frame.data" },
      );
    }
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
        `Cannot decode the frame's JPEG: ${describeError(error)}`,
        { field: "frame.data", cause: error },
      );
    }
  }

  async #closeAll(): Promise<void> {
    this.#jpegCodec?.close();
    this.#stopping = true;
    this.#stop.abort();
    for (const held of this.#held.values()) {
      clearTimeout(held.timer);
      held.timer = undefined;
      held.envelope = undefined;
    }
    for (const resolve of this.#pendingReplies.values()) resolve(undefined);
    this.#pendingReplies.clear();
    await Promise.all([...this.#sockets.values()].map((socket) => socket.close()));
    await Promise.allSettled(this.#loops);
    // After the sockets, so none is ever left guarded by a missing handler.
    await this.#zap?.close();
  }
}
