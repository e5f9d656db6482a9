/**
 * The messages NetGear's actors exchange: plain, CBOR-encodable data.
 *
 * The transport messages here are the transport interface: any actor that
 * accepts {@linkcode ClientTransportCommand} and tells its parent
 * {@linkcode ClientTransportEvent} can carry a client (ZeroMQ in
 * `transports/`, or an in-memory one in tests).
 *
 * @module
 */

import type { ActorRef } from "../actor_ref.ts";
import type { Envelope } from "../../transports/protocol/protocol.ts";

/** A tracked server's state, as the liveness actor sees it. */
export type ServerState = "live" | "stale" | "gone";

/** Why a server's state changed. */
export type StateChangeReason =
  | "joined"
  | "rejoined"
  | "silent"
  | "heard"
  | "terminated"
  | "timeout";

// ---------------------------------------------------------------- transport

/** A message arrived on `port` and decoded cleanly. */
export interface EnvelopeReceived {
  readonly type: "EnvelopeReceived";
  readonly port: number;
  readonly envelope: Envelope;
  /** Its size on the wire, in bytes. */
  readonly bytes: number;
  /**
   * The JPEG bytes as received, when the frame came compressed (the
   * envelope's frame then holds the decoded pixels, or none when the client
   * does not decode).
   */
  readonly jpeg?: Uint8Array;
  /**
   * PUB/SUB: frames from this port dropped unseen just before this one
   * because the user had no room for them (their bytes are in `bytes`).
   */
  readonly skipped?: number;
}

/** A message on `port` was refused (bad CBOR, bad fields, too large…). */
export interface EnvelopeRejected {
  readonly type: "EnvelopeRejected";
  readonly port: number;
  /** The `ProtocolError` code, such as `"malformed-cbor"`. */
  readonly code: string;
  readonly reason: string;
}

/** A transport socket failed and stopped serving `port`. */
export interface TransportFailed {
  readonly type: "TransportFailed";
  readonly port: number;
  readonly reason: string;
}

/** What a client transport tells its parent. */
export type ClientTransportEvent =
  | EnvelopeReceived
  | EnvelopeRejected
  | TransportFailed;

/** Answer the request pending on `port` (REQ/REP only). */
export interface SendReply {
  readonly type: "SendReply";
  readonly port: number;
  readonly envelope: Envelope;
}

/** What a client transport accepts. */
export type ClientTransportCommand = SendReply;

/** How a server transport's send ended. */
export type SendOutcome =
  | { readonly type: "Sent" }
  | { readonly type: "Replied"; readonly envelope: Envelope }
  | { readonly type: "SendFailed"; readonly code: string; readonly reason: string };

/** Send `envelope`; REQ/REP waits for the reply. The outcome goes to `replyTo`. */
export interface SendEnvelope {
  readonly type: "SendEnvelope";
  readonly envelope: Envelope;
  readonly replyTo: ActorRef<SendOutcome>;
  /**
   * Give up quickly: one attempt, no retries, and no waiting for a
   * subscriber (used for the goodbye, which must not hold up closing).
   */
  readonly once?: boolean;
}

/** What a server transport accepts. */
export type ServerTransportCommand = SendEnvelope;

// --------------------------------------------------------------- connection

/** A frame or data from this connection's server. */
export interface ConnectionEnvelope {
  readonly type: "Envelope";
  readonly envelope: Envelope;
  readonly bytes: number;
  readonly at: number;
  readonly jpeg?: Uint8Array;
  /** Frames dropped unseen just before this one (see {@linkcode EnvelopeReceived}). */
  readonly skipped?: number;
}

/** The user took the frame `seq`; reply with `returnData` (REQ/REP). */
export interface Consumed {
  readonly type: "Consumed";
  readonly port: number;
  readonly seq: number;
  readonly returnData: unknown;
}

/** A message from this server was refused. */
export interface ConnectionRejected {
  readonly type: "Rejected";
  readonly code: string;
}

/** This server's goodbye was taken back by a later message (see {@linkcode TerminateRetracted}). */
export interface ConnectionTerminateSpoofed {
  readonly type: "TerminateSpoofed";
}

/** The liveness actor moved this server to `state`. */
export interface ConnectionStateChanged {
  readonly type: "StateChanged";
  readonly state: ServerState;
}

/** Reply with this connection's figures. */
export interface GetConnectionStats {
  readonly type: "GetStats";
  readonly replyTo: ActorRef<ConnectionStats>;
}

/** What a connection actor accepts. */
export type ConnectionMessage =
  | ConnectionEnvelope
  | Consumed
  | ConnectionRejected
  | ConnectionTerminateSpoofed
  | ConnectionStateChanged
  | GetConnectionStats;

/**
 * A port's state in `stats()`: a server's state, or `"rejected"` for a
 * port that has only ever sent messages the client refused. Such a port is
 * not a server: it never joined, is not in `servers()`, and its refused
 * messages keep nothing alive; its refusals are still counted.
 */
export type ConnectionState = ServerState | "rejected";

/** One tracked server's figures. */
export interface ConnectionStats {
  readonly port: number;
  readonly state: ConnectionState;
  readonly frames: number;
  readonly bytes: number;
  /** Frames per second over the last second or so. */
  readonly fps: number;
  readonly heartbeats: number;
  /** Resent requests dropped as duplicates (Lazy Pirate retries). */
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
  readonly lastMessage: unknown;
  readonly lastSeq: number;
  /** When the last message arrived (ms since the epoch), or 0. */
  readonly lastSeenAt: number;
}

/** A frame ready for the user, handed to the client's delivery queue. */
export interface Delivery {
  readonly port: number;
  readonly seq: number;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly frame: Envelope["frame"];
  /** The compressed bytes of a JPEG frame, as received. */
  readonly jpeg?: Uint8Array;
  readonly message: unknown;
}

/** What a connection actor tells its parent. */
export type ConnectionEvent =
  | {
    readonly type: "Deliver";
    readonly delivery: Delivery;
    /**
     * Frames of this server dropped unseen just before this one: the user
     * is behind, so the frames still queued for it are stale too.
     */
    readonly skipped?: number;
  }
  | { readonly type: "ReplyNow"; readonly port: number; readonly envelope: Envelope };

// ----------------------------------------------------------------- liveness

/** What the liveness actor accepts. */
export type LivenessMessage =
  | {
    readonly type: "Seen";
    readonly port: number;
    readonly at: number;
    /** The client holds an unanswered request from this server (REQ/REP). */
    readonly holding: boolean;
  }
  | { readonly type: "Terminated"; readonly port: number; readonly at: number }
  | { readonly type: "Tick"; readonly at: number };

/** A server's state changed. */
export interface ServerStateChanged {
  readonly type: "ServerStateChanged";
  readonly port: number;
  readonly state: ServerState;
  readonly previous: ServerState | undefined;
  readonly reason: StateChangeReason;
  readonly at: number;
}

/** Every server seen so far is gone. */
export interface AllServersGone {
  readonly type: "AllServersGone";
  readonly at: number;
}

/**
 * A server that said goodbye (terminate) sent again before its goodbye
 * took effect: the goodbye is void, and most likely was not its own.
 */
export interface TerminateRetracted {
  readonly type: "TerminateRetracted";
  readonly port: number;
  readonly at: number;
}

/** What the liveness actor tells its parent. */
export type LivenessEvent = ServerStateChanged | AllServersGone | TerminateRetracted;

// --------------------------------------------------------------- supervisor

/** Reply with every connection's figures. */
export interface GetClientStats {
  readonly type: "GetClientStats";
  readonly replyTo: ActorRef<ConnectionStats[]>;
}

/** What the client supervisor accepts. */
export type ClientSupervisorMessage =
  | ClientTransportEvent
  | ConnectionEvent
  | LivenessEvent
  | Consumed
  | GetClientStats;
