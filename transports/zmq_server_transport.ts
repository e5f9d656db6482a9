/**
 * The server's transport actor over ZeroMQ: a REQ, PUB or PAIR socket that
 * connects to the client (multi-server mode) or binds (plain mode).
 *
 * REQ/REP follows the Lazy Pirate pattern, as vidgear does with
 * `request_timeout` and `max_retries`: a reply that does not come within
 * `requestTimeout` means the socket is closed, reopened and the request sent
 * again, up to `maxRetries` times.
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
import type { XPublisher } from "zeromq";

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
 * Sends each envelope it is given; in REQ/REP waits for and decodes the reply.
 *
 * @example
 * ```ts ignore
 * context.spawn("transport", { create: () => new ZmqServerTransport(options) });
 * ```
 */
export class ZmqServerTransport implements Actor<ServerTransportCommand> {
  readonly #options: ZmqServerTransportOptions;
  readonly #codec: ProtocolCodec;
  #socket: ZmqSocket | undefined;
  /** Flow-controlled PUB: buffers frame messages are encoded into, in turn. */
  readonly #ring: (Uint8Array | undefined)[] = [];
  #ringNext = 0;
  #subscribed = false;
  /** REQ: aborted when a reply is late; replaced after each timeout. */
  #replyTimeout = new AbortController();
  #replyTimer: ReturnType<typeof setTimeout> | undefined;
  #replyTimeoutMs = 0;
  /** When the pending reply wait began (`performance.now()`); undefined when none. */
  #waitingSince: number | undefined;
  /** PUB with one subscriber (multi-server mode): a full queue refuses instead of dropping. */
  readonly #flowControlled: boolean;
  /** PUB frames dropped here because the client did not take them within requestTimeout. */
  #dropped = 0;
  /** PUB: the last frame waited out requestTimeout and was dropped. */
  #congested = false;
  #curve: ZmqSocketOptions = {};

  /** @param options Where and how to open the socket. */
  constructor(options: ZmqServerTransportOptions) {
    this.#options = options;
    this.#codec = new ProtocolCodec({ maxMessageBytes: options.maxMessageSize });
    this.#flowControlled = options.pattern === 2 && options.role === "connect";
  }

  /** PUB frames dropped at the server because the client's queue stayed full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Opens the socket. */
  async started(): Promise<void> {
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
    clearTimeout(this.#replyTimer);
    this.#replyTimer = undefined;
    await this.#socket?.close();
    this.#socket = undefined;
  }

  /** Sends one envelope and tells the outcome. */
  async receive(
    message: ServerTransportCommand,
    context: ActorContext<ServerTransportCommand>,
  ): Promise<void> {
    switch (message.type) {
      case "SendEnvelope": {
        const once = message.once === true;
        const hasFrame = message.envelope.frame !== undefined;
        if (this.#options.pattern === 1) {
          // No copy of the frame: see the module notes.
          const parts = this.#codec.encodeParts({ ...message.envelope, version: 2 });
          message.replyTo.tell(await this.#request(parts, message.envelope.seq, context, once));
          return;
        }
        const ring = hasFrame && this.#flowControlled;
        const bytes = this.#codec.encode(message.envelope, {
          into: ring ? this.#ring[this.#ringNext] : undefined,
        });
        const droppedBefore = this.#dropped;
        const outcome = await this.#publish(bytes, once);
        // "Sent" without a new drop: ZeroMQ took it.
        const queued = outcome.type === "Sent" && this.#dropped === droppedBefore;
        if (ring && queued) {
          // Only a frame ZeroMQ took holds its slot; a refused one is free.
          this.#ring[this.#ringNext] = new Uint8Array(bytes.buffer);
          this.#ringNext = (this.#ringNext + 1) % PUB_RING_SLOTS;
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

  async #open(): Promise<ZmqSocket> {
    const { address, port, pattern, role, maxMessageSize } = this.#options;
    const socket = new ZmqSocket(KIND_OF[pattern], {
      maxMessageSize,
      // The goodbye (terminate) is often the last message: let it leave.
      linger: 1000,
      // PUB: bursts up to 16 frames (about 15 MB at 640x480) wait here; past
      // that ZeroMQ drops, and the client counts the gap in frame numbers.
      sendHighWaterMark: pattern === 2 ? (role === "connect" ? FLOW_CONTROLLED_HWM : 16) : 1000,
      ...this.#curve,
    });
    if (pattern === 2 && role === "connect") (socket.raw as XPublisher).noDrop = true;
    const endpoint = `tcp://${address}:${port}`;
    try {
      if (role === "bind") await socket.bind(endpoint);
      else socket.connect(endpoint);
    } catch (error) {
      await socket.close();
      throw error;
    }
    return socket;
  }

  /**
   * Closes a REQ socket whose request went unanswered, dropping that request
   * (no linger): delivered late, after `send` has given up or resent it, it
   * would reach the client as a stale frame.
   */
  async #discard(socket: ZmqSocket): Promise<void> {
    socket.raw.linger = 0;
    await socket.close();
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
      ? ""
      : ` In secure mode, also check that the client uses secureMode ${secureMode}, that this server holds the client's public key and, in ironhouse, that the client holds this server's.`;
  }

  async #publish(bytes: Uint8Array, once: boolean): Promise<SendOutcome> {
    if (!this.#socket) return closed();
    if (this.#options.pattern === 2) await this.#takeSubscriptionEvents(this.#socket);
    if (this.#options.pattern === 2 && !this.#subscribed) {
      // PUB drops whatever it sends before a subscriber is there: wait for
      // the client rather than stream into the void.
      if (once || !(await this.#waitForSubscriber(this.#socket))) {
        if (!this.#socket) return closed();
        const { port, requestTimeout, maxRetries } = this.#options;
        return failed(
          "no-subscriber",
          once
            ? "no client is subscribed"
            : `Cannot send to the client on port ${port}: no client subscribed within ${
              requestTimeout * (maxRetries + 1)
            } ms; is the client running and listening on this port?${this.#secureHint()}`,
        );
      }
    }
    if (!this.#flowControlled) {
      await this.#socket.send(bytes);
      return { type: "Sent" };
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
    const giveUpAt = this.#congested ? 0 : performance.now() + this.#options.requestTimeout;
    for (;;) {
      try {
        await this.#socket.send(bytes);
        this.#congested = false;
        return { type: "Sent" };
      } catch (error) {
        if (!(error instanceof TransportOperationError) || error.code !== "EAGAIN") throw error;
      }
      if (performance.now() >= giveUpAt) {
        this.#congested = true;
        this.#dropped++;
        return { type: "Sent" };
      }
      await this.#socket.nextSignal(QUEUE_ROOM_WAIT_MS);
      if (!this.#socket) return closed();
    }
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

  /** Waits for a subscriber, up to `requestTimeout * (maxRetries + 1)` ms. */
  async #waitForSubscriber(socket: ZmqSocket): Promise<boolean> {
    const { requestTimeout, maxRetries } = this.#options;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), requestTimeout * (maxRetries + 1));
    try {
      while (!this.#subscribed) {
        const [event] = await socket.receive({ signal: timeout.signal });
        this.#onSubscriptionEvent(event);
      }
      return true;
    } catch (error) {
      if (timeout.signal.aborted || error instanceof TransportClosedError) return false;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #onSubscriptionEvent(event: Uint8Array | undefined): void {
    if (event !== undefined && event.byteLength > 0) this.#subscribed = event[0] === 1;
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

  async #request(
    parts: Uint8Array[],
    seq: number,
    context: ActorContext<ServerTransportCommand>,
    once: boolean,
  ): Promise<SendOutcome> {
    const { requestTimeout, port } = this.#options;
    const maxRetries = once ? 0 : this.#options.maxRetries;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (!this.#socket) return closed();
      if (attempt > 0) {
        // Lazy Pirate: a REQ socket that lost its reply is stuck; only a new
        // one can send again.
        context.log.warn(
          `no reply from the client within ${requestTimeout} ms on port ${port}; reconnecting (retry ${attempt} of ${maxRetries})`,
        );
        await this.#discard(this.#socket);
        this.#socket = await this.#open();
      }
      await this.#socket.send(parts);
      const signal = this.#replyDeadline(requestTimeout);
      let replyParts: Uint8Array[];
      try {
        replyParts = await this.#socket.receive({ signal });
      } catch (error) {
        if (signal.aborted) continue;
        throw error;
      } finally {
        this.#waitingSince = undefined;
      }
      try {
        const reply = this.#codec.decodeParts(replyParts);
        if (reply.kind !== "reply") {
          return failed("bad-reply", `expected a reply, got kind "${reply.kind}"`);
        }
        if (reply.error) return failed(reply.error.code, reply.error.message);
        if (reply.seq !== seq) {
          return failed("bad-reply", `reply answers frame ${reply.seq}, not ${seq}`);
        }
        return { type: "Replied", envelope: reply };
      } catch (error) {
        if (error instanceof ProtocolError) return failed(error.code, error.message);
        throw error;
      }
    }
    // The REQ socket still waits for a reply that will not come: start
    // afresh so that the next send can go out.
    if (this.#socket) await this.#discard(this.#socket);
    this.#socket = await this.#open();
    return failed(
      "no-reply",
      `Cannot send to the client on port ${port}: no reply after ${
        maxRetries + 1
      } attempts of ${requestTimeout} ms; is the client running and listening on this port?${this.#secureHint()}`,
    );
  }
}

function failed(code: string, reason: string): SendOutcome {
  return { type: "SendFailed", code, reason };
}

function closed(): SendOutcome {
  return failed("closed", "the transport is closed");
}
