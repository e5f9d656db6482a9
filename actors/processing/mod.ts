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
 *
 * @example Motion and a caption on every frame of every server
 * ```ts ignore
 * import { NetGear } from "../../transports/netgear.ts";
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

export * from "./errors.ts";
export * from "./face_detector_processor.ts";
export * from "./motion_detector.ts";
export * from "./pipeline.ts";
export * from "./processor.ts";
export * from "./text_overlay.ts";
export * from "./worker.ts";
