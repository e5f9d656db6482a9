/**
 * A server's outgoing envelopes, numbered: the wire's side of the
 * transport interface's `SendFrame`, `SendHeartbeat` and `SendGoodbye`.
 *
 * @module
 */

import type { Envelope } from "./protocol/protocol.ts";
import type { ServerTransportCommand } from "./transport.ts";

/**
 * Numbers what a server sends: frames 0, 1, 2…; heartbeats and the goodbye
 * carry the next frame's number, so frame numbers have no gaps. Kept across
 * the transport's restarts, so that the client never sees the numbers start
 * over while the server runs.
 */
export class Outbox {
  readonly #port: number;
  #next = 0;

  constructor(port: number) {
    this.#port = port;
  }

  /** The envelope a command sends. */
  envelope(command: ServerTransportCommand): Envelope {
    const now = performance.timeOrigin + performance.now();
    switch (command.type) {
      case "SendFrame": {
        const envelope: Envelope = {
          version: 1,
          kind: "frame",
          port: this.#port,
          seq: this.#next++,
          sentAt: now,
        };
        if (command.message !== undefined) envelope.message = command.message;
        if (command.frame !== undefined) envelope.frame = command.frame;
        return envelope;
      }
      case "SendHeartbeat":
        return { version: 1, kind: "heartbeat", port: this.#port, seq: this.#next, sentAt: now };
      case "SendGoodbye":
        return { version: 1, kind: "terminate", port: this.#port, seq: this.#next, sentAt: now };
    }
  }
}
