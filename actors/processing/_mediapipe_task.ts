/**
 * What every vision task shares: reading the model, creating the MediaPipe
 * task on the CPU delegate, and checking options.
 *
 * @module
 */

import { ModelError, VisionRuntimeError } from "./errors.ts";
import { createVisionTask, type WasmFileset } from "./_mediapipe_loader.ts";
import { type ModelSourceOptions, readModel } from "./_model.ts";
import { disableTelemetry } from "./_mediapipe_telemetry.ts";
import type { CpuCanvas } from "./_webgl2_stand_in.ts";

let warnedTelemetry = false;

/** The part of a MediaPipe task this package relies on. */
export interface ClosableTask {
  close(): void;
}

/** Everything a MediaPipe `createFromOptions` needs from us. */
export interface TaskInputs {
  fileset: WasmFileset;
  /** Typed as MediaPipe's option expects; really a {@linkcode CpuCanvas}. */
  canvas: OffscreenCanvas;
  model: Uint8Array;
}

/**
 * Reads the model and creates a MediaPipe task with it.
 *
 * @param name The task's class name, for messages.
 * @param model Path or URL of the model.
 * @param options Model source options and signal.
 * @param checkFormat Rejects bytes that cannot be this task's model (see `_model_format.ts`).
 * @param create Calls MediaPipe's `createFromOptions`.
 * @returns The created task.
 * @throws {ModelError} When the model cannot be read or MediaPipe rejects it.
 */
export async function openTask<T extends ClosableTask>(
  name: string,
  model: string | URL,
  options: ModelSourceOptions,
  checkFormat: (bytes: Uint8Array, model: string) => void,
  create: (inputs: TaskInputs) => Promise<T>,
): Promise<T> {
  const { signal } = options;
  signal?.throwIfAborted();
  const bytes = await readModel(model, options);
  checkFormat(bytes, String(model));
  signal?.throwIfAborted();
  let task: T;
  try {
    task = await createVisionTask((fileset: WasmFileset, canvas: CpuCanvas) =>
      create({ fileset, canvas: canvas as unknown as OffscreenCanvas, model: bytes })
    );
  } catch (cause) {
    if (!(cause instanceof Error) || cause instanceof VisionRuntimeError) throw cause;
    throw new ModelError(
      "invalid-model",
      String(model),
      `Cannot create a ${name} from ${String(model)}: MediaPipe rejected the model ` +
        `(${firstLine(cause.message)}); pass a MediaPipe Tasks model made for ${name}`,
      { cause },
    );
  }
  if (!disableTelemetry(task) && !warnedTelemetry) {
    warnedTelemetry = true;
    console.warn(
      "actorgear/vision: cannot switch off MediaPipe's usage telemetry (unknown " +
        "@mediapipe/tasks-vision version; 1.1.0 is supported): it will try to POST to " +
        "odml.pa.googleapis.com on close() and every 60 s",
    );
  }
  if (signal?.aborted) {
    task.close();
    throw signal.reason;
  }
  return task;
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0].trim();
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/**
 * Checks that an optional option is a number in [min, max].
 *
 * @param option The option's name, for the message.
 * @param value The value given.
 * @param min Smallest allowed value.
 * @param max Largest allowed value.
 * @param integer Whether only integers are allowed.
 * @throws {RangeError} When the value is outside [min, max] or not an integer when required.
 */
export function checkRange(
  option: string,
  value: number | undefined,
  min: number,
  max: number,
  integer = false,
): void {
  if (value === undefined) return;
  if (
    typeof value !== "number" || !(value >= min && value <= max) ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `Cannot create the task: ${option}=${value} is not ${
        integer ? "an integer" : "a number"
      } from ${min} to ${max}`,
    );
  }
}
