/**
 * Options shared by the ZeroMQ transport actors: the client side's
 * ({@linkcode ZmqClientTransportOptions}) and the server side's
 * ({@linkcode ZmqServerTransportOptions}). Each pattern's transport adds its
 * own.
 *
 * @module
 */

import type { TransportProtocol } from "./endpoint.ts";
import type { SecureMode } from "./security/secure_mode.ts";
import type { SendCancels } from "./send_cancels.ts";
import type { SshTunnelOptions } from "./ssh_tunnel.ts";
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
  // ------------------------------------------ wire format, protocol (vidgear interop)
  /**
   * What the bytes on the wire are: ActorGear's CBOR envelopes, or vidgear
   * 0.3.5's own format (`protocol/VIDGEAR.md`), to receive from vidgear
   * servers.
   *
   * @default {"cbor"}
   */
  readonly wire?: WireFormat;
  /**
   * `"tcp"`, or `"ipc"` for Unix domain sockets (see `endpoint.ts` for the
   * path of each port).
   *
   * @default {"tcp"}
   */
  readonly protocol?: TransportProtocol;
  /**
   * vidgear wire, REQ/REP: answer every frame with a bidirectional reply
   * (`return_type`, `data`), as a vidgear server in bidirectional mode
   * reads it, even when there is no return data; otherwise frames are
   * answered with vidgear's acknowledgement text.
   *
   * @default {false}
   */
  readonly bidirectional?: boolean;
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
  // ------------------------------ wire format, protocol, SSH tunnel (vidgear interop)
  /**
   * What the bytes on the wire are: ActorGear's CBOR envelopes, or vidgear
   * 0.3.5's own format (`protocol/VIDGEAR.md`), to send to vidgear clients.
   *
   * @default {"cbor"}
   */
  readonly wire?: WireFormat;
  /**
   * `"tcp"`, or `"ipc"` for Unix domain sockets (see `endpoint.ts` for the
   * path of the port).
   *
   * @default {"tcp"}
   */
  readonly protocol?: TransportProtocol;
  /**
   * vidgear wire: the flags a JPEG frame's header carries, which tell a
   * vidgear receiver to decode with the fast DCT (`dct`) and fast chroma
   * upsampling (`ups`).
   *
   * @default {{ fastDct: true, fastUpsample: false }}
   */
  readonly jpegFlags?: { readonly fastDct: boolean; readonly fastUpsample: boolean };
  /**
   * Connect through an SSH tunnel (vidgear's `ssh_tunnel_mode`): `ssh -N -L`
   * to `destination` is opened before the socket, which connects to the
   * tunnel's local end instead of `address:port`; `address:port` is then
   * reached as the SSH server sees it. Only with `role: "connect"` and
   * `"tcp"`. The tunnel closes after the socket.
   *
   * @default {undefined} no tunnel
   */
  readonly sshTunnel?: ServerSshTunnelOptions;
}

/** The wire formats: ActorGear's CBOR envelopes (`PROTOCOL.md`), or vidgear 0.3.5's (`VIDGEAR.md`). */
export type WireFormat = "cbor" | "vidgear";

/**
 * How a server transport reaches its client through SSH: {@linkcode SshTunnelOptions}
 * without what the transport decides itself (the remote end is the
 * transport's `address` and `port`, the local port a free one).
 */
export type ServerSshTunnelOptions = Omit<
  SshTunnelOptions,
  "remotePort" | "remoteHost" | "localPort" | "signal"
>;
