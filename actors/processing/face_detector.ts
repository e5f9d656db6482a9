/**
 * Face detection on {@linkcode Frame}s with MediaPipe's BlazeFace model,
 * on the CPU, in Deno.
 *
 * @module
 */

import { FaceDetector as MediaPipeFaceDetector } from "@mediapipe/tasks-vision";
import type { Frame } from "../../capture/frame.ts";
import { VisionTaskClosedError } from "./errors.ts";
import type { ModelSourceOptions } from "./_model.ts";
import { checkTfliteModel } from "./_model_format.ts";
import { checkFrame, RgbaConverter } from "./_rgba.ts";
import { checkRange, openTask } from "./_mediapipe_task.ts";

export type { ModelSourceOptions } from "./_model.ts";

/** Options for {@linkcode FaceDetector.create}. */
export interface FaceDetectorOptions extends ModelSourceOptions {
  /**
   * The model: a path (relative to the working directory) or a `file:`,
   * `http:` or `https:` URL of a MediaPipe Tasks face detector, such as
   * BlazeFace short range (`blaze_face_short_range.tflite`). `http(s):`
   * models are downloaded once into `cacheDir`.
   */
  model: string | URL;
  /**
   * Smallest score a face needs to be reported, from 0 to 1.
   *
   * @default {0.5}
   */
  minDetectionConfidence?: number;
  /**
   * Overlap (IoU) above which the weaker of two detections is dropped, from 0 to 1.
   *
   * @default {0.3}
   */
  minSuppressionThreshold?: number;
}

/** Options for one {@linkcode FaceDetector.detect} call. */
export interface DetectOptions {
  /**
   * Rejects the call with `signal.reason` if already aborted.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** A point in pixels, from the frame's top-left corner. */
export interface Point {
  /** Pixels from the left edge. */
  readonly x: number;
  /** Pixels from the top edge. */
  readonly y: number;
}

/** An axis-aligned rectangle in pixels. */
export interface Box {
  /** Left edge, in pixels from the frame's left edge. */
  readonly x: number;
  /** Top edge, in pixels from the frame's top edge. */
  readonly y: number;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
}

/** One detected face. */
export interface FaceDetection {
  /** Where the face is. */
  readonly box: Box;
  /** Confidence from 0 to 1. */
  readonly score: number;
  /**
   * Landmarks in pixels; for BlazeFace six, in this order: right eye, left
   * eye, nose tip, mouth centre, right ear tragion, left ear tragion (the
   * person's right and left).
   */
  readonly keypoints: readonly Point[];
}

/** What {@linkcode FaceDetector.detect} found in one frame. */
export interface FaceDetectorResult {
  /** The faces, strongest first; empty when there are none. */
  readonly detections: readonly FaceDetection[];
}

/**
 * Finds faces in frames with MediaPipe Tasks Vision on the CPU.
 *
 * Each detector owns a WebAssembly instance: call {@linkcode FaceDetector.close}
 * (or use `await using`) when done, or the process stays alive for about a minute.
 *
 * @example Look for faces in a frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaceDetector } from "./mod.ts";
 *
 * await using detector = await FaceDetector.create({
 *   model: "./assets/models/face_detector.tflite",
 *   minDetectionConfidence: 0.6,
 * });
 * // A black BGR frame; in practice one from an FfmpegSource or a NetGear client.
 * const frame = { width: 64, height: 48, channels: 3, data: new Uint8Array(64 * 48 * 3) };
 * const { detections } = await detector.detect(frame);
 * for (const { box, score } of detections) {
 *   console.log(`face at ${box.x},${box.y} ${box.width}x${box.height} (${score.toFixed(2)})`);
 * }
 * assert.equal(detections.length, 0);
 * ```
 */
export class FaceDetector implements Disposable, AsyncDisposable {
  #task: MediaPipeFaceDetector | undefined;
  #rgba = new RgbaConverter();

  private constructor(task: MediaPipeFaceDetector) {
    this.#task = task;
  }

  /**
   * Loads the model and starts a detector.
   *
   * @param options The model and detection settings.
   * @returns A ready detector.
   * @throws {ModelError} When the model is missing (`"not-found"`), cannot be
   *   downloaded (`"download-failed"`), fails `sha256` (`"checksum-mismatch"`)
   *   or is not a face detector (`"invalid-model"`).
   * @throws {VisionRuntimeError} When the MediaPipe wasm cannot be loaded.
   * @throws {RangeError} When a confidence or threshold is outside 0..1.
   */
  static async create(options: FaceDetectorOptions): Promise<FaceDetector> {
    const { model, minDetectionConfidence, minSuppressionThreshold } = options;
    checkRange("minDetectionConfidence", minDetectionConfidence, 0, 1);
    checkRange("minSuppressionThreshold", minSuppressionThreshold, 0, 1);
    const task = await openTask(
      "FaceDetector",
      model,
      options,
      (bytes, shown) => checkTfliteModel(bytes, shown, "FaceDetector"),
      ({ fileset, canvas, model }) =>
        MediaPipeFaceDetector.createFromOptions(fileset, {
          baseOptions: { modelAssetBuffer: model, delegate: "CPU" },
          canvas,
          runningMode: "IMAGE",
          minDetectionConfidence,
          minSuppressionThreshold,
        }),
    );
    return new FaceDetector(task);
  }

  /** Whether {@linkcode FaceDetector.close} was called. */
  get closed(): boolean {
    return this.#task === undefined;
  }

  /**
   * Finds the faces in one frame.
   *
   * @param frame The frame, in any {@linkcode PixelFormat}.
   * @param options Cancellation.
   * @returns The faces found, in pixels of `frame`.
   * @throws {VisionTaskClosedError} After {@linkcode FaceDetector.close}.
   * @throws {TypeError} When `frame.format` is unknown.
   * @throws {RangeError} When the frame's sizes and data length disagree.
   */
  detect(frame: Frame, options: DetectOptions = {}): Promise<FaceDetectorResult> {
    try {
      options.signal?.throwIfAborted();
      return Promise.resolve(this.#detect(frame));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #detect(frame: Frame): FaceDetectorResult {
    const task = this.#task;
    if (task === undefined) throw new VisionTaskClosedError("FaceDetector");
    const format = checkFrame(frame, "detect faces");
    const image = this.#rgba.convert(frame, format) as ImageData;
    const { width, height } = frame;
    const result = task.detect(image);
    const detections: FaceDetection[] = [];
    for (const detection of result.detections) {
      const box = detection.boundingBox;
      const keypoints: Point[] = [];
      for (const point of detection.keypoints) {
        keypoints.push({ x: point.x * width, y: point.y * height });
      }
      detections.push({
        box: box
          ? { x: box.originX, y: box.originY, width: box.width, height: box.height }
          : { x: 0, y: 0, width: 0, height: 0 },
        score: detection.categories[0]?.score ?? 0,
        keypoints,
      });
    }
    return { detections };
  }

  /** Stops the detector and frees its WebAssembly instance. Safe to call twice. */
  close(): void {
    const task = this.#task;
    this.#task = undefined;
    task?.close();
  }

  /** Same as {@linkcode FaceDetector.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as {@linkcode FaceDetector.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
