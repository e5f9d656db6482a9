/**
 * The PUB/SUB server's transport actor: an XPUB socket that connects to the
 * client (multi-server mode) or binds (plain mode). Also the PAIR server's
 * (pattern 0, plain mode): NetGear's PAIR is the same one-way stream, sent
 * on a socket that has no subscribers to wait for.
 *
 * XPUB, so that the server knows when the client's subscription has
 * arrived: PUB drops whatever it sends before then (ZeroMQ's slow joiner).
 * While no client is subscribed, a frame waits at most `subscriberTimeout`,
 * then is refused or dropped (`whenNoSubscriber`), and counted; later frames
 * do not wait until a client subscribes again. A connecting socket whose
 * client stays away is replaced now and then: its handshake may have been
 * refused, after which libzmq never reconnects it.
 *
 * In multi-server mode the client is the only subscriber, and the socket
 * connects with ZMQ_IMMEDIATE and ZMQ_XPUB_NODROP: a client that
 * disconnects takes its queue with it (XPUB then reports it unsubscribed),
 * so a client started later gets the newest frame first, not a stale
 * backlog; and a full queue refuses a frame instead of dropping it, so the
 * server slows to what the client takes, waiting at most `requestTimeout`
 * for room before it gives the frame up.
 *
 * PUB and PAIR speak protocol version 1: their sends resolve once queued,
 * so frames are copied into the message.
 *
 * @module
 */

import type { Actor, Props } from "../actors/actor.ts";
import { TransportClosedError, TransportOperationError } from "./errors.ts";
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
import { type Envelope, ProtocolCodec } from "./protocol/protocol.ts";
import type { SendOutcome, ServerTransportCommand } from "./transport.ts";
import type { ZmqServerTransportOptions } from "./zmq_transport_options.ts";
import type { ZmqSocket } from "./zmq/zmq_socket.ts";

/** How a PUB (or PAIR) server transport opens its socket and waits for its client. */
export interface PubServerTransportOptions extends ZmqServerTransportOptions {
  /**
   * 2 = an XPUB socket (PUB/SUB); 0 = a PAIR socket (plain mode only).
   *
   * @default {2}
   */
  readonly pattern?: 0 | 2;
  /**
   * REQ's retry count, for the default `subscriberTimeout` only.
   *
   * @default {3}
   */
  readonly maxRetries?: number;
  /**
   * The longest a frame waits for a subscribed client, in ms; once one
   * frame has waited in vain, later ones do not wait until a client
   * subscribes again.
   *
   * @default {requestTimeout * (maxRetries + 1)}
   */
  readonly subscriberTimeout?: number;
  /**
   * A frame no client takes fails the send (`"reject"`) or is dropped while
   * the send succeeds (`"drop"`); counted either way.
   *
   * @default {"reject"}
   */
  readonly whenNoSubscriber?: "reject" | "drop";
}

/** Multi-server mode: the longest wait for ZeroMQ's signal before retrying a frame the full queue refused. */
const QUEUE_ROOM_WAIT_MS = 5;
/** Multi-server mode: the send high-water mark (messages ZeroMQ may queue). */
const FLOW_CONTROLLED_HWM = 4;
/**
 * Multi-server mode: frame messages are encoded into a ring of this many
 * buffers instead of a fresh 900 KB allocation each (its page faults and
 * garbage collection were the publisher's largest cost). zeromq.js sends
 * them zero-copy, so a buffer is rewritten only once ZeroMQ is done with
 * it: with ZMQ_XPUB_NODROP and one subscriber, at most the high-water mark
 * of queued messages plus the one the I/O thread is writing are held, and a
 * slot comes round again only after `FLOW_CONTROLLED_HWM + 2` later frames
 * were queued. One more slot is margin.
 */
const PUB_RING_SLOTS = FLOW_CONTROLLED_HWM + 3;
/** The shortest time between fresh sockets while no client is subscribed, in ms. */
const MIN_PUB_REOPEN_MS = 1000;

/** What publishing one message came to. */
type Published = "queued" | "dropped" | SendOutcome;

/**
 * Publishes each frame, heartbeat and goodbye to the client.
 *
 * It never fails on what it is given: an envelope that cannot be encoded
 * is answered with a `SendFailed` outcome (code `"invalid"`), and any other
 * failure is answered before the actor restarts, so a sender never waits
 * for its ask to time out.
 *
 * @example
 * ```ts ignore
 * // Spawned by the server actor, which asks it to send.
 * context.spawn("transport", PubServerTransport.props(options));
 * ```
 */
export class PubServerTransport implements Actor<ServerTransportCommand> {
  readonly #options: PubServerTransportOptions;
  readonly #serving: SendServing;
  readonly #codec: ProtocolCodec;
  readonly #socket: ServerSocket;
  /** XPUB: whether subscriptions are to be waited for (not PAIR). */
  readonly #publishes: boolean;
  /** XPUB with one subscriber (multi-server mode): a full queue refuses instead of dropping. */
  readonly #flowControlled: boolean;
  /** When a client-less socket may next be replaced (`performance.now()`). */
  #nextReopen = 0;
  /** Flow-controlled: buffers frame messages are encoded into, in turn. */
  readonly #ring: (Uint8Array | undefined)[] = [];
  #ringNext = 0;
  #subscribed = false;
  /** A frame waited out subscriberTimeout in vain; later ones do not wait until a client subscribes. */
  #absent = false;
  /** Aborts the pending wait for a subscriber (when stopping). */
  #subscriberWait: AbortController | undefined;
  /** The last frame waited out requestTimeout and was dropped. */
  #congested = false;
  /** The send in flight was cancelled by its owner (see `SendCancels`). */
  #cancelled = false;
  /**
   * The last message was queued: the client takes messages, so closing
   * lingers to let a last one leave. Otherwise it would hold the process's
   * exit for nothing (zeromq's "Waiting for queued ZeroMQ messages").
   */
  #taking = true;
  /** `wire: "vidgear"`: vidgear's messages instead of envelopes. */
  readonly #vidgear: VidgearServerWire | undefined;

  /**
   * The props to spawn it with. Its frame numbering lives there, so that a
   * restarted transport carries on numbering where the last one stopped.
   *
   * @param options Where and how to open the socket.
   * @returns What `spawn` takes.
   */
  static props(options: PubServerTransportOptions): Props<ServerTransportCommand> {
    const outbox = new Outbox(options.port, options);
    return { create: () => new PubServerTransport(options, outbox) };
  }

  private constructor(options: PubServerTransportOptions, outbox: Outbox) {
    this.#options = options;
    this.#serving = {
      cancels: options.cancels,
      onCancel: () => this.#cancel(),
      outbox,
      stopping: () => this.#socket.stopping,
    };
    this.#codec = new ProtocolCodec({ maxMessageBytes: options.maxMessageSize });
    this.#publishes = options.pattern !== 0;
    this.#flowControlled = this.#publishes && options.role === "connect";
    this.#vidgear = options.wire === "vidgear"
      ? new VidgearServerWire({
        port: options.port,
        pattern: 2,
        maxMessageSize: options.maxMessageSize,
        jpegFlags: options.jpegFlags,
        copyFrames: true,
      })
      : undefined;
    const flowControlled = this.#flowControlled;
    this.#socket = new ServerSocket(options, {
      kind: this.#publishes ? "xpub" : "pair",
      options: {
        // PUB: bursts up to 16 frames (about 15 MB at 640x480) wait here;
        // past that ZeroMQ drops, and the client counts the gap in frame
        // numbers.
        sendHighWaterMark: this.#publishes ? (flowControlled ? FLOW_CONTROLLED_HWM : 16) : 1000,
        // PUB to one client: no queue for a client that is not connected,
        // so frames sent while it was away are not delivered, stale, to the
        // next one, and its disconnection reaches us as an unsubscription.
        // A full queue refuses a frame instead of dropping it (see #publish).
        ...(flowControlled ? { immediate: true, noDrop: true } : {}),
      },
      configure: () => {
        this.#subscribed = false;
        if (this.#publishes) this.#socket.stats.subscribed = false;
      },
    }, this.#publishes);
  }

  /** Opens the socket. */
  async started(): Promise<void> {
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
    this.#subscriberWait?.abort();
    const taking = !this.#publishes || (this.#subscribed && this.#taking);
    await this.#socket.close({ dropQueued: !taking });
  }

  /** Sends one frame, heartbeat or goodbye and tells the outcome. */
  receive(message: ServerTransportCommand): Promise<void> {
    this.#cancelled = false;
    // Heartbeats and the goodbye get one try and no wait: see SendHeartbeat.
    return serveSend(message, this.#serving, (envelope, once) => this.#send(envelope, once));
  }

  /** Cuts the send in flight short: its owner no longer waits for it. */
  #cancel(): void {
    this.#cancelled = true;
    this.#subscriberWait?.abort();
  }

  async #send(envelope: Envelope, once: boolean): Promise<SendOutcome> {
    // vidgear has no heartbeats: its clients judge liveness by frames.
    if (this.#vidgear && envelope.kind === "heartbeat") return SENT;
    if (this.#socket.tunnelSignal !== undefined) {
      // A lost SSH tunnel is a lost link: a frame's send tries a new one
      // (and a fresh socket through it); a heartbeat or goodbye does not.
      const down = once ? this.#socket.tunnelFailure() : await this.#socket.restoreTunnel();
      if (down !== undefined) return down;
    }
    if (this.#publishes) {
      // The usual case, without a wait: subscribed, and nothing new from XPUB.
      const event = this.#socket.current?.receiveReady();
      if (event !== undefined || !this.#subscribed) {
        if (event !== undefined) this.#onSubscriptionEvent((await event)[0]);
        const waited = await this.#awaitSubscriber(envelope, once);
        if (typeof waited !== "boolean") return waited;
        // A frame that waited for its client leaves now: say so, or it would
        // look as old as the wait to a client measuring latency.
        if (waited) envelope = { ...envelope, sentAt: performance.timeOrigin + performance.now() };
      }
    }
    const ring = envelope.frame !== undefined && this.#flowControlled && !this.#vidgear;
    let bytes: Uint8Array | Uint8Array[];
    try {
      bytes = this.#vidgear
        ? this.#vidgear.encode(envelope)!
        : this.#codec.encode(envelope, { into: ring ? this.#ring[this.#ringNext] : undefined });
    } catch (error) {
      return invalid(error);
    }
    // The goodbye waits for room briefly: a closing server whose client is
    // stuck would wait for nothing.
    const roomWaitMs = envelope.kind === "terminate"
      ? Math.min(this.#options.requestTimeout, GOODBYE_WAIT_MS)
      : this.#options.requestTimeout;
    const published = await this.#publish(bytes, once, envelope.kind === "frame", roomWaitMs);
    this.#taking = published === "queued";
    if (published === "queued") {
      if (ring && !Array.isArray(bytes)) {
        // Only a frame ZeroMQ took holds its slot; a refused one is free.
        this.#ring[this.#ringNext] = new Uint8Array(bytes.buffer);
        this.#ringNext = (this.#ringNext + 1) % PUB_RING_SLOTS;
      }
      this.#socket.count(envelope.kind);
      return SENT;
    }
    return published === "dropped" ? SENT : published;
  }

  /**
   * Makes sure a client is subscribed before a message is encoded.
   *
   * @returns Whether the message had to wait for one (`true`) or not
   * (`false`); otherwise the outcome that ends the send.
   */
  async #awaitSubscriber(envelope: Envelope, once: boolean): Promise<boolean | SendOutcome> {
    let socket = this.#socket.current;
    if (!socket) return closed();
    await this.#takeSubscriptionEvents(socket);
    if (
      this.#flowControlled && !this.#subscribed && !once && this.#absent &&
      performance.now() >= this.#nextReopen
    ) {
      // A connecting socket whose handshake was refused never connects
      // again, and nothing tells a refusal from an absent client here: a
      // fresh socket now and then recovers from both. (A bound one keeps
      // listening.)
      socket = await this.#socket.reopen();
      if (!socket) return closed();
      this.#nextReopen = performance.now() + this.#reopenEveryMs();
    }
    if (this.#subscribed) return false;
    // Heartbeats and the goodbye do not wait: nobody would hear them.
    if (once) return failed("no-subscriber", "no client is subscribed");
    const subscriberTimeout = this.#subscriberTimeout();
    if (!this.#absent && subscriberTimeout > 0) {
      // PUB drops whatever it sends before a subscriber is there: wait for
      // the client rather than stream into the void.
      if (await this.#waitForSubscriber(socket, subscriberTimeout)) return true;
      if (!this.#socket.current) return closed();
      if (this.#cancelled) return cancelledOutcome();
      const down = this.#socket.tunnelFailure();
      if (down !== undefined) return down;
    }
    // Later frames do not wait until a client subscribes again, so send()
    // stays quick while the client is away.
    if (!this.#absent) this.#nextReopen = performance.now() + this.#reopenEveryMs();
    this.#absent = true;
    if (envelope.kind === "frame") this.#socket.stats.dropped.noSubscriber++;
    if (this.#options.whenNoSubscriber === "drop") return SENT;
    const { port, secureMode = 0 } = this.#options;
    return failed(
      "no-subscriber",
      `Cannot send to the client on port ${port}: no client subscribed within ${subscriberTimeout} ms (option "subscriberTimeout"); is the client running and listening on this port? (With whenNoSubscriber "drop", frames are dropped instead.)${
        secureHint(secureMode)
      }`,
    );
  }

  #reopenEveryMs(): number {
    return Math.max(MIN_PUB_REOPEN_MS, this.#subscriberTimeout());
  }

  #subscriberTimeout(): number {
    const { subscriberTimeout, requestTimeout, maxRetries = 3 } = this.#options;
    return subscriberTimeout ?? requestTimeout * (maxRetries + 1);
  }

  async #publish(
    bytes: Uint8Array | Uint8Array[],
    once: boolean,
    isFrame: boolean,
    roomWaitMs: number,
  ): Promise<Published> {
    const socket = this.#socket.current;
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
    const giveUpAt = wasCongested ? 0 : performance.now() + roomWaitMs;
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
      if (this.#socket.current !== socket) return closed();
      if (this.#cancelled) return cancelledOutcome();
      const down = this.#socket.tunnelFailure();
      if (down !== undefined) return down;
      // The client left while we waited: its queue went with it.
      await this.#takeSubscriptionEvents(socket);
      if (!this.#subscribed) break;
    }
    if (once) return failed("queue-full", "the client's queue is full");
    this.#congested = this.#subscribed;
    const { port, requestTimeout } = this.#options;
    const dropped = this.#socket.stats.dropped;
    if (!this.#subscribed) {
      dropped.noSubscriber += isFrame ? 1 : 0;
      if (this.#options.whenNoSubscriber === "drop") return "dropped";
      return failed(
        "no-subscriber",
        `Cannot send to the client on port ${port}: the client unsubscribed (or disconnected) while the frame waited for room in its queue`,
      );
    }
    if (isFrame) {
      if (wasCongested) dropped.queueFull++;
      else dropped.expired++;
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
    // Through an SSH tunnel, its ssh exiting ends the wait at once.
    const tunnel = this.#socket.tunnelSignal;
    const onTunnelLost = () => wait.abort();
    if (tunnel?.aborted) wait.abort();
    tunnel?.addEventListener("abort", onTunnelLost, { once: true });
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
      tunnel?.removeEventListener("abort", onTunnelLost);
      if (this.#subscriberWait === wait) this.#subscriberWait = undefined;
    }
  }

  #onSubscriptionEvent(event: Uint8Array | undefined): void {
    if (event === undefined || event.byteLength === 0) return;
    const subscribed = event[0] === 1;
    if (subscribed === this.#subscribed) return;
    this.#subscribed = subscribed;
    this.#socket.stats.subscribed = subscribed;
    // A new client starts with an empty queue and a fresh chance.
    this.#absent = false;
    this.#congested = false;
  }
}
