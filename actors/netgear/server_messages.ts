/**
 * What the server actor accepts.
 *
 * @module
 */

import type { ActorRef } from "../actor_ref.ts";
import type { SendOutcome, ServerTransportCommand } from "../../transports/transport.ts";

/**
 * Reply with the transport actor's address: `send()` hands each frame to it
 * directly, so a frame crosses one mailbox, not two.
 */
export interface GetTransport {
  /** The message's tag. */
  readonly type: "GetTransport";
  /** Told the address. */
  readonly replyTo: ActorRef<ActorRef<ServerTransportCommand>>;
}

/** Say goodbye to the client and stop the heartbeats; the outcome goes to `replyTo`. */
export interface Leave {
  /** The message's tag. */
  readonly type: "Leave";
  /** Told how the goodbye went. */
  readonly replyTo: ActorRef<SendOutcome>;
}

/** What the server actor accepts. */
export type ServerMessage = GetTransport | Leave;
