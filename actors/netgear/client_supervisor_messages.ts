/**
 * What the client supervisor accepts: its children's events, and the
 * client's own requests.
 *
 * @module
 */

import type { ActorRef } from "../actor_ref.ts";
import type { ClientTransportCommand, ClientTransportEvent } from "../../transports/transport.ts";
import type { ConnectionMessage, ConnectionStats, ServerConflict } from "./connection_messages.ts";
import type { LivenessEvent } from "./liveness_messages.ts";

/** The user took the frame `seq` of `port`; REQ/REP: answer it with `returnData`. */
export interface Consumed {
  /** The message's tag. */
  readonly type: "Consumed";
  /** The server's port. */
  readonly port: number;
  /** The frame's number. */
  readonly seq: number;
  /** Data for the server (bidirectional mode), or `undefined`. */
  readonly returnData: unknown;
}

/** Reply with every connection's figures. */
export interface GetClientStats {
  /** The message's tag. */
  readonly type: "GetClientStats";
  /** Told the figures, in port order. */
  readonly replyTo: ActorRef<ConnectionStats[]>;
}

/** Where the client tells a taken frame's news directly, skipping the supervisor. */
export interface ClientRoutes {
  /** Answers each frame (REQ/REP). */
  readonly transport: ActorRef<ClientTransportCommand>;
  /** Each port's connection actor. */
  readonly connections: ReadonlyMap<number, ActorRef<ConnectionMessage>>;
}

/** Reply with the client's {@linkcode ClientRoutes}. */
export interface GetRoutes {
  /** The message's tag. */
  readonly type: "GetRoutes";
  /** Told the routes. */
  readonly replyTo: ActorRef<ClientRoutes>;
}

/** What the client supervisor accepts. */
export type ClientSupervisorMessage =
  | ClientTransportEvent
  | LivenessEvent
  | ServerConflict
  | Consumed
  | GetRoutes
  | GetClientStats;
