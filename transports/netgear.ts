/**
 * NetGear: vidgear's network gear for Deno. In multi-server mode many
 * servers stream frames and data to one client, which tells them apart by
 * port, tracks each one's state and shuts itself down when all are gone.
 *
 * @module
 */

import { ActorSystem } from "../actors/actor_system.ts";
import { AskTimeoutError } from "../actors/errors.ts";
import type { ActorRef } from "../actors/actor_ref.ts";
import { CLIENT_SUPERVISION, ClientSupervisor } from "../actors/netgear/client_supervisor.ts";
import { DeliveryQueue } from "../actors/netgear/delivery_queue.ts";
import type { ClientSupervisorMessage } from "../actors/netgear/client_supervisor_messages.ts";
import type { ConnectionStats } from "../actors/netgear/connection_messages.ts";
import type { ServerStateEvent } from "../actors/netgear/events.ts";
import type { ServerStateChanged } from "../actors/netgear/liveness_messages.ts";
import type { Received } from "../actors/netgear/received.ts";
import type { NetGearServerStats, ServerStats, TrackedServer } from "../actors/netgear/stats.ts";
import { ServerActor } from "../actors/netgear/server_actor.ts";
import type { ServerMessage } from "../actors/netgear/server_messages.ts";
import { CHANNELS_OF, type Frame, PIXEL_FORMATS, type PixelFormat } from "../capture/frame.ts";
import { JpegCodec } from "./codecs/jpeg.ts";
import { ProtocolCodec } from "./protocol/protocol.ts";
import {
  type NetGearOptions,
  type ResolvedNetGearOptions,
  resolveOptions,
} from "./netgear_options.ts";
import { Viewer } from "./viewer.ts";
import { previewValue } from "./preview.ts";
import { RepClientTransport } from "./rep_client_transport.ts";
import { SubClientTransport } from "./sub_client_transport.ts";
import { ReqServerTransport } from "./req_server_transport.ts";
import { PubServerTransport } from "./pub_server_transport.ts";
import {
  newServerTransportStats,
  type OutgoingFrame,
  type SendOutcome,
  type ServerTransportStats,
} from "./transport.ts";
import type { ZmqClientTransportOptions } from "./zmq_transport_options.ts";

export type { NetGearServerStats, Received, ServerStateEvent, ServerStats, TrackedServer };

/** Options of {@linkcode NetGearClient.recv}. */
export interface RecvOptions {
  /**
   * Bidirectional mode: data sent back to the frame's server with its reply.
   *
   * @default {undefined}
   */
  returnData?: unknown;
  /**
   * Stops waiting, rejecting with the signal's reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Options of {@linkcode NetGearServer.send}. */
export interface SendOptions {
  /**
   * Data of any CBOR-encodable type sent along with the frame.
   *
   * @default {undefined}
   */
  message?: unknown;
  /**
   * Stops waiting for the send. The frame may still go out: in REQ/REP its
   * bytes are read from `frame.data` until that request is answered or given
   * up (`requestTimeout x (maxRetries + 1)`), so give an aborted send a fresh
   * buffer for the next frame rather than rewriting this one.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * A send failed: the client did not answer in time (REQ/REP, after every
 * retry), refused the frame or the server's handshake, took no frame
 * (PUB/SUB), or the server is closed.
 */
export class SendError extends Error {
  /**
   * Why: `"no-reply"` (REQ/REP: no answer after every retry), `"refused"`
   * (the client refused this server's security handshake: see the message
   * for which secure mode and what to check), `"no-subscriber"` or
   * `"queue-full"` (PUB/SUB, see `whenNoSubscriber`), `"closed"`,
   * `"timeout"`, `"invalid"` (the envelope could not be encoded, such as a
   * frame whose buffer was detached after `send()` was called), or the
   * client's `ProtocolError` code.
   */
  readonly code: string;
  /** The server's port. */
  readonly port: number;
  /**
   * @param port The server's port.
   * @param code Why.
   * @param message What happened and what to do.
   */
  constructor(port: number, code: string, message: string) {
    super(message);
    this.name = "SendError";
    this.code = code;
    this.port = port;
  }
}

/** The transport could not open: a port in use, a bad address… */
export class OpenError extends Error {
  /**
   * @param message What failed.
   * @param options The original error as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OpenError";
  }
}

/**
 * Opens NetGear clients and servers.
 *
 * @example Two servers, one client, over REQ/REP on loopback
 * ```ts
 * import { NetGear } from "./netgear.ts";
 * const client = await NetGear.open({
 *   receiveMode: true, multiserverMode: true, port: [5766, 5767], pattern: 1,
 * });
 * const server = await NetGear.open({ multiserverMode: true, port: 5766, pattern: 1 });
 * const frame = { width: 2, height: 1, channels: 3, data: new Uint8Array(6) };
 * const sent = server.send(frame, { message: "hello" });
 * const got = await client.recv();
 * console.assert(got?.port === 5766 && got.message === "hello");
 * await sent;
 * await server.close();
 * await client.close();
 * ```
 */
export class NetGear {
  private constructor() {}

  /**
   * Opens a client (`receiveMode: true`) or a server.
   *
   * @param options Vidgear's options in camelCase; see {@linkcode NetGearOptions}.
   * @returns The open client or server.
   * @throws {ConfigurationError} When an option is wrong (name, value and valid choices in the message).
   * @throws {OpenError} When a socket cannot open (for example a port already in use).
   * @throws {ViewerError} When the client's `viewer` cannot listen (the client is closed again).
   */
  static open(options: NetGearOptions & { receiveMode: true }): Promise<NetGearClient>;
  static open(options?: NetGearOptions & { receiveMode?: false }): Promise<NetGearServer>;
  static open(options?: NetGearOptions): Promise<NetGearClient | NetGearServer>;
  static async open(options: NetGearOptions = {}): Promise<NetGearClient | NetGearServer> {
    const resolved = resolveOptions(options);
    resolved.signal?.throwIfAborted();
    return resolved.receiveMode
      ? await NetGearClient.open(resolved)
      : await NetGearServer.open(resolved);
  }
}

function logLevel(resolved: ResolvedNetGearOptions): "info" | "warn" {
  return resolved.logging ? "info" : "warn";
}

function endpointOf(resolved: ResolvedNetGearOptions): string {
  return resolved.ports.map((port) => `tcp://${resolved.address}:${port}`).join(", ");
}

async function awaitReady(
  ready: Promise<unknown>,
  system: ActorSystem,
  resolved: ResolvedNetGearOptions,
): Promise<void> {
  const error = await ready;
  if (error !== undefined) {
    await system.shutdown();
    throw new OpenError(
      `Cannot open NetGear on ${endpointOf(resolved)}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  if (resolved.signal?.aborted) {
    await system.shutdown();
    throw resolved.signal.reason;
  }
}

/**
 * The receiving end: in multi-server mode it binds every port it is given and
 * receives from every server at once.
 *
 * Iterate it (`for await (const { port, frame, message } of client)`) or
 * call {@linkcode NetGearClient.recv}; both end (`null`) once every server
 * seen has gone or the client is closed. Listen for `serverstate` events to
 * follow servers joining, going quiet and leaving.
 */
export class NetGearClient extends EventTarget implements AsyncDisposable, AsyncIterable<Received> {
  readonly #options: ResolvedNetGearOptions;
  readonly #system: ActorSystem;
  readonly #queue: DeliveryQueue;
  #supervisor!: ActorRef<ClientSupervisorMessage>;
  readonly #servers = new Map<number, TrackedServer>();
  readonly #taps = new Set<(received: Received) => void>();
  #closing: Promise<void> | undefined;
  #shutdownReason: "all-gone" | "closed" | "transport-lost" | undefined;
  #viewer: Viewer | undefined;
  readonly #onAbort = () => void this.close();

  private constructor(options: ResolvedNetGearOptions) {
    super();
    this.#options = options;
    this.#system = new ActorSystem({ name: "netgear-client", logLevel: logLevel(options) });
    this.#queue = new DeliveryQueue(options.queueSize);
  }

  /** @internal Use {@linkcode NetGear.open} with `receiveMode: true`. */
  static async open(options: ResolvedNetGearOptions): Promise<NetGearClient> {
    const client = new NetGearClient(options);
    await client.#start();
    return client;
  }

  async #start(): Promise<void> {
    const options = this.#options;
    let onReady!: (error?: unknown) => void;
    const ready = new Promise<unknown>((resolve) => onReady = resolve);
    const requestReply = options.pattern === 1;
    const transport: ZmqClientTransportOptions & SubOptions = {
      address: options.address,
      ports: options.ports,
      pattern: options.pattern,
      role: options.multiserverMode ? "bind" : "connect",
      maxMessageSize: options.maxMessageSize,
      secureMode: options.secureMode,
      keysDir: options.keysDir,
      onReady,
      room: (port) => this.#queue.room(port),
      roomWaitMs: Math.max(10, Math.floor(options.heartbeatInterval / 2)),
      jpeg: { decode: options.jpeg.decode, fastUpsample: options.jpeg.fastUpsample },
    };
    this.#supervisor = this.#system.spawn<ClientSupervisorMessage>("client", {
      create: () =>
        new ClientSupervisor({
          requestReply,
          queue: this.#queue,
          transport: { create: () => clientTransport(transport) },
          onDelivery: (delivery) => this.#tap(delivery),
          liveness: {
            staleAfterMs: 2 * options.heartbeatInterval,
            goneAfterMs: options.livenessTimeout,
            expectedPorts: options.ports,
            // Only ironhouse tells who sent a goodbye; otherwise it must
            // be followed by silence to count (see liveness_actor.ts).
            leaveGraceMs: options.secureMode === 2 ? 0 : options.heartbeatInterval,
            tickMs: Math.max(
              5,
              Math.min(options.heartbeatInterval / 2, options.livenessTimeout / 10),
            ),
          },
          onStateChange: (event) => this.#onStateChange(event),
          onAllGone: () => this.#shutdown("all-gone"),
          onTransportLost: () => this.#shutdown("transport-lost"),
        }),
      supervisor: CLIENT_SUPERVISION,
      mailbox: { capacity: 10_000, overflow: "backpressure" },
    });
    await awaitReady(ready, this.#system, options);
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
    if (options.logging) {
      console.info(`[netgear] client listening on ${endpointOf(options)}`);
    }
    if (options.viewer) {
      try {
        this.#viewer = await Viewer.start(this, options.viewer);
      } catch (error) {
        await this.close();
        throw error;
      }
    }
  }

  /**
   * The live viewer's page, such as `http://127.0.0.1:41234/`, when the
   * client was opened with the `viewer` option; `undefined` otherwise.
   */
  get viewerUrl(): string | undefined {
    return this.#viewer?.url;
  }

  /** Why the client stopped, or `undefined` while it runs. */
  get shutdownReason(): "all-gone" | "closed" | "transport-lost" | undefined {
    return this.#shutdownReason;
  }

  /**
   * The next frame from any server (round-robin across servers), or `null`
   * once every server seen has gone (or the client was closed) and every
   * frame already received has been returned.
   *
   * In REQ/REP the frame's server gets its reply now; in bidirectional mode
   * that reply carries `returnData`.
   *
   * @param options `returnData` and `signal`.
   * @returns The frame, its data and its port, or `null` at the end.
   * @throws The signal's reason when aborted.
   * @example
   * ```ts ignore
   * const data = await client.recv({ returnData: "Hi, I am a Client here." });
   * if (data === null) console.log("every server has left");
   * ```
   */
  async recv(options: RecvOptions = {}): Promise<Received | null> {
    options.signal?.throwIfAborted();
    const delivery = await this.#queue.take(options.signal);
    if (delivery === null) return null;
    if (this.#options.pattern === 1 && this.#closing === undefined) {
      this.#supervisor.tell({
        type: "Consumed",
        port: delivery.port,
        seq: delivery.seq,
        returnData: this.#options.bidirectionalMode ? options.returnData : undefined,
      });
    }
    return delivery;
  }

  /**
   * Calls `listener` with every frame as it arrives, before it waits for
   * `recv` (and whether or not anyone calls `recv`): for taps such as the
   * live viewer. Keep it quick; it runs on the client's delivery path.
   *
   * @param listener Told each frame.
   * @returns A function that removes the listener.
   * @example
   * ```ts ignore
   * const stop = client.onFrame(({ port, seq }) => console.log(port, seq));
   * ```
   */
  onFrame(listener: (received: Received) => void): () => void {
    this.#taps.add(listener);
    return () => void this.#taps.delete(listener);
  }

  #tap(received: Received): void {
    if (this.#taps.size === 0) return;
    for (const listener of this.#taps) {
      try {
        listener(received);
      } catch (error) {
        console.error(
          `[netgear] a frame listener threw: ${previewValue(error, { bareString: true })}`,
        );
      }
    }
  }

  /**
   * Every frame until the end, as {@linkcode NetGearClient.recv} returns them.
   *
   * @returns An iterator that ends when `recv` would return `null`.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Received> {
    for (;;) {
      const received = await this.recv();
      if (received === null) return;
      yield received;
    }
  }

  /**
   * Every server seen so far and its state.
   *
   * @returns One entry per port, in port order.
   */
  servers(): TrackedServer[] {
    return [...this.#servers.values()].sort((a, b) => a.port - b.port);
  }

  /**
   * Per-server figures: frames, fps, bytes, drops, refused messages, state.
   *
   * @returns One entry per server seen, in port order (empty once closed).
   */
  async stats(): Promise<ServerStats[]> {
    if (this.#closing) return [];
    let list: ConnectionStats[];
    try {
      list = await this.#supervisor.ask<ConnectionStats[]>(
        (replyTo) => ({ type: "GetClientStats", replyTo }),
        { timeoutMs: 2000 },
      );
    } catch {
      return [];
    }
    return list.map((s) => ({ ...s, ...this.#queue.stats(s.port) }));
  }

  /**
   * Stops receiving and closes every socket. Frames not yet returned are
   * dropped. Safe to call twice.
   */
  close(): Promise<void> {
    if (!this.#closing) this.#queue.clear();
    return this.#shutdown("closed");
  }

  /** Same as {@linkcode NetGearClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #shutdown(reason: "all-gone" | "closed" | "transport-lost"): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#shutdownReason = reason;
    // Frames already received stay available to recv; nothing new comes in.
    this.#queue.finish();
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    if (this.#options.logging && reason === "all-gone") {
      console.info("[netgear] every server has gone; client shutting down");
    }
    this.#closing = Promise.all([
      this.#system.shutdown(),
      // A microtask later: the viewer hears of the shutdown (dispatched just
      // below) before it closes, so its page can say why.
      Promise.resolve().then(() => this.#viewer?.close()),
    ]).then(() => {});
    this.dispatchEvent(new CustomEvent("shutdown", { detail: { reason } }));
    return this.#closing;
  }

  #onStateChange(event: ServerStateChanged): void {
    const { type: _, ...detail } = event;
    this.#servers.set(event.port, { port: event.port, state: event.state, since: event.at });
    if (this.#options.logging) {
      console.info(`[netgear] server on port ${event.port}: ${event.state} (${event.reason})`);
    }
    this.dispatchEvent(new CustomEvent<ServerStateEvent>("serverstate", { detail }));
  }
}

/**
 * The sending end: in multi-server mode it connects to the client's address
 * on its own port, which is how the client knows it.
 */
export class NetGearServer implements AsyncDisposable {
  readonly #options: ResolvedNetGearOptions;
  readonly #system: ActorSystem;
  #server!: ActorRef<ServerMessage>;
  #jpeg: JpegCodec | undefined;
  /** Encodes each send's envelope head once, in the caller's call, to refuse what cannot go. */
  #codec: ProtocolCodec | undefined;
  /** Written by the transport actor, read by `stats()`. */
  readonly #stats: ServerTransportStats;
  #closing: Promise<void> | undefined;
  readonly #onAbort = () => void this.close();

  private constructor(options: ResolvedNetGearOptions) {
    this.#options = options;
    this.#system = new ActorSystem({ name: "netgear-server", logLevel: logLevel(options) });
    this.#stats = newServerTransportStats(options.pattern === 2);
  }

  /** @internal Use {@linkcode NetGear.open}. */
  static async open(options: ResolvedNetGearOptions): Promise<NetGearServer> {
    const server = new NetGearServer(options);
    await server.#start();
    return server;
  }

  /** This server's port. */
  get port(): number {
    return this.#options.ports[0];
  }

  async #start(): Promise<void> {
    const options = this.#options;
    let onReady!: (error?: unknown) => void;
    const ready = new Promise<unknown>((resolve) => onReady = resolve);
    const transport = {
      address: options.address,
      port: this.port,
      pattern: options.pattern === 0 ? 0 as const : 2 as const,
      role: options.multiserverMode ? "connect" as const : "bind" as const,
      requestTimeout: options.requestTimeout,
      maxRetries: options.maxRetries,
      maxMessageSize: options.maxMessageSize,
      secureMode: options.secureMode,
      keysDir: options.keysDir,
      subscriberTimeout: options.subscriberTimeout,
      whenNoSubscriber: options.whenNoSubscriber,
      stats: this.#stats,
      onReady,
    };
    this.#server = this.#system.spawn<ServerMessage>("server", {
      create: () =>
        new ServerActor({
          heartbeatInterval: options.heartbeatInterval,
          sendTimeoutMs: this.#sendTimeoutMs(),
          transport: options.pattern === 1
            ? ReqServerTransport.props(transport)
            : PubServerTransport.props(transport),
        }),
    });
    await awaitReady(ready, this.#system, options);
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
    if (options.logging) console.info(`[netgear] server ready on ${endpointOf(options)}`);
  }

  #sendTimeoutMs(): number {
    const { requestTimeout, maxRetries, pattern, subscriberTimeout } = this.#options;
    // PUB: a frame waits for a subscriber, then at most requestTimeout for room.
    const longest = pattern === 2
      ? subscriberTimeout + requestTimeout
      : requestTimeout * (maxRetries + 1);
    return longest + 1000;
  }

  /**
   * This server's figures: frames sent and dropped, heartbeats, reconnects,
   * refused handshakes and (PUB/SUB) whether a client is subscribed. Read at
   * once, even while a send is pending.
   *
   * @returns A snapshot.
   * @example
   * ```ts ignore
   * const { sent, dropped } = server.stats();
   * console.log(`${sent} frames sent, ${dropped.total} dropped`);
   * ```
   */
  stats(): NetGearServerStats {
    const s = this.#stats;
    const { noSubscriber, queueFull, expired } = s.dropped;
    return {
      port: this.port,
      sent: s.sent,
      heartbeats: s.heartbeats,
      reconnects: s.reconnects,
      refused: s.refused,
      dropped: { noSubscriber, queueFull, expired, total: noSubscriber + queueFull + expired },
      subscribed: s.subscribed,
    };
  }

  /**
   * Sends a frame, with optional data of any CBOR-encodable type.
   *
   * In REQ/REP this waits for the client's reply (resending per Lazy Pirate
   * if it is late); in bidirectional mode it returns the client's
   * `returnData`. In PUB/SUB it resolves once ZeroMQ has queued the frame;
   * while no client is subscribed it waits up to `subscriberTimeout`, then
   * rejects or drops the frame as `whenNoSubscriber` says (see
   * {@linkcode NetGearServer.stats} for the counts).
   *
   * The frame and the message are checked first, in this call: an invalid
   * one rejects at once and never reaches the network, and the server
   * carries on.
   *
   * @param frame The frame, or `undefined` to send data alone. Its bytes are
   * not kept once `send()` has settled; until then leave them unchanged: in
   * REQ/REP ZeroMQ sends them straight from `frame.data`, without a copy
   * (PUB/SUB copies them before `send()` resolves).
   * @param options `message` and `signal`.
   * @returns The client's return data in bidirectional mode, else `undefined`.
   * @throws {SendError} When the client never answered, refused the frame or the handshake, took no frame (PUB/SUB), or the server is closed.
   * @throws {TypeError} When `frame`, a field of it, `options` or `options.message` has the wrong type (a message CBOR cannot carry: a function, a symbol, a cycle), or there is neither a frame nor a message.
   * @throws {RangeError} When a frame field is out of range (width or height not an integer 1..65535, channels not those of the format, data not width x height x channels bytes) or the message would exceed `maxMessageSize`.
   * @example
   * ```ts ignore
   * const reply = await server.send(frame, { message: "I'm Server-1 at Port: 5577" });
   * ```
   */
  async send(frame: Frame | undefined, options: SendOptions = {}): Promise<unknown> {
    checkSendOptions(options);
    options.signal?.throwIfAborted();
    if (this.#closing) {
      throw new SendError(this.port, "closed", "Cannot send: the server is closed");
    }
    const { message } = options;
    const wire = this.#checked(frame, message);
    let outcome: SendOutcome;
    try {
      outcome = await this.#server.ask<SendOutcome>(
        (replyTo) => ({ type: "Send", frame: wire, message, replyTo }),
        // A heartbeat may be ahead of this frame: allow for its one attempt.
        {
          timeoutMs: this.#sendTimeoutMs() + this.#options.requestTimeout + 1000,
          signal: options.signal,
        },
      );
    } catch (error) {
      if (!(error instanceof AskTimeoutError)) throw error;
      throw new SendError(
        this.port,
        "timeout",
        `Cannot send to the client on port ${this.port}: no outcome within ${error.timeoutMs} ms; is the client running and listening on this port?`,
      );
    }
    switch (outcome.type) {
      case "Sent":
        return undefined;
      case "Replied":
        return this.#options.bidirectionalMode ? outcome.returnData : undefined;
      case "SendFailed":
        throw new SendError(
          this.port,
          outcome.code,
          outcome.reason.startsWith("Cannot") ? outcome.reason : `Cannot send: ${outcome.reason}`,
        );
    }
  }

  /**
   * Checks a send's frame and message, and returns the frame as it goes on
   * the wire. Nothing invalid may reach the actors: an envelope the
   * transport cannot encode would only fail there, later and less clearly.
   */
  #checked(frame: Frame | undefined, message: unknown): OutgoingFrame | undefined {
    if (frame === undefined && message === undefined) {
      throw new TypeError(
        "Cannot send: neither a frame nor options.message was given; pass a frame, options.message, or both",
      );
    }
    const wire = frame === undefined ? undefined : this.#toWire(frame);
    const codec = this.#codec ??= new ProtocolCodec({
      maxMessageBytes: this.#options.maxMessageSize,
    });
    let head: Uint8Array;
    try {
      // The envelope as the transport will encode it, with the largest
      // frame number and a real time stamp so that its size is an upper
      // bound; the frame's bytes are not copied (a second part).
      [head] = codec.encodeParts({
        version: 2,
        kind: "frame",
        port: this.port,
        seq: Number.MAX_SAFE_INTEGER,
        sentAt: performance.timeOrigin + performance.now(),
        message,
        frame: wire,
      });
    } catch (error) {
      throw messageError(error, message, this.#options.maxMessageSize);
    }
    // PUB/SUB and PAIR send the bytes inline, behind a header of up to 5 bytes.
    const size = head.byteLength + (wire === undefined ? 0 : 5 + wire.data.byteLength);
    if (size > this.#options.maxMessageSize) {
      throw tooLarge(size, this.#options.maxMessageSize);
    }
    return wire;
  }

  /** The frame as it goes on the wire: its pixels as they are, or JPEG. */
  #toWire(frame: Frame): OutgoingFrame {
    const { compress, quality, fastDct } = this.#options.jpeg;
    const format = checkFrame(frame, compress?.format ?? "bgr24", this.#options.maxMessageSize);
    const { width, height } = frame;
    if (!compress) {
      return { width, height, channels: frame.channels, format, encoding: "raw", data: frame.data };
    }
    this.#jpeg ??= new JpegCodec();
    const data = this.#jpeg.encode({ ...frame, format }, { quality, fastDct });
    return { width, height, channels: frame.channels, format, encoding: "jpeg", data };
  }

  /**
   * Tells the client this server is leaving, then closes the socket. Safe to
   * call twice.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    this.#closing = (async () => {
      try {
        await this.#server.ask<SendOutcome>((replyTo) => ({ type: "Leave", replyTo }), {
          timeoutMs: this.#sendTimeoutMs(),
        });
      } catch {
        // The client may already be gone; leaving must not fail.
      }
      await this.#system.shutdown();
      this.#jpeg?.close();
    })();
    return this.#closing;
  }

  /** Same as {@linkcode NetGearServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

type SubOptions = {
  pattern: 0 | 1 | 2;
  room: (port: number) => Promise<void> | undefined;
  roomWaitMs: number;
};

/** The client transport actor for the options' pattern. */
function clientTransport(options: ZmqClientTransportOptions & SubOptions) {
  return options.pattern === 1
    ? new RepClientTransport(options)
    : new SubClientTransport({ ...options, pattern: options.pattern });
}

const MAX_DIMENSION = 65535;

/**
 * Checks every field of a frame given to `send()`.
 *
 * @returns The frame's pixel format.
 */
function checkFrame(frame: Frame, defaultFormat: PixelFormat, maxMessageSize: number): PixelFormat {
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
  const expected = CHANNELS_OF[format];
  if (channels !== expected) {
    const valid = `${expected} for format "${format}"${
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

function checkSendOptions(options: SendOptions): void {
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

function tooLarge(size: number, maxMessageSize: number): RangeError {
  return new RangeError(
    `Cannot send: the message would have at least ${size} bytes, more than option "maxMessageSize" (${maxMessageSize}); send smaller frames or data, compress frames (jpegCompression), or raise maxMessageSize on this server and on the client`,
  );
}

/** Why `options.message` (or the envelope as a whole) cannot be encoded, in the caller's terms. */
function messageError(error: unknown, message: unknown, maxMessageSize: number): Error {
  if (error instanceof RangeError && /maxMessageBytes/.test(error.message)) {
    const size = Number(/(\d+) bytes/.exec(error.message)?.[1] ?? NaN);
    return Object.assign(tooLarge(size, maxMessageSize), { cause: error });
  }
  const inner = error instanceof Error && error.cause instanceof Error
    ? error.cause.message
    : error instanceof Error
    ? error.message
    : String(error);
  const why = /call stack/i.test(inner) ? "it holds a cycle, or nests too deeply" : inner;
  return new TypeError(
    `Cannot send: options.message is ${
      describe(message)
    }, which CBOR cannot carry (${why}); valid: plain data (objects, arrays, strings, numbers, booleans, null), Map, Set, Date, bigint or typed arrays, without cycles`,
    { cause: error },
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
