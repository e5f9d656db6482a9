/**
 * Describing a value inside an error message ("…, got an array of 3"):
 * {@linkcode describeValue} for a value that was wrong, and
 * {@linkcode describeError} for something that was thrown.
 *
 * Both are safe on any value, however hostile: they call no method of it
 * (no `toString`, no `toJSON`), run none of its getters and never throw, so
 * building the message of an error cannot fail or run the caller's code.
 * A `Proxy` is the one exception the language leaves: its traps may run, and
 * if one throws the value is described as `"an object"`.
 *
 * @module
 */

/** Longest text quoted from a string, a symbol, a bigint or a class name. */
const MAX_TEXT = 40;
/** Arrays up to this long are shown item by item; longer ones by their length. */
const MAX_ITEMS = 4;

// The engine's own getters, called directly so that a subclass overriding
// `byteLength` or `Symbol.toStringTag` cannot run code or lie about the value.
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayName = Object.getOwnPropertyDescriptor(
  TypedArrayPrototype,
  Symbol.toStringTag,
)!.get!;
const typedArrayByteLength = Object.getOwnPropertyDescriptor(TypedArrayPrototype, "byteLength")!
  .get!;
const dataViewByteLength = Object.getOwnPropertyDescriptor(DataView.prototype, "byteLength")!.get!;
// A DOMException (an aborted signal's reason) keeps its message behind this getter.
const domExceptionMessage = Object.getOwnPropertyDescriptor(DOMException.prototype, "message")!
  .get!;

/**
 * Describes a value for an error message: short (strings and names are cut
 * at 40 characters, arrays listed only up to 4 items) and safe on any value.
 *
 * Strings come quoted (`"fast"`), numbers, booleans, `null` and `undefined`
 * as written (`-0`, `NaN`), bigints with their `n`, arrays item by item
 * (`[3, "x"]`) or by length (`an array of 12`), typed arrays with their size
 * (`Uint8Array(12 bytes)`), plain objects as `an object`, instances by their
 * class (`a Map`, `an Error`), functions as `a function`.
 *
 * @param value Anything.
 * @returns The description; at most a few hundred characters.
 * @throws Never.
 * @example Name what was passed instead
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeValue } from "./describe.ts";
 * assert.equal(describeValue("fast"), '"fast"');
 * assert.equal(describeValue([3]), "[3]");
 * assert.equal(describeValue(new Array(12).fill(0)), "an array of 12");
 * assert.equal(describeValue(new Uint8Array(12)), "Uint8Array(12 bytes)");
 * assert.equal(describeValue({ toString: () => "never called" }), "an object");
 * assert.equal(describeValue(new Map()), "a Map");
 * assert.equal(describeValue(10n), "10n");
 * assert.equal(describeValue("x".repeat(100)), `"${"x".repeat(40)}…"`);
 * ```
 */
export function describeValue(value: unknown): string {
  return describe(value, true);
}

/**
 * Describes something that was thrown, for the message of an error that
 * wraps it: an `Error`'s message as is (it is meant to be read, so it is
 * not cut), a thrown string as is, anything else as {@linkcode describeValue}
 * does.
 *
 * @param error What was thrown or rejected with.
 * @returns Its message, or a description of it.
 * @throws Never.
 * @example Quote the cause of a failure
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeError } from "./describe.ts";
 * assert.equal(describeError(new RangeError("too big")), "too big");
 * assert.equal(describeError("plain text"), "plain text");
 * assert.equal(describeError({ code: 5 }), "an object");
 * assert.equal(describeError(new Error()), "an Error");
 * ```
 */
export function describeError(error: unknown): string {
  if (typeof error === "string") return error;
  try {
    if (error instanceof Error) {
      // The own data property, so a `message` getter is not run.
      const message = error instanceof DOMException
        ? domExceptionMessage.call(error)
        : Object.getOwnPropertyDescriptor(error, "message")?.value;
      if (typeof message === "string" && message !== "") return message;
    }
  } catch {
    // A Proxy's trap threw: describe it like any other value.
  }
  return describeValue(error);
}

function describe(value: unknown, listItems: boolean): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(cut(value));
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "boolean":
    case "undefined":
      return String(value);
    case "bigint":
      return `${cut(String(value))}n`;
    case "symbol":
      return cut(String(value));
    case "function":
      return "a function";
    default:
      if (value === null) return "null";
      try {
        return describeObject(value as object, listItems);
      } catch {
        return "an object";
      }
  }
}

function describeObject(value: object, listItems: boolean): string {
  if (Array.isArray(value)) {
    const length = value.length;
    if (!listItems || length > MAX_ITEMS) return `an array of ${length}`;
    const items: string[] = [];
    for (let i = 0; i < length; i++) {
      const slot = Object.getOwnPropertyDescriptor(value, i);
      // Nested arrays go by their length (bounded); holes and getters are not read.
      items.push(
        slot === undefined ? "empty" : "value" in slot ? describe(slot.value, false) : "a getter",
      );
    }
    return `[${items.join(", ")}]`;
  }
  if (ArrayBuffer.isView(value)) {
    const name = typedArrayName.call(value) as string | undefined;
    if (name === undefined) return `DataView(${dataViewByteLength.call(value)} bytes)`;
    return `${name}(${typedArrayByteLength.call(value)} bytes)`;
  }
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === null || prototype === Object.prototype) return "an object";
  const name = className(prototype);
  if (name === undefined) return "an object";
  return `${/^[AEIOaeio]/.test(name) ? "an" : "a"} ${cut(name)}`;
}

/** The name of the class `prototype` belongs to, read from data properties only. */
function className(prototype: object): string | undefined {
  const constructor = Object.getOwnPropertyDescriptor(prototype, "constructor")?.value;
  if (typeof constructor !== "function") return undefined;
  const name = Object.getOwnPropertyDescriptor(constructor, "name")?.value;
  return typeof name === "string" && name !== "" ? name : undefined;
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}
