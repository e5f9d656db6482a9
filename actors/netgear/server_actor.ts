/**
 * The server actor: owns the transport actor, keeps the connection warm with
 * heartbeats while the user has nothing to send, and says goodbye (after
 * which the transport sends nothing more). Frames do not pass through it:
 * `send()` hands them to the transport directly.
 *
 * @module
 */

import type { Actor, ActorContext, Props } from "../actor.ts";
import type { ActorRef } from "../actor_ref.ts";
import type { SendOutcome, ServerTransportCommand } from "../../transports/transport.ts";
import type { ServerMessage } from "./server_messages.ts";
import { GridTicker } from "./_clock_grid.ts";

/** Time to look at idleness: the actor's own clock, private to it. */
interface HeartbeatDue {
  readonly type: "HeartbeatDue";
}

/** How a server actor is set up. */
export interface ServerActorOptions {
  /** Idle time after which a heartbeat is sent, in ms. */
  readonly heartbeatInterval: number;
  /** The transport actor to own. */
  readonly transport: Props<ServerTransportCommand>;
  /** Longest a single send may take, retries included, in ms. */
  readonly sendTimeoutMs: number;
}

const HEARTBEAT_DUE: HeartbeatDue = Object.freeze({ type: "HeartbeatDue" });

/**
 * Sends heartbeats and the final goodbye through its transport.
 *
 * @example
 * ```ts ignore
 * // Not run: NetGearServer spawns it (server.ts), with options only it has.
 * const server = system.spawn("server", { create: () => new ServerActor(options) });
 * ```
 */
export class ServerActor implements Actor<ServerMessage | HeartbeatDue> {
  readonly #options: ServerActorOptions;
  #transport!: ActorRef<ServerTransportCommand>;
  #ticker: GridTicker | undefined;
  #left = false;
  #tickPending = false;
  #heartbeatFailure: string | undefined;

  /** @param options The heartbeat period and the transport. */
  constructor(options: ServerActorOptions) {
    this.#options = options;
  }

  /** Spawns the transport and starts the heartbeat clock. */
  started(context: ActorContext<ServerMessage | HeartbeatDue>): void {
    this.#transport = context.spawn("transport", this.#options.transport);
    const self = context.self;
    // Due on the wall clock's grid of the interval (see _clock_grid.ts):
    // idle servers then heartbeat in step, which their client serves in
    // fewer wake-ups. At most one tick waits in the mailbox, so heartbeats
    // never pile up while the client is away.
    this.#ticker = new GridTicker(Math.max(5, this.#options.heartbeatInterval), () => {
      if (this.#tickPending) return;
      this.#tickPending = true;
      self.tell(HEARTBEAT_DUE);
    });
    this.#ticker.start();
  }

  /** Stops the heartbeat clock. */
  stopped(): void {
    this.#ticker?.stop();
    this.#ticker = undefined;
  }

  /** Handles one message. */
  async receive(
    message: ServerMessage | HeartbeatDue,
    context: ActorContext<ServerMessage | HeartbeatDue>,
  ): Promise<void> {
    switch (message.type) {
      case "GetTransport":
        message.replyTo.tell(this.#transport);
        return;
      case "Leave": {
        this.#left = true;
        this.#ticker?.stop();
        // The transport answers a second goodbye, and any frame after the
        // first, itself.
        message.replyTo.tell(await this.#send((replyTo) => ({ type: "SendGoodbye", replyTo })));
        return;
      }
      case "HeartbeatDue": {
        try {
          if (this.#left) return;
          // One attempt only, and only when nothing else went out for half
          // an interval (the transport knows): an idle gap never exceeds 1.5
          // intervals, and an idle server sends one heartbeat per grid point.
          // An unanswered heartbeat means the client is away, and the next
          // frame's send does the reconnecting.
          const outcome = await this.#send((replyTo) => ({
            type: "SendHeartbeat",
            ifIdleForMs: this.#options.heartbeatInterval / 2,
            replyTo,
          }));
          if (outcome.type !== "SendFailed") {
            this.#heartbeatFailure = undefined;
          } else if (outcome.code === "cancelled") {
            // Cut short because the server is closing: nothing to report.
          } else if (outcome.code !== this.#heartbeatFailure) {
            // Once per streak: an absent client fails every heartbeat alike.
            this.#heartbeatFailure = outcome.code;
            context.log.warn(
              `heartbeat failed: ${outcome.reason}; further failures like it are not logged`,
            );
          }
        } finally {
          this.#tickPending = false;
        }
        return;
      }
      default: {
        const unreachable: never = message;
        throw new TypeError(`Cannot handle message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  async #send(
    command: (replyTo: ActorRef<SendOutcome>) => ServerTransportCommand,
  ): Promise<SendOutcome> {
    try {
      return await this.#transport.ask<SendOutcome>(command, {
        timeoutMs: this.#options.sendTimeoutMs,
      });
    } catch (error) {
      return { type: "SendFailed", code: "timeout", reason: String(error) };
    }
  }
}
