/**
 * The REQ/REP server's transport actor: a REQ socket that connects to the
 * client (multi-server mode) or binds (plain mode).
 *
 * Lazy Pirate, as vidgear does with `request_timeout` and `max_retries`: a
 * reply that does not come within `requestTimeout` means the socket is
 * closed, reopened and the request sent again, up to `maxRetries` times.
 *
 * A refused security handshake (an ironhouse client that does not know this
 * server's key, a plain client meeting a CURVE server) is final for libzmq:
 * the socket never reconnects. Sends never wait without a bound, a socket
 * that lost its reply is replaced, and a socket whose handshake was refused
 * is told apart from an absent client (see `#refusedNow`): its send fails at
 * once with code `"refused"`, and a later send tries a fresh socket.
 *
 * Why not the socket's monitor events, which name the refusal exactly:
 * npm:zeromq's `Observer` waits with libuv's `uv_poll`, and under Deno 2.9
 * one that waits when an uncaught exception ends the process turns the
 * exit into a segmentation fault, and closing observers broke later
 * sockets of the process (a PUB's subscription never arrived, in five runs
 * of five; keeping every observer open instead never failed).
 *
 * REQ speaks protocol version 2: a frame's bytes go as the message's second
 * part, straight from the caller's buffer, because the reply proves ZeroMQ
 * is done with them before the send is answered.
 *
 * @module
 */

import type { Actor, ActorContext, Props } from "../actors/actor.ts";
import {
  cancelledOutcome,
  closed,
  failed,
  GOODBYE_WAIT_MS,
  invalid,
  secureHint,
  type SendServing,
  SENT,
  ServerSocket,
  serveSend,
} from "./_server_socket.ts";
import { Outbox } from "./_outbox.ts";
import { VidgearServerWire } from "./_vidgear_wire.ts";
import { JpegCodec } from "./codecs/jpeg.ts";
import type { Envelope } from "./protocol/protocol.ts";
import { ProtocolCodec } from "./protocol/protocol.ts";
import { ProtocolError } from "./protocol/protocol_errors.ts";
import { SECURE_MODE_NAMES } from "./security/secure_mode.ts";
import type { SendOutcome, ServerTransportCommand } from "./transport.ts";
import type { ZmqServerTransportOptions } from "./zmq_transport_options.ts";
import { ZmqSocket } from "./zmq/zmq_socket.ts";

/** How a REQ server transport opens its socket and retries. */
export interface ReqServerTransportOptions extends ZmqServerTransportOptions {
  /** Resend an unanswered request at most this many times. */
  readonly maxRetries: number;
}

/**
 * Until a socket's first reply, the wait for it is cut into slices that
 * start this short and double, and the socket is looked at between them for
 * a refused handshake (a refusal signals nothing to wait on).
 */
const FIRST_SLICE_MS = 5;
/** The longest slice, in ms: a refusal is reported within about this long. */
const MAX_SLICE_MS = 250;
/** What a watched operation gives when the handshake was refused. */
const REFUSED: unique symbol = Symbol("refused");

/**
 * Sends each frame, heartbeat and goodbye as a request and answers with the
 * client's reply.
 *
 * It never fails on what it is given: an envelope that cannot be encoded
 * is answered with a `SendFailed` outcome (code `"invalid"`), and any other
 * failure is answered before the actor restarts, so a sender never waits
 * for its ask to time out.
 *
 * @example
 * ```ts ignore
 * // Spawned by the server actor, which asks it to send.
 * context.spawn("transport", ReqServerTransport.props(options));
 * ```
 */
export class ReqServerTransport implements Actor<ServerTransportCommand> {
  readonly #options: ReqServerTransportOptions;
  readonly #serving: SendServing;
  readonly #codec: ProtocolCodec;
  readonly #socket: ServerSocket;
  /** The current socket had a reply, so its handshake went through. */
  #confirmed = false;
  /**
   * The current socket's handshake was refused, so it will never connect
   * again. A fresh socket tries once this time (`performance.now()`) has
   * passed; sends before that fail at once, so a sender looping on a
   * refused client does not open a socket (and make a handshake) per frame.
   */
  #refusedUntil: number | undefined;
  /** A refusal was logged; cleared by the next reply. */
  #refusalLogged = false;
  /** Aborted when a reply is late; replaced after each timeout. */
  #replyTimeout = new AbortController();
  #replyTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed reply timer fires (`performance.now()`). */
  #replyTimerAt = 0;
  #replyTimeoutMs = 0;
  /** When the pending reply wait began (`performance.now()`); undefined when none. */
  #waitingSince: number | undefined;
  /**
   * Connecting to the client (multi-server mode): a refused handshake can be
   * told apart (see #refusedNow). A bound REQ is unwritable until a client
   * connects, which would look the same.
   */
  readonly #watchesRefusal: boolean;
  #log: ActorContext<ServerTransportCommand>["log"] | undefined;
  /** The send in flight was cancelled by its owner (see `SendCancels`). */
  #cancelled = false;
  /**
   * The last request was answered (or none was sent): the client takes
   * messages, so closing lingers to let a last one leave. Otherwise it
   * would hold the process's exit for nothing.
   */
  #answered = true;
  /** `wire: "vidgear"`: vidgear's messages and answers instead of envelopes. */
  readonly #vidgear: VidgearServerWire | undefined;
  /** Decodes JPEG arrays a vidgear client returns; made on first use. */
  #jpeg: JpegCodec | undefined;

  /**
   * The props to spawn it with. Its frame numbering lives there, so that a
   * restarted transport carries on numbering where the last one stopped.
   *
   * @param options Where and how to open the socket.
   * @returns What `spawn` takes.
   */
  static props(options: ReqServerTransportOptions): Props<ServerTransportCommand> {
    const outbox = new Outbox(options.port, options);
    return { create: () => new ReqServerTransport(options, outbox) };
  }

  private constructor(options: ReqServerTransportOptions, outbox: Outbox) {
    this.#options = options;
    this.#serving = {
      cancels: options.cancels,
      onCancel: () => this.#cancel(),
      outbox,
      stopping: () => this.#socket.stopping,
    };
    this.#codec = new ProtocolCodec({ maxMessageBytes: options.maxMessageSize });
    this.#watchesRefusal = options.role === "connect";
    this.#vidgear = options.wire === "vidgear"
      ? new VidgearServerWire({
        port: options.port,
        pattern: 1,
        maxMessageSize: options.maxMessageSize,
        jpegFlags: options.jpegFlags,
        copyFrames: false,
      }, () => this.#jpeg ??= new JpegCodec())
      : undefined;
    this.#socket = new ServerSocket(options, {
      kind: "req",
      options: {
        sendHighWaterMark: 1000,
        // Relaxed (may send before the reply came, which this class never
        // does), so that it reports itself writable while it has a
        // connection or is making one, even with a request unanswered:
        // only a refused handshake, after which libzmq drops the
        // connection for good, leaves it unwritable (see #refusedNow).
        ...(this.#watchesRefusal ? { requestRelaxed: true } : {}),
        // vidgear's REQ: a reply carries its request's id, so a late one is
        // never taken for the next request's (vidgear's answers carry no number).
        ...(this.#vidgear ? { requestCorrelate: true } : {}),
      },
      configure: () => {
        this.#refusedUntil = undefined;
        this.#confirmed = false;
      },
    }, false);
  }

  /** Opens the socket. */
  async started(context: ActorContext<ServerTransportCommand>): Promise<void> {
    this.#log = context.log;
    try {
      await this.#socket.start();
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
    await this.#socket.close({ dropQueued: !this.#answered });
    this.#jpeg?.close();
    this.#jpeg = undefined;
  }

  /** Sends one frame, heartbeat or goodbye and tells the outcome. */
  receive(
    message: ServerTransportCommand,
    context: ActorContext<ServerTransportCommand>,
  ): Promise<void> {
    this.#cancelled = false;
    return serveSend(message, this.#serving, (envelope, once) => {
      const { requestTimeout } = this.#options;
      const timeoutMs = envelope.kind === "terminate"
        ? Math.min(requestTimeout, GOODBYE_WAIT_MS)
        : requestTimeout;
      return this.#send(envelope, once, timeoutMs, context);
    });
  }

  /** Cuts the send in flight short: its owner no longer waits for it. */
  #cancel(): void {
    this.#cancelled = true;
    this.#replyTimeout.abort();
  }

  async #send(
    envelope: Envelope,
    once: boolean,
    timeoutMs: number,
    context: ActorContext<ServerTransportCommand>,
  ): Promise<SendOutcome> {
    let parts: Uint8Array[];
    try {
      if (this.#vidgear) {
        const vidgear = this.#vidgear.encode(envelope);
        // vidgear has no heartbeats: its clients judge liveness by frames.
        if (vidgear === undefined) return SENT;
        parts = vidgear;
      } else {
        // No copy of the frame: see the module notes.
        parts = this.#codec.encodeParts({ ...envelope, version: 2 });
      }
    } catch (error) {
      return invalid(error);
    }
    return await this.#request(parts, envelope, context, once, timeoutMs);
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
    const now = performance.now();
    this.#waitingSince = now;
    this.#replyTimeoutMs = timeoutMs;
    // A shorter wait than the armed timer's (the goodbye's) needs it sooner.
    if (this.#replyTimer !== undefined && this.#replyTimerAt > now + timeoutMs) {
      clearTimeout(this.#replyTimer);
      this.#replyTimer = undefined;
    }
    if (this.#replyTimer === undefined) this.#armReplyTimer(timeoutMs);
    return this.#replyTimeout.signal;
  }

  #armReplyTimer(delayMs: number): void {
    this.#replyTimerAt = performance.now() + Math.max(0, delayMs);
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
   * A send or receive on a socket that has had no reply yet, cut into
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
    requestTimeout: number,
  ): Promise<SendOutcome> {
    const { port } = this.#options;
    const maxRetries = once ? 0 : this.#options.maxRetries;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (this.#cancelled) return await this.#abandon();
      if (this.#socket.tunnelSignal !== undefined) {
        // A lost SSH tunnel is a lost link: a frame's send tries a new one
        // (and a fresh socket through it); a heartbeat or goodbye does not.
        const down = once ? this.#socket.tunnelFailure() : await this.#socket.restoreTunnel();
        if (down !== undefined) return down;
      }
      const previous = this.#socket.current;
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
        socket = await this.#socket.reopen();
      }
      if (!socket) return closed();
      // Refused while idle, before its first reply: this socket cannot send.
      if (!this.#confirmed && this.#refusedNow(socket)) return this.#refused();
      const deadline = this.#replyDeadline(requestTimeout);
      // A cancel that came while the socket was being made.
      if (this.#cancelled) this.#replyTimeout.abort();
      this.#answered = false;
      // Through an SSH tunnel, its ssh exiting ends the wait at once.
      const tunnel = this.#socket.tunnelSignal;
      const signal = tunnel === undefined ? deadline : AbortSignal.any([deadline, tunnel]);
      let replyParts: Uint8Array[] | typeof REFUSED;
      try {
        // The send is bounded too: a REQ socket with no connection (its
        // handshake refused, say) never takes a message.
        if (this.#confirmed || !this.#watchesRefusal) {
          await socket.send(parts, { signal });
          replyParts = await socket.receive({ signal });
        } else {
          const sending = socket;
          const sent = await this.#watching(
            sending,
            signal,
            (cut) => sending.send(parts, { signal: cut }),
          );
          replyParts = sent === REFUSED
            ? REFUSED
            : await this.#watching(sending, signal, (cut) => sending.receive({ signal: cut }));
        }
      } catch (error) {
        if (!signal.aborted) throw error;
        this.#waitingSince = undefined;
        if (this.#cancelled) return await this.#abandon();
        if (tunnel?.aborted) return this.#socket.tunnelFailure() ?? closed();
        // Refused: no point retrying with the same keys. A later send
        // tries a fresh socket, in case the client was told this key since.
        if (this.#refusedNow(socket)) return this.#refused();
        continue;
      } finally {
        this.#waitingSince = undefined;
      }
      if (replyParts === REFUSED) return this.#refused();
      this.#confirmed = true;
      this.#answered = true;
      this.#refusalLogged = false;
      if (this.#vidgear) {
        const outcome = this.#vidgear.outcome(replyParts, envelope);
        if (outcome.type !== "SendFailed") this.#socket.count(envelope.kind);
        return outcome;
      }
      try {
        const reply = this.#codec.decodeParts(replyParts);
        if (reply.kind !== "reply") {
          return failed("bad-reply", `expected a reply, got kind "${reply.kind}"`);
        }
        if (reply.error) return failed(reply.error.code, reply.error.message);
        if (reply.seq !== envelope.seq) {
          return failed("bad-reply", `reply answers frame ${reply.seq}, not ${envelope.seq}`);
        }
        this.#socket.count(envelope.kind);
        return { type: "Replied", returnData: reply.message };
      } catch (error) {
        if (error instanceof ProtocolError) return failed(error.code, error.message);
        throw error;
      }
    }
    // The REQ socket still waits for a reply that will not come: start
    // afresh so that the next send can go out.
    await this.#socket.reopen();
    this.#answered = true;
    return failed(
      "no-reply",
      `Cannot send to the client on port ${port}: no reply after ${
        maxRetries + 1
      } attempts of ${requestTimeout} ms; is the client running and listening on this port?${
        secureHint(this.#options.secureMode ?? 0)
      }`,
    );
  }

  /**
   * Gives up a cancelled send: its request may be out, and a REQ socket
   * waiting for a reply cannot send again, so a fresh socket takes over.
   */
  async #abandon(): Promise<SendOutcome> {
    this.#cancelled = false;
    this.#waitingSince = undefined;
    if (!this.#answered) await this.#socket.reopen();
    this.#answered = true;
    return cancelledOutcome();
  }

  /**
   * The socket to send on: a fresh one in place of a refused one once its
   * retry delay is over.
   *
   * @returns The socket, or the outcome that ends the send (refused, closed).
   */
  async #usableSocket(): Promise<ZmqSocket | SendOutcome> {
    const socket = this.#socket.current;
    if (!socket) return closed();
    if (this.#refusedUntil === undefined) return socket;
    if (performance.now() < this.#refusedUntil) return this.#refused();
    return (await this.#socket.reopen()) ?? closed();
  }

  /**
   * Whether the socket's handshake was refused. A relaxed REQ socket stays
   * writable while it is connected or (re)connecting, its message queued;
   * libzmq drops that connection for good only when the peer refuses the
   * handshake (measured: an ironhouse client refusing the key, a plain
   * client meeting this CURVE server; a plain server meeting a CURVE client
   * keeps its queue, and is found out by its timeouts only). Call only while
   * no send or receive of the socket is pending: the look takes ZeroMQ's
   * edge-triggered signal.
   */
  #refusedNow(socket: ZmqSocket): boolean {
    if (this.#refusedUntil !== undefined) return true;
    if (!this.#watchesRefusal || socket !== this.#socket.current || socket.closed) return false;
    let writable: boolean;
    try {
      writable = socket.writable;
    } catch {
      return false;
    }
    if (writable) return false;
    const { requestTimeout, port } = this.#options;
    this.#refusedUntil = performance.now() + requestTimeout;
    this.#socket.stats.refused++;
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
      SECURE_MODE_NAMES[secureMode]
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
}
