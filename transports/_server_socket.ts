/**
 * What the REQ and PUB (and PAIR) server transports share: the socket they
 * send on (opened with the secure mode's keys, replaced when it is stuck;
 * through an SSH tunnel when asked), and how a command is answered whatever
 * happens.
 *
 * @module
 */

import type { ActorRef } from "../actors/actor_ref.ts";
import { describeError } from "../actors/describe.ts";
import { removeIpcFile, zmqEndpoint } from "./endpoint.ts";
import { TransportClosedError } from "./errors.ts";
import type { Envelope } from "./protocol/protocol.ts";
import {
  CLIENT_KEY_NAME,
  loadKeyPair,
  loadPublicKey,
  SERVER_KEY_NAME,
} from "./security/curve_keys.ts";
import type { SecureMode } from "./security/secure_mode.ts";
import { SshTunnel, type SshTunnelError } from "./ssh_tunnel.ts";
import {
  newServerTransportStats,
  type SendFailed,
  type SendOutcome,
  type ServerTransportCommand,
  type ServerTransportStats,
} from "./transport.ts";
import type { SendCancels } from "./send_cancels.ts";
import type { Outbox } from "./_outbox.ts";
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
  /** The endpoint bound (plain mode), whose ipc file goes when the socket does. */
  #bound: string | undefined;
  readonly #tunnel = new TunnelKeeper();

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

  /**
   * Loads the keys (once: every reconnect reuses them), opens the SSH
   * tunnel if there is one, and opens the socket.
   *
   * @throws {SshTunnelError} When the tunnel cannot open (refused key,
   * unknown host key, unreachable server…).
   */
  async start(): Promise<ZmqSocket> {
    this.#curve = await this.#loadCurve();
    if (this.#options.sshTunnel) await this.#tunnel.open(this.#options);
    return await this.#open();
  }

  /**
   * Aborted when the SSH tunnel's ssh exits by itself, so that a wait for
   * the client ends at once; `undefined` without a tunnel.
   */
  get tunnelSignal(): AbortSignal | undefined {
    return this.#tunnel.signal;
  }

  /**
   * With an SSH tunnel whose ssh exited: why, as the outcome that fails a
   * send; `undefined` while the link is up or without a tunnel.
   */
  tunnelFailure(): SendFailed | undefined {
    const down = this.#tunnel.down;
    if (down === undefined) return undefined;
    return failed("ssh-tunnel", this.#tunnel.downText(this.#options, down));
  }

  /**
   * When the SSH tunnel is down, opens a new one (at most once every
   * `requestTimeout`, bounded by it) and a fresh socket through it.
   *
   * @returns `undefined` once the link is up (again), or the outcome that
   * fails the send: a lost tunnel is a lost link.
   */
  async restoreTunnel(): Promise<SendFailed | undefined> {
    const down = this.#tunnel.down;
    if (down === undefined || this.#stopping) return undefined;
    const reopened = await this.#tunnel.reopen(this.#options);
    if (reopened !== true) {
      return failed(
        "ssh-tunnel",
        `${this.#tunnel.downText(this.#options, down)}${
          reopened === undefined ? "" : `; reopening it failed: ${reopened}`
        }`,
      );
    }
    await this.reopen();
    return undefined;
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
      await this.#unlinkBound();
    }
    if (this.#stopping) return undefined;
    const socket = await this.#open();
    this.stats.reconnects++;
    return socket;
  }

  /**
   * Closes the socket for good, then the SSH tunnel.
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
    await this.#unlinkBound();
    await this.#tunnel.close();
  }

  /** Counts a message ZeroMQ took or the client answered. */
  count(kind: Envelope["kind"]): void {
    if (kind === "frame") this.stats.sent++;
    else if (kind === "heartbeat") this.stats.heartbeats++;
  }

  async #open(): Promise<ZmqSocket> {
    const { address, port, role, maxMessageSize, protocol = "tcp" } = this.#options;
    const socket = new ZmqSocket(this.#setup.kind, {
      maxMessageSize,
      // The goodbye (terminate) is often the last message: let it leave.
      linger: 1000,
      ...this.#setup.options,
      ...this.#curve,
    });
    this.#setup.configure?.();
    this.#socket = socket;
    // Through the SSH tunnel's local end when there is one.
    const endpoint = this.#tunnel.endpoint ?? zmqEndpoint(protocol, address, port);
    try {
      if (role === "bind") {
        await socket.bind(endpoint);
        this.#bound = endpoint;
      } else {
        socket.connect(endpoint);
      }
    } catch (error) {
      if (this.#socket === socket) this.#socket = undefined;
      await socket.close();
      throw error;
    }
    return socket;
  }

  /** Removes the socket file a bound ipc socket leaves behind. */
  async #unlinkBound(): Promise<void> {
    const bound = this.#bound;
    this.#bound = undefined;
    if (bound !== undefined) await removeIpcFile(bound);
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

/** How long a tunnel is kept after its socket closed, for the last message (the goodbye) to leave. */
const TUNNEL_DRAIN_MS = 250;

/**
 * Every tunnel's ssh still running: stopped when the process exits without
 * closing its servers (an uncaught error), so no ssh outlives it.
 */
const LIVE_TUNNELS = new Set<SshTunnel>();
let unloadHooked = false;

function track(tunnel: SshTunnel): void {
  LIVE_TUNNELS.add(tunnel);
  void tunnel.exited.then(() => LIVE_TUNNELS.delete(tunnel));
  if (unloadHooked) return;
  unloadHooked = true;
  globalThis.addEventListener("unload", () => {
    for (const live of LIVE_TUNNELS) {
      try {
        Deno.kill(live.pid, "SIGTERM");
      } catch {
        // Exited meanwhile.
      }
    }
  });
}

/**
 * A server's SSH tunnel, when it has one: opened before the socket,
 * watched (ssh exiting by itself is a lost link), reopened on demand at a
 * bounded rate, closed after the socket.
 */
class TunnelKeeper {
  #tunnel: SshTunnel | undefined;
  #lost: AbortController | undefined;
  #down: SshTunnelError | undefined;
  /** When a new tunnel may next be tried (`performance.now()`). */
  #nextAttempt = 0;
  #closed = false;

  /** The tunnel's local endpoint; `undefined` without one. */
  get endpoint(): string | undefined {
    return this.#tunnel?.endpoint;
  }

  get signal(): AbortSignal | undefined {
    return this.#lost?.signal;
  }

  /** Why the tunnel is down; `undefined` while it is up, or without one. */
  get down(): SshTunnelError | undefined {
    return this.#down;
  }

  /** Opens the tunnel, bounded by ssh's own default (15 s) at first. */
  async open(options: ZmqServerTransportOptions, timeoutMs?: number): Promise<void> {
    const tunnel = await SshTunnel.open({
      ...options.sshTunnel!,
      remoteHost: options.address,
      remotePort: options.port,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    if (this.#closed) {
      await tunnel.close();
      throw new TransportClosedError("connect");
    }
    track(tunnel);
    const lost = new AbortController();
    this.#tunnel = tunnel;
    this.#lost = lost;
    this.#down = undefined;
    void tunnel.exited.then((error) => {
      if (error === undefined || this.#tunnel !== tunnel) return;
      this.#down = error;
      lost.abort(error);
    });
  }

  /**
   * A new tunnel in place of the one that went down, unless one was tried
   * less than `requestTimeout` ago.
   *
   * @returns `true` when it is open; otherwise why not (`undefined`: too
   * soon since the last try).
   */
  async reopen(options: ZmqServerTransportOptions): Promise<true | string | undefined> {
    const now = performance.now();
    if (now < this.#nextAttempt) return undefined;
    this.#nextAttempt = now + options.requestTimeout;
    await this.#tunnel?.close();
    try {
      // Bounded like one request: a send that waits longer fails anyway.
      await this.open(options, Math.max(1000, options.requestTimeout));
      return true;
    } catch (error) {
      return describeError(error);
    }
  }

  /** What a send is told while the tunnel is down. */
  downText(options: ZmqServerTransportOptions, down: SshTunnelError): string {
    return `Cannot send to the client on port ${options.port}: the SSH tunnel through ${options.sshTunnel?.destination} is down (${down.message}${
      down.stderr.length > 0 ? `; ssh said: ${down.stderr.at(-1)}` : ""
    }); the next send tries a new tunnel (at most once every ${options.requestTimeout} ms)`;
  }

  /** Closes the tunnel for good (after the socket: the last message gets a moment to leave). */
  async close(): Promise<void> {
    this.#closed = true;
    const tunnel = this.#tunnel;
    this.#tunnel = undefined;
    if (tunnel === undefined) return;
    if (this.#down === undefined) {
      await new Promise((resolve) => setTimeout(resolve, TUNNEL_DRAIN_MS));
    }
    await tunnel.close();
  }
}

/**
 * Runs one send and tells its outcome to `replyTo`, whatever happens: a
 * failure other than closing is answered before it is rethrown (and the
 * actor restarts), so a sender never waits out its ask.
 */
async function answer(
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

/** What a server transport gives {@linkcode serveSend}, made once per transport. */
export interface SendServing {
  /** The owner's cancels, if it has any. */
  readonly cancels: SendCancels | undefined;
  /** Cuts the send's waits short if it is cancelled in flight. */
  readonly onCancel: () => void;
  /** Numbers frames and turns commands into envelopes. */
  readonly outbox: Outbox;
  /** Whether the transport is closing (a failure then answers `closed`). */
  readonly stopping: () => boolean;
}

/**
 * Serves one send command from start to end, the same for every server
 * transport: under its owner's cancels, enveloped by the outbox, and
 * answered to its `replyTo` whatever happens (see {@linkcode answer}).
 *
 * @param message The command.
 * @param serving The transport's cancels, outbox and closing state.
 * @param send Sends the envelope; `once` for heartbeats and the goodbye,
 * which get one attempt (see `SendHeartbeat`).
 */
export async function serveSend(
  message: ServerTransportCommand,
  serving: SendServing,
  send: (envelope: Envelope, once: boolean) => Promise<SendOutcome>,
): Promise<void> {
  const cancels = beginSend(message, serving.cancels, serving.onCancel);
  if (cancels === null) return;
  try {
    const envelope = serving.outbox.envelope(message);
    if (!("version" in envelope)) {
      message.replyTo.tell(envelope);
      return;
    }
    const once = message.type !== "SendFrame";
    await answer(message.replyTo, () => send(envelope, once), serving.stopping);
  } finally {
    cancels?.end();
  }
}

/**
 * Starts a command's send under its owner's cancels: frames and heartbeats
 * can be cancelled, the goodbye cannot. Checked before the frame is
 * numbered, so a cancelled send leaves no gap.
 *
 * @param message The command about to be sent.
 * @param cancels The owner's cancels, if it has any.
 * @param onCancel Cuts the send's waits short if it is cancelled in flight.
 * @returns The cancels to `end()` once the send is done (`undefined`: none
 * apply), or `null` when it was cancelled already and has been answered.
 */
function beginSend(
  message: ServerTransportCommand,
  cancels: SendCancels | undefined,
  onCancel: () => void,
): SendCancels | undefined | null {
  if (message.type === "SendGoodbye" || cancels === undefined) return undefined;
  const id = message.type === "SendFrame" ? message.id : undefined;
  if (cancels.begin(id, onCancel)) return cancels;
  // A skipped heartbeat went as well as any: the goodbye follows.
  message.replyTo.tell(id === undefined ? SENT : cancelledOutcome());
  return null;
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
