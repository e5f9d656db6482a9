/**
 * The server actor: numbers each outgoing frame, keeps the connection warm
 * with heartbeats while the user has nothing to send, and says goodbye.
 *
 * @module
 */

import type { Actor, ActorContext, Props } from "../actor.ts";
import type { ActorRef } from "../actor_ref.ts";
import type { Envelope, EnvelopeKind, WireFrame } from "../../transports/protocol/protocol.ts";
import { now } from "./_clock.ts";
import type { SendOutcome, ServerTransportCommand } from "./messages.ts";

/** What the server actor accepts. */
export type ServerMessage =
  | {
    readonly type: "Send";
    /** The frame as it goes on the wire (raw or already JPEG-compressed). */
    readonly frame: WireFrame | undefined;
    readonly message: unknown;
    readonly replyTo: ActorRef<SendOutcome>;
  }
  | { readonly type: "Leave"; readonly replyTo: ActorRef<SendOutcome> }
  | { readonly type: "HeartbeatDue" };

/** How a server actor is set up. */
export interface ServerActorOptions {
  /** This server's port: its identity at the client. */
  readonly port: number;
  /** Idle time after which a heartbeat is sent, in ms. */
  readonly heartbeatInterval: number;
  /** The transport actor to own. */
  readonly transport: Props<ServerTransportCommand>;
  /** Longest a single send may take, retries included, in ms. */
  readonly sendTimeoutMs: number;
}

/**
 * Sends frames, heartbeats and the final terminate through its transport.
 *
 * @example
 * ```ts ignore
 * const server = system.spawn("server", { create: () => new ServerActor(options) });
 * ```
 */
export class ServerActor implements Actor<ServerMessage> {
  readonly #options: ServerActorOptions;
  #transport!: ActorRef<ServerTransportCommand>;
  #seq = 0;
  #lastSentAt = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #left = false;
  #tickPending = false;
  /** The code of the last heartbeat failure logged: a streak of them is logged once. */
  #heartbeatFailure: string | undefined;

  /** @param options Port, heartbeat period and transport. */
  constructor(options: ServerActorOptions) {
    this.#options = options;
  }

  /** Spawns the transport and starts the heartbeat clock. */
  started(context: ActorContext<ServerMessage>): void {
    this.#transport = context.spawn("transport", this.#options.transport);
    this.#lastSentAt = now();
    const self = context.self;
    // Checked at half the interval so an idle gap never exceeds ~1.5 intervals.
    // At most one tick waits in the mailbox, so frames are never queued
    // behind a pile of heartbeats while the client is away.
    this.#timer = setInterval(() => {
      if (this.#tickPending) return;
      this.#tickPending = true;
      self.tell({ type: "HeartbeatDue" });
    }, Math.max(5, this.#options.heartbeatInterval / 2));
  }

  /** Stops the heartbeat clock. */
  stopped(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Handles one message. */
  async receive(message: ServerMessage, context: ActorContext<ServerMessage>): Promise<void> {
    switch (message.type) {
      case "Send": {
        if (this.#left) {
          message.replyTo.tell({
            type: "SendFailed",
            code: "closed",
            reason: "the server has already sent terminate",
          });
          return;
        }
        const envelope = this.#envelope("frame");
        if (message.message !== undefined) envelope.message = message.message;
        if (message.frame) envelope.frame = message.frame;
        message.replyTo.tell(await this.#send(envelope));
        return;
      }
      case "Leave": {
        if (this.#left) {
          message.replyTo.tell({ type: "Sent" });
          return;
        }
        this.#left = true;
        clearInterval(this.#timer);
        message.replyTo.tell(await this.#send(this.#envelope("terminate"), true));
        return;
      }
      case "HeartbeatDue": {
        try {
          if (this.#left || now() - this.#lastSentAt < this.#options.heartbeatInterval) return;
          // One attempt only: an unanswered heartbeat means the client is
          // away, and the next frame's send does the reconnecting (Lazy
          // Pirate). Retrying here would hold up a frame queued behind it.
          const outcome = await this.#send(this.#envelope("heartbeat"), true);
          if (outcome.type !== "SendFailed") {
            this.#heartbeatFailure = undefined;
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

  /** Frames are numbered 0, 1, 2…; other kinds carry the next frame's number, so frame numbers have no gaps. */
  #envelope(kind: EnvelopeKind): Envelope {
    const seq = kind === "frame" ? this.#seq++ : this.#seq;
    return { version: 1, kind, port: this.#options.port, seq, sentAt: now() };
  }

  async #send(envelope: Envelope, once = false): Promise<SendOutcome> {
    try {
      return await this.#transport.ask<SendOutcome>(
        (replyTo) => ({ type: "SendEnvelope", envelope, replyTo, once }),
        { timeoutMs: this.#options.sendTimeoutMs },
      );
    } catch (error) {
      return { type: "SendFailed", code: "timeout", reason: String(error) };
    } finally {
      this.#lastSentAt = now();
    }
  }
}
