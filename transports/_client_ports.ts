/**
 * A client transport's sockets: one per port, so the port a message came in
 * on is known without trusting the message (one socket bound on many ports
 * could not tell them apart). Opens them with the secure mode's keys (and,
 * for ironhouse, a ZAP handler), serves each with the pattern's receive
 * loop, and reopens a port whose loop failed, at a bounded rate. Shared by
 * the REP and SUB (and PAIR) client transports.
 *
 * @module
 */

import type { ActorContext } from "../actors/actor.ts";
import type { ActorRef } from "../actors/actor_ref.ts";
import { removeIpcFile, zmqEndpoint } from "./endpoint.ts";
import { CLIENT_KEY_NAME, loadAuthorizedKeys, loadKeyPair } from "./security/curve_keys.ts";
import { ZapHandler } from "./security/zap_handler.ts";
import type { ClientTransportCommand, ClientTransportEvent } from "./transport.ts";
import type { ZmqClientTransportOptions } from "./zmq_transport_options.ts";
import { type SocketKind, ZmqSocket, type ZmqSocketOptions } from "./zmq/zmq_socket.ts";

const DEFAULT_PORT_RESTARTS = { max: 5, withinMs: 10_000 } as const;
/** Binding again right after closing: ZeroMQ releases the port on its I/O thread. */
const REBIND_TRIES = 20;
const REBIND_WAIT_MS = 50;

/** What the pattern decides about its sockets. */
export interface PortSockets {
  /** The socket kind: `"rep"`, `"sub"` or `"pair"`. */
  readonly kind: SocketKind;
  /** ZMQ_RCVHWM. */
  readonly receiveHighWaterMark: number;
  /** Subscribe to everything (SUB). */
  readonly subscribe: boolean;
}

/** Reads `port` until the transport stops; throws only for what no peer should cause. */
export type ServeLoop = (port: number, socket: ZmqSocket) => Promise<void>;

/** Every port's socket, and the loop that serves it. */
export class ClientPorts {
  readonly #options: ZmqClientTransportOptions;
  readonly #sockets: PortSockets;
  readonly #open = new Map<number, ZmqSocket>();
  /** The endpoints bound, whose ipc files go when the transport stops. */
  readonly #bound = new Set<string>();
  readonly #loops: Promise<void>[] = [];
  #zap: ZapHandler | undefined;
  #security: ZmqSocketOptions = {};
  #stopping = false;
  /** Aborted when the transport stops: ends any wait between reopenings. */
  readonly #stop = new AbortController();

  constructor(options: ZmqClientTransportOptions, sockets: PortSockets) {
    this.#options = options;
    this.#sockets = sockets;
  }

  /** Whether the transport is stopping. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Loads the keys and opens every port's socket.
   *
   * @throws What stopped it, with every socket opened so far closed again.
   */
  async open(context: ActorContext<ClientTransportCommand>): Promise<void> {
    try {
      this.#security = await this.#loadSecurity(context);
      for (const port of this.#options.ports) await this.#openPort(port);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /**
   * Serves every port with `serve` until the transport stops.
   *
   * @param onReopen Called before a failed port's socket is replaced, to
   * drop what the old one was doing.
   */
  serve(
    serve: ServeLoop,
    parent: ActorRef<ClientTransportEvent>,
    context: ActorContext<ClientTransportCommand>,
    onReopen: (port: number) => void,
  ): void {
    for (const port of this.#open.keys()) {
      this.#loops.push(this.#servePort(port, serve, parent, context, onReopen));
    }
  }

  /**
   * Stops: `release` lets the pattern end its waits, then every socket is
   * closed, the loops are awaited and the ZAP handler goes last.
   */
  async close(release?: () => void): Promise<void> {
    this.#stopping = true;
    this.#stop.abort();
    release?.();
    await Promise.all([...this.#open.values()].map((socket) => socket.close()));
    await Promise.allSettled(this.#loops);
    // ZeroMQ leaves a bound ipc socket's file behind.
    await Promise.all([...this.#bound].map((endpoint) => removeIpcFile(endpoint)));
    this.#bound.clear();
    // After the sockets, so none is ever left guarded by a missing handler.
    await this.#zap?.close();
  }

  /** Opens `port`'s socket and makes it the one its loop reads. */
  async #openPort(port: number): Promise<void> {
    const { address, role, maxMessageSize, protocol = "tcp" } = this.#options;
    const { kind, receiveHighWaterMark, subscribe } = this.#sockets;
    const options: ZmqSocketOptions = {
      maxMessageSize,
      receiveHighWaterMark,
      // Long enough for the last replies to leave when the client shuts down.
      linger: 200,
      ...this.#security,
    };
    const socket = this.#options.openSocket?.(kind, options) ?? new ZmqSocket(kind, options);
    const endpoint = zmqEndpoint(protocol, address, port);
    try {
      if (role === "bind") {
        await socket.bind(endpoint);
        this.#bound.add(endpoint);
      } else {
        socket.connect(endpoint);
      }
      if (subscribe) socket.subscribe();
    } catch (error) {
      await socket.close();
      throw error;
    }
    this.#open.set(port, socket);
  }

  /**
   * Serves `port` until the transport stops. Nothing a peer sends should
   * make its receive loop fail; if it fails anyway (a bug, or ZeroMQ in a
   * state we did not foresee) the port must not silently stop serving: the
   * failure is logged and told, the port's socket is replaced by a fresh
   * one (an old REP socket may be stuck owing a reply) and its loop starts
   * again, at most `portRestarts.max` times within `portRestarts.withinMs`.
   */
  async #servePort(
    port: number,
    serve: ServeLoop,
    parent: ActorRef<ClientTransportEvent>,
    context: ActorContext<ClientTransportCommand>,
    onReopen: (port: number) => void,
  ): Promise<void> {
    const { max, withinMs } = this.#options.portRestarts ?? DEFAULT_PORT_RESTARTS;
    const restartedAt: number[] = [];
    while (!this.#stopping) {
      const socket = this.#open.get(port);
      if (socket === undefined) return;
      try {
        await serve(port, socket);
        return;
      } catch (error) {
        // Closed by stop(): the loop is done. Anything else (a socket closed
        // underneath included) is a failure: the port is reopened.
        if (this.#stopping) return;
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        parent.tell({ type: "TransportFailed", port, reason });
        const now = performance.now();
        while (restartedAt.length > 0 && now - restartedAt[0] >= withinMs) restartedAt.shift();
        const waitMs = restartedAt.length < max ? 0 : restartedAt[0] + withinMs - now;
        context.log.error(
          `receive loop on port ${port} failed: ${reason}; reopening the port${
            waitMs > 0
              ? ` in ${Math.ceil(waitMs)} ms (${max} restarts within ${withinMs} ms already)`
              : ` (restart ${restartedAt.length + 1} of at most ${max} within ${withinMs} ms)`
          }`,
        );
        if (waitMs > 0 && !(await this.#wait(waitMs))) return;
        restartedAt.push(performance.now());
        onReopen(port);
        if (!(await this.#reopen(port, socket, context))) return;
      }
    }
  }

  /**
   * Replaces `port`'s socket. Binding again may briefly find the port still
   * held (ZeroMQ closes on its own thread), so it is retried a few times.
   *
   * @returns `false` when the transport stopped meanwhile.
   */
  async #reopen(
    port: number,
    old: ZmqSocket,
    context: ActorContext<ClientTransportCommand>,
  ): Promise<boolean> {
    // Whatever the old socket still holds is what broke it: do not keep it.
    if (!old.closed) old.linger = 0;
    await old.close();
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        await this.#openPort(port);
        if (!this.#stopping) return true;
      } catch (error) {
        const inUse = (error as { code?: unknown }).code === "EADDRINUSE";
        if (!inUse || attempt >= REBIND_TRIES) {
          context.log.error(
            `Cannot reopen port ${port}: ${String(error)}; trying again after the restart window`,
          );
          const { withinMs } = this.#options.portRestarts ?? DEFAULT_PORT_RESTARTS;
          if (!(await this.#wait(withinMs))) return false;
          attempt = 0;
          continue;
        }
        if (!(await this.#wait(REBIND_WAIT_MS))) return false;
      }
    }
    // Stopped while reopening: close() may have run before the new socket
    // was in the map.
    await this.#open.get(port)?.close();
    return false;
  }

  /** Waits `ms`, or less if the transport stops. @returns `false` if it stopped. */
  #wait(ms: number): Promise<boolean> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve(!signal.aborted);
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Secure mode's CURVE server options; for ironhouse, starts the ZAP handler. */
  async #loadSecurity(context: ActorContext<ClientTransportCommand>): Promise<ZmqSocketOptions> {
    const { secureMode = 0, keysDir } = this.#options;
    if (secureMode === 0) return {};
    const own = await loadKeyPair(keysDir!, CLIENT_KEY_NAME);
    const curve = {
      curveServer: true,
      curveSecretKey: own.secretKey,
      curvePublicKey: own.publicKey,
    };
    if (secureMode === 1) return curve;
    this.#zap = await ZapHandler.start(await loadAuthorizedKeys(keysDir!), {
      log: (message) => context.log.warn(message),
    });
    // Ironhouse fails closed: with no ZAP handler bound, no server is admitted.
    return { ...curve, zapDomain: this.#zap.domain, zapEnforceDomain: true };
  }
}
