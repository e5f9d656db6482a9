/**
 * ActorGear: stream video frames and data from many servers to one client
 * over ZeroMQ, built as a system of actors. The TypeScript counterpart of
 * vidgear's NetGear Multi-Servers Mode, for Deno.
 *
 * - {@linkcode NetGear}: `await NetGear.open(options)` gives a client
 *   (`receiveMode: true`) or a server.
 * - Frame sources for servers: {@linkcode SyntheticSource},
 *   {@linkcode FfmpegSource}, {@linkcode PiCameraSource}.
 * - The actor runtime NetGear is built on: {@linkcode ActorSystem} and friends.
 * - The wire protocol: {@linkcode ProtocolCodec} (see `transports/protocol/PROTOCOL.md`).
 *
 * @example Two servers, one client, over REQ/REP
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetGear, SyntheticSource } from "./mod.ts";
 *
 * const client = await NetGear.open({
 *   receiveMode: true, multiserverMode: true, port: [5966, 5967], pattern: 1,
 * });
 * for (const port of [5966, 5967]) {
 *   const server = await NetGear.open({ multiserverMode: true, port, pattern: 1 });
 *   const source = new SyntheticSource({ width: 64, height: 48, fps: 0, frames: 2, name: `cam ${port}` });
 *   (async () => {
 *     for await (const frame of source) await server.send(frame, { message: `I'm at ${port}` });
 *     await server.close();
 *   })();
 * }
 * let frames = 0;
 * for await (const { port, frame, message } of client) {
 *   assert.ok(frame?.width === 64 && message === `I'm at ${port}`);
 *   frames++;
 * }
 * assert.ok(frames === 4); // the loop ends once both servers have left
 * ```
 *
 * @module
 */

export * from "./transports/mod.ts";
export * from "./capture/mod.ts";
export * from "./actors/mod.ts";
