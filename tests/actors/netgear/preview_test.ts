import assert from "node:assert/strict";
import { Decoder, Tag } from "cbor-x";
import { previewValue } from "../../../actors/netgear/mod.ts";

/** The decoder settings of ActorGear's wire protocol. */
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  return Uint8Array.from(digits.match(/../g)!, (pair) => parseInt(pair, 16));
}

function utf8Hex(text: string): string {
  return Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** An object every trap of which throws, as a hostile Proxy would. */
function hostileProxy<T extends object>(target: T): T {
  const handler = new Proxy({}, {
    get: () => () => {
      throw new Error("trap called");
    },
  });
  return new Proxy(target, handler);
}

Deno.test("previewValue renders JSON data exactly as JSON.stringify does, while it fits", () => {
  const samples: unknown[] = [
    null,
    true,
    0,
    -12.5,
    1e21,
    "",
    'quote " and \\ backslash\n\ttab',
    "ünïcödé 😀",
    [],
    {},
    [1, "two", [3, [4]], { five: 5 }],
    { a: { b: { c: [null, false] } }, "key with space": "v", "": 1 },
  ];
  for (const sample of samples) {
    assert.equal(previewValue(sample), JSON.stringify(sample), JSON.stringify(sample));
  }
});

Deno.test("previewValue shows bigints, at any depth, with their digits", () => {
  assert.equal(previewValue(2n ** 40n), "1099511627776n");
  assert.equal(previewValue(-(2n ** 70n)), "-1180591620717411303424n");
  assert.equal(previewValue({ a: [1n, { b: -2n }] }), '{"a":[1n,{"b":-2n}]}');
  assert.throws(() => JSON.stringify({ a: 1n }), TypeError, "what the CLI used to do");
  // A bigint of 2^20 bits: decimal would be slow, so it shows in hex, cut short.
  const huge = previewValue(-(2n ** 1_048_576n), { maxLength: 30 });
  assert.equal(huge.length, 30);
  assert.match(huge, /^-0x10{25}…$/);
});

Deno.test("previewValue shows Map (object keys too), Set, Date and invalid Date", () => {
  const map = new Map<unknown, unknown>([[{ a: 1 }, "x"], [[1, 2], new Set([1, "a", 3n])]]);
  assert.equal(previewValue(map), 'Map(2) {{"a":1}=>"x",[1,2]=>Set(3) {1,"a",3n}}');
  assert.equal(previewValue(new Map()), "Map(0) {}");
  assert.equal(previewValue(new Set()), "Set(0) {}");
  assert.equal(
    previewValue(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))),
    "Date(2024-01-02T03:04:05.000Z)",
  );
  assert.equal(previewValue(new Date(Number.NaN)), "Date(Invalid)");
  assert.equal(previewValue(new Date("not a date")), "Date(Invalid)");
  // Own properties that shadow the built-ins' methods are not what is called.
  const date = new Date(0);
  Object.defineProperty(date, "toISOString", {
    value: () => {
      throw new Error("called");
    },
  });
  const shadowed = new Map([[1, 2]]);
  Object.defineProperty(shadowed, "size", { value: 99 });
  Object.defineProperty(shadowed, "entries", { value: () => [][Symbol.iterator]() });
  assert.equal(previewValue([date, shadowed]), "[Date(1970-01-01T00:00:00.000Z),Map(1) {1=>2}]");
  // A Date decoded by cbor-x from an unparsable tag 0 string.
  assert.equal(previewValue(decoder.decode(hex(`c0 63 ${utf8Hex("bad")}`))), "Date(Invalid)");
});

Deno.test("previewValue shows typed arrays, DataView and ArrayBuffer by type, length and first items", () => {
  assert.equal(previewValue(new Uint8Array([1, 2, 255])), "Uint8Array(3) [1,2,255]");
  assert.equal(previewValue(new Float32Array([1.5, -0])), "Float32Array(2) [1.5,-0]");
  assert.equal(
    previewValue(new BigInt64Array([-(2n ** 63n)])),
    "BigInt64Array(1) [-9223372036854775808n]",
  );
  assert.equal(previewValue(new DataView(new ArrayBuffer(6))), "DataView(6)");
  assert.equal(previewValue(new ArrayBuffer(8)), "ArrayBuffer(8)");
  assert.equal(
    previewValue(new Uint16Array(30), { maxItems: 2 }),
    "Uint16Array(30) [0,0,…28 more]",
  );
  assert.equal(previewValue({ b: new Uint8Array(4) }, { maxDepth: 0 }), "{…}");
  assert.equal(previewValue([new Uint8Array(4)], { maxDepth: 1 }), "[Uint8Array(4) […]]");
  const detached = new ArrayBuffer(8);
  const view = new Uint8Array(detached);
  const dataView = new DataView(detached);
  structuredClone(detached, { transfer: [detached] });
  assert.equal(previewValue(view), "Uint8Array(0) []", "a view of a detached buffer");
  assert.equal(previewValue(dataView), "[unreadable]", "its byteLength throws");
});

Deno.test("previewValue of a 10 MB Uint8Array and a million-element array is short", () => {
  const bytes = new Uint8Array(10 * 1024 * 1024).fill(7);
  const text = previewValue(bytes);
  assert.equal(text, `Uint8Array(10485760) [${"7,".repeat(20)}…10485740 more]`);
  const million = new Array(1_000_000).fill(0);
  assert.equal(previewValue(million), `[${"0,".repeat(20)}…999980 more]`);
});

Deno.test("previewValue looks at no more elements of a huge array than it shows", () => {
  // A Proxy that counts every look at the array: the work is bounded by
  // maxItems, not by the array's million elements.
  let looks = 0;
  const counted = new Proxy(new Array(1_000_000).fill(1), {
    getOwnPropertyDescriptor(target, key) {
      looks++;
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    get(target, key, receiver) {
      looks++;
      return Reflect.get(target, key, receiver);
    },
  });
  assert.equal(previewValue(counted, { maxItems: 5 }), "[1,1,1,1,1,…999995 more]");
  assert.ok(looks <= 6, `${looks} looks: the length and the 5 elements shown`);
  looks = 0;
  assert.equal(previewValue(counted, { maxLength: 10 }), "[1,1,1,1,…");
  assert.ok(looks <= 7, `${looks} looks: it stops once the text is full`);
});

Deno.test("previewValue ignores toString, valueOf, then, constructor and __proto__ keys", () => {
  const hostile: Record<string, unknown> = {
    toString: 1,
    valueOf: { nested: true },
    then: "not a function",
    constructor: 5,
    toJSON: [],
  };
  Object.defineProperty(hostile, "__proto__", { value: "own key", enumerable: true });
  hostile[Symbol.toPrimitive as unknown as string] = 7;
  assert.throws(() => String(hostile), TypeError, "what the viewer used to do");
  assert.equal(
    previewValue(hostile),
    '{"toString":1,"valueOf":{"nested":true},"then":"not a function","constructor":5,' +
      '"toJSON":[],"__proto__":"own key",[Symbol(Symbol.toPrimitive)]:7}',
  );
});

Deno.test("previewValue never calls the value's functions, getters or coercion hooks", () => {
  let calls = 0;
  const spy = () => {
    calls++;
    return "called";
  };
  const value = {
    toString: spy,
    valueOf: spy,
    toJSON: spy,
    then: spy,
    [Symbol.toPrimitive]: spy,
    [Symbol.iterator]: spy,
    [Symbol.for("Deno.customInspect")]: spy,
  };
  Object.defineProperty(value, "lazy", { get: spy, enumerable: true });
  Object.defineProperty(value, "broken", {
    get() {
      throw new Error("getter called");
    },
    enumerable: true,
  });
  Object.defineProperty(value, "writeOnly", { set: spy, enumerable: true });
  Object.defineProperty(value, "hidden", { value: "not enumerable" });
  const text = previewValue(value);
  assert.equal(calls, 0);
  assert.match(text, /^\{"toString":\[Function spy\],"valueOf":\[Function spy\],/);
  assert.match(text, /"lazy":\[Getter\],"broken":\[Getter\],"writeOnly":\[Setter\]/);
  assert.ok(!text.includes("hidden"), "non-enumerable keys are not shown");
  // A class instance: its prototype's getters and methods are not touched.
  class Camera {
    name = "hall";
    get explode(): never {
      throw new Error("getter called");
    }
    toString(): string {
      throw new Error("toString called");
    }
  }
  assert.equal(previewValue(new Camera()), 'Camera {"name":"hall"}');
});

Deno.test("previewValue shows a Proxy that throws on every trap, or a revoked one, as unreadable", () => {
  assert.equal(previewValue(hostileProxy({ a: 1 })), "[unreadable]");
  assert.equal(previewValue(hostileProxy([1, 2, 3])), "[unreadable]");
  assert.equal(previewValue(hostileProxy(new Map())), "[unreadable]");
  assert.equal(previewValue(hostileProxy(() => {})), "[unreadable]");
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  assert.equal(
    previewValue({ before: 1, proxy, evil: hostileProxy({}), after: [2] }),
    '{"before":1,"proxy":[unreadable],"evil":[unreadable],"after":[2]}',
  );
  // A trap that throws halfway: what was written of that object is taken back.
  let allowed = 3;
  const halfway = new Proxy({ a: 1, b: 2, c: 3, d: 4 }, {
    getOwnPropertyDescriptor(target, key) {
      if (allowed-- <= 0) throw new Error("no more");
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
  assert.equal(previewValue([halfway, "next"]), '[[unreadable],"next"]');
});

Deno.test("previewValue marks cycles and shows shared objects each time", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  assert.equal(previewValue(cyclic), '{"a":1,"self":[Circular]}');
  const list: unknown[] = [1];
  list.push({ back: list });
  assert.equal(previewValue(list), '[1,{"back":[Circular]}]');
  const map = new Map<string, unknown>();
  map.set("me", map);
  assert.equal(previewValue(map), 'Map(1) {"me"=>[Circular]}');
  const shared = { x: 1 };
  assert.equal(previewValue([shared, shared]), '[{"x":1},{"x":1}]', "not a cycle");
});

Deno.test("previewValue survives 10,000-deep nesting and cuts it at maxDepth", () => {
  let array: unknown = [];
  let object: unknown = {};
  for (let i = 0; i < 10_000; i++) {
    array = [array];
    object = { o: object };
  }
  assert.equal(previewValue(array), "[[[[[[[…]]]]]]]");
  assert.equal(previewValue(object, { maxDepth: 2 }), '{"o":{"o":{…}}}');
  assert.equal(previewValue(array, { maxDepth: 100, maxLength: 50 }).length, 50);
  assert.equal(previewValue([[]], { maxDepth: 1 }), "[[]]", "empty containers are shown as such");
});

Deno.test("previewValue shows symbols, functions, null-prototype objects, RegExp and Error", () => {
  assert.equal(previewValue(Symbol("tag")), "Symbol(tag)");
  assert.equal(previewValue(Symbol()), "Symbol()");
  assert.equal(previewValue({ [Symbol("k")]: 1 }), "{[Symbol(k)]:1}");
  assert.equal(previewValue(function named() {}), "[Function named]");
  assert.equal(previewValue(class Foo {}), "[Function Foo]");
  const anonymous = (() => () => {})();
  assert.equal(previewValue(anonymous), "[Function]");
  const sneaky = () => {};
  Object.defineProperty(sneaky, "name", {
    get() {
      throw new Error("called");
    },
  });
  assert.equal(previewValue(sneaky), "[Function]");
  const bare = Object.create(null);
  bare.a = 1;
  bare.toString = "no";
  assert.equal(previewValue(bare), '{"a":1,"toString":"no"}');
  assert.equal(previewValue(/a+\/"\n/gi), '/a+\\/"\\n/gi', "the source as written");
  assert.equal(previewValue(new RegExp("\x1b")), "/\\u001b/", "a raw control is escaped");
  assert.equal(previewValue(new TypeError("bad\nthing")), 'TypeError("bad\\nthing")');
  // cbor-x's tag 27 ("generic object") builds Errors and RegExps.
  const error = decoder.decode(hex(`d8 1b 82 65 ${utf8Hex("Error")} 63 ${utf8Hex("b\u0007d")}`));
  assert.equal(previewValue(error), 'Error("b\\u0007d")');
});

Deno.test("previewValue shows cbor-x Tag objects with their class name", () => {
  assert.equal(previewValue(new Tag({ a: 1n }, 99)), 'Tag {"value":{"a":1n},"tag":99}');
  // An unknown tag, as cbor-x decodes it.
  assert.equal(previewValue(decoder.decode(hex("d9 0f a0 01"))), 'Tag {"value":1,"tag":4000}');
});

Deno.test("previewValue escapes what a terminal or a page could act on", () => {
  assert.equal(previewValue("\x1b[2J\x9b1m"), '"\\u001b[2J\\u009b1m"');
  assert.equal(previewValue("a\u202eb\u2028"), '"a\\u202eb\\u2028"');
  assert.equal(previewValue("lone \ud800 surrogate"), '"lone \\ud800 surrogate"');
  assert.equal(previewValue("pair 😀"), '"pair 😀"');
  assert.equal(previewValue({ "\x1b]0;title\x07": 1 }), '{"\\u001b]0;title\\u0007":1}');
  assert.equal(previewValue("<img src=x onerror=alert(1)>"), '"<img src=x onerror=alert(1)>"');
  assert.equal(previewValue("I'm Server\x1b", { bareString: true }), "I'm Server\\u001b");
  assert.equal(previewValue('C:\\ "q"', { bareString: true }), 'C:\\ "q"', "bare: as written");
  assert.equal(previewValue(["nested"], { bareString: true }), '["nested"]');
});

Deno.test("previewValue keeps to maxLength, maxItems and maxDepth and refuses bad options", () => {
  const long = "x".repeat(10_000_000);
  assert.equal(previewValue(long, { maxLength: 5 }), '"xxx…');
  assert.equal(previewValue([long, long]).length, 200, "the default length");
  assert.equal(previewValue("x", { maxLength: 1 }), "…");
  assert.equal(previewValue("ab", { maxLength: 4 }), '"ab"', "exactly maxLength is not cut");
  // A cut never leaves half a surrogate pair.
  assert.equal(previewValue("😀😀😀", { maxLength: 4 }), '"😀…');
  assert.equal(previewValue("😀😀😀", { maxLength: 5 }), '"😀…');
  assert.equal(previewValue({ a: 1, b: 2, c: 3 }, { maxItems: 1 }), '{"a":1,…2 more}');
  assert.equal(previewValue(new Set([1, 2, 3]), { maxItems: 0 }), "Set(3) {…3 more}");
  assert.equal(previewValue([1, [2]], { maxDepth: 0 }), "[…]");
  for (
    const options of [
      { maxLength: 0 },
      { maxLength: 1.5 },
      { maxDepth: 101 },
      { maxItems: -1 },
      { maxDepth: "3" as unknown as number },
    ]
  ) {
    assert.throws(() => previewValue(1, options), RangeError, JSON.stringify(options));
  }
});

Deno.test("previewValue renders the two messages that crashed the CLI and the viewer", () => {
  // 2**40 as a cbor2 peer sends it: a 64-bit unsigned integer, which cbor-x
  // decodes to a bigint (JSON.stringify threw on it in _stats_view.ts).
  const big = decoder.decode(hex("1b 00 00 01 00 00 00 00 00"));
  assert.equal(typeof big, "bigint");
  assert.equal(previewValue(big), "1099511627776n");
  // d8 1c {"toString": 1, "self": d8 1d 00}: a cycle through cbor-x's
  // value-sharing tags, with a toString that is no function (String() threw
  // "Cannot convert object to primitive value" in the viewer).
  const bytes = hex(`d8 1c a2 68 ${utf8Hex("toString")} 01 64 ${utf8Hex("self")} d8 1d 00`);
  const cyclic = decoder.decode(bytes) as Record<string, unknown>;
  assert.equal(cyclic.self, cyclic, "cbor-x built a cycle");
  assert.throws(() => String(cyclic), TypeError);
  assert.equal(previewValue(cyclic), '{"toString":1,"self":[Circular]}');
  assert.equal(
    previewValue({ message: cyclic, big }),
    '{"message":{"toString":1,"self":[Circular]},"big":1099511627776n}',
  );
});

Deno.test("previewValue never throws on anything cbor-x decodes from random CBOR", () => {
  // mulberry32: seeded, so every run sees the same inputs.
  let seed = 0x5afe_0014;
  const random = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  // Tags cbor-x gives meaning to: dates, bignums, regexp/error (27), value
  // sharing (28/29), typed arrays (64..87), sets (258), maps (259); and one it does not.
  const TAGS = [0, 1, 2, 3, 27, 28, 28, 29, 64, 72, 77, 81, 85, 258, 259, 4000];
  const head = (major: number, n: number): number[] =>
    n < 24 ? [(major << 5) | n] : [(major << 5) | 25, n >> 8, n & 0xff];
  const text = (): number[] => {
    const chars = [...pick(["toString", "then", "__proto__", "a", "\x1b[2J", "😀", ""])];
    const bytes = [...new TextEncoder().encode(chars.join(""))];
    return [...head(3, bytes.length), ...bytes];
  };
  /** One random CBOR item, `depth` levels deep at most. */
  const item = (depth: number): number[] => {
    switch (depth > 0 ? int(9) : int(5)) {
      case 0:
        return head(0, int(1000));
      case 1:
        // 64-bit, positive or negative: a bigint when it does not fit 32 bits.
        return [pick([0x1b, 0x3b]), ...Array.from({ length: 8 }, () => int(256))];
      case 2:
        return text();
      case 3: {
        const length = pick([0, 1, 4, 8, 16]);
        return [...head(2, length), ...Array.from({ length }, () => int(256))];
      }
      case 4:
        return [pick([0xf4, 0xf5, 0xf6, 0xf7, 0x20])]; // false, true, null, undefined, -1
      case 5: {
        const length = int(4);
        return [...head(4, length), ...Array.from({ length }, () => item(depth - 1)).flat()];
      }
      case 6: {
        const length = int(4);
        const pairs = Array.from({ length }, () => [...text(), ...item(depth - 1)]);
        return [...head(5, length), ...pairs.flat()];
      }
      case 7: {
        const tag = pick(TAGS);
        const tagged = tag === 29 ? head(0, int(3)) : item(depth - 1);
        return [...(tag < 24 ? [0xc0 | tag] : [0xd9, tag >> 8, tag & 0xff]), ...tagged];
      }
      default:
        return [0xfb, ...Array.from({ length: 8 }, () => int(256))]; // any float64, NaNs too
    }
  };
  let decoded = 0;
  for (let i = 0; i < 3000; i++) {
    const bytes = Uint8Array.from(item(4));
    let value: unknown;
    try {
      value = decoder.decode(bytes);
    } catch {
      continue; // cbor-x refused it (a dangling shared reference…): nothing to show
    }
    decoded++;
    const preview = previewValue(value, { maxLength: 80 });
    assert.ok(preview.length <= 80, `input ${i}: ${preview.length} characters`);
  }
  assert.ok(decoded > 1500, `${decoded} of 3000 inputs decoded`);
});
