/**
 * What the REQ and PUB (and PAIR) server transports share: the socket they
 * send on (opened with the secure mode's keys, replaced when it is stuck),
 * and how a command is answered whatever happens.
 *
 * @module
 */

import type { ActorRef } from "../actors/actor_ref.ts";
import { TransportClosedError } from "./errors.ts";
import type { Envelope } from "./protocol/protocol.ts";
import {
  CLIENT_KEY_NAME,
  loadKeyPair,
  loadPublicKey,
  SERVER_KEY_NAME,
} from "./security/curve_keys.ts";
import type { SecureMode } from "./security/secure_mode.ts";
import {
  newServerTransportStats,
  type SendFailed,
  type SendOutcome,
  type ServerTransportStats,
} from "./transport.ts";
import type { ZmqServerTransportOptions } from "./zmq_transport_options.ts";
import { type SocketKind, ZmqSocket, type ZmqSocketOptions } from "./zmq/zmq_socket.ts";

/** What the pattern decides about its socket. */
export interface SocketSetup {
  /** The socket kind: `"req"`, `"xpub"` or `"pair"`. */
  readonly kind: SocketKind;
  /** Options beyond the message size, linger and keys. */
  readonly options: ZmqSocketOptions;
  /** Called with each new socket before it binds or connects. */
  readonly configure?: () => void;
}

/** A server transport's one socket, replaced when it is stuck. */
export class ServerSocket {
  /** The figures, kept across the transport's restarts. */
  readonly stats: ServerTransportStats;
  readonly #options: ZmqServerTransportOptions;
  readonly #setup: SocketSetup;
  #socket: ZmqSocket | undefined;
  #curve: ZmqSocketOptions = {};
  #stopping = false;

  constructor(options: ZmqServerTransportOptions, setup: SocketSetup, publishes: boolean) {
    this.#options = options;
    this.#setup = setup;
    this.stats = options.stats ?? newServerTransportStats(publishes);
  }

  /** The socket to send on; `undefined` once closed (or while being replaced). */
  get current(): ZmqSocket | undefined {
    return this.#socket;
  }

  /** Whether the transport is stopping. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Loads the keys (once: every reconnect reuses them) and opens the socket. */
  async start(): Promise<ZmqSocket> {
    this.#curve = await this.#loadCurve();
    return await this.#open();
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
  async reopen(): Promise<ZmqSocket | undefined> {
    const old = this.#socket;
    this.#socket = undefined;
    if (old) {
      old.linger = 0;
      await old.close();
    }
    if (this.#stopping) return undefined;
    const socket = await this.#open();
    this.stats.reconnects++;
    return socket;
  }

  /**
   * Closes the socket for good.
   *
   * @param options `dropQueued`: the client is not taking messages (it did
   * not answer, is not subscribed, or its queue is full), so what is queued
   * is dropped rather than lingered over: it would not leave, and a
   * lingering socket holds the process's exit (zeromq then warns "Waiting
   * for queued ZeroMQ messages to be delivered"). Otherwise the socket
   * lingers, so that a last goodbye still leaves.
   */
  async close(options: { dropQueued?: boolean } = {}): Promise<void> {
    this.#stopping = true;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined && options.dropQueued && !socket.closed) socket.linger = 0;
    await socket?.close();
  }

  /** Counts a message ZeroMQ took or the client answered. */
  count(kind: Envelope["kind"]): void {
    if (kind === "frame") this.stats.sent++;
    else if (kind === "heartbeat") this.stats.heartbeats++;
  }

  async #open(): Promise<ZmqSocket> {
    const { address, port, role, maxMessageSize } = this.#options;
    const socket = new ZmqSocket(this.#setup.kind, {
      maxMessageSize,
      // The goodbye (terminate) is often the last message: let it leave.
      linger: 1000,
      ...this.#setup.options,
      ...this.#curve,
    });
    this.#setup.configure?.();
    this.#socket = socket;
    const endpoint = `tcp://${address}:${port}`;
    try {
      if (role === "bind") await socket.bind(endpoint);
      else socket.connect(endpoint);
    } catch (error) {
      if (this.#socket === socket) this.#socket = undefined;
      await socket.close();
      throw error;
    }
    return socket;
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
}

/**
 * Runs one send and tells its outcome to `replyTo`, whatever happens: a
 * failure other than closing is answered before it is rethrown (and the
 * actor restarts), so a sender never waits out its ask.
 */
export async function answer(
  replyTo: ActorRef<SendOutcome>,
  send: () => Promise<SendOutcome>,
  stopping: () => boolean,
): Promise<void> {
  let outcome: SendOutcome;
  try {
    outcome = await send();
  } catch (error) {
    if (stopping() || error instanceof TransportClosedError) {
      replyTo.tell(closed());
      return;
    }
    replyTo.tell(
      failed("transport-error", `Cannot send: the transport failed (${errorText(error)})`),
    );
    throw error;
  }
  replyTo.tell(outcome);
}

/** A refused CURVE handshake looks like an absent client: say what to check. */
export function secureHint(secureMode: SecureMode): string {
  return secureMode === 0
    ? " If the client uses secureMode 1 or 2, this server needs the same secureMode and keys."
    : ` In secure mode, also check that the client uses secureMode ${secureMode}, that this server holds the client's public key and, in ironhouse, that the client holds this server's.`;
}

/**
 * The longest a goodbye waits, in ms: for the client's reply (REQ) or for
 * room in its queue (PUB). A client takes a goodbye at once, so a longer
 * wait only holds up a closing server whose client is away or stuck (its
 * socket then drops the goodbye at close, see `ServerSocket.close`).
 */
export const GOODBYE_WAIT_MS = 1000;

/** The outcome of a send that went. */
export const SENT: SendOutcome = Object.freeze({ type: "Sent" });

/** A failed send's outcome. */
export function failed(code: string, reason: string): SendFailed {
  return { type: "SendFailed", code, reason };
}

/** The outcome of a send its owner cancelled (see `SendCancels`). */
export function cancelledOutcome(): SendFailed {
  return failed("cancelled", "Cannot send: the send was cancelled (its caller stopped waiting)");
}

/** The outcome of a send after the transport closed. */
export function closed(): SendFailed {
  return failed("closed", "the transport is closed");
}

/** An envelope that cannot be encoded: the sender's fault, never the transport's. */
export function invalid(error: unknown): SendFailed {
  const text = errorText(error);
  return failed("invalid", text.startsWith("Cannot") ? text : `Cannot encode the message: ${text}`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
