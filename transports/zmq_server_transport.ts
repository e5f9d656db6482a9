/**
 * The server's transport actor over ZeroMQ: a REQ, PUB or PAIR socket that
 * connects to the client (multi-server mode) or binds (plain mode).
 *
 * REQ/REP follows the Lazy Pirate pattern, as vidgear does with
 * `request_timeout` and `max_retries`: a reply that does not come within
 * `requestTimeout` means the socket is closed, reopened and the request sent
 * again, up to `maxRetries` times.
 *
 * A refused security handshake (an ironhouse client that does not know this
 * server's key, a plain client meeting a CURVE server) is final for libzmq:
 * the socket never reconnects. Sends never wait without a bound, a REQ
 * socket that lost its reply is replaced (Lazy Pirate), and a REQ whose
 * handshake was refused is told apart from an absent client (see
 * `#refusedNow`): its send fails at once with code `"refused"`, and a later
 * send tries a fresh socket. A PUB socket whose client stays away is
 * replaced now and then for the same reason.
 *
 * Why not the socket's monitor events, which name the refusal exactly:
 * npm:zeromq's `Observer` waits with libuv's `uv_poll`, and under Deno 2.9
 * one that waits when an uncaught exception ends the process turns the
 * exit into a segmentation fault, and closing observers broke later
 * sockets of the process (a PUB's subscription never arrived, in five runs
 * of five; keeping every observer open instead never failed).
 *
 * PUB in multi-server mode connects with ZMQ_IMMEDIATE, so a client that
 * disconnects takes its queue with it (XPUB then reports it unsubscribed):
 * a client started later gets the newest frame first, not a stale backlog.
 * While no client is subscribed, frames wait at most `subscriberTimeout`,
 * then are refused or dropped (`whenNoSubscriber`), and counted.
 *
 * REQ speaks protocol version 2: a frame's bytes go as the message's second
 * part, straight from the caller's buffer, because the reply proves ZeroMQ
 * is done with them before `send()` resolves. PUB and PAIR speak version 1:
 * their sends resolve once queued, so frames are copied into the message.
 *
 * @module
 */

import type { Actor, ActorContext } from "../actors/actor.ts";
import type { SendOutcome, ServerTransportCommand } from "../actors/netgear/messages.ts";
import type { Envelope } from "./protocol/protocol.ts";
import type { Pattern, SecureMode } from "./netgear_options.ts";
import {
  CLIENT_KEY_NAME,
  loadKeyPair,
  loadPublicKey,
  SERVER_KEY_NAME,
} from "./security/curve_keys.ts";
import { ProtocolCodec } from "./protocol/protocol.ts";
import { ProtocolError } from "./protocol/protocol_errors.ts";
import { type SocketKind, ZmqSocket, type ZmqSocketOptions } from "./zmq/zmq_socket.ts";
import { TransportClosedError, TransportOperationError } from "./errors.ts";
import type { Request, XPublisher } from "zeromq";

/**
 * A server's running figures, shared with whoever reads them (the
 * transport's restarts keep the same object). Frames are envelopes of kind
 * `"frame"`: every successful `send()`, with or without pixels.
 */
export interface ServerTransportStats {
  /** Frames ZeroMQ took (PUB, PAIR) or the client answered (REQ). */
  sent: number;
  /** Heartbeats sent. */
  heartbeats: number;
  /** Fresh sockets opened after the first: Lazy Pirate retries, refused handshakes. */
  reconnects: number;
  /** REQ: handshakes the client refused (see the module notes for which are told apart). */
  refused: number;
  /** Frames not sent, by why; counted whether `send()` rejected or resolved. */
  dropped: {
    /** PUB: no client subscribed within `subscriberTimeout`. */
    noSubscriber: number;
    /** PUB: the client's queue was full and the client was already known to be stuck. */
    queueFull: number;
    /** PUB: the client's queue stayed full for `requestTimeout`. */
    expired: number;
  };
  /** PUB: whether a client is subscribed now; `undefined` for other patterns. */
  subscribed: boolean | undefined;
}

/** Fresh, zeroed figures. */
export function newServerTransportStats(pattern: Pattern): ServerTransportStats {
  return {
    sent: 0,
    heartbeats: 0,
    reconnects: 0,
    refused: 0,
    dropped: { noSubscriber: 0, queueFull: 0, expired: 0 },
    subscribed: pattern === 2 ? false : undefined,
  };
}

/** How the server transport opens its socket. */
export interface ZmqServerTransportOptions {
  /** The client's host (connect) or the interface to bind. */
  readonly address: string;
  /** This server's port. */
  readonly port: number;
  /** 0 = PAIR, 1 = REQ, 2 = PUB. */
  readonly pattern: Pattern;
  /** Connect to the client (multi-server mode) or bind (plain mode). */
  readonly role: "bind" | "connect";
  /** REQ: wait for a reply this long before retrying, in ms. */
  readonly requestTimeout: number;
  /** REQ: resend at most this many times. */
  readonly maxRetries: number;
  /** Largest message accepted, in bytes. */
  readonly maxMessageSize: number;
  /** Told once the socket is open, or with the error that stopped it. */
  readonly onReady: (error?: unknown) => void;
  /** 0 (default) = plain; 1 or 2 = CURVE client with this server's keys and the client's public key. */
  readonly secureMode?: SecureMode;
  /** Where the keys are; needed when `secureMode` is 1 or 2. */
  readonly keysDir?: string;
  /**
   * PUB: the longest a frame waits for a subscribed client, in ms; once one
   * frame has waited in vain, later ones do not wait until a client
   * subscribes again.
   *
   * @default {requestTimeout * (maxRetries + 1)}
   */
  readonly subscriberTimeout?: number;
  /**
   * PUB: a frame no client takes fails the send (`"reject"`) or is dropped
   * while the send succeeds (`"drop"`); counted either way.
   *
   * @default {"reject"}
   */
  readonly whenNoSubscriber?: "reject" | "drop";
  /** Where the figures go; a fresh object when not given. */
  readonly stats?: ServerTransportStats;
}

const KIND_OF: Readonly<Record<Pattern, SocketKind>> = { 0: "pair", 1: "req", 2: "xpub" };
/** PUB in multi-server mode: the longest wait for ZeroMQ's signal before retrying a frame the full queue refused. */
const QUEUE_ROOM_WAIT_MS = 5;
/** PUB in multi-server mode: the send high-water mark (messages ZeroMQ may queue). */
const FLOW_CONTROLLED_HWM = 4;
/**
 * PUB in multi-server mode: frame messages are encoded into a ring of this
 * many buffers instead of a fresh 900 KB allocation each (its page faults
 * and garbage collection were the publisher's largest cost). zeromq.js
 * sends them zero-copy, so a buffer is rewritten only once ZeroMQ is done
 * with it: with ZMQ_XPUB_NODROP and one subscriber, at most the high-water
 * mark of queued messages plus the one the I/O thread is writing are held,
 * and a slot comes round again only after `FLOW_CONTROLLED_HWM + 2` later
 * frames were queued. One more slot is margin.
 */
const PUB_RING_SLOTS = FLOW_CONTROLLED_HWM + 3;
/**
 * REQ: until a socket's first reply, the wait for it is cut into slices
 * that start this short and double, and the socket is looked at between
 * them for a refused handshake (a refusal signals nothing to wait on).
 */
const FIRST_SLICE_MS = 5;
/** The longest slice, in ms: a refusal is reported within about this long. */
const MAX_SLICE_MS = 250;
/** PUB: the shortest time between fresh sockets while no client is subscribed, in ms. */
const MIN_PUB_REOPEN_MS = 1000;
/** The names of the secure modes, for messages. */
const MODE_NAMES: Readonly<Record<SecureMode, string>> = {
  0: "0 (off)",
  1: "1 (stonehouse)",
  2: "2 (ironhouse)",
};

/** What publishing one message came to. */
type Published = "queued" | "dropped" | SendOutcome;

/**
 * Sends each envelope it is given; in REQ/REP waits for and decodes the reply.
 *
 * It never fails on what it is given: an envelope that cannot be encoded
 * is answered with a `SendFailed` outcome (code `"invalid"`), and any other
 * failure is answered before the actor restarts, so a sender never waits
 * for its ask to time out.
 *
 * @example
 * ```ts ignore
 * context.spawn("transport", { create: () => new ZmqServerTransport(options) });
 * ```
 */
export class ZmqServerTransport implements Actor<ServerTransportCommand> {
  readonly #options: ZmqServerTransportOptions;
  readonly #codec: ProtocolCodec;
  readonly #stats: ServerTransportStats;
  #socket: ZmqSocket | undefined;
  /** REQ: the current socket had a reply, so its handshake went through. */
  #confirmed = false;
  /** PUB: when a client-less socket may next be replaced (`performance.now()`). */
  #nextPubReopen = 0;
  #stopping = false;
  /** Flow-controlled PUB: buffers frame messages are encoded into, in turn. */
  readonly #ring: (Uint8Array | undefined)[] = [];
  #ringNext = 0;
  #subscribed = false;
  /** PUB: a frame waited out subscriberTimeout in vain; later ones do not wait until a client subscribes. */
  #absent = false;
  /** PUB: aborts the pending wait for a subscriber (when stopping). */
  #subscriberWait: AbortController | undefined;
  /**
   * REQ: the current socket's handshake was refused, so it will never
   * connect again. A fresh socket tries once this time
   * (`performance.now()`) has passed; sends before that fail at once, so a
   * sender looping on a refused client does not open a socket (and make a
   * handshake) per frame.
   */
  #refusedUntil: number | undefined;
  /** A refusal was logged; cleared by the next reply. */
  #refusalLogged = false;
  /** REQ: aborted when a reply is late; replaced after each timeout. */
  #replyTimeout = new AbortController();
  #replyTimer: ReturnType<typeof setTimeout> | undefined;
  #replyTimeoutMs = 0;
  /** When the pending reply wait began (`performance.now()`); undefined when none. */
  #waitingSince: number | undefined;
  /** PUB with one subscriber (multi-server mode): a full queue refuses instead of dropping. */
  readonly #flowControlled: boolean;
  /**
   * REQ connecting to the client (multi-server mode): a refused handshake
   * can be told apart (see #refusedNow). A bound REQ is unwritable until a
   * client connects, which would look the same.
   */
  readonly #watchesRefusal: boolean;
  /** PUB: the last frame waited out requestTimeout and was dropped. */
  #congested = false;
  #curve: ZmqSocketOptions = {};
  #log: ActorContext<ServerTransportCommand>["log"] | undefined;

  /** @param options Where and how to open the socket. */
  constructor(options: ZmqServerTransportOptions) {
    this.#options = options;
    this.#codec = new ProtocolCodec({ maxMessageBytes: options.maxMessageSize });
    this.#flowControlled = options.pattern === 2 && options.role === "connect";
    this.#watchesRefusal = options.pattern === 1 && options.role === "connect";
    this.#stats = options.stats ?? newServerTransportStats(options.pattern);
  }

  /** PUB frames dropped at the server because the client's queue stayed full. */
  get dropped(): number {
    return this.#stats.dropped.queueFull + this.#stats.dropped.expired;
  }

  /** Opens the socket. */
  async started(context: ActorContext<ServerTransportCommand>): Promise<void> {
    this.#log = context.log;
    try {
      // Loaded once: every Lazy Pirate reconnect reuses them.
      this.#curve = await this.#loadCurve();
      this.#socket = await this.#open();
    } catch (error) {
      this.#options.onReady(error);
      return;
    }
    this.#options.onReady();
  }

  /** Closes the socket. */
  async stopped(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#replyTimer);
    this.#replyTimer = undefined;
    this.#subscriberWait?.abort();
    const socket = this.#socket;
    this.#socket = undefined;
    await socket?.close();
  }

  /** Sends one envelope and tells the outcome. */
  async receive(
    message: ServerTransportCommand,
    context: ActorContext<ServerTransportCommand>,
  ): Promise<void> {
    switch (message.type) {
      case "SendEnvelope": {
        let outcome: SendOutcome;
        try {
          outcome = await this.#send(message.envelope, message.once === true, context);
        } catch (error) {
          if (this.#stopping || error instanceof TransportClosedError) {
            message.replyTo.tell(closed());
            return;
          }
          // Answer before the restart, or the sender waits out its ask.
          message.replyTo.tell(
            failed("transport-error", `Cannot send: the transport failed (${errorText(error)})`),
          );
          throw error;
        }
        message.replyTo.tell(outcome);
        return;
      }
      default: {
        const unreachable: never = message.type;
        throw new TypeError(`Cannot handle message type ${unreachable}`);
      }
    }
  }

  async #send(
    envelope: Envelope,
    once: boolean,
    context: ActorContext<ServerTransportCommand>,
  ): Promise<SendOutcome> {
    if (this.#options.pattern === 1) {
      let parts: Uint8Array[];
      try {
        // No copy of the frame: see the module notes.
        parts = this.#codec.encodeParts({ ...envelope, version: 2 });
      } catch (error) {
        return invalid(error);
      }
      return await this.#request(parts, envelope, context, once);
    }
    if (this.#options.pattern === 2) {
      // The usual case, without a wait: subscribed, and nothing new from XPUB.
      const event = this.#socket?.receiveReady();
      if (event !== undefined || !this.#subscribed) {
        if (event !== undefined) this.#onSubscriptionEvent((await event)[0]);
        const waited = await this.#awaitSubscriber(envelope, once);
        if (typeof waited !== "boolean") return waited;
        // A frame that waited for its client leaves now: say so, or it would
        // look as old as the wait to a client measuring latency.
        if (waited) envelope = { ...envelope, sentAt: performance.timeOrigin + performance.now() };
      }
    }
    const ring = envelope.frame !== undefined && this.#flowControlled;
    let bytes: Uint8Array;
    try {
      bytes = this.#codec.encode(envelope, {
        into: ring ? this.#ring[this.#ringNext] : undefined,
      });
    } catch (error) {
      return invalid(error);
    }
    const published = await this.#publish(bytes, once, envelope.kind === "frame");
    if (published === "queued") {
      if (ring) {
        // Only a frame ZeroMQ took holds its slot; a refused one is free.
        this.#ring[this.#ringNext] = new Uint8Array(bytes.buffer);
        this.#ringNext = (this.#ringNext + 1) % PUB_RING_SLOTS;
      }
      this.#count(envelope.kind);
      return SENT;
    }
    return published === "dropped" ? SENT : published;
  }

  #count(kind: Envelope["kind"]): void {
    if (kind === "frame") this.#stats.sent++;
    else if (kind === "heartbeat") this.#stats.heartbeats++;
  }

  async #open(): Promise<ZmqSocket> {
    const { address, port, pattern, role, maxMessageSize } = this.#options;
    const flowControlled = pattern === 2 && role === "connect";
    const socket = new ZmqSocket(KIND_OF[pattern], {
      maxMessageSize,
      // The goodbye (terminate) is often the last message: let it leave.
      linger: 1000,
      // PUB: bursts up to 16 frames (about 15 MB at 640x480) wait here; past
      // that ZeroMQ drops, and the client counts the gap in frame numbers.
      sendHighWaterMark: pattern === 2 ? (flowControlled ? FLOW_CONTROLLED_HWM : 16) : 1000,
      // PUB to one client: no queue for a client that is not connected, so
      // frames sent while it was away are not delivered, stale, to the next
      // one, and its disconnection reaches us as an unsubscription.
      ...(flowControlled ? { immediate: true } : {}),
      ...this.#curve,
    });
    if (flowControlled) (socket.raw as XPublisher).noDrop = true;
    // Relaxed (may send before the reply came, which this class never
    // does), so that it reports itself writable while it has a connection
    // or is making one, even with a request unanswered: only a refused
    // handshake, after which libzmq drops the connection for good, leaves
    // it unwritable (see #refusedNow).
    if (this.#watchesRefusal) (socket.raw as Request).relaxed = true;
    this.#socket = socket;
    this.#subscribed = false;
    this.#refusedUntil = undefined;
    this.#confirmed = false;
    if (pattern === 2) this.#stats.subscribed = false;
    const endpoint = `tcp://${address}:${port}`;
    try {
      if (role === "bind") await socket.bind(endpoint);
      else socket.connect(endpoint);
    } catch (error) {
      if (this.#socket === socket) this.#socket = undefined;
      await socket?.close();
      throw error;
    }
    return socket;
  }

  /**
   * Replaces the socket with a fresh one: after a lost reply (a REQ socket
   * that lost its reply is stuck) or a refused handshake (libzmq never
   * retries one). The old one's unsent message is dropped, not lingered:
   * delivered late, after `send` has given up or resent it, it would reach
   * the client as a stale frame.
   *
   * @returns The new socket, or undefined once the transport is stopping.
   */
  async #reopen(): Promise<ZmqSocket | undefined> {
    const old = this.#socket;
    this.#socket = undefined;
    if (old) {
      old.raw.linger = 0;
      await old.close();
    }
    if (this.#stopping) return undefined;
    const socket = await this.#open();
    this.#stats.reconnects++;
    return socket;
  }

  /**
   * The socket to send on: a fresh one in place of a refused one once its
   * retry delay is over.
   *
   * @returns The socket, or the outcome that ends the send (refused, closed).
   */
  async #usableSocket(): Promise<ZmqSocket | SendOutcome> {
    const socket = this.#socket;
    if (!socket) return closed();
    if (this.#refusedUntil === undefined) return socket;
    if (performance.now() < this.#refusedUntil) return this.#refused();
    return (await this.#reopen()) ?? closed();
  }

  /**
   * REQ: whether the socket's handshake was refused. A relaxed REQ socket
   * stays writable while it is connected or (re)connecting, its message
   * queued; libzmq drops that connection for good only when the peer
   * refuses the handshake (measured: an ironhouse client refusing the key,
   * a plain client meeting this CURVE server; a plain server meeting a
   * CURVE client keeps its queue, and is found out by its timeouts only).
   * Call only while no send or receive of the socket is pending: the look
   * takes ZeroMQ's edge-triggered signal.
   */
  #refusedNow(socket: ZmqSocket): boolean {
    if (this.#refusedUntil !== undefined) return true;
    if (!this.#watchesRefusal || socket !== this.#socket || socket.closed) return false;
    let writable: boolean;
    try {
      writable = socket.raw.writable;
    } catch {
      return false;
    }
    if (writable) return false;
    const { requestTimeout, port } = this.#options;
    this.#refusedUntil = performance.now() + requestTimeout;
    this.#stats.refused++;
    if (!this.#refusalLogged) {
      this.#refusalLogged = true;
      this.#log?.warn(
        `Cannot reach the client on port ${port}: ${this.#refusalText()}; a fresh socket tries again at the first send after ${requestTimeout} ms`,
      );
    }
    return true;
  }

  #refusalText(): string {
    const { secureMode = 0 } = this.#options;
    return `the client refused this server's handshake (this server uses secureMode ${
      MODE_NAMES[secureMode]
    }); give the client the same secureMode and${
      secureMode === 0 ? "" : " keysDir's client key and,"
    } in ironhouse (2), put this server's public key in the client's keysDir public_keys/, then restart the client`;
  }

  #refused(): SendOutcome {
    return failed(
      "refused",
      `Cannot send to the client on port ${this.#options.port}: ${this.#refusalText()}`,
    );
  }

  async #loadCurve(): Promise<ZmqSocketOptions> {
    const { secureMode = 0, keysDir } = this.#options;
    if (secureMode === 0) return {};
    const own = await loadKeyPair(keysDir!, SERVER_KEY_NAME);
    return {
      curveServerKey: await loadPublicKey(keysDir!, CLIENT_KEY_NAME),
      curvePublicKey: own.publicKey,
      curveSecretKey: own.secretKey,
    };
  }

  /** A refused CURVE handshake looks like an absent client: say what to check. */
  #secureHint(): string {
    const { secureMode = 0 } = this.#options;
    return secureMode === 0
      ? " If the client uses secureMode 1 or 2, this server needs the same secureMode and keys."
      : ` In secure mode, also check that the client uses secureMode ${secureMode}, that this server holds the client's public key and, in ironhouse, that the client holds this server's.`;
  }

  /**
   * PUB: makes sure a client is subscribed before a message is encoded.
   *
   * @returns Whether the message had to wait for one (`true`) or not
   * (`false`); otherwise the outcome that ends the send.
   */
  async #awaitSubscriber(envelope: Envelope, once: boolean): Promise<boolean | SendOutcome> {
    let socket = this.#socket;
    if (!socket) return closed();
    await this.#takeSubscriptionEvents(socket);
    if (
      this.#flowControlled && !this.#subscribed && !once && this.#absent &&
      performance.now() >= this.#nextPubReopen
    ) {
      // A connecting socket whose handshake was refused never connects
      // again, and nothing tells a refusal from an absent client here: a
      // fresh socket now and then recovers from both. (A bound one keeps
      // listening.)
      socket = await this.#reopen();
      if (!socket) return closed();
      this.#nextPubReopen = performance.now() + this.#pubReopenEveryMs();
    }
    if (this.#subscribed) return false;
    // Heartbeats and the goodbye do not wait: nobody would hear them.
    if (once) return failed("no-subscriber", "no client is subscribed");
    const { subscriberTimeout = this.#defaultSubscriberTimeout() } = this.#options;
    if (!this.#absent && subscriberTimeout > 0) {
      // PUB drops whatever it sends before a subscriber is there: wait for
      // the client rather than stream into the void.
      if (await this.#waitForSubscriber(socket, subscriberTimeout)) return true;
      if (!this.#socket) return closed();
    }
    // Later frames do not wait until a client subscribes again, so send()
    // stays quick while the client is away.
    if (!this.#absent) this.#nextPubReopen = performance.now() + this.#pubReopenEveryMs();
    this.#absent = true;
    if (envelope.kind === "frame") this.#stats.dropped.noSubscriber++;
    if (this.#options.whenNoSubscriber === "drop") return SENT;
    const { port } = this.#options;
    return failed(
      "no-subscriber",
      `Cannot send to the client on port ${port}: no client subscribed within ${subscriberTimeout} ms (option "subscriberTimeout"); is the client running and listening on this port? (With whenNoSubscriber "drop", frames are dropped instead.)${this.#secureHint()}`,
    );
  }

  #pubReopenEveryMs(): number {
    const { subscriberTimeout = this.#defaultSubscriberTimeout() } = this.#options;
    return Math.max(MIN_PUB_REOPEN_MS, subscriberTimeout);
  }

  #defaultSubscriberTimeout(): number {
    const { requestTimeout, maxRetries } = this.#options;
    return requestTimeout * (maxRetries + 1);
  }

  async #publish(bytes: Uint8Array, once: boolean, isFrame: boolean): Promise<Published> {
    const socket = this.#socket;
    if (!socket) return closed();
    if (!this.#flowControlled) {
      await socket.send(bytes);
      return "queued";
    }
    // Multi-server mode: the client is the only subscriber. With
    // ZMQ_XPUB_NODROP a full queue refuses the frame (EAGAIN) instead of
    // dropping it after we encoded and copied it, so the sender slows to
    // what the client takes (as the credit-based Node ceiling does) and
    // nothing is encoded only to be thrown away. XPUB reports itself always
    // writable, so the wait is a short retry, bounded by requestTimeout;
    // past that the frame is dropped here and counted.
    // Once a frame has waited out requestTimeout the client is taken to be
    // stuck: later frames get one try each, so send() stays quick until the
    // client takes frames again.
    const wasCongested = this.#congested;
    const giveUpAt = wasCongested ? 0 : performance.now() + this.#options.requestTimeout;
    for (;;) {
      try {
        await socket.send(bytes);
        this.#congested = false;
        return "queued";
      } catch (error) {
        if (!(error instanceof TransportOperationError) || error.code !== "EAGAIN") throw error;
      }
      if (performance.now() >= giveUpAt) break;
      await socket.nextSignal(QUEUE_ROOM_WAIT_MS);
      if (this.#socket !== socket) return closed();
      // The client left while we waited: its queue went with it.
      await this.#takeSubscriptionEvents(socket);
      if (!this.#subscribed) break;
    }
    if (once) return failed("queue-full", "the client's queue is full");
    this.#congested = this.#subscribed;
    const { port, requestTimeout } = this.#options;
    if (!this.#subscribed) {
      this.#stats.dropped.noSubscriber += isFrame ? 1 : 0;
      if (this.#options.whenNoSubscriber === "drop") return "dropped";
      return failed(
        "no-subscriber",
        `Cannot send to the client on port ${port}: the client unsubscribed (or disconnected) while the frame waited for room in its queue`,
      );
    }
    if (isFrame) {
      if (wasCongested) this.#stats.dropped.queueFull++;
      else this.#stats.dropped.expired++;
    }
    if (this.#options.whenNoSubscriber === "drop") return "dropped";
    return failed(
      "queue-full",
      wasCongested
        ? `Cannot send to the client on port ${port}: its queue is still full (it took no frame for more than ${requestTimeout} ms, option "requestTimeout"); is it stuck, or its network down? (With whenNoSubscriber "drop", frames are dropped instead.)`
        : `Cannot send to the client on port ${port}: its queue stayed full for ${requestTimeout} ms (option "requestTimeout"); is it stuck, or its network down? (With whenNoSubscriber "drop", frames are dropped instead.)`,
    );
  }

  /**
   * Reads the subscribe (first byte 1) and unsubscribe (0) events XPUB has
   * queued, without waiting. Read here, before each publish, rather than by
   * a receive loop: a pending receive made every sent frame wake the poll
   * (any state change signals the socket's descriptor) for nothing.
   */
  async #takeSubscriptionEvents(socket: ZmqSocket): Promise<void> {
    for (let event = socket.receiveReady(); event !== undefined; event = socket.receiveReady()) {
      this.#onSubscriptionEvent((await event)[0]);
    }
  }

  /** Waits for a subscriber, up to `timeoutMs`. */
  async #waitForSubscriber(socket: ZmqSocket, timeoutMs: number): Promise<boolean> {
    const wait = new AbortController();
    this.#subscriberWait = wait;
    const timer = setTimeout(() => wait.abort(), timeoutMs);
    try {
      while (!this.#subscribed) {
        const [event] = await socket.receive({ signal: wait.signal });
        this.#onSubscriptionEvent(event);
      }
      return true;
    } catch (error) {
      if (wait.signal.aborted || error instanceof TransportClosedError) return false;
      throw error;
    } finally {
      clearTimeout(timer);
      if (this.#subscriberWait === wait) this.#subscriberWait = undefined;
    }
  }

  #onSubscriptionEvent(event: Uint8Array | undefined): void {
    if (event === undefined || event.byteLength === 0) return;
    const subscribed = event[0] === 1;
    if (subscribed === this.#subscribed) return;
    this.#subscribed = subscribed;
    this.#stats.subscribed = subscribed;
    // A new client starts with an empty queue and a fresh chance.
    this.#absent = false;
    this.#congested = false;
  }

  /**
   * The signal that aborts the current reply wait after `timeoutMs`.
   *
   * One controller and one timer serve every request until a timeout
   * actually happens: arming and clearing a timer (and making a controller)
   * per frame cost more than the rest of a request. The timer only checks
   * whether the wait that is pending when it fires has lasted `timeoutMs`,
   * and re-arms for the remainder otherwise.
   */
  #replyDeadline(timeoutMs: number): AbortSignal {
    if (this.#replyTimeout.signal.aborted) this.#replyTimeout = new AbortController();
    this.#waitingSince = performance.now();
    this.#replyTimeoutMs = timeoutMs;
    if (this.#replyTimer === undefined) this.#armReplyTimer(timeoutMs);
    return this.#replyTimeout.signal;
  }

  #armReplyTimer(delayMs: number): void {
    this.#replyTimer = setTimeout(() => {
      this.#replyTimer = undefined;
      const since = this.#waitingSince;
      if (since === undefined) return;
      const left = since + this.#replyTimeoutMs - performance.now();
      if (left <= 0) this.#replyTimeout.abort();
      else this.#armReplyTimer(left);
    }, Math.max(0, delayMs));
  }

  /**
   * REQ: a send or receive on a socket that has had no reply yet, cut into
   * slices with the socket looked at between them for a refused handshake
   * (which signals nothing that a wait would see).
   *
   * @returns What `operation` gave, or `REFUSED`.
   * @throws What `operation` throws, and `signal`'s reason once it aborts.
   */
  async #watching<T>(
    socket: ZmqSocket,
    signal: AbortSignal,
    operation: (signal: AbortSignal) => Promise<T>,
  ): Promise<T | typeof REFUSED> {
    let slice = FIRST_SLICE_MS;
    // Bounded by `signal`, which the reply deadline aborts.
    for (;;) {
      signal.throwIfAborted();
      const cut = new AbortController();
      const onAbort = () => cut.abort(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      const timer = setTimeout(() => cut.abort(), slice);
      try {
        return await operation(cut.signal);
      } catch (error) {
        if (!cut.signal.aborted || signal.aborted) throw error;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      }
      // Nothing is pending on the socket now: the look is safe.
      if (this.#refusedNow(socket)) return REFUSED;
      slice = Math.min(slice * 2, MAX_SLICE_MS);
    }
  }

  async #request(
    parts: Uint8Array[],
    envelope: Envelope,
    context: ActorContext<ServerTransportCommand>,
    once: boolean,
  ): Promise<SendOutcome> {
    const { requestTimeout, port } = this.#options;
    const maxRetries = once ? 0 : this.#options.maxRetries;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      const previous = this.#socket;
      let socket: ZmqSocket | undefined = previous;
      if (socket === undefined || this.#refusedUntil !== undefined) {
        const usable = await this.#usableSocket();
        if (!(usable instanceof ZmqSocket)) return usable;
        socket = usable;
      }
      // (Not when a refused socket was just replaced.)
      if (attempt > 0 && socket === previous) {
        // Lazy Pirate: a REQ socket that lost its reply is stuck; only a new
        // one can send again.
        context.log.warn(
          `no reply from the client within ${requestTimeout} ms on port ${port}; reconnecting (retry ${attempt} of ${maxRetries})`,
        );
        socket = await this.#reopen();
      }
      if (!socket) return closed();
      // Refused while idle, before its first reply: this socket cannot send.
      if (!this.#confirmed && this.#refusedNow(socket)) return this.#refused();
      const signal = this.#replyDeadline(requestTimeout);
      let replyParts: Uint8Array[] | typeof REFUSED;
      try {
        // The send is bounded too: a REQ socket with no connection (its
        // handshake refused, say) never takes a message.
        if (this.#confirmed || !this.#watchesRefusal) {
          await socket.send(parts, { signal });
          replyParts = await socket.receive({ signal });
        } else {
          const sent = await this.#watching(
            socket,
            signal,
            (cut) => socket.send(parts, { signal: cut }),
          );
          replyParts = sent === REFUSED
            ? REFUSED
            : await this.#watching(socket, signal, (cut) => socket.receive({ signal: cut }));
        }
      } catch (error) {
        if (!signal.aborted) throw error;
        this.#waitingSince = undefined;
        // Refused: no point retrying with the same keys. A later send
        // tries a fresh socket, in case the client was told this key since.
        if (this.#refusedNow(socket)) return this.#refused();
        continue;
      } finally {
        this.#waitingSince = undefined;
      }
      if (replyParts === REFUSED) return this.#refused();
      this.#confirmed = true;
      this.#refusalLogged = false;
      try {
        const reply = this.#codec.decodeParts(replyParts);
        if (reply.kind !== "reply") {
          return failed("bad-reply", `expected a reply, got kind "${reply.kind}"`);
        }
        if (reply.error) return failed(reply.error.code, reply.error.message);
        if (reply.seq !== envelope.seq) {
          return failed("bad-reply", `reply answers frame ${reply.seq}, not ${envelope.seq}`);
        }
        this.#count(envelope.kind);
        return { type: "Replied", envelope: reply };
      } catch (error) {
        if (error instanceof ProtocolError) return failed(error.code, error.message);
        throw error;
      }
    }
    // The REQ socket still waits for a reply that will not come: start
    // afresh so that the next send can go out.
    await this.#reopen();
    return failed(
      "no-reply",
      `Cannot send to the client on port ${port}: no reply after ${
        maxRetries + 1
      } attempts of ${requestTimeout} ms; is the client running and listening on this port?${this.#secureHint()}`,
    );
  }
}

const SENT: SendOutcome = Object.freeze({ type: "Sent" });
/** What a watched REQ operation gives when the handshake was refused. */
const REFUSED: unique symbol = Symbol("refused");

function failed(code: string, reason: string): SendOutcome {
  return { type: "SendFailed", code, reason };
}

function closed(): SendOutcome {
  return failed("closed", "the transport is closed");
}

/** An envelope that cannot be encoded: the sender's fault, never the transport's. */
function invalid(error: unknown): SendOutcome {
  const text = errorText(error);
  return failed("invalid", text.startsWith("Cannot") ? text : `Cannot encode the message: ${text}`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
