/**
 * Cheap checks that model bytes have the shape a task needs, made before
 * MediaPipe sees them. Beyond a clearer message, this matters because a
 * MediaPipe task that fails to start cannot be closed: it leaks a 60-second
 * telemetry interval that keeps the process alive (measured with 1.1.0).
 *
 * @module
 */

import { ModelError } from "./errors.ts";

const TFLITE_IDENTIFIER = [0x54, 0x46, 0x4c, 0x33]; // "TFL3" at offset 4
const METADATA_NAME = new TextEncoder().encode("TFLITE_METADATA");
const ZIP_END_OF_DIRECTORY = 0x06054b50;
const ZIP_DIRECTORY_ENTRY = 0x02014b50;

/**
 * Checks that `bytes` are a TFLite model carrying MediaPipe Tasks metadata.
 *
 * @param bytes The model bytes.
 * @param model The model as the caller gave it, for messages.
 * @param task The task's class name, for messages.
 * @throws {ModelError} `"invalid-model"` when they are not.
 */
export function checkTfliteModel(bytes: Uint8Array, model: string, task: string): void {
  if (!TFLITE_IDENTIFIER.every((byte, i) => bytes[4 + i] === byte)) {
    throw invalid(
      model,
      `Cannot create a ${task} from ${model}: it is not a TFLite model ` +
        `(${sniff(bytes)}); pass a MediaPipe Tasks .tflite model made for ${task}`,
    );
  }
  if (indexOf(bytes, METADATA_NAME) < 0) {
    throw invalid(
      model,
      `Cannot create a ${task} from ${model}: the TFLite model has no MediaPipe Tasks ` +
        "metadata (legacy @mediapipe/face_detection models lack it); use MediaPipe's " +
        "blaze_face_short_range.tflite",
    );
  }
}

/**
 * Checks that `bytes` are a MediaPipe `.task` bundle (a zip) holding `entries`.
 *
 * @param bytes The model bytes.
 * @param model The model as the caller gave it, for messages.
 * @param task The task's class name, for messages.
 * @param entries File names the bundle must contain.
 * @throws {ModelError} `"invalid-model"` when it does not.
 */
export function checkTaskBundle(
  bytes: Uint8Array,
  model: string,
  task: string,
  entries: readonly string[],
): void {
  const names = zipEntryNames(bytes);
  if (names === undefined) {
    throw invalid(
      model,
      `Cannot create a ${task} from ${model}: it is not a MediaPipe .task bundle ` +
        `(${sniff(bytes)}); pass a MediaPipe .task bundle made for ${task}`,
    );
  }
  const missing = entries.filter((entry) => !names.has(entry));
  if (missing.length > 0) {
    throw invalid(
      model,
      `Cannot create a ${task} from ${model}: the bundle lacks ${missing.join(", ")} ` +
        `(it holds ${[...names].join(", ") || "nothing"}); pass a bundle made for ${task}`,
    );
  }
}

function invalid(model: string, message: string): ModelError {
  return new ModelError("invalid-model", model, message);
}

// What the bytes look like, by their content (a value described by its type is
// describeValue's job; these are always bytes).
function sniff(bytes: Uint8Array): string {
  if (bytes.length < 8) return `only ${bytes.length} bytes`;
  if (zipEntryNames(bytes) !== undefined) return "a zip archive";
  if (TFLITE_IDENTIFIER.every((byte, i) => bytes[4 + i] === byte)) return "a TFLite model";
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return "a PNG image";
  return `starts with ${
    Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ")
  }`;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | bytes[at + 3] << 24) >>> 0;
}

function readU16(bytes: Uint8Array, at: number): number {
  return bytes[at] | bytes[at + 1] << 8;
}

/** Names in a zip's central directory, or undefined when `bytes` is no zip. */
function zipEntryNames(bytes: Uint8Array): Set<string> | undefined {
  if (bytes.length < 22) return undefined;
  // The end record sits in the last 22 bytes plus a comment of up to 64 KiB.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (readU32(bytes, at) === ZIP_END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) return undefined;
  const count = readU16(bytes, end + 10);
  if (count === 0) return undefined; // an empty zip, or the signature by chance inside other data
  // Found from the end rather than from the recorded offset: MediaPipe's own
  // face_landmarker.task has 2 bytes before its first zip header.
  let at = end - readU32(bytes, end + 12);
  const names = new Set<string>();
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at < 0 || at + 46 > end || readU32(bytes, at) !== ZIP_DIRECTORY_ENTRY) return undefined;
    const nameLength = readU16(bytes, at + 28);
    names.add(decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength)));
    at += 46 + nameLength + readU16(bytes, at + 30) + readU16(bytes, at + 32);
  }
  return names;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const last = haystack.length - needle.length;
  for (
    let at = haystack.indexOf(needle[0]);
    at >= 0 && at <= last;
    at = haystack.indexOf(needle[0], at + 1)
  ) {
    let i = 1;
    while (i < needle.length && haystack[at + i] === needle[i]) i++;
    if (i === needle.length) return at;
  }
  return -1;
}
