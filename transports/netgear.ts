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
import type {
  ClientSupervisorMessage,
  ConnectionStats,
  Delivery,
  SendOutcome,
  ServerState,
  ServerStateChanged,
} from "../actors/netgear/messages.ts";
import { ServerActor, type ServerMessage } from "../actors/netgear/server_actor.ts";
import type { Frame } from "../capture/frame.ts";
import { JpegCodec } from "./codecs/jpeg.ts";
import type { WireFrame } from "./protocol/protocol.ts";
import {
  type NetGearOptions,
  type ResolvedNetGearOptions,
  resolveOptions,
} from "./netgear_options.ts";
import { Viewer } from "./viewer.ts";
import { previewValue } from "./preview.ts";
import { ZmqClientTransport } from "./zmq_client_transport.ts";
import { ZmqServerTransport } from "./zmq_server_transport.ts";

/** What `recv` returns: one frame (and its data) from one server. */
export interface Received {
  /** The server's port: its identity. */
  readonly port: number;
  /**
   * The frame, or `undefined` when the server sent data alone (or sent JPEG
   * and the client was opened with `jpegDecode: false`).
   */
  readonly frame: Frame | undefined;
  /** The JPEG bytes as received, when the server compressed the frame. */
  readonly jpeg?: Uint8Array;
  /** The data the server sent with it, if any. */
  readonly message: unknown;
  /** The server's frame number, from 0. */
  readonly seq: number;
  /** When the server sent it (ms since the epoch, the server's clock). */
  readonly sentAt: number;
  /** When the client received it (ms since the epoch). */
  readonly receivedAt: number;
}

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

/** One tracked server's figures, as {@linkcode NetGearClient.stats} reports them. */
export interface ServerStats extends ConnectionStats {
  /** Frames waiting for `recv`. */
  readonly queued: number;
  /** Frames dropped because `recv` did not keep up (PUB/SUB). */
  readonly dropped: number;
}

/** A server the client tracks, and its state. */
export interface TrackedServer {
  readonly port: number;
  readonly state: ServerState;
  /** When it last changed state (ms since the epoch). */
  readonly since: number;
}

/** A server's state changed: the detail of a `serverstate` event. */
export type ServerStateEvent = Omit<ServerStateChanged, "type">;

/**
 * A send failed: the client did not answer in time (REQ/REP, after every
 * retry), refused the frame, or the server is closed.
 */
export class SendError extends Error {
  /** Why: `"no-reply"`, `"closed"`, `"timeout"`, or the client's `ProtocolError` code. */
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
    this.#supervisor = this.#system.spawn<ClientSupervisorMessage>("client", {
      create: () =>
        new ClientSupervisor({
          requestReply,
          queue: this.#queue,
          transport: {
            create: () =>
              new ZmqClientTransport({
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
              }),
          },
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
    return toReceived(delivery);
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

  #tap(delivery: Delivery): void {
    if (this.#taps.size === 0) return;
    const received = toReceived(delivery);
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
  #closing: Promise<void> | undefined;
  readonly #onAbort = () => void this.close();

  private constructor(options: ResolvedNetGearOptions) {
    this.#options = options;
    this.#system = new ActorSystem({ name: "netgear-server", logLevel: logLevel(options) });
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
    this.#server = this.#system.spawn<ServerMessage>("server", {
      create: () =>
        new ServerActor({
          port: this.port,
          heartbeatInterval: options.heartbeatInterval,
          sendTimeoutMs: this.#sendTimeoutMs(),
          transport: {
            create: () =>
              new ZmqServerTransport({
                address: options.address,
                port: this.port,
                pattern: options.pattern,
                role: options.multiserverMode ? "connect" : "bind",
                requestTimeout: options.requestTimeout,
                maxRetries: options.maxRetries,
                maxMessageSize: options.maxMessageSize,
                secureMode: options.secureMode,
                keysDir: options.keysDir,
                onReady,
              }),
          },
        }),
    });
    await awaitReady(ready, this.#system, options);
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
    if (options.logging) console.info(`[netgear] server ready on ${endpointOf(options)}`);
  }

  #sendTimeoutMs(): number {
    const { requestTimeout, maxRetries } = this.#options;
    return requestTimeout * (maxRetries + 1) + 1000;
  }

  /**
   * Sends a frame, with optional data of any CBOR-encodable type.
   *
   * In REQ/REP this waits for the client's reply (resending per Lazy Pirate
   * if it is late); in bidirectional mode it returns the client's
   * `returnData`.
   *
   * @param frame The frame, or `undefined` to send data alone. Its bytes are
   * not kept once `send()` has settled; until then leave them unchanged: in
   * REQ/REP ZeroMQ sends them straight from `frame.data`, without a copy
   * (PUB/SUB copies them before `send()` resolves).
   * @param options `message` and `signal`.
   * @returns The client's return data in bidirectional mode, else `undefined`.
   * @throws {SendError} When the client never answered, refused the frame, or the server is closed.
   * @example
   * ```ts ignore
   * const reply = await server.send(frame, { message: "I'm Server-1 at Port: 5577" });
   * ```
   */
  async send(frame: Frame | undefined, options: SendOptions = {}): Promise<unknown> {
    options.signal?.throwIfAborted();
    if (this.#closing) {
      throw new SendError(this.port, "closed", "Cannot send: the server is closed");
    }
    const wire = frame === undefined ? undefined : this.#toWire(frame);
    let outcome: SendOutcome;
    try {
      outcome = await this.#server.ask<SendOutcome>(
        (replyTo) => ({ type: "Send", frame: wire, message: options.message, replyTo }),
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
        return this.#options.bidirectionalMode ? outcome.envelope.message : undefined;
      case "SendFailed":
        throw new SendError(
          this.port,
          outcome.code,
          outcome.reason.startsWith("Cannot") ? outcome.reason : `Cannot send: ${outcome.reason}`,
        );
    }
  }

  /** The frame as it goes on the wire: its pixels as they are, or JPEG. */
  #toWire(frame: Frame): WireFrame {
    checkFrame(frame);
    const { compress, quality, fastDct } = this.#options.jpeg;
    const format = frame.format ?? compress?.format ?? "bgr24";
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

function toReceived(delivery: Delivery): Received {
  const wire = delivery.frame;
  const received: Received = {
    port: delivery.port,
    frame: wire && {
      width: wire.width,
      height: wire.height,
      channels: wire.channels,
      format: wire.format,
      data: wire.data,
    },
    message: delivery.message,
    seq: delivery.seq,
    sentAt: delivery.sentAt,
    receivedAt: delivery.receivedAt,
  };
  return delivery.jpeg ? { ...received, jpeg: delivery.jpeg } : received;
}

function checkFrame(frame: Frame): void {
  const { width, height, channels, data } = frame;
  if (!(data instanceof Uint8Array)) {
    throw new TypeError("Cannot send frame: frame.data must be a Uint8Array");
  }
  if (data.byteLength !== width * height * channels) {
    throw new RangeError(
      `Cannot send frame: frame.data has ${data.byteLength} bytes but width x height x channels = ${width} x ${height} x ${channels} = ${
        width * height * channels
      }`,
    );
  }
}
