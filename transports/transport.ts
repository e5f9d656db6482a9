/**
 * The transport interface, as messages in NetGear's terms: what a client
 * transport actor tells its parent and accepts, what a server transport
 * actor accepts and answers. Frames, heartbeats, goodbyes and replies, never
 * envelopes: protocol versions, envelope kinds, frame numbering on the
 * sender and the reply a Lazy Pirate retry gets again are the transport's
 * business (`protocol/PROTOCOL.md`).
 *
 * Implementations: {@linkcode RepClientTransport} and
 * {@linkcode SubClientTransport} (clients), {@linkcode ReqServerTransport}
 * and {@linkcode PubServerTransport} (servers) over ZeroMQ, and
 * {@linkcode MemoryClientTransport} for tests.
 *
 * @example A parent of a client transport handles every event
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ClientTransportEvent } from "./transport.ts";
 *
 * function describe(event: ClientTransportEvent): string {
 *   switch (event.type) {
 *     case "FrameArrived":
 *       return `frame ${event.seq} from ${event.port}`;
 *     case "FrameResent":
 *       return `frame ${event.seq} again from ${event.port}, answered as before`;
 *     case "HeartbeatArrived":
 *       return `heartbeat from ${event.port}`;
 *     case "GoodbyeArrived":
 *       return `goodbye from ${event.port}`;
 *     case "MessageRefused":
 *       return `refused on ${event.port}: ${event.code}`;
 *     case "TransportFailed":
 *       return `port ${event.port} failed: ${event.reason}`;
 *   }
 * }
 * assert.equal(describe({ type: "GoodbyeArrived", port: 5566, bytes: 20 }), "goodbye from 5566");
 * ```
 *
 * @module
 */

import type { ActorRef } from "../actors/actor_ref.ts";
import type { Frame, PixelFormat } from "../capture/frame.ts";

// ------------------------------------------------------------------ client

/** A frame (or data alone) from the server on `port`, checked and decoded. */
export interface FrameArrived {
  /** The message's tag. */
  readonly type: "FrameArrived";
  /** The port it came in on: the server's identity. */
  readonly port: number;
  /** The server's frame number, from 0, without gaps at the sender. */
  readonly seq: number;
  /** When the server sent it (ms since the epoch, the server's clock). */
  readonly sentAt: number;
  /**
   * The pixels, decoded from JPEG when the frame came compressed; `undefined`
   * for data alone, or for JPEG the client was told not to decode.
   */
  readonly frame: Frame | undefined;
  /** The JPEG bytes as received, when the frame came compressed. */
  readonly jpeg?: Uint8Array;
  /** The data the server sent with it, if any. */
  readonly message: unknown;
  /** Its size on the wire, in bytes (with those of `skipped` frames). */
  readonly bytes: number;
  /**
   * PUB/SUB: frames from this port dropped unseen just before this one
   * because the user had no room for them.
   */
  readonly skipped?: number;
  /** The sender's identity, when it says (PROTOCOL.md §5.4). */
  readonly serverId?: string;
  /** The sender's heartbeat interval in ms, when it says (PROTOCOL.md §5.3). */
  readonly heartbeatInterval?: number;
}

/**
 * REQ/REP: the server sent its last frame again (a Lazy Pirate retry: it
 * missed the reply). The transport answered it with the same reply; the
 * frame is not passed on twice.
 */
export interface FrameResent {
  /** The message's tag. */
  readonly type: "FrameResent";
  /** The server's port. */
  readonly port: number;
  /** The frame's number. */
  readonly seq: number;
  /** Its size on the wire, in bytes. */
  readonly bytes: number;
  /** The sender's identity, when it says (PROTOCOL.md §5.4). */
  readonly serverId?: string;
  /** The sender's heartbeat interval in ms, when it says (PROTOCOL.md §5.3). */
  readonly heartbeatInterval?: number;
}

/** The server on `port` is there and has nothing to send (already answered in REQ/REP). */
export interface HeartbeatArrived {
  /** The message's tag. */
  readonly type: "HeartbeatArrived";
  /** The server's port. */
  readonly port: number;
  /** Its size on the wire, in bytes. */
  readonly bytes: number;
  /** The sender's identity, when it says (PROTOCOL.md §5.4). */
  readonly serverId?: string;
  /** The sender's heartbeat interval in ms, when it says (PROTOCOL.md §5.3). */
  readonly heartbeatInterval?: number;
}

/** The server on `port` says it is leaving (already answered in REQ/REP). */
export interface GoodbyeArrived {
  /** The message's tag. */
  readonly type: "GoodbyeArrived";
  /** The server's port. */
  readonly port: number;
  /** Its size on the wire, in bytes. */
  readonly bytes: number;
  /** The sender's identity, when it says (PROTOCOL.md §5.4). */
  readonly serverId?: string;
  /** The sender's heartbeat interval in ms, when it says (PROTOCOL.md §5.3). */
  readonly heartbeatInterval?: number;
}

/**
 * A message on `port` was refused (bad CBOR, bad fields, too large, bad
 * JPEG…); in REQ/REP its sender already has an error reply.
 */
export interface MessageRefused {
  /** The message's tag. */
  readonly type: "MessageRefused";
  /** The port it came in on. */
  readonly port: number;
  /** Why, as a `ProtocolError` code such as `"malformed-cbor"`. */
  readonly code: string;
  /** What was wrong with it. */
  readonly reason: string;
}

/** The transport failed on `port`; it reopens the port by itself. */
export interface TransportFailed {
  /** The message's tag. */
  readonly type: "TransportFailed";
  /** The port. */
  readonly port: number;
  /** What failed. */
  readonly reason: string;
}

/**
 * What one port's server did: the events a client transport can tell
 * straight to that server's own actor (see {@linkcode ClientRoute}) instead
 * of its parent.
 */
export type ServerEvent = FrameArrived | FrameResent | HeartbeatArrived | GoodbyeArrived;

/**
 * Where a client transport tells each port's {@linkcode ServerEvent}s: the
 * actor tracking that server, so a frame goes straight from the socket to
 * it, not through a supervisor; `undefined` for the transport's parent.
 * Refusals and failures always go to the parent.
 */
export type ClientRoute = (port: number) => ActorRef<ServerEvent> | undefined;

/** What a client transport tells its parent (and, routed, each server's own actor). */
export type ClientTransportEvent =
  | FrameArrived
  | FrameResent
  | HeartbeatArrived
  | GoodbyeArrived
  | MessageRefused
  | TransportFailed;

/**
 * REQ/REP: answer the frame `seq` pending on `port`, with `returnData` in
 * bidirectional mode. A reply for a frame no longer pending (its socket was
 * replaced meanwhile) is dropped.
 */
export interface Reply {
  /** The message's tag. */
  readonly type: "Reply";
  /** The server's port. */
  readonly port: number;
  /** The number of the frame answered. */
  readonly seq: number;
  /** Data for the server, or `undefined`. */
  readonly returnData: unknown;
}

/** What a client transport accepts. */
export type ClientTransportCommand = Reply;

// ------------------------------------------------------------------ server

/** A frame as a server hands it to its transport: raw pixels, or JPEG. */
export interface OutgoingFrame {
  /** Width in pixels, an integer 1..65535. */
  readonly width: number;
  /** Height in pixels, an integer 1..65535. */
  readonly height: number;
  /** Channels per pixel, those of `format`. */
  readonly channels: number;
  /** Pixel layout (of the decoded image for JPEG). */
  readonly format: PixelFormat;
  /** `"raw"`: `data` holds the pixels; `"jpeg"`: a JPEG file of them. */
  readonly encoding: "raw" | "jpeg";
  /** The bytes; in REQ/REP sent straight from here: leave them unchanged until answered. */
  readonly data: Uint8Array;
}

/** How a server transport's send ended. */
export type SendOutcome = Sent | Replied | SendFailed;

/** Sent: ZeroMQ queued it (PUB, PAIR), or it was dropped as `whenNoSubscriber: "drop"` says. */
export interface Sent {
  /** The message's tag. */
  readonly type: "Sent";
}

/** REQ/REP: the client answered. */
export interface Replied {
  /** The message's tag. */
  readonly type: "Replied";
  /** What the client sent back (bidirectional mode), or `undefined`. */
  readonly returnData: unknown;
  /** Multi-client mode: the port of the client that answered. */
  readonly port?: number;
}

/** Not sent, or not answered. */
export interface SendFailed {
  /** The message's tag. */
  readonly type: "SendFailed";
  /** Why, such as `"no-reply"`, `"refused"`, `"no-subscriber"`, `"closed"` (see `SendError`). */
  readonly code: string;
  /** What happened and what to do. */
  readonly reason: string;
}

/** Send a frame (or data alone); the outcome goes to `replyTo`. */
export interface SendFrame {
  /** The message's tag. */
  readonly type: "SendFrame";
  /** The frame, or `undefined` for data alone. */
  readonly frame: OutgoingFrame | undefined;
  /** Data of any CBOR-encodable type, or `undefined`. */
  readonly message: unknown;
  /** Told the outcome. */
  readonly replyTo: ActorRef<SendOutcome>;
  /**
   * The send's number in a `SendCancels` shared with the transport, so that
   * its owner can cancel it (outcome code `"cancelled"`).
   *
   * @default {undefined} cannot be cancelled
   */
  readonly id?: number;
}

/**
 * Tell the client this server is there: one attempt, no retry and no wait
 * for a subscriber (an unanswered heartbeat means the client is away).
 */
export interface SendHeartbeat {
  /** The message's tag. */
  readonly type: "SendHeartbeat";
  /**
   * Send only if nothing has gone out for this long, in ms (frames show the
   * server is there as well as a heartbeat would); otherwise answer `Sent`
   * at once.
   *
   * @default {0} always send
   */
  readonly ifIdleForMs?: number;
  /** Told the outcome. */
  readonly replyTo: ActorRef<SendOutcome>;
}

/** Tell the client this server is leaving: one attempt, so that closing is never held up. */
export interface SendGoodbye {
  /** The message's tag. */
  readonly type: "SendGoodbye";
  /** Told the outcome. */
  readonly replyTo: ActorRef<SendOutcome>;
}

/** What a server transport accepts. */
export type ServerTransportCommand = SendFrame | SendHeartbeat | SendGoodbye;

/**
 * A server transport's running figures, shared with whoever reads them (the
 * transport's restarts keep the same object). Frames are every successful
 * {@linkcode SendFrame}, with or without pixels.
 */
export interface ServerTransportStats {
  /** Frames ZeroMQ took (PUB, PAIR) or the client answered (REQ). */
  sent: number;
  /** Heartbeats sent. */
  heartbeats: number;
  /** Fresh sockets opened after the first: Lazy Pirate retries, refused handshakes. */
  reconnects: number;
  /** REQ: handshakes the client refused. */
  refused: number;
  /** Frames not sent, by why; counted whether the send failed or was dropped. */
  dropped: {
    /** PUB: no client subscribed within `subscriberTimeout`. */
    noSubscriber: number;
    /** PUB: the client's queue was full and the client was already known to be stuck. */
    queueFull: number;
    /** PUB: the client's queue stayed full for `requestTimeout`. */
    expired: number;
  };
  /** PUB: whether a client is subscribed now; `undefined` for other patterns. */
  subscribed: boolean | undefined;
}

/**
 * Fresh, zeroed figures for a server transport.
 *
 * @param publishes Whether the transport publishes (PUB), so that
 * `subscribed` means something.
 * @returns Figures to pass to the transport and read later.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newServerTransportStats } from "./transport.ts";
 * assert.equal(newServerTransportStats(true).subscribed, false);
 * assert.equal(newServerTransportStats(false).subscribed, undefined);
 * ```
 */
export function newServerTransportStats(publishes: boolean): ServerTransportStats {
  return {
    sent: 0,
    heartbeats: 0,
    reconnects: 0,
    refused: 0,
    dropped: { noSubscriber: 0, queueFull: 0, expired: 0 },
    subscribed: publishes ? false : undefined,
  };
}
