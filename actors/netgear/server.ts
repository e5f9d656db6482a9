/**
 * The sending end of NetGear: {@linkcode NetGearServer}, opened by
 * `NetGear.open({ ... })` without `receiveMode`. It checks each frame in the
 * caller's call, compresses it when asked, and hands it to the server actor,
 * which sends it through the pattern's transport.
 *
 * @module
 */

import { ActorSystem } from "../actor_system.ts";
import { AskTimeoutError } from "../errors.ts";
import type { ActorRef } from "../actor_ref.ts";
import { CHANNELS_OF, type Frame } from "../../capture/frame.ts";
import { JpegCodec, LAYOUT_CHANNELS } from "../../transports/codecs/jpeg.ts";
import {
  type ClientLaneFigures,
  MultiClientTransport,
  newClientLaneFigures,
} from "../../transports/multi_client_transport.ts";
import { PubServerTransport } from "../../transports/pub_server_transport.ts";
import { ReqServerTransport } from "../../transports/req_server_transport.ts";
import { SendCancels } from "../../transports/send_cancels.ts";
import { SendSize } from "../../transports/send_size.ts";
import {
  newServerTransportStats,
  type OutgoingFrame,
  type SendOutcome,
  type ServerTransportCommand,
  type ServerTransportStats,
} from "../../transports/transport.ts";
import { checkFrame, checkSendOptions, messageError, tooLarge } from "./_check_send.ts";
import { awaitReady, endpointOf, logLevel } from "./_open.ts";
import { sshOptionNames } from "./_ssh_option_names.ts";
import type { ResolvedNetGearOptions } from "./_resolve_options.ts";
import { SendError } from "./errors.ts";
import { ServerActor } from "./server_actor.ts";
import { newServerId } from "./server_identity.ts";
import type { ServerMessage } from "./server_messages.ts";
import type { ClientReply, NetGearServerStats, TrackedClient } from "./stats.ts";

/** Options of {@linkcode NetGearServer.send}. */
export interface SendOptions {
  /**
   * Data of any CBOR-encodable type sent along with the frame.
   *
   * @default {undefined}
   */
  message?: unknown;
  /**
   * Stops waiting for the send (it rejects with the signal's reason) and
   * cancels it: a frame not yet sent is not sent, and one sent is not
   * resent, so the server's next message (its goodbye on Ctrl+C, say) is
   * not held up behind retries. A frame already out may still reach the
   * client: in REQ/REP ZeroMQ may be reading its bytes from `frame.data`
   * until the transport has moved on, so give the next frame a fresh
   * buffer rather than rewriting this one.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Set by NetGearServer's static block: the only code that may build one. */
let open: (options: ResolvedNetGearOptions) => Promise<NetGearServer>;

/**
 * The sending end: in multi-server mode it connects to the client's address
 * on its own port, which is how the client knows it. In multi-client mode it
 * connects to every client's port and shares its frames out among them
 * (REQ/REP) or sends each to all (PUB/SUB); {@linkcode NetGearServer.clients}
 * says which are there.
 */
export class NetGearServer implements AsyncDisposable {
  readonly #options: ResolvedNetGearOptions;
  readonly #system: ActorSystem;
  #server!: ActorRef<ServerMessage>;
  /** Where `send()` hands each frame: the transport actor, not through the server actor. */
  #transport!: ActorRef<ServerTransportCommand>;
  #jpeg: JpegCodec | undefined;
  /** Measures each send, in the caller's call, to refuse what cannot go. */
  #size: SendSize | undefined;
  /** Written by the transport actor, read by `stats()`. */
  readonly #stats: ServerTransportStats;
  /** Told to the client with every message (see `serverId`). */
  readonly #serverId = newServerId();
  /**
   * Where an aborted send is cancelled in the transport. Not in multi-client
   * mode: its router hands frames to several lanes at once, and a send there
   * runs to its end.
   */
  readonly #cancels: SendCancels | undefined;
  #nextSendId = 0;
  /** Multi-client mode: each client's figures, written by the transport. */
  readonly #clients: ClientLaneFigures[] | undefined;
  #closing: Promise<void> | undefined;
  readonly #onAbort = () => void this.close();

  private constructor(options: ResolvedNetGearOptions) {
    this.#options = options;
    this.#system = new ActorSystem({ name: "netgear-server", logLevel: logLevel(options) });
    this.#stats = newServerTransportStats(options.pattern === 2);
    this.#clients = options.multiclientMode
      ? newClientLaneFigures(options.ports, options.pattern === 2)
      : undefined;
    this.#cancels = options.multiclientMode ? undefined : new SendCancels();
  }

  static {
    // The one way in, for NetGear.open: not part of the class's API.
    open = async (options) => {
      const server = new NetGearServer(options);
      await server.#start();
      return server;
    };
  }

  /** This server's port; in multi-client mode, the first client's. */
  get port(): number {
    return this.#options.ports[0];
  }

  /**
   * This server's identity: random, sent with every message, so that the
   * client can tell it from another server given the same port (its
   * `serverconflict` event) and from this server restarted. A client's
   * `Received.serverId` and `stats()` show it.
   */
  get serverId(): string {
    return this.#serverId;
  }

  /** Every port it sends to: its own, or in multi-client mode every client's. */
  get ports(): readonly number[] {
    return this.#options.ports;
  }

  async #start(): Promise<void> {
    const options = this.#options;
    let onReady!: (error?: unknown) => void;
    const ready = new Promise<unknown>((resolve) => onReady = resolve);
    const common = {
      address: options.address,
      port: this.port,
      role: options.multiserverMode || options.multiclientMode
        ? "connect" as const
        : "bind" as const,
      requestTimeout: options.requestTimeout,
      maxMessageSize: options.maxMessageSize,
      secureMode: options.secureMode,
      keysDir: options.keysDir,
      stats: this.#stats,
      heartbeatInterval: options.heartbeatInterval,
      serverId: this.#serverId,
      cancels: this.#cancels,
      onReady: (error?: unknown) => onReady(sshOptionNames(error)),
      // vidgear interop: the wire format, ipc, the SSH tunnel.
      wire: options.wire,
      protocol: options.protocol,
      jpegFlags: { fastDct: options.jpeg.fastDct, fastUpsample: options.jpeg.fastUpsample },
      sshTunnel: options.sshTunnel,
    };
    // Made once: the transport numbers frames, and its props keep the
    // numbering across restarts of the transport and of the server actor.
    const transport = this.#clients !== undefined
      ? MultiClientTransport.props({
        ...common,
        pattern: options.pattern as 1 | 2,
        ports: options.ports,
        maxRetries: options.maxRetries,
        livenessTimeout: options.livenessTimeout,
        subscriberTimeout: options.subscriberTimeout,
        whenNoSubscriber: options.whenNoSubscriber,
        clients: this.#clients,
      })
      : options.pattern === 1
      ? ReqServerTransport.props({ ...common, maxRetries: options.maxRetries })
      : PubServerTransport.props({
        ...common,
        pattern: options.pattern,
        maxRetries: options.maxRetries,
        subscriberTimeout: options.subscriberTimeout,
        whenNoSubscriber: options.whenNoSubscriber,
      });
    const sendTimeoutMs = this.#sendTimeoutMs();
    this.#server = this.#system.spawn<ServerMessage>("server", {
      create: () =>
        new ServerActor({ heartbeatInterval: options.heartbeatInterval, sendTimeoutMs, transport }),
    });
    await awaitReady(ready, this.#system, options);
    this.#transport = await this.#server.ask<ActorRef<ServerTransportCommand>>(
      (replyTo) => ({ type: "GetTransport", replyTo }),
      { timeoutMs: 5000 },
    );
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
    if (options.logging) console.info(`[netgear] server ready on ${endpointOf(options)}`);
  }

  #sendTimeoutMs(): number {
    const { requestTimeout, maxRetries, pattern, subscriberTimeout, multiclientMode } =
      this.#options;
    // PUB: a frame waits for a subscriber, then at most requestTimeout for room.
    // Multi-client REQ: a try may start just before the frame's last moment.
    const longest = pattern === 2
      ? subscriberTimeout + requestTimeout
      : requestTimeout * (maxRetries + (multiclientMode ? 2 : 1));
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
   * // Not run: needs an open `server`.
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
      ...(this.#clients === undefined ? {} : {
        clients: this.#clients.map((c) => ({
          port: c.port,
          state: c.state,
          sent: c.sent,
          answered: c.answered,
          failed: c.failed,
          heartbeats: c.transport.heartbeats,
          reconnects: c.transport.reconnects,
          refused: c.transport.refused,
        })),
      }),
    };
  }

  /**
   * Multi-client mode: every client and its state, `waiting` (not heard
   * from yet), `live`, `stale` (missed a reply or unsubscribed: out of the
   * rotation until it is back) or `gone` (stale for `livenessTimeout`).
   * Read at once.
   *
   * @returns One entry per client port, in the order given; empty in other modes.
   * @example Two clients share a server's frames
   * ```ts
   * import assert from "node:assert/strict";
   * import { NetGear } from "./netgear.ts";
   * import type { ClientReply } from "./stats.ts";
   * const options = { receiveMode: true, multiclientMode: true } as const;
   * await using first = await NetGear.open({ ...options, port: 5776 });
   * await using second = await NetGear.open({ ...options, port: 5777 });
   * await using server = await NetGear.open({ multiclientMode: true, port: [5776, 5777] });
   * // Both answer the server's first heartbeat at once: live, in the rotation.
   * while (server.clients().some((c) => c.state !== "live")) {
   *   await new Promise((resolve) => setTimeout(resolve, 10));
   * }
   * void first.recv();
   * void second.recv();
   * const taken = [];
   * for (let n = 0; n < 2; n++) {
   *   taken.push((await server.send(undefined, { message: n }) as ClientReply).port);
   * }
   * assert.deepEqual(taken, [5776, 5777], "in turn");
   * ```
   */
  clients(): TrackedClient[] {
    return (this.#clients ?? []).map(({ port, state, since }) => ({ port, state, since }));
  }

  /**
   * Sends a frame, with optional data of any CBOR-encodable type.
   *
   * In REQ/REP this waits for the client's reply (resending per Lazy Pirate
   * if it is late); in bidirectional mode it returns the client's
   * `returnData`. In multi-client REQ/REP mode the frame goes to one client
   * (the next that answers, in turn; one that does not answer in time is
   * passed over and the frame goes to the next) and it returns
   * {@linkcode ClientReply} `{ port, data }`: the answering client's port
   * and, in bidirectional mode, its `returnData`. In PUB/SUB it resolves once ZeroMQ has queued the frame
   * (multi-client: for every subscribed client);
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
   * @returns The client's return data in bidirectional mode, else `undefined`;
   * in multi-client REQ/REP mode a {@linkcode ClientReply}.
   * @throws {SendError} When the client never answered, refused the frame or the handshake, took no frame (PUB/SUB), or the server is closed.
   * @throws {TypeError} When `frame`, a field of it, `options` or `options.message` has the wrong type (a message CBOR cannot carry: a function, a symbol, a cycle), or there is neither a frame nor a message.
   * @throws {RangeError} When a frame field is out of range (width or height not an integer 1..65535, channels not those of the format, data not width x height x channels bytes) or the message would exceed `maxMessageSize`.
   * @example
   * ```ts ignore
   * // Not run: needs an open `server`, a `frame`, and a client answering.
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
    const id = ++this.#nextSendId;
    try {
      // Straight to the transport: one mailbox, one ask. Its signal is
      // raced here rather than given to the ask, so that aborting also
      // cancels the send in the transport, whose outcome then still has
      // someone to go to.
      outcome = await abortable(
        this.#transport.ask<SendOutcome>(
          (replyTo) => ({ type: "SendFrame", frame: wire, message, replyTo, id }),
          // A heartbeat may be ahead of this frame: allow for its one attempt.
          { timeoutMs: this.#sendTimeoutMs() + this.#options.requestTimeout + 1000 },
        ),
        options.signal,
        () => this.#cancels?.cancel(id),
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
      case "Replied": {
        const data = this.#options.bidirectionalMode ? outcome.returnData : undefined;
        if (this.#clients === undefined) return data;
        return { port: outcome.port ?? this.port, data } satisfies ClientReply;
      }
      case "SendFailed": {
        const reason = outcome.code === "ssh-tunnel"
          ? sshOptionNames(outcome.reason) as string
          : outcome.reason;
        throw new SendError(
          this.port,
          outcome.code,
          reason.startsWith("Cannot") ? reason : `Cannot send: ${reason}`,
        );
      }
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
    this.#size ??= new SendSize({ wire: this.#options.wire });
    let size: number;
    try {
      size = this.#size.measure(this.port, wire, message);
    } catch (error) {
      // The wire's own rules (vidgear's) come in the caller's terms already.
      if (error instanceof Error && error.message.startsWith("Cannot send")) throw error;
      throw messageError(error, message);
    }
    if (size > this.#options.maxMessageSize) {
      throw tooLarge(size, this.#options.maxMessageSize);
    }
    return wire;
  }

  /** The frame as it goes on the wire: its pixels as they are, or JPEG. */
  #toWire(frame: Frame): OutgoingFrame {
    const { compress, quality, fastDct } = this.#options.jpeg;
    const layout = compress?.layout;
    const format = checkFrame(
      frame,
      compress?.format ?? "bgr24",
      this.#options.maxMessageSize,
      layout === undefined ? undefined : { name: layout, channels: LAYOUT_CHANNELS },
    );
    const { width, height } = frame;
    if (!compress) {
      return { width, height, channels: frame.channels, format, encoding: "raw", data: frame.data };
    }
    this.#jpeg ??= new JpegCodec();
    if (layout !== undefined && frame.format === undefined) {
      // A layout no format names (BGRA, XRGB...): libjpeg-turbo reads it as
      // it is; the client gets the format of the same colour order.
      const data = this.#jpeg.encode(frame, { quality, fastDct, layout });
      return { width, height, channels: CHANNELS_OF[format], format, encoding: "jpeg", data };
    }
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
    // Heartbeats from now on are pointless: the goodbye follows.
    this.#cancels?.close();
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

/**
 * `outcome`, or the signal's reason as soon as it aborts (then `onAbort`
 * runs). A later rejection of `outcome` is handled.
 */
function abortable<T>(
  outcome: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => void,
): Promise<T> {
  if (signal === undefined) return outcome;
  return new Promise<T>((resolve, reject) => {
    const aborted = (): void => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener("abort", aborted, { once: true });
    const settled = (): void => signal.removeEventListener("abort", aborted);
    outcome.then(
      (value) => (settled(), resolve(value)),
      (error) => (settled(), reject(error)),
    );
  });
}

/**
 * Opens a server on resolved options: for `NetGear.open`, not exported from
 * the package.
 */
export function openServer(options: ResolvedNetGearOptions): Promise<NetGearServer> {
  return open(options);
}
