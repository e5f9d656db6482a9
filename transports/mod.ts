/**
 * ActorGear's transports: ZeroMQ sockets that never hang under Deno, the
 * CBOR wire protocol (`PROTOCOL.md` in `protocol/`), JPEG, CURVE keys, and
 * the transport actors NetGear runs on.
 *
 * - The transport interface, as messages ({@linkcode ClientTransportEvent},
 *   {@linkcode ClientTransportCommand}, {@linkcode ServerTransportCommand},
 *   {@linkcode SendOutcome}), and its implementations: per pattern and side
 *   over ZeroMQ ({@linkcode RepClientTransport},
 *   {@linkcode SubClientTransport}, {@linkcode ReqServerTransport},
 *   {@linkcode PubServerTransport}) and in memory for tests
 *   ({@linkcode MemoryClientTransport}).
 * - {@linkcode ZmqSocket}: a ZeroMQ socket with `send`/`receive` that wait
 *   event-driven, cancellable by `AbortSignal`.
 * - {@linkcode ProtocolCodec}: envelopes to bytes and back.
 * - vidgear interop: {@linkcode VidgearCodec} (vidgear 0.3.5's own NetGear
 *   format, `protocol/VIDGEAR.md`), {@linkcode SshTunnel} (vidgear's
 *   `ssh_tunnel_mode` with OpenSSH), and {@linkcode zmqEndpoint} (tcp and
 *   ipc endpoints).
 *
 * @example PUSH to PULL over loopback
 * ```ts
 * import assert from "node:assert/strict";
 * import { ZmqSocket } from "./mod.ts";
 * await using pull = new ZmqSocket("pull");
 * await pull.bind("tcp://127.0.0.1:*");
 * await using push = new ZmqSocket("push");
 * push.connect(pull.lastEndpoint!);
 * await push.send(new TextEncoder().encode("hi"));
 * const [part] = await pull.receive({ signal: AbortSignal.timeout(5000) });
 * assert.equal(new TextDecoder().decode(part), "hi");
 * ```
 *
 * @module
 */

export * from "./transport.ts";
export * from "./zmq_transport_options.ts";
export * from "./rep_client_transport.ts";
export * from "./sub_client_transport.ts";
export * from "./req_server_transport.ts";
export * from "./pub_server_transport.ts";
export * from "./multi_client_transport.ts";
export * from "./memory_transport.ts";
export * from "./send_size.ts";
export * from "./send_cancels.ts";
export * from "./protocol/protocol.ts";
export * from "./errors.ts";
export * from "./zmq/zmq_socket.ts";
export * from "./codecs/jpeg.ts";
export * from "./codecs/errors.ts";
export * from "./security/secure_mode.ts";
export * from "./security/curve_keys.ts";
export * from "./security/errors.ts";
export * from "./security/zap_handler.ts";
// vidgear interop: its wire format, SSH tunnels, ipc endpoints.
export * from "./protocol/vidgear_codec.ts";
export * from "./ssh_tunnel.ts";
export * from "./endpoint.ts";
// The types the transport actors' signatures name: the actor runtime's
// (Actor, ActorContext, ActorRef, Props and what they refer to) and frames.
export type * from "../actors/mod.ts";
export type { Frame, PixelFormat } from "../capture/frame.ts";
