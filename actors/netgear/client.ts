/**
 * The receiving end of NetGear: {@linkcode NetGearClient}, opened by
 * `NetGear.open({ receiveMode: true, ... })`. It runs the client's actors
 * (a supervisor owning the transport, one connection per server and the
 * liveness actor) and hands their frames to `recv`.
 *
 * @module
 */

import { ActorSystem } from "../actor_system.ts";
import type { ActorRef } from "../actor_ref.ts";
import type { Props } from "../actor.ts";
import { previewValue } from "./preview.ts";
import { RepClientTransport } from "../../transports/rep_client_transport.ts";
import { SubClientTransport } from "../../transports/sub_client_transport.ts";
import type { ClientRoute, ClientTransportCommand } from "../../transports/transport.ts";
import { awaitReady, endpointOf, logLevel } from "./_open.ts";
import { connectTimeoutMessage } from "./_connect_timeout.ts";
import type { ResolvedNetGearOptions } from "./_resolve_options.ts";
import { CLIENT_SUPERVISION, ClientSupervisor } from "./client_supervisor.ts";
import type { ClientRoutes, ClientSupervisorMessage } from "./client_supervisor_messages.ts";
import type { ConnectionStats } from "./connection_messages.ts";
import { DeliveryQueue } from "./delivery_queue.ts";
import type {
  NetGearClientEventMap,
  ServerConflictEvent,
  ServerStateEvent,
  ShutdownReason,
} from "./events.ts";
import type { ServerStateChanged } from "./liveness_messages.ts";
import type { Received } from "./received.ts";
import { release } from "../../transports/received_bytes.ts";
import type { ServerStats, TrackedServer } from "./stats.ts";
import { Viewer } from "./viewer.ts";

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

/** Set by NetGearClient's static block: the only code that may build one. */
let open: (options: ResolvedNetGearOptions) => Promise<NetGearClient>;

/**
 * The receiving end: in multi-server mode it binds every port it is given and
 * receives from every server at once.
 *
 * Iterate it (`for await (const { port, frame, message } of client)`) or
 * call {@linkcode NetGearClient.recv}; both end (`null`) once every server
 * seen has gone or the client is closed. Listen for `serverstate` events to
 * follow servers joining, going quiet and leaving, and for `shutdown`
 * (see {@linkcode NetGearClientEventMap}).
 *
 * @example Follow servers as they come and go
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetGear } from "./netgear.ts";
 * await using client = await NetGear.open({
 *   receiveMode: true, multiserverMode: true, port: [5768], pattern: 2,
 * });
 * const states: string[] = [];
 * client.addEventListener("serverstate", (event) => states.push(event.detail.state));
 * await using server = await NetGear.open({ multiserverMode: true, port: 5768, pattern: 2 });
 * await server.send(undefined, { message: "hello" });
 * assert.equal((await client.recv())?.message, "hello");
 * assert.deepEqual(states, ["live"]);
 * ```
 */
export class NetGearClient extends EventTarget implements AsyncDisposable, AsyncIterable<Received> {
  readonly #options: ResolvedNetGearOptions;
  readonly #system: ActorSystem;
  readonly #queue: DeliveryQueue;
  #supervisor!: ActorRef<ClientSupervisorMessage>;
  /** Where `recv` tells a taken frame's news: the frame's connection and, in REQ/REP, the transport. */
  #routes!: ClientRoutes;
  readonly #servers = new Map<number, TrackedServer>();
  readonly #taps = new Set<(received: Received) => void>();
  #closing: Promise<void> | undefined;
  #shutdownReason: ShutdownReason | undefined;
  #viewer: Viewer | undefined;
  /** Ends the wait for a first server (`connectTimeout`); cleared once one is heard. */
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #onAbort = () => void this.close();

  private constructor(options: ResolvedNetGearOptions) {
    super();
    this.#options = options;
    this.#system = new ActorSystem({ name: "netgear-client", logLevel: logLevel(options) });
    this.#queue = new DeliveryQueue(options.queueSize);
  }

  static {
    // The one way in, for NetGear.open: not part of the class's API.
    open = async (options) => {
      const client = new NetGearClient(options);
      await client.#start();
      return client;
    };
  }

  async #start(): Promise<void> {
    const options = this.#options;
    let onReady!: (error?: unknown) => void;
    const ready = new Promise<unknown>((resolve) => onReady = resolve);
    const requestReply = options.pattern === 1;
    const transport = (route: ClientRoute) => this.#transport(onReady, route);
    this.#supervisor = this.#system.spawn<ClientSupervisorMessage>("client", {
      create: () =>
        new ClientSupervisor({
          requestReply,
          queue: this.#queue,
          transport,
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
          onConflict: ({ port, serverIds, at }) =>
            this.dispatchEvent(
              new CustomEvent<ServerConflictEvent>("serverconflict", {
                detail: { port, serverIds, at },
              }),
            ),
          onAllGone: () => this.#shutdown("all-gone"),
          onTransportLost: () => this.#shutdown("transport-lost"),
        }),
      supervisor: CLIENT_SUPERVISION,
      mailbox: { capacity: 10_000, overflow: "backpressure" },
    });
    await awaitReady(ready, this.#system, options);
    this.#routes = await this.#supervisor.ask<ClientRoutes>(
      (replyTo) => ({ type: "GetRoutes", replyTo }),
      { timeoutMs: 5000 },
    );
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
    if (options.connectTimeout !== undefined && this.#servers.size === 0) {
      this.#connectTimer = setTimeout(() => void this.#connectTimedOut(), options.connectTimeout);
    }
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

  /** The transport actor for the pattern: REP, or SUB (and PAIR). */
  #transport(
    onReady: (error?: unknown) => void,
    route: ClientRoute,
  ): Props<ClientTransportCommand> {
    const options = this.#options;
    const common = {
      address: options.address,
      ports: options.ports,
      role: options.multiserverMode || options.multiclientMode
        ? "bind" as const
        : "connect" as const,
      maxMessageSize: options.maxMessageSize,
      secureMode: options.secureMode,
      keysDir: options.keysDir,
      onReady,
      route,
      jpeg: { decode: options.jpeg.decode, fastUpsample: options.jpeg.fastUpsample },
      // vidgear interop: the wire format (and its answers), ipc.
      wire: options.wire,
      protocol: options.protocol,
      bidirectional: options.bidirectionalMode,
    };
    if (options.pattern === 1) return { create: () => new RepClientTransport(common) };
    const stream = {
      ...common,
      pattern: options.pattern,
      room: (port: number) => this.#queue.room(port),
      roomWaitMs: Math.max(10, Math.floor(options.heartbeatInterval / 2)),
    };
    return { create: () => new SubClientTransport(stream) };
  }

  /**
   * Listens for one of the client's events, typed: `serverstate` (a
   * server's state changed), `serverconflict` (two servers send on one
   * port) or `shutdown` (the client stopped).
   *
   * @param type The event's name.
   * @param listener Told each event; `event.detail` says what happened.
   * @param options As for `EventTarget.addEventListener`.
   */
  override addEventListener<K extends keyof NetGearClientEventMap>(
    type: K,
    listener: (this: NetGearClient, event: NetGearClientEventMap[K]) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /**
   * Listens for any event, as `EventTarget.addEventListener` does.
   *
   * @param type The event's name.
   * @param listener Told each event.
   * @param options As for `EventTarget.addEventListener`.
   */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener, options);
  }

  /**
   * Stops listening for one of the client's events.
   *
   * @param type The event's name.
   * @param listener The listener given to `addEventListener`.
   * @param options As for `EventTarget.removeEventListener`.
   */
  override removeEventListener<K extends keyof NetGearClientEventMap>(
    type: K,
    listener: (this: NetGearClient, event: NetGearClientEventMap[K]) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  /**
   * Stops listening, as `EventTarget.removeEventListener` does.
   *
   * @param type The event's name.
   * @param listener The listener given to `addEventListener`.
   * @param options As for `EventTarget.removeEventListener`.
   */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener, options);
  }

  /**
   * The live viewer's page, such as `http://127.0.0.1:41234/`, when the
   * client was opened with the `viewer` option; `undefined` otherwise.
   */
  get viewerUrl(): string | undefined {
    return this.#viewer?.url;
  }

  /** Why the client stopped, or `undefined` while it runs. */
  get shutdownReason(): ShutdownReason | undefined {
    return this.#shutdownReason;
  }

  /**
   * The next frame from any server (round-robin across servers), or `null`
   * once every server seen has gone (or the client was closed) and every
   * frame already received has been returned.
   *
   * In REQ/REP the frame's server gets its reply now; in bidirectional mode
   * that reply carries `returnData`. The reply acknowledges the frame: a
   * process killed after `recv` returned it is not sent it again (one
   * killed before is, by the server's resend). To record frames before they
   * are acknowledged, use {@linkcode NetGearClient.onFrame}.
   *
   * The frame's bytes (`frame.data`, or `jpeg`) are a view of the memory
   * ZeroMQ received them in, and stay valid as long as you keep them; that
   * memory goes back when a garbage collection finds them dead. A loop that
   * is done with each frame before the next should hand it back at once with
   * {@linkcode NetGearClient.release}: no mark-compacts for it, and less CPU
   * per frame.
   *
   * @param options `returnData` and `signal`.
   * @returns The frame, its data and its port, or `null` at the end.
   * @throws The signal's reason when aborted.
   * @example
   * ```ts ignore
   * // Not run: needs an open `client` and a server sending to it.
   * const data = await client.recv({ returnData: "Hi, I am a Client here." });
   * if (data === null) console.log("every server has left");
   * ```
   */
  async recv(options: RecvOptions = {}): Promise<Received | null> {
    options.signal?.throwIfAborted();
    const delivery = await this.#queue.take(options.signal);
    if (delivery === null) return null;
    if (this.#options.pattern === 1 && this.#closing === undefined) {
      // Straight to the frame's connection (the server is no longer owed a
      // reply) and to the transport (the reply): no supervisor in between.
      const { port, seq } = delivery;
      this.#routes.connections.get(port)?.tell({ type: "FrameTaken", seq });
      this.#routes.transport.tell({
        type: "Reply",
        port,
        seq,
        returnData: this.#options.bidirectionalMode ? options.returnData : undefined,
      });
    }
    return delivery;
  }

  /**
   * Gives a frame's bytes back to ZeroMQ now, instead of when a garbage
   * collection finds them dead: for a loop that is done with each frame
   * before it takes the next. npm:zeromq reports its receive buffers to V8
   * as external memory, which V8 answers with mark-compacts however young
   * the buffers die; released at once, they cost none. Measured with four
   * REQ/REP servers sending 640x480x3 frames flat out (the bench client):
   * 0 mark-compacts in 3 s instead of 21-66, and a quarter to a third less
   * main-thread time per frame (medians of 12 paired runs: 184-223 µs
   * against 287-290).
   *
   * After it, `received.frame.data` (or, for a JPEG frame, `received.jpeg`)
   * is empty: its `ArrayBuffer` is detached, and so is every view of it you
   * made. Copy what you keep first (`received.frame.data.slice()`). Nothing
   * else changes: `message`, the figures and the other fields stay as they
   * were, and a decoded JPEG frame's pixels are not ZeroMQ's (they stay).
   *
   * It does nothing (and returns `false`) while {@linkcode NetGearClient.onFrame}
   * listeners are registered (they, the live viewer among them, may keep
   * the frame), for bytes that did not arrive in a part of their own from
   * ZeroMQ, and for a frame already released.
   *
   * @param received A frame `recv` (or the client's iterator) returned.
   * @returns Whether bytes were given back.
   * @example Receive, use, release
   * ```ts ignore
   * // Not run: needs an open `client` and a server sending to it.
   * for await (const received of client) {
   *   show(received.frame);
   *   client.release(received); // received.frame.data is empty from here
   * }
   * ```
   */
  release(received: Received): boolean {
    if (this.#taps.size > 0) return false;
    const frame = release(received.frame?.data);
    return release(received.jpeg) || frame;
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
   * // Not run: needs an open `client`.
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

  /** No server was heard from within `connectTimeout`: say where and what to check, and stop. */
  async #connectTimedOut(): Promise<void> {
    this.#connectTimer = undefined;
    if (this.#closing || this.#servers.size > 0) return;
    const stats = await this.stats();
    if (this.#closing || this.#servers.size > 0) return;
    console.error(connectTimeoutMessage(this.#options, stats));
    await this.#shutdown("connect-timeout");
  }

  #shutdown(reason: ShutdownReason): Promise<void> {
    if (this.#closing) return this.#closing;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
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
    this.dispatchEvent(
      new CustomEvent("shutdown", {
        detail: { reason },
      }) satisfies NetGearClientEventMap["shutdown"],
    );
    return this.#closing;
  }

  #onStateChange(event: ServerStateChanged): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    const { type: _, ...detail } = event;
    this.#servers.set(event.port, { port: event.port, state: event.state, since: event.at });
    if (this.#options.logging) {
      console.info(`[netgear] server on port ${event.port}: ${event.state} (${event.reason})`);
    }
    this.dispatchEvent(new CustomEvent<ServerStateEvent>("serverstate", { detail }));
  }
}

/**
 * Opens a client on resolved options: for `NetGear.open`, not exported
 * from the package.
 */
export function openClient(options: ResolvedNetGearOptions): Promise<NetGearClient> {
  return open(options);
}
