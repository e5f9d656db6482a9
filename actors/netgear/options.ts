/**
 * NetGear's options, as {@linkcode NetGear.open} takes them.
 *
 * Names are vidgear's in camelCase. Unlike vidgear, which logs and skips a
 * bad value, every mistake is refused with a `ConfigurationError` naming the
 * option, the value and what would be valid.
 *
 * @example A multi-server client over PUB/SUB
 * ```ts
 * import assert from "node:assert/strict";
 * import type { NetGearOptions } from "./options.ts";
 * const options: NetGearOptions = {
 *   receiveMode: true, multiserverMode: true, port: [5566, 5567], pattern: 2,
 * };
 * assert.equal(options.pattern, 2);
 * ```
 *
 * @module
 */

import type { SecureMode } from "../../transports/security/secure_mode.ts";

export type { SecureMode };

/** Messaging pattern: 0 = PAIR, 1 = REQ/REP, 2 = PUB/SUB (vidgear's numbering). */
export type Pattern = 0 | 1 | 2;

/** Options of {@linkcode NetGear.open}, shared by clients and servers. */
export interface NetGearOptions {
  /**
   * The client's address. In multi-server mode servers connect to it and the
   * client binds there; in plain mode the server binds and the client connects.
   * In multi-client mode every client binds there, each on its own port, and
   * the server connects to each (as in vidgear, the clients share one address).
   *
   * @default {"127.0.0.1"}
   */
  address?: string;
  /**
   * Port(s). A multi-server client takes the non-empty list of every server's
   * distinct port, and so does a multi-client server of every client's; any
   * other server or client takes one port. A multi-server server must be
   * given its own (it is its identity).
   *
   * @default {5555 in plain mode and for a multi-client client; none otherwise}
   */
  port?: number | readonly number[];
  /**
   * Transport protocol: `"tcp"`, or `"ipc"` (Unix domain sockets, one
   * machine). With `"ipc"`, `address` is an absolute path or a bare name
   * (placed in /tmp), and each port's socket file is `<path>:<port>`
   * (vidgear's own rule), such as `/tmp/actorgear:5566` by default; the
   * client binds it and removes it when it closes (given write permission).
   *
   * @default {"tcp"}
   */
  protocol?: "tcp" | "ipc";
  /**
   * 0 = PAIR (plain mode only), 1 = REQ/REP, 2 = PUB/SUB.
   *
   * @default {1}
   */
  pattern?: Pattern;
  /**
   * `true` opens a client (receives frames), `false` a server (sends them).
   *
   * @default {false}
   */
  receiveMode?: boolean;
  /**
   * Log connections, departures and rejected messages to the terminal.
   *
   * @default {false}
   */
  logging?: boolean;
  /**
   * Many servers, one client: each server is identified by its port.
   *
   * @default {false}
   */
  multiserverMode?: boolean;
  /**
   * One server, many clients (vidgear's `multiclient_mode`): each client
   * binds its own single `port`; the server is given the list of every
   * client's port and connects to all of them. REQ/REP shares the frames out
   * among the clients that answer (`send()` resolves to
   * `{ port, data }`: the answering client's port and, in bidirectional
   * mode, its return data); PUB/SUB sends every frame to every client.
   * Pattern 1 or 2; not with `multiserverMode`.
   *
   * @default {false}
   */
  multiclientMode?: boolean;
  /**
   * The client returns data to each server with each reply (REQ/REP only).
   *
   * @default {false}
   */
  bidirectionalMode?: boolean;
  /**
   * REQ/REP: how long a server waits for the client's reply before it
   * reconnects and resends (Lazy Pirate), in milliseconds, 50 or more
   * (vidgear's `request_timeout` is in seconds: 4 s = 4000).
   *
   * @default {4000}
   */
  requestTimeout?: number;
  /**
   * REQ/REP: how many times a server resends an unanswered request before
   * `send` fails.
   *
   * @default {3}
   */
  maxRetries?: number;
  /**
   * PUB/SUB, in milliseconds (vidgear's `subscriber_timeout` is in seconds:
   * 4 s = 4000). On a client: how long it waits in silence before it marks
   * a server gone (stands for `livenessTimeout`; 50 or more). On a server:
   * how long `send` waits for a subscribed client, counted from when the
   * server noticed it had none (opened, or the client unsubscribed or
   * disconnected); past that, `whenNoSubscriber` decides (0 = never wait,
   * or 50 or more).
   *
   * @default {livenessTimeout} on a client; `requestTimeout * (maxRetries + 1)` on a server (the time a REQ server takes to give up)
   */
  subscriberTimeout?: number;
  /**
   * PUB/SUB server: what `send` does with a frame no client takes, because
   * no client has been subscribed for `subscriberTimeout` ms, or because the
   * subscribed client has taken nothing for `requestTimeout` ms (its queue
   * stayed full: a client that froze or lost its network). `"reject"`:
   * `send` rejects with a `SendError` whose code is `"no-subscriber"` or
   * `"queue-full"`. `"drop"`: `send` resolves and the frame is dropped.
   * Either way the frame is counted in `server.stats().dropped`.
   *
   * @default {"reject"}
   */
  whenNoSubscriber?: "reject" | "drop";
  /**
   * How often an idle server sends a heartbeat, in milliseconds, 10 or
   * more: at the wall clock's multiples of it, so that idle servers
   * heartbeat in step. A server tells the client its interval with every message, and
   * the client marks it `stale` after two of them in silence; for servers
   * that do not say (other implementations), the client assumes its own.
   *
   * @default {livenessTimeout / 5, from 10 to 1000; 1000 when neither is given}
   */
  heartbeatInterval?: number;
  /**
   * Client: how long a server may stay silent before it is marked `gone`,
   * in milliseconds, 50 or more: a floor, raised for a server whose own
   * heartbeat interval is longer to three of its intervals (so it is never
   * gone between heartbeats); an interval a server announces counts at most
   * as this much. Given with `heartbeatInterval`, it must exceed twice that.
   *
   * @default {5 x heartbeatInterval, at least 5000}
   */
  livenessTimeout?: number;
  /**
   * Client: how long to wait for a first server to be heard from (on any
   * port), in milliseconds, 100 or more. Past that the client shuts down
   * (`shutdownReason` `"connect-timeout"`, `recv` returns `null`) and logs
   * the ports it listened on and what to check. vidgear's REQ/REP client
   * gives up after about 12 s (`request_timeout` x `max_retries`).
   *
   * @default {undefined} wait for ever
   */
  connectTimeout?: number;
  /**
   * Largest message accepted from the network, in bytes; larger ones are
   * refused by ZeroMQ before they are read.
   *
   * @default {67108864}
   */
  maxMessageSize?: number;
  /**
   * Client: frames buffered per server between the network and `recv`. In
   * PUB/SUB the oldest is dropped (and counted) when full; in REQ/REP a server
   * waits for its reply, so at most one frame per server is ever buffered.
   *
   * @default {4}
   */
  queueSize?: number;
  /**
   * Server: JPEG-compress frames before sending (vidgear's
   * `jpeg_compression`). `true`, or the colourspace of the frames given to
   * `send` when they carry no `format` (any case), as vidgear's simplejpeg
   * takes them: `"BGR"`, `"RGB"`, `"RGBA"`, `"GRAY"` (pixel formats of
   * their own), or `"RGBX"`, `"BGRX"`, `"XBGR"`, `"XRGB"`, `"BGRA"`,
   * `"ABGR"`, `"ARGB"`: 4 channels a pixel, which the client receives in the
   * format of the same colour order (`bgr24` or `rgb24`; a JPEG keeps no
   * alpha). `"CMYK"` is refused: no pixel format holds it.
   *
   * @default {false}
   */
  jpegCompression?: boolean | string;
  /**
   * Server: JPEG quality, from 10 to 100.
   *
   * @default {90}
   */
  jpegCompressionQuality?: number;
  /**
   * Server: use the fast (less accurate) DCT when encoding.
   *
   * @default {true}
   */
  jpegCompressionFastdct?: boolean;
  /**
   * Client: use fast (less smooth) chroma upsampling when decoding.
   *
   * @default {false}
   */
  jpegCompressionFastupsample?: boolean;
  /**
   * Client: decode JPEG frames before handing them out. With `false`,
   * `Received.frame` is undefined for JPEG frames and `Received.jpeg` holds
   * the compressed bytes (for example to serve them to a browser as they
   * are); the header is still checked.
   *
   * @default {true}
   */
  jpegDecode?: boolean;
  /**
   * CurveZMQ security (vidgear's `secure_mode`); client and servers must use
   * the same mode. 0 = off; 1 = stonehouse: encrypted, servers need the
   * client's public key and the client admits any server; 2 = ironhouse:
   * encrypted, and the client admits only servers whose public key file is
   * in its `keysDir/public_keys/` (others are refused, logged once and
   * counted). Make keys with `actorgear keys generate`.
   *
   * @default {0}
   */
  secureMode?: SecureMode;
  /**
   * Where secure mode finds its keys (layout in `curve_keys.ts`): a client
   * reads `private_keys/client.key_secret` (and, in ironhouse,
   * `public_keys/*.key`), a server `private_keys/server.key_secret` and
   * `public_keys/client.key`. Only with `secureMode` 1 or 2.
   *
   * @default {"~/.actorgear/keys"}
   */
  keysDir?: string;
  /**
   * Client: serve a live view of every server in the browser (`Viewer`),
   * started once the client is open and closed when it
   * shuts down; its address is `client.viewerUrl`. `true` listens on
   * 127.0.0.1 on a free port; an object says where (`port` 0 = a free one).
   * Needs `--allow-net` for that address.
   *
   * @default {false}
   */
  viewer?: boolean | ViewerListenOptions;
  /**
   * Aborts opening; once open, aborting closes the client or server.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  // ------------------------------------------- vidgear interop: wire format, SSH tunnels
  /**
   * The bytes on the wire (multi-server mode): `"cbor"`, ActorGear's own
   * envelopes; or `"vidgear"`, vidgear 0.3.5's NetGear format, so a Python
   * vidgear server streams to this client, or this server to a vidgear
   * client. vidgear has no heartbeats and no frame numbers: the client
   * judges liveness by frames alone (`livenessTimeout` of silence and a
   * server is gone), numbers frames as they arrive (no loss is seen, a
   * Lazy Pirate resend is delivered twice), and its messages and return
   * data must be JSON data (or, returned, a `bgr24`/`gray` Frame). Both
   * ends must use the same wire.
   *
   * @default {"cbor"}
   */
  wire?: "cbor" | "vidgear";
  /**
   * Server, multi-server mode: reach the client through an SSH tunnel
   * (vidgear's `ssh_tunnel_mode`): `"user@host"` or `"user@host:port"`, the
   * SSH server, from which the client's `address:port` is reached. OpenSSH's
   * `ssh -N -L` runs beside the server, opened before its socket and closed
   * after its goodbye. If ssh exits (the link dropped), the pending send
   * fails with a `SendError` whose code is `"ssh-tunnel"`, and the next
   * frame's send opens a new tunnel (at most once every `requestTimeout`).
   * Needs `--allow-run` (ssh) and `--allow-net=127.0.0.1` (a free local port).
   *
   * @default {undefined} no tunnel
   */
  sshTunnelMode?: string;
  /**
   * The SSH password (vidgear's `ssh_tunnel_pwd`), given to ssh through a
   * throwaway askpass script, never on a command line or on disk. Needs
   * OpenSSH 8.4 or newer and `--allow-write` for the script's temporary
   * directory. Prefer `sshTunnelKeyfile`.
   *
   * @default {undefined} key authentication only
   */
  sshTunnelPwd?: string;
  /**
   * The private key to log in with (vidgear's `ssh_tunnel_keyfile`); only
   * that key is offered.
   *
   * @default {undefined} ssh's own keys and agent
   */
  sshTunnelKeyfile?: string;
  /**
   * The known_hosts file holding the SSH server's host key.
   *
   * @default {undefined} ssh's own (~/.ssh/known_hosts)
   */
  sshTunnelKnownHosts?: string;
  /**
   * `true` refuses an SSH server whose host key is not known;
   * `"accept-new"` trusts an unknown one on first use (but never a changed
   * one); `false` accepts any (open to man-in-the-middle attacks).
   *
   * @default {true}
   */
  sshTunnelStrictHostKey?: boolean | "accept-new";
}

/** Where the client's live viewer listens (the `viewer` option). */
export interface ViewerListenOptions {
  /**
   * The port; 0 picks a free one.
   *
   * @default {0}
   */
  port?: number;
  /**
   * The address; `"0.0.0.0"` shows the video to the network.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
}
