/**
 * What a connection actor accepts and tells its parent.
 *
 * @module
 */

import type { ActorRef } from "../actor_ref.ts";
import type {
  FrameArrived,
  FrameResent,
  GoodbyeArrived,
  HeartbeatArrived,
} from "../../transports/transport.ts";
import type { ServerState } from "./events.ts";
import type { Received } from "./received.ts";
import type { ServerStats } from "./stats.ts";

/** Something from this connection's server, as its transport told it. */
export interface Heard {
  /** The message's tag. */
  readonly type: "Heard";
  /** What arrived. */
  readonly event: FrameArrived | FrameResent | HeartbeatArrived | GoodbyeArrived;
  /** When it arrived (ms since the epoch). */
  readonly at: number;
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

/** Reply with this connection's figures. */
export interface GetStats {
  /** The message's tag. */
  readonly type: "GetStats";
  /** Told the figures. */
  readonly replyTo: ActorRef<ConnectionStats>;
}

/** What a connection actor accepts. */
export type ConnectionMessage = Heard | Refused | TerminateSpoofed | StateChanged | GetStats;

/** A frame ready for the user. */
export interface Deliver {
  /** The message's tag. */
  readonly type: "Deliver";
  /** The frame, as `recv` returns it. */
  readonly delivery: Received;
  /**
   * Frames of this server dropped unseen just before this one: the user
   * is behind, so the frames still queued for it are stale too.
   */
  readonly skipped: number;
}

/** What a connection actor tells its parent. */
export type ConnectionEvent = Deliver;
