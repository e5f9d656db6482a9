/**
 * NetGear, vidgear's network gear, for Deno: many servers stream frames and
 * data to one client over ZeroMQ (Multi-Servers Mode), built as actors.
 *
 * - {@linkcode NetGear.open} opens a {@linkcode NetGearClient}
 *   (`receiveMode: true`) or a {@linkcode NetGearServer}, with vidgear's
 *   options in camelCase ({@linkcode NetGearOptions}).
 * - A client hands out {@linkcode Received} frames (`recv()`, `for await`),
 *   reports {@linkcode ServerStats}, and dispatches typed events
 *   ({@linkcode NetGearClientEventMap}).
 * - {@linkcode Viewer} shows a client's servers in a browser;
 *   {@linkcode previewValue} renders any received message safely.
 * - Errors: {@linkcode ConfigurationError}, {@linkcode OpenError},
 *   {@linkcode SendError}, {@linkcode ViewerError}.
 *
 * @example One server, one client, over REQ/REP
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetGear } from "./mod.ts";
 * await using client = await NetGear.open({ receiveMode: true, multiserverMode: true, port: [5867] });
 * await using server = await NetGear.open({ multiserverMode: true, port: 5867 });
 * const frame = { width: 1, height: 1, channels: 3, data: new Uint8Array(3) };
 * const sending = server.send(frame, { message: "hello" });
 * const received = await client.recv();
 * assert.ok(received?.port === 5867 && received.message === "hello");
 * await sending;
 * ```
 *
 * @module
 */

export { NetGear } from "./netgear.ts";
export { NetGearClient, type RecvOptions } from "./client.ts";
export { NetGearServer, type SendOptions } from "./server.ts";
export type { NetGearOptions, Pattern, SecureMode, ViewerListenOptions } from "./options.ts";
export type { Received } from "./received.ts";
export type {
  NetGearClientEventMap,
  ServerConflictEvent,
  ServerState,
  ServerStateEvent,
  ShutdownEvent,
  ShutdownReason,
  StateChangeReason,
} from "./events.ts";
export type { ConnectionState, NetGearServerStats, ServerStats, TrackedServer } from "./stats.ts";
export type { ClientReply, ClientState, ClientStats, TrackedClient } from "./stats.ts";
export { ConfigurationError, OpenError, SendError, ViewerError } from "./errors.ts";
export { Viewer, type ViewerClient, type ViewerOptions, type ViewerTileStats } from "./viewer.ts";
export { type PreviewOptions, previewValue } from "./preview.ts";
export { CLIENT_V8_FLAGS } from "./v8_flags.ts";
export type { Frame, PixelFormat } from "../../capture/frame.ts";
