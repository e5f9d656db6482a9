/**
 * The client's supervisor: owns the transport actor, one connection actor
 * per tracked server and the liveness actor, and routes every message
 * between them (siblings never hold each other's references).
 *
 * @module
 */

import type { Actor, ActorContext, Props } from "../actor.ts";
import type { ActorRef } from "../actor_ref.ts";
import { oneForOne } from "../strategy_one_for_one.ts";
import type { ClientRoute, ClientTransportCommand } from "../../transports/transport.ts";
import type { ClientSupervisorMessage } from "./client_supervisor_messages.ts";
import { ConnectionActor } from "./connection_actor.ts";
import type { ConnectionMessage, ConnectionStats, ServerConflict } from "./connection_messages.ts";
import type { DeliveryQueue } from "./delivery_queue.ts";
import { LivenessActor, type LivenessActorOptions } from "./liveness_actor.ts";
import type { LivenessMessage, ServerStateChanged } from "./liveness_messages.ts";
import type { Received } from "./received.ts";

/** How the client supervisor is set up. */
export interface ClientSupervisorOptions {
  /** `true` in REQ/REP: each frame is answered when the user takes it. */
  readonly requestReply: boolean;
  /** Where delivered frames wait for `recv`. */
  readonly queue: DeliveryQueue;
  /** The transport actor to own (ZeroMQ, or in-memory in tests). */
  /**
   * The transport actor to own, made for the route it must tell each
   * port's frames to (their connection actors).
   */
  readonly transport: (route: ClientRoute) => Props<ClientTransportCommand>;
  /** Liveness thresholds. */
  readonly liveness: LivenessActorOptions;
  /** Told of every server state change. */
  readonly onStateChange: (event: ServerStateChanged) => void;
  /** Told when two server identities are live on one port. */
  readonly onConflict?: (conflict: ServerConflict) => void;
  /** Told once every server seen is gone. */
  readonly onAllGone: () => void;
  /** Told when the transport itself stopped for good. */
  readonly onTransportLost: (reason: unknown) => void;
  /** Told of every frame as it arrives, before it is queued for `recv`. */
  readonly onDelivery?: (delivery: Received) => void;
}

/** Name of the connection actor for `port`. */
export function connectionName(port: number): string {
  return `conn-${port}`;
}

/**
 * Routes transport events to connection actors and the liveness actor,
 * deliveries to the user's queue, and the user's replies to the transport.
 *
 * @example
 * ```ts ignore
 * // Not run: NetGearClient spawns it (client.ts), with options only it has.
 * system.spawn("client", { create: () => new ClientSupervisor(options) });
 * ```
 */
export class ClientSupervisor implements Actor<ClientSupervisorMessage> {
  readonly #options: ClientSupervisorOptions;
  #transport!: ActorRef<ClientTransportCommand>;
  #liveness!: ActorRef<LivenessMessage>;
  readonly #connections = new Map<number, ActorRef<ConnectionMessage>>();
  readonly #loggedRejections = new Set<string>();

  /** @param options What to own and whom to tell. */
  constructor(options: ClientSupervisorOptions) {
    this.#options = options;
  }

  /** Spawns the transport and liveness actors. */
  started(context: ActorContext<ClientSupervisorMessage>): void {
    const liveness = this.#options.liveness;
    this.#liveness = context.spawn("liveness", {
      create: () => new LivenessActor(liveness),
    });
    // One connection actor per port, before the transport: the transport
    // tells each port's frames straight to it.
    for (const port of liveness.expectedPorts ?? []) this.#connection(port, context);
    const connections = this.#connections;
    this.#transport = context.spawn(
      "transport",
      this.#options.transport((port) => connections.get(port)),
    );
  }

  /** Handles one message. */
  receive(
    message: ClientSupervisorMessage,
    context: ActorContext<ClientSupervisorMessage>,
  ): void {
    switch (message.type) {
      case "FrameArrived":
      case "FrameResent":
      case "HeartbeatArrived":
      case "GoodbyeArrived":
        // Only from a transport that does not route per port (or a port
        // nobody expected): passed on as it is.
        this.#connection(message.port, context).tell(message);
        return;
      case "MessageRefused": {
        // Logged once per port and reason, then only counted: a hostile or
        // broken peer must not be able to flood the log.
        const key = `${message.port}/${message.code}`;
        if (!this.#loggedRejections.has(key) && this.#loggedRejections.size < 10_000) {
          this.#loggedRejections.add(key);
          context.log.warn(
            `rejected a message on port ${message.port}: ${message.reason} (further "${message.code}" refusals on this port are counted in stats(), not logged)`,
          );
        }
        this.#connection(message.port, context).tell({ type: "Refused", code: message.code });
        return;
      }
      case "TransportFailed":
        context.log.error(`transport failed on port ${message.port}: ${message.reason}`);
        return;
      case "Consumed": {
        // The client tells the connection and the transport itself (see
        // GetRoutes); this relay serves whoever holds only this address.
        const { port, seq, returnData } = message;
        this.#connections.get(port)?.tell({ type: "FrameTaken", seq });
        if (this.#options.requestReply) {
          this.#transport.tell({ type: "Reply", port, seq, returnData });
        }
        return;
      }
      case "GetRoutes":
        message.replyTo.tell({ transport: this.#transport, connections: this.#connections });
        return;
      case "ServerStateChanged":
        this.#connections.get(message.port)?.tell({ type: "StateChanged", state: message.state });
        this.#options.onStateChange(message);
        return;
      case "ServerConflict":
        context.log.error(
          `two servers send on port ${message.port} (identities ${
            message.serverIds.join(", ")
          }): give each server its own port; frames of both are delivered, tagged with their serverId`,
        );
        this.#options.onConflict?.(message);
        return;
      case "TerminateRetracted":
        this.#connections.get(message.port)?.tell({ type: "TerminateSpoofed" });
        return;
      case "AllServersGone":
        this.#options.onAllGone();
        return;
      case "GetClientStats": {
        const replyTo = message.replyTo;
        // Not awaited: the supervisor keeps routing frames while the
        // connections answer.
        Promise.all(
          [...this.#connections.values()].map((connection) =>
            connection.ask<ConnectionStats>((replyTo) => ({ type: "GetStats", replyTo }), {
              timeoutMs: 1000,
            }).catch(() => undefined)
          ),
        ).then((all) =>
          replyTo.tell(
            all.filter((s): s is ConnectionStats => s !== undefined)
              .sort((a, b) => a.port - b.port),
          )
        );
        return;
      }
      default: {
        const unreachable: never = message;
        throw new TypeError(`Cannot handle message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** A child stopped: losing the transport ends the client. */
  childTerminated(
    child: ActorRef<unknown>,
    reason: unknown,
    context: ActorContext<ClientSupervisorMessage>,
  ): void {
    if (this.#transport && child.equals(this.#transport)) {
      context.log.error(`transport stopped: ${String(reason)}`);
      this.#options.onTransportLost(reason);
      return;
    }
    for (const [port, ref] of this.#connections) {
      if (ref.equals(child)) this.#connections.delete(port);
    }
  }

  #connection(
    port: number,
    context: ActorContext<ClientSupervisorMessage>,
  ): ActorRef<ConnectionMessage> {
    let ref = this.#connections.get(port);
    if (!ref) {
      const { requestReply, queue, onDelivery, liveness } = this.#options;
      const connection = {
        port,
        requestReply,
        queue,
        onDelivery,
        liveness: this.#liveness,
        // A lag of at most one liveness tick: far below staleness (two
        // heartbeat intervals), and a few messages a second at most.
        seenEveryMs: liveness.tickMs,
      };
      ref = context.spawn<ConnectionMessage>(connectionName(port), {
        create: () => new ConnectionActor(connection),
        // Frames must not be dropped between transport and connection: the
        // transport's own bounds (REQ/REP lockstep, SUB high-water mark)
        // already limit what can be in flight.
        mailbox: { capacity: 10_000, overflow: "backpressure" },
      });
      this.#connections.set(port, ref);
    }
    return ref;
  }
}

/** The client supervisor's default strategy: restart a crashed child alone. */
export const CLIENT_SUPERVISION = oneForOne({ maxRestarts: 5, withinMs: 10_000 });
