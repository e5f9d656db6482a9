/**
 * What a NetGear client tells its listeners: servers changing state
 * (`serverstate`), two servers sending on one port (`serverconflict`) and
 * the client shutting down (`shutdown`), typed so that listeners need no
 * casts.
 *
 * @example Follow servers as they come and go
 * ```ts
 * import assert from "node:assert/strict";
 * import type { NetGearClientEventMap, ServerStateEvent } from "./events.ts";
 *
 * const seen: string[] = [];
 * const listener = (event: NetGearClientEventMap["serverstate"]) =>
 *   seen.push(`${event.detail.port} ${event.detail.state}`);
 * const detail: ServerStateEvent = {
 *   port: 5566, state: "live", previous: undefined, reason: "joined", at: Date.now(),
 * };
 * listener(new CustomEvent("serverstate", { detail }));
 * assert.deepEqual(seen, ["5566 live"]);
 * ```
 *
 * @module
 */

/**
 * A tracked server's state: `live` while heard from, `stale` once it missed
 * heartbeats, `gone` after its goodbye or a long silence.
 */
export type ServerState = "live" | "stale" | "gone";

/** Why a server's state changed. */
export type StateChangeReason =
  | "joined"
  | "rejoined"
  | "silent"
  | "heard"
  | "terminated"
  | "timeout";

/** A server's state changed: the detail of a `serverstate` event. */
export interface ServerStateEvent {
  /** The server's port. */
  readonly port: number;
  /** Its new state. */
  readonly state: ServerState;
  /** Its state before, or `undefined` when it just joined. */
  readonly previous: ServerState | undefined;
  /** Why it changed. */
  readonly reason: StateChangeReason;
  /** When (ms since the epoch). */
  readonly at: number;
}

/**
 * Why a client stopped: every server it saw has gone, `close()` was called,
 * its transport stopped for good, or no server was heard from within
 * `connectTimeout`.
 */
export type ShutdownReason = "all-gone" | "closed" | "transport-lost" | "connect-timeout";

/** The detail of a `shutdown` event. */
export interface ShutdownEvent {
  /** Why the client stopped. */
  readonly reason: ShutdownReason;
}

/**
 * Two servers (two identities, envelope key `sid`) are live on one port at
 * once: the detail of a `serverconflict` event. Most likely two servers
 * were given the same port. Frames of both are delivered, each tagged with
 * its sender's `Received.serverId`; a restart (a new identity after the old
 * one said goodbye or went silent) is never a conflict.
 */
export interface ServerConflictEvent {
  /** The port both send on. */
  readonly port: number;
  /** The identities live on it, two or more. */
  readonly serverIds: readonly string[];
  /** When it was found (ms since the epoch). */
  readonly at: number;
}

/** The events a NetGear client dispatches, by name. */
export interface NetGearClientEventMap {
  /** A server joined, went quiet, came back or left. */
  serverstate: CustomEvent<ServerStateEvent>;
  /** A second server is sending on a port whose server is live (an error). */
  serverconflict: CustomEvent<ServerConflictEvent>;
  /** The client shut down (once). */
  shutdown: CustomEvent<ShutdownEvent>;
}
