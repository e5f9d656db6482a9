/**
 * A short, safe text preview of any value, for showing messages that came
 * from the network: the CLI's live table and `--print`, the viewer's tiles.
 *
 * A decoded CBOR message can hold anything cbor-x builds: bigints, `Map`,
 * `Set`, `Date`, typed arrays, `Tag` objects, `Error` and `RegExp`, objects
 * with keys such as `toString` or `then`, structures nested thousands deep or
 * millions long, even cycles (tags 28/29). `JSON.stringify` throws on bigints
 * and cycles, and `String(x)` or a template literal calls whatever
 * `toString`/`valueOf` the object carries. {@linkcode previewValue} does
 * neither: it never calls a method or getter of the value, reads properties
 * through their descriptors, recognises built-ins by their internal slots,
 * and stops once the text is `maxLength` long, so its time is bounded by the
 * output, not by the input.
 *
 * @example A bigint inside an object, and a cycle
 * ```ts
 * import assert from "node:assert/strict";
 * import { previewValue } from "./preview.ts";
 *
 * assert.equal(previewValue({ big: 2n ** 40n }), '{"big":1099511627776n}');
 * const self: Record<string, unknown> = { toString: 1 };
 * self.self = self;
 * assert.equal(previewValue(self), '{"toString":1,"self":[Circular]}');
 * ```
 *
 * @module
 */

/** Options of {@linkcode previewValue}. */
export interface PreviewOptions {
  /**
   * Longest text returned, in UTF-16 code units; longer text is cut and
   * ends with `…` (integer 1 to 1,000,000).
   *
   * @default {200}
   */
  maxLength?: number;
  /**
   * How many levels of arrays, objects, maps and sets are opened; deeper
   * ones show as `[…]`, `{…}` (integer 0 to 100).
   *
   * @default {6}
   */
  maxDepth?: number;
  /**
   * Most elements, entries or keys shown per container; the rest are
   * counted as `…N more` (integer 0 to 100,000).
   *
   * @default {20}
   */
  maxItems?: number;
  /**
   * Show a string value itself without quotes (strings inside a structure
   * stay quoted), as the seed's examples print a text message. Control and
   * direction characters are escaped either way.
   *
   * @default {false}
   */
  bareString?: boolean;
}

/** Thrown inside the renderer when the text is full: unwinds to previewValue. */
const FULL: unique symbol = Symbol("preview full");

// Built-ins used on untrusted values are taken once, here: a value's own
// properties can shadow `size` or `getTime`, but not these references.
const { apply, ownKeys } = Reflect;
const { getOwnPropertyDescriptor, getPrototypeOf } = Object;
const { isArray } = Array;
const { isView } = ArrayBuffer;
const ObjectPrototype = Object.prototype;
const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype) as object;

function getterOf(target: object, key: PropertyKey): (this: unknown) => unknown {
  return getOwnPropertyDescriptor(target, key)!.get!;
}

// Each of these throws a TypeError for any value without the internal slot,
// Proxies included (without running a trap): that is the brand check.
const mapSize = getterOf(Map.prototype, "size");
const setSize = getterOf(Set.prototype, "size");
const mapEntries = Map.prototype.entries;
const setValues = Set.prototype.values;
const mapIteratorNext = getPrototypeOf(new Map().entries()).next as () => IteratorResult<unknown>;
const setIteratorNext = getPrototypeOf(new Set().values()).next as () => IteratorResult<unknown>;
const dateGetTime = Date.prototype.getTime;
const dateToISOString = Date.prototype.toISOString;
const regExpSource = getterOf(RegExp.prototype, "source");
// Not the `flags` getter: it reads `this.global` and the rest through the
// object, where an own property could shadow them; these read the slot.
const regExpFlagGetters: readonly [string, (this: unknown) => unknown][] = [
  ["d", "hasIndices"],
  ["g", "global"],
  ["i", "ignoreCase"],
  ["m", "multiline"],
  ["s", "dotAll"],
  ["u", "unicode"],
  ["v", "unicodeSets"],
  ["y", "sticky"],
].filter(([, key]) => getOwnPropertyDescriptor(RegExp.prototype, key)?.get !== undefined)
  .map(([flag, key]) => [flag, getterOf(RegExp.prototype, key)]);
const arrayBufferByteLength = getterOf(ArrayBuffer.prototype, "byteLength");
const sharedArrayBufferByteLength = typeof SharedArrayBuffer === "function"
  ? getterOf(SharedArrayBuffer.prototype, "byteLength")
  : undefined;
const typedArrayName = getterOf(TypedArrayPrototype, Symbol.toStringTag);
const typedArrayLength = getterOf(TypedArrayPrototype, "length");
const dataViewByteLength = getterOf(DataView.prototype, "byteLength");
const symbolDescription = getterOf(Symbol.prototype, "description");
const bigintToString = BigInt.prototype.toString;
const isError: (value: unknown) => boolean =
  (Error as unknown as { isError?: (value: unknown) => boolean }).isError ??
    ((value) => value instanceof Error);

/** Bigints longer than this many hex digits are shown in hex: decimal conversion is superlinear. */
const DECIMAL_BIGINT_HEX_DIGITS = 1024;
/** Longest class or function name shown. */
const MAX_NAME = 60;

// Quotes, backslashes and what a terminal or a page could act on or hide:
// C0/C1 controls (ANSI escapes), DEL, line separators, bidi overrides, and
// lone surrogates (which would not survive UTF-8).
const ESCAPED =
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** What is escaped where text shows bare (no quotes): controls, separators, bidi, lone surrogates. */
const CONTROLS =
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

function escapeChar(char: string): string {
  return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** The text being built; throws {@linkcode FULL} once it is longer than the limit. */
class Output {
  text = "";
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Code units still allowed before the text overflows. */
  get room(): number {
    return this.limit - this.text.length;
  }

  put(text: string): void {
    this.text += text;
    if (this.text.length > this.limit) throw FULL;
  }

  /**
   * `text` escaped (`CONTROLS` only: bare text; `ESCAPED`: inside quotes);
   * only as much of it as can still show is looked at.
   */
  putEscaped(text: string, escaped: RegExp = CONTROLS): void {
    // One more than fits, so that the cut is noticed; escapes only lengthen.
    const room = Math.max(0, this.room) + 1;
    const head = text.length > room ? text.slice(0, room) : text;
    this.put(head.replace(escaped, escapeChar));
    if (head.length < text.length) throw FULL;
  }

  putQuoted(text: string): void {
    this.put('"');
    this.putEscaped(text, ESCAPED);
    this.put('"');
  }
}

interface Limits {
  readonly maxDepth: number;
  readonly maxItems: number;
}

/**
 * Renders any value as short, JSON-like text, never throwing and never
 * running code of the value.
 *
 * Data JSON can hold renders as `JSON.stringify` would (compact), as long as
 * it fits; beyond JSON: `undefined`, `NaN`, `Infinity`, `-0`, `123n`
 * (bigint), `Symbol(x)`, `[Function f]`, `Map(1) {"k"=>1}`, `Set(1) {1}`,
 * `Date(2024-01-01T00:00:00.000Z)` or `Date(Invalid)`, `Uint8Array(3) [1,2,3]`,
 * `ArrayBuffer(8)`, `/a+/g`, `Error("message")`, class instances with their
 * class name (`Tag {"value":1,"tag":99}`), `[Circular]` for a cycle,
 * `[Getter]` for an accessor (never called) and `[unreadable]` for what
 * throws when looked at (a hostile Proxy). Strings are quoted with control
 * characters, bidi overrides and lone surrogates escaped, so the text is
 * safe to print to a terminal.
 *
 * Work is bounded by the output: at most `maxItems` entries per container
 * and `maxDepth` levels are visited, and rendering stops as soon as
 * `maxLength` is reached (a 10 MB byte array or a million-element array
 * costs as little as a short one). Only an object's own key list is read
 * whole: an object with a million keys costs about as much as decoding it
 * did (a second or so), so a caller that shows the same message again and
 * again should keep its preview.
 *
 * @param value Anything, typically a message decoded from the network.
 * @param options Limits of length, depth and items, and `bareString`.
 * @returns At most `maxLength` characters, ending with `…` when cut.
 * @throws {RangeError} When an option is out of range (never because of `value`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { previewValue } from "./preview.ts";
 *
 * assert.equal(previewValue(new Map([["a", new Set([1n])]])), 'Map(1) {"a"=>Set(1) {1n}}');
 * assert.equal(previewValue(new Uint8Array(10_000_000), { maxItems: 2 }), "Uint8Array(10000000) [0,0,…9999998 more]");
 * assert.equal(previewValue("x".repeat(500), { maxLength: 8 }), '"xxxxxx…');
 * assert.equal(previewValue("I'm Server", { bareString: true }), "I'm Server");
 * ```
 */
export function previewValue(value: unknown, options: PreviewOptions = {}): string {
  const maxLength = limit("maxLength", options.maxLength, 200, 1, 1_000_000);
  const limits: Limits = {
    maxDepth: limit("maxDepth", options.maxDepth, 6, 0, 100),
    maxItems: limit("maxItems", options.maxItems, 20, 0, 100_000),
  };
  const out = new Output(maxLength);
  try {
    if (typeof value === "string" && options.bareString === true) {
      out.putEscaped(value);
    } else {
      render(out, value, 0, new Set(), limits);
    }
    return out.text;
  } catch (error) {
    if (error !== FULL) throw error; // a bug of this module, not of the value
    return cut(out.text, maxLength);
  }
}

function limit(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot preview a value: option "${name}" is ${
        typeof value === "number" ? value : typeof value
      }; expected an integer from ${min} to ${max}`,
    );
  }
  return value;
}

/** `text` cut to `maxLength` with `…` last, never splitting a surrogate pair. */
function cut(text: string, maxLength: number): string {
  let end = maxLength - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + "…";
}

function render(
  out: Output,
  value: unknown,
  depth: number,
  ancestors: Set<object>,
  limits: Limits,
): void {
  switch (typeof value) {
    case "string":
      return out.putQuoted(value);
    case "number":
      return out.put(Object.is(value, -0) ? "-0" : String(value));
    case "bigint":
      return renderBigint(out, value);
    case "boolean":
      return out.put(value ? "true" : "false");
    case "undefined":
      return out.put("undefined");
    case "symbol":
      return renderSymbol(out, value);
    case "function":
    case "object":
      if (value === null) return out.put("null");
      return renderObject(out, value, depth, ancestors, limits);
  }
}

function renderBigint(out: Output, value: bigint): void {
  // Hex is linear in the size; decimal is not, and a bigint can be huge.
  const hex = apply(bigintToString, value, [16]) as string;
  if (hex.length <= DECIMAL_BIGINT_HEX_DIGITS) {
    out.put(apply(bigintToString, value, [10]) as string);
  } else {
    out.put(hex.startsWith("-") ? "-0x" : "0x");
    out.putEscaped(hex.startsWith("-") ? hex.slice(1) : hex);
  }
  out.put("n");
}

function renderSymbol(out: Output, value: symbol): void {
  const description = apply(symbolDescription, value, []);
  out.put("Symbol(");
  if (typeof description === "string") out.putEscaped(description);
  out.put(")");
}

function renderObject(
  out: Output,
  value: object,
  depth: number,
  ancestors: Set<object>,
  limits: Limits,
): void {
  if (ancestors.has(value)) return out.put("[Circular]");
  const mark = out.text.length;
  ancestors.add(value);
  try {
    renderContainer(out, value, depth, ancestors, limits);
  } catch (error) {
    if (error === FULL) throw error;
    // Whatever threw (a Proxy trap, a revoked Proxy) is not called again:
    // what was written of this object is replaced by one word.
    out.text = out.text.slice(0, mark);
    out.put("[unreadable]");
  } finally {
    ancestors.delete(value);
  }
}

function renderContainer(
  out: Output,
  value: object,
  depth: number,
  ancestors: Set<object>,
  limits: Limits,
): void {
  const open = depth < limits.maxDepth;
  if (typeof value === "function") {
    const name = ownData(value, "name");
    out.put(typeof name === "string" && name !== "" ? "[Function " : "[Function");
    if (typeof name === "string" && name !== "") out.putEscaped(name.slice(0, MAX_NAME));
    return out.put("]");
  }
  // A revoked Proxy makes isArray throw: caught by renderObject.
  if (isArray(value)) {
    const length = ownData(value, "length") as number;
    if (!open) return out.put(length === 0 ? "[]" : "[…]");
    out.put("[");
    const shown = Math.min(length, limits.maxItems);
    for (let i = 0; i < shown; i++) {
      if (i > 0) out.put(",");
      const descriptor = getOwnPropertyDescriptor(value, i);
      if (descriptor === undefined) out.put("<empty>");
      else renderProperty(out, descriptor, depth, ancestors, limits);
    }
    more(out, shown, length);
    return out.put("]");
  }
  if (isView(value)) return renderView(out, value, open, limits);
  const buffer = byteLengthOf(value);
  if (buffer !== undefined) return out.put(`${buffer.kind}(${buffer.byteLength})`);
  const map = brand(mapSize, value);
  if (map !== undefined) {
    return renderEntries(out, value, "Map", map as number, open, depth, ancestors, limits);
  }
  const set = brand(setSize, value);
  if (set !== undefined) {
    return renderEntries(out, value, "Set", set as number, open, depth, ancestors, limits);
  }
  const time = brand(dateGetTime, value);
  if (time !== undefined) {
    const valid = Number.isFinite(time);
    return out.put(`Date(${valid ? apply(dateToISOString, value, []) : "Invalid"})`);
  }
  const source = brand(regExpSource, value);
  if (source !== undefined) {
    out.put("/");
    out.putEscaped(source as string);
    out.put("/");
    for (const [flag, getter] of regExpFlagGetters) {
      if (apply(getter, value, []) === true) out.put(flag);
    }
    return;
  }
  const prototype = getPrototypeOf(value);
  const name = prototype === null || prototype === ObjectPrototype ? "" : classNameOf(prototype);
  if (isError(value)) {
    out.put(name === "" ? "Error" : name);
    const message = ownData(value, "message");
    out.put("(");
    if (typeof message === "string") out.putQuoted(message);
    return out.put(")");
  }
  if (name !== "") {
    out.putEscaped(name);
    out.put(" ");
  }
  if (!open) return out.put("{…}");
  renderKeys(out, value, depth, ancestors, limits);
}

/** An object's enumerable own properties, string and symbol keys, as `{"k":v}`. */
function renderKeys(
  out: Output,
  value: object,
  depth: number,
  ancestors: Set<object>,
  limits: Limits,
): void {
  const keys = ownKeys(value);
  out.put("{");
  let shown = 0;
  let index = 0;
  for (; index < keys.length && shown < limits.maxItems; index++) {
    const key = keys[index];
    const descriptor = getOwnPropertyDescriptor(value, key);
    if (descriptor === undefined || !descriptor.enumerable) continue;
    if (shown > 0) out.put(",");
    if (typeof key === "symbol") {
      out.put("[");
      renderSymbol(out, key);
      out.put("]");
    } else {
      out.putQuoted(key);
    }
    out.put(":");
    renderProperty(out, descriptor, depth, ancestors, limits);
    shown++;
  }
  // Keys not looked at are counted as they are: most data has no hidden ones.
  more(out, shown, shown + keys.length - index);
  out.put("}");
}

/** A property from its descriptor: an accessor is named, never called. */
function renderProperty(
  out: Output,
  descriptor: PropertyDescriptor,
  depth: number,
  ancestors: Set<object>,
  limits: Limits,
): void {
  if ("value" in descriptor) return render(out, descriptor.value, depth + 1, ancestors, limits);
  const kind = descriptor.get && descriptor.set
    ? "Getter/Setter"
    : descriptor.get
    ? "Getter"
    : "Setter";
  out.put(`[${kind}]`);
}

function renderEntries(
  out: Output,
  value: object,
  kind: "Map" | "Set",
  size: number,
  open: boolean,
  depth: number,
  ancestors: Set<object>,
  limits: Limits,
): void {
  out.put(`${kind}(${size}) `);
  if (!open || size === 0) return out.put(size === 0 ? "{}" : "{…}");
  out.put("{");
  const iterator = apply(kind === "Map" ? mapEntries : setValues, value, []) as object;
  const next = kind === "Map" ? mapIteratorNext : setIteratorNext;
  let shown = 0;
  for (; shown < limits.maxItems; shown++) {
    const step = apply(next, iterator, []) as IteratorResult<unknown>;
    if (step.done) break;
    if (shown > 0) out.put(",");
    if (kind === "Map") {
      // The entry is a fresh [key, value] array made by the engine.
      const entry = step.value as [unknown, unknown];
      render(out, entry[0], depth + 1, ancestors, limits);
      out.put("=>");
      render(out, entry[1], depth + 1, ancestors, limits);
    } else {
      render(out, step.value, depth + 1, ancestors, limits);
    }
  }
  more(out, shown, size);
  out.put("}");
}

function renderView(out: Output, value: ArrayBufferView, open: boolean, limits: Limits): void {
  const name = apply(typedArrayName, value, []) as string | undefined;
  if (name === undefined) {
    return out.put(`DataView(${apply(dataViewByteLength, value, []) as number})`);
  }
  const length = apply(typedArrayLength, value, []) as number;
  out.put(`${name}(${length}) `);
  if (!open) return out.put(length === 0 ? "[]" : "[…]");
  out.put("[");
  const shown = Math.min(length, limits.maxItems);
  // A typed array's elements are plain numbers or bigints: indexing one
  // never reaches a getter or a prototype.
  const elements = value as unknown as ArrayLike<number | bigint>;
  for (let i = 0; i < shown; i++) {
    if (i > 0) out.put(",");
    const element = elements[i];
    if (typeof element === "bigint") renderBigint(out, element);
    else out.put(Object.is(element, -0) ? "-0" : String(element));
  }
  more(out, shown, length);
  out.put("]");
}

function more(out: Output, shown: number, total: number): void {
  if (total > shown) out.put(`${shown > 0 ? "," : ""}…${total - shown} more`);
}

function byteLengthOf(value: object): { kind: string; byteLength: number } | undefined {
  const byteLength = brand(arrayBufferByteLength, value);
  if (byteLength !== undefined) return { kind: "ArrayBuffer", byteLength: byteLength as number };
  if (sharedArrayBufferByteLength === undefined) return undefined;
  const shared = brand(sharedArrayBufferByteLength, value);
  return shared === undefined
    ? undefined
    : { kind: "SharedArrayBuffer", byteLength: shared as number };
}

/** `check` applied to `value`, or undefined when `value` lacks that built-in's internal slot. */
function brand(check: (this: unknown) => unknown, value: object): unknown {
  try {
    return apply(check, value, []);
  } catch {
    return undefined;
  }
}

/** An own data property's value; undefined for accessors (never called) and missing keys. */
function ownData(value: object, key: PropertyKey): unknown {
  const descriptor = getOwnPropertyDescriptor(value, key);
  return descriptor !== undefined && "value" in descriptor ? descriptor.value : undefined;
}

/** The name of the class whose prototype this is, from data properties only; "" if none. */
function classNameOf(prototype: object): string {
  const constructor = ownData(prototype, "constructor");
  if (typeof constructor !== "function") return "";
  const name = ownData(constructor, "name");
  return typeof name === "string" ? name.slice(0, MAX_NAME) : "";
}
