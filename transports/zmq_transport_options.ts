/**
 * Options shared by the ZeroMQ transport actors: the client side's
 * ({@linkcode ZmqClientTransportOptions}) and the server side's
 * ({@linkcode ZmqServerTransportOptions}). Each pattern's transport adds its
 * own.
 *
 * @module
 */

import type { SecureMode } from "./security/secure_mode.ts";
import type { SendCancels } from "./send_cancels.ts";
import type { ClientRoute, ServerTransportStats } from "./transport.ts";
import type { SocketKind, ZmqSocket, ZmqSocketOptions } from "./zmq/zmq_socket.ts";

/** How a client transport opens its sockets, one per port. */
export interface ZmqClientTransportOptions {
  /** Host to bind or connect to. */
  readonly address: string;
  /** One socket per port. */
  readonly ports: readonly number[];
  /** Bind (multi-server: servers connect to us) or connect (plain mode). */
  readonly role: "bind" | "connect";
  /** Largest message accepted, in bytes. */
  readonly maxMessageSize: number;
  /** Told once every socket is open, or with the error that stopped it. */
  readonly onReady: (error?: unknown) => void;
  /**
   * What to do with JPEG frames: decode them (`Received.frame`) or only
   * check their header, and with which chroma upsampling.
   *
   * @default {{ decode: true, fastUpsample: false }}
   */
  readonly jpeg?: { readonly decode: boolean; readonly fastUpsample: boolean };
  /**
   * 0 = plain; 1 = CURVE server; 2 = CURVE server admitting only known
   * servers (ZAP).
   *
   * @default {0}
   */
  readonly secureMode?: SecureMode;
  /** Where the keys are; needed when `secureMode` is 1 or 2. */
  readonly keysDir?: string;
  /**
   * How often a port whose receive loop failed is reopened: at most `max`
   * times within any `withinMs`; past that the next reopening waits until
   * the oldest one leaves the window, so a port keeps coming back at a
   * bounded rate instead of spinning or staying down.
   *
   * @default {{ max: 5, withinMs: 10_000 }}
   */
  readonly portRestarts?: { readonly max: number; readonly withinMs: number };
  /**
   * Makes each port's socket (tests inject failures with it).
   *
   * @default {(kind, options) => new ZmqSocket(kind, options)}
   */
  readonly openSocket?: (kind: SocketKind, options: ZmqSocketOptions) => ZmqSocket;
  /**
   * Where each port's frames, resends, heartbeats and goodbyes go, so that
   * they skip the parent (see {@linkcode ClientRoute}).
   *
   * @default {undefined} everything to the parent
   */
  readonly route?: ClientRoute;
}

/** How a server transport opens its socket. */
export interface ZmqServerTransportOptions {
  /** The client's host (connect) or the interface to bind. */
  readonly address: string;
  /** This server's port. */
  readonly port: number;
  /** Connect to the client (multi-server mode) or bind (plain mode). */
  readonly role: "bind" | "connect";
  /**
   * REQ: wait for a reply this long before retrying; PUB: the longest a
   * frame waits for room in a full client queue. In ms.
   */
  readonly requestTimeout: number;
  /** Largest message accepted, in bytes. */
  readonly maxMessageSize: number;
  /** Told once the socket is open, or with the error that stopped it. */
  readonly onReady: (error?: unknown) => void;
  /**
   * 0 = plain; 1 or 2 = CURVE client with this server's keys and the
   * client's public key.
   *
   * @default {0}
   */
  readonly secureMode?: SecureMode;
  /** Where the keys are; needed when `secureMode` is 1 or 2. */
  readonly keysDir?: string;
  /**
   * Where the figures go (see `newServerTransportStats`).
   *
   * @default {a fresh object}
   */
  readonly stats?: ServerTransportStats;
  /**
   * Where the owner cancels sends it no longer waits for (see
   * `SendFrame.id`).
   *
   * @default {undefined} sends run to their end
   */
  readonly cancels?: SendCancels;
  /**
   * The server's heartbeat interval in ms, told to the client with every
   * message (key `hb`, PROTOCOL.md §5.3).
   *
   * @default {undefined} not told
   */
  readonly heartbeatInterval?: number;
  /**
   * The server's identity, told to the client with every message (key
   * `sid`, PROTOCOL.md §5.4).
   *
   * @default {undefined} not told
   */
  readonly serverId?: string;
}
