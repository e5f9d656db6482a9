/**
 * What a connection actor accepts and tells its parent.
 *
 * @module
 */

import type { ActorRef } from "../actor_ref.ts";
import type { ServerEvent } from "../../transports/transport.ts";
import type { ServerState } from "./events.ts";
import type { ServerStats } from "./stats.ts";

/**
 * The user took frame `seq` from `recv`: the server is no longer owed a
 * reply by us (REQ/REP), which liveness needs to know.
 */
export interface FrameTaken {
  /** The message's tag. */
  readonly type: "FrameTaken";
  /** The frame's number. */
  readonly seq: number;
}

/** A message from this server was refused. */
export interface Refused {
  /** The message's tag. */
  readonly type: "Refused";
  /** The `ProtocolError` code. */
  readonly code: string;
}

/** This server's goodbye was taken back by a later message (a spoof, most likely). */
export interface TerminateSpoofed {
  /** The message's tag. */
  readonly type: "TerminateSpoofed";
}

/** The liveness actor moved this server to `state`. */
export interface StateChanged {
  /** The message's tag. */
  readonly type: "StateChanged";
  /** The new state. */
  readonly state: ServerState;
}

/** One connection's figures: a server's, without what the delivery queue adds. */
export type ConnectionStats = Omit<ServerStats, "queued" | "dropped">;

/**
 * What a connection actor tells its parent: a second server identity is
 * live on its port (see `ServerConflictEvent`).
 */
export interface ServerConflict {
  /** The message's tag. */
  readonly type: "ServerConflict";
  /** The port. */
  readonly port: number;
  /** The identities live on it. */
  readonly serverIds: readonly string[];
  /** When it was found (ms since the epoch). */
  readonly at: number;
}

/** Reply with this connection's figures. */
export interface GetStats {
  /** The message's tag. */
  readonly type: "GetStats";
  /** Told the figures. */
  readonly replyTo: ActorRef<ConnectionStats>;
}

/**
 * What a connection actor accepts: its server's events straight from the
 * transport, and the rest from its supervisor and the client.
 */
export type ConnectionMessage =
  | ServerEvent
  | FrameTaken
  | Refused
  | TerminateSpoofed
  | StateChanged
  | GetStats;
