import assert from "node:assert/strict";
import { describeError, describeValue } from "../../actors/describe.ts";

Deno.test("describeValue writes primitives as they are written in code", () => {
  assert.equal(describeValue(undefined), "undefined");
  assert.equal(describeValue(null), "null");
  assert.equal(describeValue(true), "true");
  assert.equal(describeValue(-0), "-0");
  assert.equal(describeValue(NaN), "NaN");
  assert.equal(describeValue(1.5), "1.5");
  assert.equal(describeValue('a"b'), '"a\\"b"');
  assert.equal(describeValue(Symbol("tag")), "Symbol(tag)");
  assert.equal(describeValue(() => 1), "a function");
});

Deno.test("describeValue stays short whatever the value", () => {
  const long = "y".repeat(10_000);
  assert.equal(describeValue(long), `"${"y".repeat(40)}…"`);
  assert.equal(describeValue(10n ** 100n), `${"1" + "0".repeat(39)}…n`);
  assert.equal(describeValue(Symbol(long)), `Symbol(${"y".repeat(33)}…`);
  assert.equal(
    describeValue([long, [1, 2], {}, null]),
    `["${"y".repeat(40)}…", an array of 2, an object, null]`,
  );
  assert.equal(describeValue(new Array(1e6)), "an array of 1000000");
  class AVeryLongClassNameThatGoesOnAndOnForeverAndEver {}
  assert.equal(
    describeValue(new AVeryLongClassNameThatGoesOnAndOnForeverAndEver()),
    `an ${AVeryLongClassNameThatGoesOnAndOnForeverAndEver.name.slice(0, 40)}…`,
  );
});

Deno.test("describeValue names binary data, instances and plain objects", () => {
  assert.equal(describeValue(new Float32Array(3)), "Float32Array(12 bytes)");
  assert.equal(describeValue(new DataView(new ArrayBuffer(5))), "DataView(5 bytes)");
  assert.equal(describeValue(new ArrayBuffer(5)), "an ArrayBuffer");
  assert.equal(describeValue(new TypeError("x")), "a TypeError");
  assert.equal(describeValue(Object.create(null)), "an object");
  assert.equal(describeValue({ a: 1 }), "an object");
  assert.equal(describeValue([, 1]), "[empty, 1]");
});

Deno.test("describeValue runs none of the value's code and never throws", () => {
  let ran = 0;
  const spy = () => {
    ran++;
    return "ran";
  };
  class Sneaky extends Uint8Array {
    override get byteLength(): number {
      return spy().length;
    }
    override get [Symbol.toStringTag](): "Uint8Array" {
      spy();
      return "Uint8Array";
    }
  }
  assert.equal(describeValue(new Sneaky(4)), "Uint8Array(4 bytes)");
  const withGetter = [1];
  Object.defineProperty(withGetter, 0, { get: spy });
  assert.equal(describeValue(withGetter), "[a getter]");
  assert.equal(describeValue({ toString: spy, valueOf: spy, toJSON: spy }), "an object");
  const renamed = {
    constructor: {
      get name() {
        return spy();
      },
    },
  };
  assert.equal(describeValue(Object.create(renamed)), "an object");
  assert.equal(ran, 0);
  const hostile = new Proxy({}, {
    getPrototypeOf() {
      throw new Error("trap");
    },
  });
  assert.equal(describeValue(hostile), "an object");
});

Deno.test("describeError quotes messages whole and describes anything else", () => {
  const long = "z".repeat(500);
  assert.equal(describeError(new Error(long)), long);
  assert.equal(describeError(new DOMException("gone", "AbortError")), "gone");
  assert.equal(describeError(42), "42");
  assert.equal(describeError(undefined), "undefined");
  let ran = false;
  class Lying extends Error {
    override get message(): string {
      ran = true;
      return "lie";
    }
  }
  assert.equal(describeError(new Lying()), "a Lying");
  assert.equal(ran, false);
});
