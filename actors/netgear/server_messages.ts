/**
 * What the server actor accepts.
 *
 * @module
 */

import type { ActorRef } from "../actor_ref.ts";
import type { OutgoingFrame, SendOutcome } from "../../transports/transport.ts";

/** Send a frame (or data alone); the outcome goes to `replyTo`. */
export interface Send {
  /** The message's tag. */
  readonly type: "Send";
  /** The frame as it goes out (raw or already JPEG-compressed), or `undefined`. */
  readonly frame: OutgoingFrame | undefined;
  /** Data of any CBOR-encodable type, or `undefined`. */
  readonly message: unknown;
  /** Told the outcome. */
  readonly replyTo: ActorRef<SendOutcome>;
}

/** Say goodbye to the client and send nothing more. */
export interface Leave {
  /** The message's tag. */
  readonly type: "Leave";
  /** Told the outcome. */
  readonly replyTo: ActorRef<SendOutcome>;
}

/** What the server actor accepts. */
export type ServerMessage = Send | Leave;
