/**
 * Processing actors: annotate and transform frames as they stream, on a
 * client or on a server, without stalling the transport.
 *
 * - {@linkcode Processor}: the contract of one step (`process(item, context)`),
 *   {@linkcode ProcessorItem} what it handles.
 * - {@linkcode Pipeline}: processors composed into a chain of actors with
 *   bounded, drop-oldest mailboxes, supervised restarts, stats, and an
 *   optional Worker per stage (`{ worker: url }`, served by
 *   {@linkcode serveProcessor}); `run(client)` on a client, `process(frame)`
 *   on a server.
 * - Ready-made processors: {@linkcode MotionDetector} (`data.motion`),
 *   {@linkcode TextOverlay} (the seed's `cv2.putText`) and
 *   {@linkcode FaceDetectorProcessor} (`data.faces`, optionally drawn; its
 *   Worker module is {@linkcode FACE_DETECTOR_WORKER}).
 * - MediaPipe Tasks Vision in Deno, on the CPU, no browser:
 *   {@linkcode FaceDetector} (boxes, scores and six keypoints, BlazeFace) and
 *   {@linkcode FaceLandmarker} (the 478-point mesh). Both take any
 *   {@linkcode Frame}, answer in pixels, load their model from a path or URL
 *   (`http(s):` models are cached, optionally checked by `sha256`), and must
 *   be closed. They need `--allow-read` (model and wasm), `--allow-env`
 *   (cache directory) and, for `http(s):` models, `--allow-net=<host>` and
 *   `--allow-write`; they set the globals `WebGL2RenderingContext` (a CPU
 *   stand-in, only if none exists) and, from MediaPipe's loader,
 *   `ModuleFactory` / `custom_dbg`. Importing this module is what loads
 *   MediaPipe: the root `mod.ts` does not.
 *
 * @example Motion and a caption on every frame of every server
 * ```ts ignore
 * // Not run: needs NetGear servers streaming on ports 5566 and 5567, and runs until they stop.
 * import { NetGear } from "../netgear/mod.ts";
 * import { MotionDetector, Pipeline, TextOverlay } from "./mod.ts";
 *
 * await using client = await NetGear.open({ receiveMode: true, multiserverMode: true, port: [5566, 5567] });
 * await using pipeline = new Pipeline([
 *   new MotionDetector({ draw: true }),
 *   new TextOverlay({ text: (item) => `port ${item.port}` }),
 * ]);
 * for await (const { port, data } of pipeline.run(client)) {
 *   const { regions } = data.motion as { regions: unknown[] };
 *   if (regions.length > 0) console.log(`motion at port ${port}: ${regions.length} regions`);
 * }
 * ```
 *
 * @module
 */

export type { Frame, PixelFormat } from "../../capture/frame.ts";
// The runtime's types that stage and pipeline options and figures name.
export type { ActorState } from "../actor_stats.ts";
export type { LogLevel } from "../logger.ts";
export type { MailboxOptions } from "../mailbox.ts";
export type { OverflowPolicy } from "../bounded_queue.ts";
export * from "./errors.ts";
export * from "./face_detector.ts";
export * from "./face_landmarker.ts";
export * from "./face_detector_processor.ts";
export * from "./motion_detector.ts";
export * from "./pipeline.ts";
export * from "./processor.ts";
export * from "./text_overlay.ts";
export * from "./worker.ts";
