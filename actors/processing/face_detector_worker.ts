/**
 * A Worker module serving a {@linkcode FaceDetectorProcessor}, for a
 * pipeline stage `{ worker: FACE_DETECTOR_WORKER, workerOptions }` where
 * `workerOptions` are the processor's options (a relative `model` path is
 * read from the working directory, as in the main thread).
 *
 * @example
 * ```ts ignore
 * // Not run: loads the face model into a Worker; see face_detector_processor_test.ts.
 * import { FACE_DETECTOR_WORKER, Pipeline } from "./mod.ts";
 * await using pipeline = new Pipeline([{
 *   worker: FACE_DETECTOR_WORKER,
 *   workerOptions: { model: "./assets/models/face_detector.tflite", draw: true },
 * }]);
 * ```
 *
 * @module
 */

import {
  FaceDetectorProcessor,
  type FaceDetectorProcessorOptions,
} from "./face_detector_processor.ts";
import { serveProcessor } from "./worker.ts";

serveProcessor((options) => new FaceDetectorProcessor(options as FaceDetectorProcessorOptions));
