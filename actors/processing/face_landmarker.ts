/**
 * Face landmarks (MediaPipe's 478-point face mesh) on {@linkcode Frame}s, on
 * the CPU, in Deno.
 *
 * @module
 */

import { FaceLandmarker as MediaPipeFaceLandmarker } from "@mediapipe/tasks-vision";
import type { Frame } from "../../capture/frame.ts";
import { VisionTaskClosedError } from "./errors.ts";
import type { DetectOptions } from "./face_detector.ts";
import type { ModelSourceOptions } from "./_model.ts";
import { checkTaskBundle } from "./_model_format.ts";
import { checkFrame, RgbaConverter } from "./_rgba.ts";
import { checkRange, openTask } from "./_mediapipe_task.ts";

// What MediaPipe's face landmarker graph opens inside the bundle (blendshapes stay off).
const BUNDLE_ENTRIES = ["face_detector.tflite", "face_landmarks_detector.tflite"];

/** Options for {@linkcode FaceLandmarker.create}. */
export interface FaceLandmarkerOptions extends ModelSourceOptions {
  /**
   * The model bundle: a path (relative to the working directory) or a
   * `file:`, `http:` or `https:` URL of MediaPipe's `face_landmarker.task`.
   * `http(s):` models are downloaded once into `cacheDir`.
   */
  model: string | URL;
  /**
   * Most faces to return, from 1 to 16.
   *
   * @default {1}
   */
  numFaces?: number;
  /**
   * Smallest face-detection score, from 0 to 1, for a face to be considered.
   *
   * @default {0.5}
   */
  minFaceDetectionConfidence?: number;
  /**
   * Smallest face-presence score of the mesh, from 0 to 1, for a face to be reported.
   *
   * @default {0.5}
   */
  minFacePresenceConfidence?: number;
  /**
   * Treat successive `detect()` calls as one video: reuse the previous
   * frame's face region instead of running face detection on every frame
   * (MediaPipe's VIDEO running mode). Faster on a stream; results then depend
   * on earlier frames, so keep it off for unrelated images.
   *
   * @default {false}
   */
  tracking?: boolean;
}

/** A mesh point: `x`, `y` in pixels from the top-left corner; `z` depth on the scale of `x`. */
export interface Landmark {
  /** Pixels from the left edge. */
  readonly x: number;
  /** Pixels from the top edge. */
  readonly y: number;
  /**
   * Depth relative to the head's centre, in pixels on the scale of `x`;
   * smaller is closer to the camera.
   */
  readonly z: number;
}

/** One face's mesh. */
export interface FaceLandmarks {
  /** 478 points: the 468 of MediaPipe's canonical face mesh, then 10 for the irises. */
  readonly landmarks: readonly Landmark[];
}

/** What {@linkcode FaceLandmarker.detect} found in one frame. */
export interface FaceLandmarkerResult {
  /** One entry per face, at most `numFaces`; empty when there are none. */
  readonly faces: readonly FaceLandmarks[];
}

/**
 * Finds faces and their 478-point mesh in frames with MediaPipe Tasks Vision
 * on the CPU.
 *
 * Each landmarker owns a WebAssembly instance: call
 * {@linkcode FaceLandmarker.close} (or use `await using`) when done, or the
 * process stays alive for about a minute.
 *
 * @example Look for face meshes in a frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaceLandmarker } from "./mod.ts";
 *
 * await using landmarker = await FaceLandmarker.create({
 *   model: "./assets/models/face_landmarker.task",
 * });
 * // A black BGR frame; in practice one from an FfmpegSource or a NetGear client.
 * const frame = { width: 64, height: 48, channels: 3, data: new Uint8Array(64 * 48 * 3) };
 * const { faces } = await landmarker.detect(frame);
 * for (const { landmarks } of faces) console.log(`nose tip at ${landmarks[1].x},${landmarks[1].y}`);
 * assert.equal(faces.length, 0);
 * ```
 */
export class FaceLandmarker implements Disposable, AsyncDisposable {
  #task: MediaPipeFaceLandmarker | undefined;
  #rgba = new RgbaConverter();
  #tracking: boolean;
  #timestampMs = 0;

  private constructor(task: MediaPipeFaceLandmarker, tracking: boolean) {
    this.#task = task;
    this.#tracking = tracking;
  }

  /**
   * Loads the model bundle and starts a landmarker.
   *
   * @param options The model and detection settings.
   * @returns A ready landmarker.
   * @throws {ModelError} When the model is missing (`"not-found"`), cannot be
   *   downloaded (`"download-failed"`), fails `sha256` (`"checksum-mismatch"`)
   *   or is not a face landmarker bundle (`"invalid-model"`).
   * @throws {VisionRuntimeError} When the MediaPipe wasm cannot be loaded.
   * @throws {RangeError} When `numFaces` or a confidence is out of range.
   */
  static async create(options: FaceLandmarkerOptions): Promise<FaceLandmarker> {
    const { model, numFaces, minFaceDetectionConfidence, minFacePresenceConfidence } = options;
    const tracking = options.tracking ?? false;
    checkRange("numFaces", numFaces, 1, 16, true);
    checkRange("minFaceDetectionConfidence", minFaceDetectionConfidence, 0, 1);
    checkRange("minFacePresenceConfidence", minFacePresenceConfidence, 0, 1);
    const task = await openTask(
      "FaceLandmarker",
      model,
      options,
      (bytes, shown) => checkTaskBundle(bytes, shown, "FaceLandmarker", BUNDLE_ENTRIES),
      ({ fileset, canvas, model }) =>
        MediaPipeFaceLandmarker.createFromOptions(fileset, {
          baseOptions: { modelAssetBuffer: model, delegate: "CPU" },
          canvas,
          runningMode: tracking ? "VIDEO" : "IMAGE",
          numFaces,
          minFaceDetectionConfidence,
          minFacePresenceConfidence,
          outputFaceBlendshapes: false,
          outputFacialTransformationMatrixes: false,
        }),
    );
    return new FaceLandmarker(task, tracking);
  }

  /** Whether {@linkcode FaceLandmarker.close} was called. */
  get closed(): boolean {
    return this.#task === undefined;
  }

  /**
   * Finds the faces' meshes in one frame.
   *
   * @param frame The frame, in any {@linkcode PixelFormat}.
   * @param options Cancellation.
   * @returns The meshes found, `x` and `y` in pixels of `frame`.
   * @throws {VisionTaskClosedError} After {@linkcode FaceLandmarker.close}.
   * @throws {TypeError} When `frame.format` is unknown.
   * @throws {RangeError} When the frame's sizes and data length disagree.
   */
  detect(frame: Frame, options: DetectOptions = {}): Promise<FaceLandmarkerResult> {
    try {
      options.signal?.throwIfAborted();
      return Promise.resolve(this.#detect(frame));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #detect(frame: Frame): FaceLandmarkerResult {
    const task = this.#task;
    if (task === undefined) throw new VisionTaskClosedError("FaceLandmarker");
    const format = checkFrame(frame, "detect face landmarks");
    const image = this.#rgba.convert(frame, format) as ImageData;
    const { width, height } = frame;
    let result;
    if (this.#tracking) {
      // VIDEO mode needs strictly increasing timestamps, in milliseconds.
      this.#timestampMs = Math.max(Math.round(performance.now()), this.#timestampMs + 1);
      result = task.detectForVideo(image, this.#timestampMs);
    } else {
      result = task.detect(image);
    }
    const faces: FaceLandmarks[] = [];
    for (const normalised of result.faceLandmarks) {
      const landmarks: Landmark[] = new Array(normalised.length);
      for (let i = 0; i < normalised.length; i++) {
        const point = normalised[i];
        landmarks[i] = { x: point.x * width, y: point.y * height, z: point.z * width };
      }
      faces.push({ landmarks });
    }
    return { faces };
  }

  /** Stops the landmarker and frees its WebAssembly instance. Safe to call twice. */
  close(): void {
    const task = this.#task;
    this.#task = undefined;
    task?.close();
  }

  /** Same as {@linkcode FaceLandmarker.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as {@linkcode FaceLandmarker.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
