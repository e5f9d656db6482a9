/**
 * The PUB/SUB client's transport actor: one SUB socket per port, subscribed
 * to everything. Also the PAIR client's (pattern 0, plain mode): NetGear's
 * PAIR is the same one-way stream over a socket that needs no subscription.
 *
 * Every port is read as messages come, so that what the user gets next is
 * the newest frame, not one that waited in ZeroMQ's and TCP's queues while
 * the user was busy (those held seconds of video). While the user has no
 * room for a port's frames (`room`), only the newest is kept here,
 * undecoded (its JPEG is decoded only if it is passed on); each one it
 * replaces is counted as `skipped`. It is passed on when room comes, or
 * after `roomWaitMs` anyway so that a client nobody reads from still sees
 * its servers alive (and taps such as the viewer get frames). Heartbeats
 * and goodbyes are never held: a held frame goes before them. (ZeroMQ's
 * conflate would keep only the newest frame too, but it also discards a
 * goodbye still queued when its server disconnects.)
 *
 * @module
 */

import type { Actor, ActorContext } from "../actors/actor.ts";
import type { ActorRef } from "../actors/actor_ref.ts";
import { describeError } from "../actors/describe.ts";
import { ClientPorts } from "./_client_ports.ts";
import { Inbound, wireBytes } from "./_inbound.ts";
import type { Envelope } from "./protocol/protocol.ts";
import { ProtocolError } from "./protocol/protocol_errors.ts";
import type { ClientTransportCommand, ClientTransportEvent } from "./transport.ts";
import type { ZmqClientTransportOptions } from "./zmq_transport_options.ts";
import type { ZmqSocket } from "./zmq/zmq_socket.ts";

/** How a SUB (or PAIR) client transport opens its sockets and holds frames. */
export interface SubClientTransportOptions extends ZmqClientTransportOptions {
  /**
   * 2 = SUB sockets (PUB/SUB); 0 = PAIR sockets (plain mode only).
   *
   * @default {2}
   */
  readonly pattern?: 0 | 2;
  /**
   * Resolves when the user has room for another frame from `port`
   * (`undefined` when there is room now; while there is none, the same
   * promise each time). Without it every frame is passed on at once.
   *
   * @default {undefined}
   */
  readonly room?: (port: number) => Promise<void> | undefined;
  /**
   * Longest a frame is held for room before it is passed on anyway, in ms.
   *
   * @default {500}
   */
  readonly roomWaitMs?: number;
}

/** One port's newest frame while the user has no room for it. */
interface Held {
  envelope: Envelope | undefined;
  /** Bytes of the held frame and of those it replaced. */
  bytes: number;
  /** Frames replaced (dropped unseen) while waiting. */
  skipped: number;
  /** The room promise already reacted to (a queue hands out one per wait). */
  hooked: Promise<void> | undefined;
  /** Passes the frame on anyway after `roomWaitMs`. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Made once per port: no closure per frame. */
  release: () => void;
}

/**
 * Receives on every port and passes on the newest frame the user has room
 * for.
 *
 * @example
 * ```ts ignore
 * // Spawned by the client's supervisor, whose messages it tells.
 * context.spawn("transport", { create: () => new SubClientTransport(options) });
 * ```
 */
export class SubClientTransport implements Actor<ClientTransportCommand> {
  readonly #options: SubClientTransportOptions;
  readonly #ports: ClientPorts;
  readonly #inbound: Inbound;
  /** Per port, the newest frame waiting for the user's room. */
  readonly #held = new Map<number, Held>();

  /**
   * Makes the transport; it opens its sockets once started.
   *
   * @param options Where and how to open the sockets.
   */
  constructor(options: SubClientTransportOptions) {
    this.#options = options;
    const pair = options.pattern === 0;
    this.#ports = new ClientPorts(options, {
      kind: pair ? "pair" : "sub",
      // The port is always read (see `room`), so this only bounds what
      // queues while this process is busy; past it the server holds back
      // (or drops and counts).
      receiveHighWaterMark: pair ? 1000 : 4,
      subscribe: !pair,
    });
    this.#inbound = new Inbound(options, pair ? 0 : 2);
  }

  /** Opens one socket per port and starts receiving on each. */
  async started(context: ActorContext<ClientTransportCommand>): Promise<void> {
    const parent = context.parent as ActorRef<ClientTransportEvent>;
    try {
      await this.#ports.open(context);
    } catch (error) {
      this.#inbound.close();
      this.#options.onReady(error);
      return;
    }
    this.#ports.serve((port, socket) => this.#serve(port, socket, parent), parent, context, noop);
    this.#options.onReady();
  }

  /** Closes every socket and waits for the receive loops to end. */
  async stopped(): Promise<void> {
    this.#inbound.close();
    await this.#ports.close(() => {
      for (const held of this.#held.values()) {
        clearTimeout(held.timer);
        held.timer = undefined;
        held.envelope = undefined;
      }
    });
  }

  /** Nothing to accept: a stream is never answered. */
  receive(message: ClientTransportCommand): void {
    switch (message.type) {
      case "Reply":
        return;
      default: {
        const unreachable: never = message.type;
        throw new TypeError(`Cannot handle message type ${unreachable}`);
      }
    }
  }

  async #serve(
    port: number,
    socket: ZmqSocket,
    parent: ActorRef<ClientTransportEvent>,
  ): Promise<void> {
    const room = this.#options.room;
    let held = this.#held.get(port);
    if (held === undefined) {
      held = {
        envelope: undefined,
        bytes: 0,
        skipped: 0,
        hooked: undefined,
        timer: undefined,
        release: noop,
      };
      const state = held;
      held.release = () => this.#release(port, state, parent);
      this.#held.set(port, held);
    }
    while (!this.#ports.stopping) {
      const parts = await socket.receive();
      const bytes = wireBytes(parts);
      let envelope: Envelope;
      try {
        envelope = this.#inbound.accept(port, parts);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        parent.tell({ type: "MessageRefused", port, code: error.code, reason: error.message });
        continue;
      }
      if (envelope.kind !== "frame") {
        held.release();
        (this.#options.route?.(port) ?? parent).tell(this.#inbound.signal(port, envelope, bytes));
        continue;
      }
      if (held.envelope !== undefined) {
        // Still no room: the newer frame replaces the one waiting.
        held.envelope = envelope;
        held.bytes += bytes;
        held.skipped++;
        continue;
      }
      const waiting = room?.(port);
      if (waiting === undefined) {
        this.#pass(port, envelope, bytes, 0, parent);
        continue;
      }
      held.envelope = envelope;
      held.bytes = bytes;
      held.skipped = 0;
      // One reaction per wait for room, not per frame or per timeout.
      if (held.hooked !== waiting) {
        held.hooked = waiting;
        waiting.then(held.release);
      }
      held.timer ??= setTimeout(held.release, this.#options.roomWaitMs ?? 500);
    }
  }

  /** Passes on `port`'s held frame, if any (room came, time is up, or a message must follow it). */
  #release(port: number, held: Held, parent: ActorRef<ClientTransportEvent>): void {
    clearTimeout(held.timer);
    held.timer = undefined;
    const envelope = held.envelope;
    if (envelope === undefined || this.#ports.stopping) return;
    held.envelope = undefined;
    this.#pass(port, envelope, held.bytes, held.skipped, parent);
  }

  /** Tells the parent of one accepted frame, decoding its JPEG first. */
  #pass(
    port: number,
    envelope: Envelope,
    bytes: number,
    skipped: number,
    parent: ActorRef<ClientTransportEvent>,
  ): void {
    try {
      // Straight to the server's own actor when there is one (see ClientRoute).
      (this.#options.route?.(port) ?? parent).tell(
        this.#inbound.frame(port, envelope, bytes, skipped),
      );
    } catch (error) {
      // Only ProtocolErrors are expected; this may run from a timer, where
      // anything thrown would end the process: refuse, whatever it is.
      const code = error instanceof ProtocolError ? error.code : "bad-jpeg";
      parent.tell({ type: "MessageRefused", port, code, reason: describeError(error) });
    }
  }
}

function noop(): void {}
