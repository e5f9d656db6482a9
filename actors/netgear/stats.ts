/**
 * The figures NetGear reports: a client's per-server {@linkcode ServerStats}
 * and {@linkcode TrackedServer}s, and a server's own
 * {@linkcode NetGearServerStats} (in multi-client mode with each client's
 * {@linkcode ClientStats}, and its {@linkcode TrackedClient}s).
 *
 * @example Sum what every server sent
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ServerStats } from "./stats.ts";
 * const total = (all: ServerStats[]) => all.reduce((sum, s) => sum + s.frames, 0);
 * assert.equal(total([]), 0);
 * ```
 *
 * @module
 */

import type { ServerState } from "./events.ts";

/**
 * A port's state in a client's `stats()`: a server's state, or `"rejected"`
 * for a port that has only ever sent messages the client refused. Such a
 * port is not a server: it never joined, is not in `servers()`, and its
 * refused messages keep nothing alive; its refusals are still counted.
 */
export type ConnectionState = ServerState | "rejected";

/** One tracked server's figures, as a client's `stats()` reports them. */
export interface ServerStats {
  /** The server's port. */
  readonly port: number;
  /** Its state. */
  readonly state: ConnectionState;
  /** Frames received (each one delivered or dropped for a slow user). */
  readonly frames: number;
  /** Bytes received, on the wire. */
  readonly bytes: number;
  /** Frames per second over the last second or so. */
  readonly fps: number;
  /** Heartbeats received. */
  readonly heartbeats: number;
  /** Resent requests answered again, not delivered twice (Lazy Pirate retries). */
  readonly duplicates: number;
  /** PUB/SUB: frames lost on the way, from gaps in their numbers. */
  readonly lost: number;
  /**
   * Times the frame numbers started over: went back (a restarted server,
   * or a number spoofed by another peer in plain mode) or, in PUB/SUB,
   * jumped ahead by more than 1024. Such a frame is delivered.
   */
  readonly restarts: number;
  /**
   * Goodbyes (terminate) taken back because the port sent again within the
   * grace period (a heartbeat interval; plain mode only): most likely
   * another peer's spoof, which did not end the server.
   */
  readonly spoofedTerminates: number;
  /** Messages refused, by `ProtocolError` code. */
  readonly rejected: Readonly<Record<string, number>>;
  /**
   * Times a second server identity was found live beside another on this
   * port (each also a `serverconflict` event): two servers given one port.
   * While it lasts, `lost` and `restarts` are not counted for the port.
   */
  readonly conflicts: number;
  /**
   * The server identities heard on this port, oldest first (at most 8):
   * one per run of its server, more after restarts or in a conflict. Empty
   * for servers that send none (other implementations).
   */
  readonly serverIds: readonly string[];
  /** The data sent with the last frame that had some. */
  readonly lastMessage: unknown;
  /** The last frame's number, or -1. */
  readonly lastSeq: number;
  /** When the last message arrived (ms since the epoch), or 0. */
  readonly lastSeenAt: number;
  /** Frames waiting for `recv`. */
  readonly queued: number;
  /** Frames dropped because `recv` did not keep up (PUB/SUB). */
  readonly dropped: number;
}

/** A server the client tracks, and its state. */
export interface TrackedServer {
  /** The server's port. */
  readonly port: number;
  /** Its state. */
  readonly state: ServerState;
  /** When it last changed state (ms since the epoch). */
  readonly since: number;
}

/** A server's own figures, as a server's `stats()` reports them. */
export interface NetGearServerStats {
  /** The server's port. */
  readonly port: number;
  /**
   * Frames sent (each successful `send()`, with or without pixels): the
   * client answered them (REQ/REP) or ZeroMQ queued them (PUB/SUB).
   */
  readonly sent: number;
  /** Heartbeats sent while there was nothing else to send. */
  readonly heartbeats: number;
  /** Fresh sockets opened after the first: Lazy Pirate retries and refused handshakes. */
  readonly reconnects: number;
  /** REQ/REP: handshakes the client refused (secure mode mismatch, unknown key). */
  readonly refused: number;
  /** PUB/SUB: frames not sent, by why, whether `send()` rejected or resolved (`whenNoSubscriber`). */
  readonly dropped: {
    /** No client subscribed within `subscriberTimeout`, or it left while the frame waited. */
    readonly noSubscriber: number;
    /** The client's queue was full and the client already known to be stuck. */
    readonly queueFull: number;
    /** The client's queue stayed full for `requestTimeout`. */
    readonly expired: number;
    /** All of the above. */
    readonly total: number;
  };
  /** PUB/SUB: whether a client is subscribed now; `undefined` for other patterns. */
  readonly subscribed: boolean | undefined;
  /**
   * Multi-client mode: each client's figures, in the order of its ports;
   * absent in other modes. (Then `sent` counts frames some client answered
   * (REQ/REP) or got (PUB/SUB), and `dropped` the frames no client got.)
   */
  readonly clients?: readonly ClientStats[];
}

// ---------------------------------------------------------------- multi-client mode

/**
 * A client's state as a multi-client server sees it: `waiting` (not heard
 * from yet), `live` (answers, or is subscribed), `stale` (missed a reply or
 * unsubscribed: out of the rotation until it is back) or `gone` (stale for
 * `livenessTimeout`; still tried, and back when it answers).
 */
export type ClientState = "waiting" | "live" | "stale" | "gone";

/** A client a multi-client server sends to, and its state: `server.clients()`. */
export interface TrackedClient {
  /** The client's port. */
  readonly port: number;
  /** Its state. */
  readonly state: ClientState;
  /** When it last changed state (ms since the epoch). */
  readonly since: number;
}

/** One client's figures in a multi-client server's `stats().clients`. */
export interface ClientStats {
  /** The client's port. */
  readonly port: number;
  /** Its state. */
  readonly state: ClientState;
  /**
   * REQ/REP: frames sent to it (answered, failed or in flight); PUB/SUB:
   * frames ZeroMQ queued for it.
   */
  readonly sent: number;
  /** REQ/REP: frames it answered; 0 in PUB/SUB. */
  readonly answered: number;
  /**
   * REQ/REP: frames it did not answer in time (each then went to another
   * client); PUB/SUB: frames it did not get (not subscribed, queue full).
   */
  readonly failed: number;
  /** Heartbeats it was sent. */
  readonly heartbeats: number;
  /** Fresh sockets opened to it after the first. */
  readonly reconnects: number;
  /** REQ/REP: handshakes it refused. */
  readonly refused: number;
}

/**
 * What a multi-client REQ/REP server's `send()` resolves to (vidgear's
 * `(port, data)`): which client answered the frame and, in bidirectional
 * mode, what it sent back.
 */
export interface ClientReply {
  /** The port of the client that answered. */
  readonly port: number;
  /** Its `returnData` in bidirectional mode, else `undefined`. */
  readonly data: unknown;
}
