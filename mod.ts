/**
 * ActorGear: stream video frames and data from many servers to one client
 * over ZeroMQ, built as a system of actors. The TypeScript counterpart of
 * vidgear's NetGear Multi-Servers Mode, for Deno.
 *
 * This entry point holds what a NetGear user needs:
 *
 * - {@linkcode NetGear}: `await NetGear.open(options)` gives a client
 *   (`receiveMode: true`) or a server; their options, figures, events and
 *   errors; the live {@linkcode Viewer} and {@linkcode previewValue}.
 * - {@linkcode Frame}s and the sources that make them:
 *   {@linkcode SyntheticSource}, {@linkcode FfmpegSource},
 *   {@linkcode PiCameraSource}; {@linkcode buildMontages} to tile them.
 * - {@linkcode generateKeys} for secure mode.
 *
 * The building blocks have their own entry points: `./netgear` (NetGear
 * alone), `./actors` (the actor runtime), `./transports` (ZeroMQ sockets,
 * the transport actors and the wire protocol, `transports/protocol/PROTOCOL.md`),
 * `./capture` and `./processing` (MediaPipe face detection and other
 * processors; importing this module does not load MediaPipe).
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

export * from "./actors/netgear/mod.ts";
export { CHANNELS_OF, type Frame, PIXEL_FORMATS, type PixelFormat } from "./capture/frame.ts";
export { SyntheticSource, type SyntheticSourceOptions } from "./capture/synthetic_source.ts";
export { FfmpegSource, type FfmpegSourceOptions, type InputKind } from "./capture/ffmpeg_source.ts";
export { PiCameraSource, type PiCameraSourceOptions } from "./capture/picamera_source.ts";
export type { OverflowPolicy } from "./actors/bounded_queue.ts";
export type {
  FrameSource,
  QueueOptions,
  QueuePolicy,
  SignalOptions,
  SourceInfo,
  SourceState,
  SourceStats,
} from "./capture/source.ts";
export {
  CaptureError,
  type CaptureErrorCode,
  type CaptureErrorOptions,
  type ProcessExitDetails,
  ProcessExitedError,
  ToolNotFoundError,
} from "./capture/errors.ts";
export {
  buildMontages,
  type Interpolation,
  type MontageGrid,
  type MontageOptions,
  type TileSize,
} from "./capture/montage.ts";
export {
  type GeneratedKey,
  generateKeys,
  type GenerateKeysOptions,
} from "./transports/security/curve_keys.ts";
export { CurveKeyError, type CurveKeyErrorCode } from "./transports/security/errors.ts";
