/**
 * ActorGear's transports: NetGear (many servers, one client) over ZeroMQ
 * sockets that never hang under Deno, and the CBOR wire protocol
 * (`PROTOCOL.md` beside this file).
 *
 * @example Two servers, one client
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetGear } from "./mod.ts";
 * const client = await NetGear.open({ receiveMode: true, multiserverMode: true, port: [5866, 5867] });
 * const server = await NetGear.open({ multiserverMode: true, port: 5867 });
 * const frame = { width: 1, height: 1, channels: 3, data: new Uint8Array(3) };
 * const sending = server.send(frame, { message: "hello" });
 * assert.ok((await client.recv())?.port === 5867);
 * await sending;
 * await server.close();
 * await client.close();
 * ```
 *
 * @module
 */

export * from "../capture/frame.ts";
export * from "./netgear.ts";
export * from "./netgear_options.ts";
export * from "./protocol/protocol.ts";
export * from "./errors.ts";
export * from "./zmq/zmq_socket.ts";
export * from "./viewer.ts";
export * from "./preview.ts";
export * from "../cli/v8_flags.ts";
