/**
 * A server's outgoing envelopes, numbered: the wire's side of the
 * transport interface's `SendFrame`, `SendHeartbeat` and `SendGoodbye`.
 *
 * @module
 */

import type { Envelope } from "./protocol/protocol.ts";
import type { SendOutcome, ServerTransportCommand } from "./transport.ts";

const SENT: SendOutcome = Object.freeze({ type: "Sent" });

/**
 * Numbers what a server sends: frames 0, 1, 2…; heartbeats and the goodbye
 * carry the next frame's number, so frame numbers have no gaps. Kept across
 * the transport's restarts, so that the client never sees the numbers start
 * over while the server runs.
 */
export class Outbox {
  readonly #port: number;
  /** Said on every envelope (PROTOCOL.md §5.3, §5.4), when known. */
  readonly #heartbeatInterval: number | undefined;
  readonly #serverId: string | undefined;
  #next = 0;
  /** When the last envelope was made for sending (`performance.now()`). */
  #lastAt = performance.now();
  /** The goodbye has been sent: nothing else may follow it. */
  #left = false;

  constructor(
    port: number,
    about: { readonly heartbeatInterval?: number; readonly serverId?: string } = {},
  ) {
    this.#port = port;
    this.#heartbeatInterval = about.heartbeatInterval;
    this.#serverId = about.serverId;
  }

  /**
   * The envelope a command sends, or the outcome when nothing is to be sent:
   * a heartbeat while frames keep the client informed, anything after the
   * goodbye.
   */
  envelope(command: ServerTransportCommand): Envelope | SendOutcome {
    const clock = performance.now();
    if (this.#left) {
      return command.type === "SendGoodbye" ? SENT : {
        type: "SendFailed",
        code: "closed",
        reason: "the server has already said goodbye",
      };
    }
    if (command.type === "SendHeartbeat" && clock - this.#lastAt < (command.ifIdleForMs ?? 0)) {
      return SENT;
    }
    if (command.type === "SendGoodbye") this.#left = true;
    this.#lastAt = clock;
    const now = performance.timeOrigin + clock;
    switch (command.type) {
      case "SendFrame": {
        const envelope = this.#make("frame", this.#next++, now);
        if (command.message !== undefined) envelope.message = command.message;
        if (command.frame !== undefined) envelope.frame = command.frame;
        return envelope;
      }
      case "SendHeartbeat":
        return this.#make("heartbeat", this.#next, now);
      case "SendGoodbye":
        return this.#make("terminate", this.#next, now);
    }
  }

  #make(kind: Envelope["kind"], seq: number, sentAt: number): Envelope {
    const envelope: Envelope = { version: 1, kind, port: this.#port, seq, sentAt };
    if (this.#heartbeatInterval !== undefined) {
      envelope.heartbeatInterval = this.#heartbeatInterval;
    }
    if (this.#serverId !== undefined) envelope.serverId = this.#serverId;
    return envelope;
  }
}
