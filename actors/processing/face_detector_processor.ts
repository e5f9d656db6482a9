/**
 * Face detection as a pipeline processor: MediaPipe's BlazeFace (see
 * `actors/vision`) on every frame, results in `item.data.faces`.
 *
 * @module
 */

import type { Frame } from "../../capture/frame.ts";
import { type FaceDetection, FaceDetector, type FaceDetectorOptions } from "./face_detector.ts";
import { VisionTaskClosedError } from "./errors.ts";
import type {
  Processor,
  ProcessorContext,
  ProcessorItem,
  ProcessorResult,
  ProcessorStartOptions,
} from "./processor.ts";
import {
  checkColor,
  type Color,
  copyFrame,
  drawText,
  formatOf,
  pixelOf,
  strokeRect,
  textSize,
} from "./_draw.ts";

/**
 * URL of a Worker module serving a {@linkcode FaceDetectorProcessor}: give
 * it as a stage's `worker`, with the processor's options as `workerOptions`.
 */
export const FACE_DETECTOR_WORKER: URL = new URL("./face_detector_worker.ts", import.meta.url);

/** Options for {@linkcode FaceDetectorProcessor}. */
export interface FaceDetectorProcessorOptions extends Omit<FaceDetectorOptions, "signal"> {
  /**
   * Draw each face's box and score on the frame.
   *
   * @default {false}
   */
  draw?: boolean;
  /**
   * Box and score colour as `[red, green, blue]`.
   *
   * @default {[0, 255, 0]}
   */
  color?: Color;
  /**
   * Box outline thickness in pixels.
   *
   * @default {2}
   */
  thickness?: number;
  /**
   * Draw on the item's frame itself, even if someone else holds it. Off, the
   * frame is copied once per item (an earlier drawing stage's copy is reused).
   *
   * @default {false}
   */
  inPlace?: boolean;
  /**
   * The processor's name.
   *
   * @default {"faces"}
   */
  name?: string;
}

/**
 * Finds faces in every frame and attaches them as `item.data.faces` (an
 * array of {@linkcode FaceDetection}: `box`, `score`, `keypoints`, in
 * pixels, strongest first; empty when there is none). With `draw: true` it
 * outlines each face and writes its score above the box, on a copy of the
 * frame unless `inPlace`.
 *
 * The model loads in {@linkcode FaceDetectorProcessor.start} (a pipeline
 * calls it before the first frame; used alone, the first `process` does).
 * A detection takes about 20 ms per 640x480 frame on one core and blocks
 * the thread meanwhile: in a pipeline on a client, run it in a Worker
 * (`{ worker: FACE_DETECTOR_WORKER, workerOptions: { model } }`) to keep the
 * transport at full speed.
 *
 * @example Attach faces to items in a pipeline
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaceDetectorProcessor, Pipeline } from "./mod.ts";
 *
 * await using pipeline = new Pipeline([
 *   new FaceDetectorProcessor({ model: "./assets/models/face_detector.tflite", draw: true }),
 * ]);
 * const frame = { width: 64, height: 48, channels: 3, data: new Uint8Array(64 * 48 * 3) };
 * const out = await pipeline.process(frame, { port: 5566 });
 * assert.deepEqual(out?.data.faces, []); // a black frame has no face
 * ```
 */
export class FaceDetectorProcessor implements Processor {
  /** The processor's name. */
  readonly name: string;
  #options: Omit<FaceDetectorOptions, "signal">;
  #detector: FaceDetector | undefined;
  #starting: Promise<FaceDetector> | undefined;
  #draw: boolean;
  #color: Color;
  #thickness: number;
  #inPlace: boolean;
  #closed = false;

  /**
   * Keeps the options; the model is read by {@linkcode FaceDetectorProcessor.start}.
   *
   * @param options The model and detection settings, and how to draw.
   * @throws {TypeError} `model` is missing or `color` is malformed.
   * @throws {RangeError} `thickness` is not an integer from 1 to 100.
   */
  constructor(options: FaceDetectorProcessorOptions) {
    const {
      draw = false,
      color = [0, 255, 0],
      thickness = 2,
      inPlace = false,
      name = "faces",
      ...detector
    } = options ?? {} as FaceDetectorProcessorOptions;
    if (typeof detector.model !== "string" && !(detector.model instanceof URL)) {
      throw new TypeError(
        `Cannot create FaceDetectorProcessor: model is ${typeof detector
          .model}; expected a path or URL of a face detector model (e.g. face_detector.tflite)`,
      );
    }
    if (!Number.isInteger(thickness) || thickness < 1 || thickness > 100) {
      throw new RangeError(
        `Cannot create FaceDetectorProcessor: thickness is ${thickness}; expected an integer from 1 to 100`,
      );
    }
    this.name = name;
    this.#options = detector;
    this.#draw = draw;
    this.#color = checkColor("FaceDetectorProcessor", "color", color);
    this.#thickness = thickness;
    this.#inPlace = inPlace;
  }

  /**
   * Loads the model, once (later calls reuse the detector).
   *
   * @param options The stage's abort signal.
   * @returns When the detector is ready.
   * @throws {ModelError} The model is missing, cannot be downloaded, fails its checksum or is not a face detector.
   * @throws {VisionRuntimeError} The MediaPipe wasm cannot be loaded.
   * @throws {VisionTaskClosedError} After {@linkcode FaceDetectorProcessor.close}.
   */
  async start(options: Partial<ProcessorStartOptions> = {}): Promise<void> {
    await this.#load(options.signal);
  }

  /**
   * Finds the faces in the item's frame.
   *
   * @param item The item; items without a frame pass unchanged.
   * @param context Supplies the writable frame when drawing (outside a pipeline: a copy).
   * @returns `data.faces`, and the frame with boxes when `draw` is on and a face was found.
   * @throws {VisionTaskClosedError} After {@linkcode FaceDetectorProcessor.close}.
   * @throws {TypeError} The frame's format is unknown.
   * @throws {RangeError} The frame's sizes and data length disagree.
   */
  async process(item: ProcessorItem, context?: ProcessorContext): Promise<ProcessorResult> {
    const source = item.frame;
    if (source === undefined) return undefined;
    const detector = this.#detector ?? await this.#load(context?.signal);
    const { detections } = await detector.detect(source);
    const faces = detections as FaceDetection[];
    if (!this.#draw || faces.length === 0) return { data: { faces } };
    const format = formatOf(source, "draw faces");
    const frame: Frame = this.#inPlace
      ? source
      : context?.writableFrame(source) ?? copyFrame(source);
    const pixel = pixelOf(this.#color, format);
    const scale = Math.max(1, Math.round(frame.height / 240));
    for (const { box, score } of faces) {
      strokeRect(frame, pixel, box.x, box.y, box.width, box.height, this.#thickness);
      const label = score.toFixed(2);
      const { height } = textSize(label, scale);
      const above = box.y - height - 2 * scale;
      drawText(frame, pixel, label, box.x, above >= 0 ? above : box.y + box.height + scale, scale);
    }
    return { frame, data: { faces } };
  }

  /** Frees the detector. Safe to call twice. */
  close(): void {
    this.#closed = true;
    this.#detector?.close();
    this.#detector = undefined;
    this.#starting = undefined;
  }

  #load(signal: AbortSignal | undefined): Promise<FaceDetector> {
    if (this.#closed) return Promise.reject(new VisionTaskClosedError("FaceDetector"));
    if (this.#detector !== undefined) return Promise.resolve(this.#detector);
    if (this.#starting !== undefined) return this.#starting;
    const starting: Promise<FaceDetector> = FaceDetector.create({ ...this.#options, signal }).then(
      (detector) => {
        if (this.#starting !== starting) {
          detector.close(); // closed while loading
          throw new VisionTaskClosedError("FaceDetector");
        }
        this.#detector = detector;
        return detector;
      },
      (error) => {
        if (this.#starting === starting) this.#starting = undefined;
        throw error;
      },
    );
    this.#starting = starting;
    return starting;
  }
}
