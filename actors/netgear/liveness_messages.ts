/**
 * What the liveness actor accepts and tells its parent.
 *
 * @module
 */

import type { ServerStateEvent } from "./events.ts";

/** The server on `port` was heard from. */
export interface Seen {
  /** The message's tag. */
  readonly type: "Seen";
  /** The server's port. */
  readonly port: number;
  /** When (ms since the epoch). */
  readonly at: number;
  /** The client holds an unanswered request from this server (REQ/REP). */
  readonly holding: boolean;
  /** The heartbeat interval the server announced, in ms, if it did. */
  readonly heartbeatInterval?: number;
}

/** The server on `port` said goodbye. */
export interface Terminated {
  /** The message's tag. */
  readonly type: "Terminated";
  /** The server's port. */
  readonly port: number;
  /** When (ms since the epoch). */
  readonly at: number;
}

/** What the liveness actor accepts. */
export type LivenessMessage = Seen | Terminated;

/** A server's state changed. */
export interface ServerStateChanged extends ServerStateEvent {
  /** The message's tag. */
  readonly type: "ServerStateChanged";
}

/** Every server seen so far is gone. */
export interface AllServersGone {
  /** The message's tag. */
  readonly type: "AllServersGone";
  /** When (ms since the epoch). */
  readonly at: number;
}

/**
 * A server that said goodbye (terminate) sent again before its goodbye
 * took effect: the goodbye is void, and most likely was not its own.
 */
export interface TerminateRetracted {
  /** The message's tag. */
  readonly type: "TerminateRetracted";
  /** The server's port. */
  readonly port: number;
  /** When (ms since the epoch). */
  readonly at: number;
}

/** What the liveness actor tells its parent. */
export type LivenessEvent = ServerStateChanged | AllServersGone | TerminateRetracted;
