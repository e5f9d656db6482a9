// Option checks shared by the source constructors. Private to capture/.
// Messages follow "Cannot create <What>: option "<name>" must be <rule>, got <value>".

import { describeValue } from "../actors/describe.ts";
import { PIXEL_FORMATS, type PixelFormat } from "./frame.ts";
import { OVERFLOW_POLICIES, type OverflowPolicy } from "../actors/bounded_queue.ts";
import type { QueueOptions } from "./source.ts";

/** The largest frame side accepted (16K video). */
export const MAX_SIDE = 16384;

/** Checks `options` is an object whose keys are all in `known`. */
export function checkKeys(
  what: string,
  options: unknown,
  known: readonly string[],
): asserts options is Record<string, unknown> {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `Cannot create ${what}: options must be an object, got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Cannot create ${what}: unknown option "${key}"; valid options: ${known.join(", ")}`,
      );
    }
  }
}

/** An integer in [min, max], or `fallback` when undefined. */
export function intOption(
  what: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number,
): number;
export function intOption(
  what: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
): number | undefined;
export function intOption(
  what: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
  fallback?: number,
): number | undefined {
  return rangedNumber(what, name, value, min, max, fallback, "an integer");
}

/** A finite number in [min, max], or `fallback` when undefined. */
export function numberOption(
  what: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
  fallback?: number,
): number | undefined {
  return rangedNumber(what, name, value, min, max, fallback, "a number");
}

/** Shared check of {@linkcode intOption} and {@linkcode numberOption}. */
function rangedNumber(
  what: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number | undefined,
  kind: "an integer" | "a number",
): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot create ${what}: option "${name}" must be a number, got ${describeValue(value)}`,
    );
  }
  const ok = kind === "an integer" ? Number.isInteger(value) : Number.isFinite(value);
  if (!ok || value < min || value > max) {
    throw new RangeError(
      `Cannot create ${what}: option "${name}" must be ${kind} from ${min} to ${max}, got ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

/** A boolean, or `fallback` when undefined. */
export function boolOption(
  what: string,
  name: string,
  value: unknown,
  fallback?: boolean,
): boolean | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(
      `Cannot create ${what}: option "${name}" must be true or false, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A non-empty string, or `fallback` when undefined. */
export function stringOption(
  what: string,
  name: string,
  value: unknown,
  fallback?: string,
): string | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(
      `Cannot create ${what}: option "${name}" must be a non-empty string, got ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

/** An array of strings (empty when undefined). */
export function stringListOption(what: string, name: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new TypeError(
      `Cannot create ${what}: option "${name}" must be an array of strings, got ${
        describeValue(value)
      }`,
    );
  }
  return [...value];
}

/** One of `choices`, or `fallback` when undefined. */
export function choiceOption<T extends string>(
  what: string,
  name: string,
  value: unknown,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) {
    const error = typeof value === "string" ? RangeError : TypeError;
    throw new error(
      `Cannot create ${what}: option "${name}" must be one of ${
        choices.map((c) => `"${c}"`).join(", ")
      }, got ${describeValue(value)}`,
    );
  }
  return value as T;
}

/** A {@linkcode PixelFormat}, default bgr24. */
export function pixelFormatOption(what: string, value: unknown): PixelFormat {
  return choiceOption(what, "pixelFormat", value, PIXEL_FORMATS, "bgr24");
}

/** Resolved queue settings: what a `BoundedQueue` takes. */
export interface QueueSettings {
  capacity: number;
  overflow: OverflowPolicy;
}

/** The default queue capacity: small, so live sources stay fresh. */
export const DEFAULT_QUEUE_CAPACITY = 4;

/** Checks `queue` (`overflow`, or its deprecated name `policy`) and fills its defaults. */
export function queueOption(
  what: string,
  value: unknown,
  defaultOverflow: OverflowPolicy,
): QueueSettings {
  if (value === undefined) return { capacity: DEFAULT_QUEUE_CAPACITY, overflow: defaultOverflow };
  checkKeys(`${what} (option "queue")`, value, ["capacity", "overflow", "policy"]);
  const options = value as QueueOptions;
  if (options.overflow !== undefined && options.policy !== undefined) {
    throw new TypeError(
      `Cannot create ${what}: options "queue.overflow" and "queue.policy" are both given; ` +
        `"policy" is the former name of "overflow": keep only "overflow"`,
    );
  }
  const name = options.policy !== undefined ? "queue.policy" : "queue.overflow";
  return {
    capacity: intOption(what, "queue.capacity", options.capacity, 1, 1024, DEFAULT_QUEUE_CAPACITY),
    overflow: choiceOption(
      what,
      name,
      options.overflow ?? options.policy,
      OVERFLOW_POLICIES,
      defaultOverflow,
    ),
  };
}
