/**
 * Vision processing for frames: MediaPipe Tasks Vision running in Deno on the
 * CPU, with no browser and no GPU.
 *
 * - {@linkcode FaceDetector}: face boxes, scores and six keypoints (BlazeFace).
 * - {@linkcode FaceLandmarker}: the 478-point face mesh.
 *
 * Both take any {@linkcode Frame} (`bgr24`, `rgb24`, `rgba`, `gray`), answer
 * in pixels, load their model from a path or URL (`http(s):` models are
 * cached after the first download, optionally checked by `sha256`), and must
 * be closed (`close()` or `await using`). Failures to get a model are
 * {@linkcode ModelError}s whose `code` says what happened.
 *
 * Needs the `@mediapipe/tasks-vision` import map entry with
 * `"nodeModulesDir": "auto"`, and `--allow-read` (model and wasm),
 * `--allow-env` (cache directory) and, for `http(s):` models,
 * `--allow-net=<host>` and `--allow-write` (cache). It sets two globals:
 * `WebGL2RenderingContext` (a CPU stand-in, only if none exists) and, from
 * MediaPipe's own loader, `ModuleFactory` / `custom_dbg`.
 *
 * @example Detect faces in a frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaceDetector } from "./mod.ts";
 *
 * await using detector = await FaceDetector.create({
 *   model: "./assets/models/face_detector.tflite",
 * });
 * const frame = { width: 64, height: 48, channels: 3, data: new Uint8Array(64 * 48 * 3) };
 * const { detections } = await detector.detect(frame);
 * assert.equal(detections.length, 0); // a black frame has no face
 * ```
 *
 * @module
 */

export type { Frame, PixelFormat } from "../../transports/frame.ts";
export * from "./errors.ts";
export * from "./face_detector.ts";
export * from "./face_landmarker.ts";
