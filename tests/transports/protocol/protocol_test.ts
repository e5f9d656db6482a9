import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Encoder } from "cbor-x";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  type Envelope,
  frameToWire,
  PROTOCOL_VERSION,
  PROTOCOL_VERSIONS,
  ProtocolCodec,
  ProtocolError,
  type ProtocolErrorCode,
  type WireFrame,
  wireToFrame,
} from "../../../transports/protocol/protocol.ts";

const TS = 1764072000123.25;

/** Encodes anything as CBOR, bypassing the codec's checks, to build bad input. */
const rawEncoder = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  variableMapSize: true,
});
function raw(value: unknown): Uint8Array {
  return Uint8Array.prototype.slice.call(rawEncoder.encode(value));
}

function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  return Uint8Array.from(
    clean.match(/../g) ?? [],
    (pair) => parseInt(pair, 16),
  );
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(bytes));
  return toHex(new Uint8Array(digest));
}

function pattern(size: number, seed: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i + 31 * seed) % 251;
  return data;
}

function wireFrame(
  width: number,
  height: number,
  seed = 0,
  format: WireFrame["format"] = "bgr24",
): WireFrame {
  const channels = { bgr24: 3, rgb24: 3, rgba: 4, gray: 1 }[format];
  return {
    width,
    height,
    channels,
    format,
    encoding: "raw",
    data: pattern(width * height * channels, seed),
  };
}

/** A valid wire map (short keys), to mutate into invalid ones. */
function validWire(overrides: Record<string, unknown> = {}) {
  return {
    v: 1,
    kind: "frame",
    port: 5566,
    seq: 0,
    ts: TS,
    frame: { w: 2, h: 1, c: 3, fmt: "bgr24", enc: "raw", data: pattern(6, 0) },
    ...overrides,
  };
}

function assertRejects(
  codec: ProtocolCodec,
  bytes: Uint8Array,
  code: ProtocolErrorCode,
  field?: string,
): void {
  assert.throws(
    () => codec.decode(bytes),
    (error: unknown) => {
      assert.ok(error instanceof ProtocolError, `not a ProtocolError: ${error}`);
      assert.equal(error.name, "ProtocolError");
      assert.equal(error.code, code, error.message);
      assert.equal(error.field, field, error.message);
      assert.match(error.message, /^Cannot decode envelope: /);
      return true;
    },
  );
}

Deno.test("ProtocolCodec round-trips every kind", async (t) => {
  const codec = new ProtocolCodec();
  const cases: Record<string, Envelope> = {
    "frame with a message": {
      version: 1,
      kind: "frame",
      port: 5566,
      seq: 0,
      sentAt: TS,
      message: "hi",
      frame: wireFrame(4, 3),
    },
    "frame without a message, rgba": {
      version: 1,
      kind: "frame",
      port: 1,
      seq: Number.MAX_SAFE_INTEGER,
      sentAt: TS,
      frame: wireFrame(3, 5, 1, "rgba"),
    },
    "frame with a jpeg": {
      version: 1,
      kind: "frame",
      port: 65535,
      seq: 7,
      sentAt: TS,
      frame: {
        width: 640,
        height: 480,
        channels: 3,
        format: "bgr24",
        encoding: "jpeg",
        data: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 0xff, 0xd9]),
      },
    },
    "heartbeat": {
      version: 1,
      kind: "heartbeat",
      port: 5566,
      seq: 3,
      sentAt: TS,
    },
    "terminate with a reason": {
      version: 1,
      kind: "terminate",
      port: 5566,
      seq: 4,
      sentAt: TS,
      message: { reason: "source ended" },
    },
    "plain acknowledgement": {
      version: 1,
      kind: "reply",
      port: 5566,
      seq: 0,
      sentAt: TS,
    },
    "reply with return data and a frame": {
      version: 1,
      kind: "reply",
      port: 5566,
      seq: 2 ** 32 + 5,
      sentAt: TS,
      message: [1, "two"],
      frame: wireFrame(2, 2, 3, "gray"),
    },
    "error reply answering a readable seq": {
      version: 1,
      kind: "reply",
      port: 5566,
      seq: 9,
      sentAt: TS,
      error: { code: "unknown-version", message: "v 2 is not supported" },
    },
    "error reply to an unreadable request": {
      version: 1,
      kind: "reply",
      port: 5566,
      seq: 0,
      sentAt: TS,
      error: { code: "malformed-cbor", message: "garbage" },
    },
  };
  for (const [name, envelope] of Object.entries(cases)) {
    await t.step(name, () => {
      assert.deepStrictEqual(codec.decode(codec.encode(envelope)), envelope);
    });
  }
});

Deno.test("ProtocolCodec keeps integers of 2^32 and above as CBOR integers", () => {
  const codec = new ProtocolCodec();
  const bytes = codec.encode({
    version: 1,
    kind: "reply",
    port: 5566,
    seq: 2 ** 32 + 1,
    sentAt: TS,
  });
  // "seq" followed by 0x1b (8-byte unsigned integer), not 0xfb (float64).
  assert.match(toHex(bytes), /63 73 65 71 1b 00 00 00 01 00 00 00 01/);
  assert.equal(new ProtocolCodec().decode(bytes).seq, 2 ** 32 + 1);
});

Deno.test("ProtocolCodec carries messages of every supported CBOR type", async (t) => {
  const codec = new ProtocolCodec();
  const roundTrip = (message: unknown): unknown =>
    codec.decode(codec.encode({
      version: 1,
      kind: "heartbeat",
      port: 5566,
      seq: 0,
      sentAt: TS,
      message,
    })).message;
  const same: Record<string, unknown> = {
    "text": "héllo, 世界",
    "empty text": "",
    "small integer": 7,
    "negative integer": -123456,
    "uint32 limit": 0xffff_ffff,
    "large safe integer": 2 ** 53 - 1,
    "float": 3.141592653589793,
    "Infinity": -Infinity,
    "small bigint": 5n,
    "negative bigint": -(2n ** 63n),
    "bigint beyond 64 bits": 2n ** 70n + 1n,
    "booleans": [true, false],
    "null": null,
    "undefined inside an array": [undefined, 1],
    "nested maps and arrays": { a: [1, { b: [[], {}] }], "ü": { c: null } },
    "Uint8Array": new Uint8Array([0, 1, 255]),
    "empty Uint8Array": new Uint8Array(0),
    "Float32Array": new Float32Array([1.5, -2, 0.25]),
    "Float64Array": new Float64Array([Math.PI, -0.5]),
    "Int16Array": new Int16Array([-32768, 0, 32767]),
    "Int32Array": new Int32Array([-1, 2 ** 31 - 1]),
    "Uint16Array": new Uint16Array([65535, 1]),
    "Uint32Array": new Uint32Array([2 ** 32 - 1]),
    "Int8Array": new Int8Array([-128, 127]),
    "Uint8ClampedArray": new Uint8ClampedArray([0, 200]),
    "BigInt64Array": new BigInt64Array([-(2n ** 63n), 5n]),
    "BigUint64Array": new BigUint64Array([2n ** 64n - 1n]),
    "Date": new Date(1764072000123),
    "Map with non-string keys": new Map<unknown, unknown>([[1, "a"], [
      "k",
      [2],
    ]]),
    "Set": new Set([1, "x"]),
  };
  for (const [name, value] of Object.entries(same)) {
    await t.step(name, () => {
      const back = roundTrip(value);
      assert.deepStrictEqual(back, value);
      if (ArrayBuffer.isView(value)) {
        assert.equal(
          (back as object).constructor,
          value.constructor,
          "typed array kind",
        );
      }
    });
  }
  await t.step("NaN", () => assert.ok(Number.isNaN(roundTrip(NaN))));
  await t.step("-0 arrives as 0 (documented)", () => {
    assert.ok(Object.is(roundTrip(-0), 0));
  });
  await t.step("ArrayBuffer arrives as Uint8Array (documented)", () => {
    const back = roundTrip(new Uint8Array([9, 8]).buffer);
    assert.deepStrictEqual(back, new Uint8Array([9, 8]));
  });
  await t.step("Error arrives as Error with its message", () => {
    const back = roundTrip(new Error("boom"));
    assert.ok(back instanceof Error);
    assert.equal(back.message, "boom");
  });
  await t.step("a top-level undefined message counts as absent", () => {
    const envelope = codec.decode(codec.encode({
      version: 1,
      kind: "heartbeat",
      port: 5566,
      seq: 0,
      sentAt: TS,
      message: undefined,
    }));
    assert.ok(!("message" in envelope));
  });
  await t.step("null is a message, not an absence", () => {
    assert.equal(roundTrip(null), null);
  });
  await t.step("a Node Buffer is sent as plain bytes", () => {
    assert.deepStrictEqual(
      roundTrip(Buffer.from([1, 2])),
      new Uint8Array([1, 2]),
    );
  });
});

Deno.test("ProtocolCodec delivers frame bytes intact as a zero-copy view", async (t) => {
  const codec = new ProtocolCodec();
  const frame = wireFrame(640, 480, 5);
  const digest = await sha256(frame.data);
  const bytes = codec.encode({
    version: 1,
    kind: "frame",
    port: 5566,
    seq: 5,
    sentAt: TS,
    message: { camera: 1 },
    frame,
  });
  await t.step("from a Uint8Array", async () => {
    const decoded = codec.decode(bytes).frame!;
    assert.equal(await sha256(decoded.data), digest);
    assert.equal(decoded.data.buffer, bytes.buffer);
    assert.equal(decoded.data.constructor, Uint8Array);
    // Writing through the view changes the message: proof it is not a copy.
    const before = decoded.data[0];
    decoded.data[0] = before ^ 0xff;
    assert.equal(codec.decode(bytes).frame!.data[0], before ^ 0xff);
    decoded.data[0] = before;
  });
  await t.step("from a Node Buffer at an offset, as zeromq delivers", async () => {
    const backing = new ArrayBuffer(bytes.length + 16);
    const buffer = Buffer.from(backing, 16, bytes.length);
    buffer.set(bytes);
    const envelope = codec.decode(buffer);
    assert.equal(await sha256(envelope.frame!.data), digest);
    assert.equal(envelope.frame!.data.buffer, backing);
    // A plain Uint8Array, so slice() copies as everywhere else.
    assert.equal(envelope.frame!.data.constructor, Uint8Array);
    assert.deepStrictEqual(envelope.message, { camera: 1 });
  });
  await t.step("byte strings inside the message are views too", () => {
    const withBytes = codec.encode({
      version: 1,
      kind: "heartbeat",
      port: 5566,
      seq: 0,
      sentAt: TS,
      message: { blob: new Uint8Array([1, 2, 3]) },
    });
    const blob = (codec.decode(withBytes).message as { blob: Uint8Array })
      .blob;
    assert.equal(blob.buffer, withBytes.buffer);
    assert.equal(blob.constructor, Uint8Array);
  });
});

Deno.test("ProtocolCodec.encode() results own their buffer and survive later encodes", async () => {
  const codec = new ProtocolCodec();
  const kept: Array<{ bytes: Uint8Array; digest: string; seq: number }> = [];
  // Enough 640x480 frames and small messages to make cbor-x wrap and
  // reallocate its internal buffer several times.
  for (let seq = 0; seq < 40; seq++) {
    const bytes = codec.encode({
      version: 1,
      kind: seq % 3 === 0 ? "heartbeat" : "frame",
      port: 5566,
      seq,
      sentAt: TS + seq,
      message: { seq, text: "x".repeat(seq * 50) },
      frame: seq % 3 === 0 ? undefined : wireFrame(640, 480, seq),
    });
    assert.equal(bytes.byteOffset, 0);
    assert.equal(bytes.buffer.byteLength, bytes.byteLength);
    kept.push({ bytes, digest: await sha256(bytes), seq });
  }
  const other = new ProtocolCodec();
  for (let i = 0; i < 2000; i++) {
    other.encode({
      version: 1,
      kind: "heartbeat",
      port: 1,
      seq: i,
      sentAt: i,
      message: "y".repeat(i % 300),
    });
  }
  for (const { bytes, digest, seq } of kept) {
    assert.equal(await sha256(bytes), digest, `message ${seq} was overwritten`);
    const envelope = codec.decode(bytes);
    assert.equal(envelope.seq, seq);
    if (envelope.frame) {
      assert.deepStrictEqual(envelope.frame.data, pattern(640 * 480 * 3, seq));
    }
  }
});

Deno.test("ProtocolCodec.encode() writes the bytes PROTOCOL.md shows", () => {
  const codec = new ProtocolCodec();
  assert.equal(
    toHex(codec.encode({
      version: 1,
      kind: "heartbeat",
      port: 5566,
      seq: 3,
      sentAt: TS,
    })),
    "a5 61 76 01 64 6b 69 6e 64 69 68 65 61 72 74 62 65 61 74 64 70 6f 72 74 19 15 be 63 73 65 71 03 62 74 73 fb 42 79 ab ae 28 a7 b4 00",
  );
  assert.equal(
    toHex(codec.encode({
      version: 1,
      kind: "frame",
      port: 5566,
      seq: 0,
      sentAt: TS,
      message: "hi",
      frame: {
        width: 2,
        height: 1,
        channels: 3,
        format: "bgr24",
        encoding: "raw",
        data: new Uint8Array([0, 0, 255, 0, 255, 0]),
      },
    })),
    "a7 61 76 01 64 6b 69 6e 64 65 66 72 61 6d 65 64 70 6f 72 74 19 15 be 63 73 65 71 00 62 74 73 fb 42 79 ab ae 28 a7 b4 00 67 6d 65 73 73 61 67 65 62 68 69 65 66 72 61 6d 65 a6 61 77 02 61 68 01 61 63 03 63 66 6d 74 65 62 67 72 32 34 63 65 6e 63 63 72 61 77 64 64 61 74 61 46 00 00 ff 00 ff 00",
  );
  assert.equal(
    toHex(codec.encode({
      version: 1,
      kind: "reply",
      port: 5566,
      seq: 0,
      sentAt: 1764072000124.5,
      message: { ok: true },
    })),
    "a6 61 76 01 64 6b 69 6e 64 65 72 65 70 6c 79 64 70 6f 72 74 19 15 be 63 73 65 71 00 62 74 73 fb 42 79 ab ae 28 a7 c8 00 67 6d 65 73 73 61 67 65 a1 62 6f 6b f5",
  );
});

Deno.test("ProtocolCodec.decode() rejects each invalid message with its code and field", async (t) => {
  const codec = new ProtocolCodec();
  const valid = raw(validWire());
  const cases: Array<[string, Uint8Array, ProtocolErrorCode, string?]> = [
    ["empty message", new Uint8Array(0), "malformed-cbor"],
    ["lone break code", fromHex("ff"), "malformed-cbor"],
    ["truncated message", valid.subarray(0, valid.length - 3), "malformed-cbor"],
    ["trailing byte", Uint8Array.of(...valid, 0), "malformed-cbor"],
    ["indefinite-length byte string", fromHex("5f 41 01 41 02 ff"), "malformed-cbor"],
    ["array", raw([1, 2]), "not-a-map"],
    ["integer", raw(5), "not-a-map"],
    ["self-described tag before a map", fromHex("d9 d9 f7 a1 61 76 01"), "not-a-map"],
    ["tag 259 map", raw(new Map([["v", 1]])), "not-a-map"],
    ["no v", raw({ kind: "heartbeat" }), "missing-field", "v"],
    ["v 3", raw(validWire({ v: 3 })), "unknown-version", "v"],
    ["v 0", raw({ v: 0 }), "unknown-version", "v"],
    ["v as text", raw(validWire({ v: "1" })), "bad-field", "v"],
    ["no kind", raw(validWire({ kind: undefined })), "missing-field", "kind"],
    ["unknown kind", raw(validWire({ kind: "ping" })), "bad-field", "kind"],
    ["no port", raw(validWire({ port: undefined })), "missing-field", "port"],
    ["port 0", raw(validWire({ port: 0 })), "bad-field", "port"],
    ["port 65536", raw(validWire({ port: 65536 })), "bad-field", "port"],
    ["port as text", raw(validWire({ port: "5566" })), "bad-field", "port"],
    ["fractional port", raw(validWire({ port: 5566.5 })), "bad-field", "port"],
    ["no seq", raw(validWire({ seq: undefined })), "missing-field", "seq"],
    ["negative seq", raw(validWire({ seq: -1 })), "bad-field", "seq"],
    ["seq 2^53", raw(validWire({ seq: 2n ** 53n })), "bad-field", "seq"],
    ["no ts", raw(validWire({ ts: undefined })), "missing-field", "ts"],
    ["ts as text", raw(validWire({ ts: "now" })), "bad-field", "ts"],
    ["ts NaN", raw(validWire({ ts: NaN })), "bad-field", "ts"],
    ["ts Infinity", raw(validWire({ ts: Infinity })), "bad-field", "ts"],
    [
      "frame kind with neither frame nor message",
      raw(validWire({ frame: undefined })),
      "missing-field",
      "frame",
    ],
    [
      "heartbeat with a frame",
      raw(validWire({ kind: "heartbeat" })),
      "bad-field",
      "frame",
    ],
    [
      "terminate with an error",
      raw(
        validWire({
          kind: "terminate",
          frame: undefined,
          error: { code: "x", message: "y" },
        }),
      ),
      "bad-field",
      "error",
    ],
    [
      "error not a map",
      raw(validWire({ kind: "reply", error: "bad" })),
      "bad-field",
      "error",
    ],
    [
      "error without code",
      raw(validWire({ kind: "reply", error: { message: "m" } })),
      "missing-field",
      "error.code",
    ],
    [
      "error code not text",
      raw(validWire({ kind: "reply", error: { code: 5, message: "m" } })),
      "bad-field",
      "error.code",
    ],
    [
      "error without message",
      raw(validWire({ kind: "reply", error: { code: "c" } })),
      "missing-field",
      "error.message",
    ],
    ["frame not a map", raw(validWire({ frame: [2, 1] })), "bad-field", "frame"],
  ];
  const frameCases: Array<
    [string, Record<string, unknown>, ProtocolErrorCode, string]
  > = [
    ["no w", { w: undefined }, "missing-field", "frame.w"],
    ["w 0", { w: 0 }, "bad-field", "frame.w"],
    ["w 65536", { w: 65536 }, "bad-field", "frame.w"],
    ["h as text", { h: "1" }, "bad-field", "frame.h"],
    ["no fmt", { fmt: undefined }, "missing-field", "frame.fmt"],
    ["unknown fmt", { fmt: "yuv420p" }, "bad-field", "frame.fmt"],
    ["c not matching fmt", { c: 4 }, "bad-field", "frame.c"],
    ["no c", { c: undefined }, "missing-field", "frame.c"],
    ["unknown enc", { enc: "png" }, "bad-field", "frame.enc"],
    ["no enc", { enc: undefined }, "missing-field", "frame.enc"],
    ["no data", { data: undefined }, "missing-field", "frame.data"],
    ["data as text", { data: "pixels" }, "bad-field", "frame.data"],
    [
      "data as a Float32Array",
      { data: new Float32Array(6) },
      "bad-field",
      "frame.data",
    ],
    [
      "raw data too short",
      { data: pattern(5, 0) },
      "frame-size-mismatch",
      "frame.data",
    ],
    [
      "raw data too long",
      { data: pattern(7, 0) },
      "frame-size-mismatch",
      "frame.data",
    ],
    [
      "jpeg without its marker",
      { enc: "jpeg", data: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) },
      "bad-jpeg",
      "frame.data",
    ],
    [
      "empty jpeg",
      { enc: "jpeg", data: new Uint8Array(0) },
      "bad-jpeg",
      "frame.data",
    ],
  ];
  for (const [name, change, code, field] of frameCases) {
    const frame = { ...validWire().frame, ...change };
    cases.push([`frame: ${name}`, raw(validWire({ frame })), code, field]);
  }
  for (const [name, bytes, code, field] of cases) {
    await t.step(name, () => assertRejects(codec, bytes, code, field));
  }
  await t.step("oversized message", () => {
    const small = new ProtocolCodec({ maxMessageBytes: valid.length - 1 });
    assertRejects(small, valid, "oversized");
    assert.equal(new ProtocolCodec({ maxMessageBytes: valid.length }).decode(valid).seq, 0);
  });
});

Deno.test("ProtocolCodec.decode() accepts what PROTOCOL.md says receivers should", async (t) => {
  const codec = new ProtocolCodec();
  await t.step("unknown keys are ignored", () => {
    const envelope = codec.decode(raw(validWire({ future: { x: 1 } })));
    assert.ok(!("future" in envelope));
  });
  await t.step("8-byte integers (decoded as bigint by cbor-x)", () => {
    const envelope = codec.decode(
      raw(validWire({ v: 1n, port: 5566n, seq: 9n })),
    );
    assert.equal(envelope.seq, 9);
    assert.equal(envelope.port, 5566);
  });
  await t.step("a reply with no message (a plain acknowledgement)", () => {
    const envelope = codec.decode(
      raw(validWire({ kind: "reply", frame: undefined, seq: 4 })),
    );
    assert.equal(envelope.kind, "reply");
    assert.ok(!("message" in envelope) && !("frame" in envelope));
  });
  await t.step("an integral ts", () => {
    assert.equal(codec.decode(raw(validWire({ ts: 1000 }))).sentAt, 1000);
  });
  await t.step("a jpeg of any length", () => {
    const data = new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 0, 0]);
    const envelope = codec.decode(
      raw(validWire({ frame: { ...validWire().frame, enc: "jpeg", data } })),
    );
    assert.deepStrictEqual(envelope.frame?.data, data);
    assert.equal(envelope.frame?.encoding, "jpeg");
  });
  await t.step("keys in any order, frame first", () => {
    const { frame, ...rest } = validWire();
    const envelope = codec.decode(raw({ frame, ...rest }));
    assert.equal(envelope.frame?.width, 2);
  });
  await t.step("a map header longer than needed", () => {
    // b9 00 01: a one-pair map with a 16-bit count (cbor-x's default).
    assertRejects(codec, fromHex("b9 00 01 61 76 01"), "missing-field", "kind");
  });
});

Deno.test("ProtocolCodec.encode() rejects invalid envelopes as argument errors", async (t) => {
  const codec = new ProtocolCodec();
  const base: Envelope = {
    version: 1,
    kind: "heartbeat",
    port: 5566,
    seq: 0,
    sentAt: TS,
  };
  const cases: Array<
    [string, Envelope, typeof TypeError, ProtocolErrorCode?, string?]
  > = [
    ["port 0", { ...base, port: 0 }, TypeError, "bad-field", "port"],
    ["version 3", { ...base, version: 3 }, TypeError, "unknown-version", "v"],
    [
      "unknown kind",
      { ...base, kind: "ping" as Envelope["kind"] },
      TypeError,
      "bad-field",
      "kind",
    ],
    ["fractional seq", { ...base, seq: 1.5 }, TypeError, "bad-field", "seq"],
    ["NaN sentAt", { ...base, sentAt: NaN }, TypeError, "bad-field", "ts"],
    [
      "frame kind without frame",
      { ...base, kind: "frame" },
      TypeError,
      "missing-field",
      "frame",
    ],
    [
      "heartbeat with an error",
      { ...base, error: { code: "x", message: "y" } },
      TypeError,
      "bad-field",
      "error",
    ],
    [
      "terminate with a frame",
      { ...base, kind: "terminate", frame: wireFrame(1, 1) },
      TypeError,
      "bad-field",
      "frame",
    ],
    [
      "error without a code",
      {
        ...base,
        kind: "reply",
        error: { message: "m" } as unknown as Envelope["error"],
      },
      TypeError,
      "missing-field",
      "error.code",
    ],
    [
      "channels not matching format",
      { ...base, kind: "frame", frame: { ...wireFrame(2, 2), channels: 4 } },
      TypeError,
      "bad-field",
      "frame.c",
    ],
    [
      "raw data of the wrong size",
      {
        ...base,
        kind: "frame",
        frame: { ...wireFrame(2, 2), data: new Uint8Array(11) },
      },
      RangeError,
      "frame-size-mismatch",
      "frame.data",
    ],
    ["a function in the message", { ...base, message: { f: () => 1 } }, TypeError],
    ["a symbol in the message", { ...base, message: [Symbol("s")] }, TypeError],
  ];
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  cases.push(["a cyclic message", { ...base, message: cyclic }, TypeError]);
  for (const [name, envelope, ErrorClass, code, field] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => codec.encode(envelope),
        (error: unknown) => {
          assert.ok(error instanceof ErrorClass, `got ${error}`);
          assert.match((error as Error).message, /^Cannot encode envelope: /);
          if (code !== undefined) {
            const cause = (error as Error).cause;
            assert.ok(cause instanceof ProtocolError);
            assert.equal(cause.code, code);
            assert.equal(cause.field, field);
          }
          return true;
        },
      );
    });
  }
  await t.step("a message over maxMessageBytes", () => {
    const small = new ProtocolCodec({ maxMessageBytes: 1000 });
    assert.throws(
      () => small.encode({ ...base, kind: "frame", frame: wireFrame(20, 20) }),
      RangeError,
    );
    assert.throws(
      () => small.encode({ ...base, message: "z".repeat(1000) }),
      RangeError,
    );
  });
  await t.step("the codec still works after a failed encode", () => {
    const bytes = codec.encode(base);
    assert.deepStrictEqual(codec.decode(bytes), base);
  });
});

Deno.test("ProtocolCodec validates maxMessageBytes", () => {
  assert.equal(new ProtocolCodec().maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES);
  assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 64 * 1024 * 1024);
  assert.equal(PROTOCOL_VERSION, 2);
  assert.deepStrictEqual(PROTOCOL_VERSIONS, [1, 2]);
  for (const bad of [0, -1, 1.5, 2 ** 32, NaN]) {
    assert.throws(
      () => new ProtocolCodec({ maxMessageBytes: bad }),
      (error: unknown) => error instanceof RangeError && /maxMessageBytes/.test(error.message),
    );
  }
});

Deno.test("frameToWire() and wireToFrame() convert without copying", async (t) => {
  await t.step("frameToWire defaults to bgr24 and shares the bytes", () => {
    const data = new Uint8Array(12);
    const wire = frameToWire({ width: 2, height: 2, channels: 3, data });
    assert.deepStrictEqual(wire, {
      width: 2,
      height: 2,
      channels: 3,
      format: "bgr24",
      encoding: "raw",
      data,
    });
    assert.equal(wire.data, data);
  });
  await t.step("wireToFrame shares the decoded view", () => {
    const codec = new ProtocolCodec();
    const bytes = codec.encode({
      version: 1,
      kind: "frame",
      port: 5566,
      seq: 0,
      sentAt: TS,
      frame: wireFrame(3, 2, 0, "gray"),
    });
    const frame = wireToFrame(codec.decode(bytes).frame!);
    assert.equal(frame.format, "gray");
    assert.equal(frame.channels, 1);
    assert.equal(frame.data.buffer, bytes.buffer);
  });
  await t.step("frameToWire rejects inconsistent frames", () => {
    assert.throws(
      () =>
        frameToWire({
          width: 2,
          height: 2,
          channels: 3,
          data: new Uint8Array(11),
        }),
      RangeError,
    );
    assert.throws(
      () =>
        frameToWire({
          width: 2,
          height: 2,
          channels: 3,
          format: "rgba",
          data: new Uint8Array(16),
        }),
      TypeError,
    );
    assert.throws(
      () =>
        frameToWire({ width: 0, height: 2, channels: 1, format: "gray", data: new Uint8Array(0) }),
      /Cannot convert frame: key "frame.w" \(width\) must be an integer 1..65535, got 0/,
    );
  });
  await t.step("wireToFrame refuses jpeg", () => {
    assert.throws(
      () =>
        wireToFrame({
          ...wireFrame(2, 2),
          encoding: "jpeg",
          data: new Uint8Array([0xff, 0xd8, 0xff]),
        }),
      /Cannot convert wire frame to Frame: encoding "jpeg"/,
    );
  });
});

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("ProtocolCodec.decode() throws nothing but ProtocolError on random and mutated input", () => {
  const seed = 0x5eed_1234;
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const codec = new ProtocolCodec({ maxMessageBytes: 4096 });
  const seeds = [
    raw(validWire()),
    codec.encode({
      version: 1,
      kind: "reply",
      port: 5566,
      seq: 2,
      sentAt: TS,
      message: {
        list: [1, -2, 3.5, "x", null, true, 2n ** 70n],
        floats: new Float32Array([1, 2]),
        map: new Map([[1, 2]]),
        when: new Date(0),
      },
    }),
    codec.encode({
      version: 1,
      kind: "reply",
      port: 5566,
      seq: 3,
      sentAt: TS,
      error: { code: "bad-field", message: "m" },
    }),
    codec.encode({ version: 1, kind: "heartbeat", port: 1, seq: 0, sentAt: TS }),
  ];
  let accepted = 0;
  let rejected = 0;
  const check = (bytes: Uint8Array, label: string) => {
    let envelope: Envelope;
    try {
      envelope = codec.decode(bytes);
    } catch (error) {
      if (!(error instanceof ProtocolError)) {
        assert.fail(`${label} (seed ${seed}) threw ${error}: ${toHex(bytes)}`);
      }
      rejected++;
      return;
    }
    accepted++;
    // Whatever decode() accepts must be encodable again.
    codec.encode(envelope);
  };
  for (let i = 0; i < 2000; i++) {
    const bytes = new Uint8Array(int(48));
    for (let j = 0; j < bytes.length; j++) bytes[j] = int(256);
    // Bias towards plausible starts: a map header half the time.
    if (bytes.length > 0 && random() < 0.5) bytes[0] = 0xa0 | int(8);
    check(bytes, `random #${i}`);
  }
  for (let i = 0; i < 3000; i++) {
    const bytes = Uint8Array.prototype.slice.call(seeds[i % seeds.length]);
    let mutated: Uint8Array = bytes;
    const edits = 1 + int(3);
    for (let e = 0; e < edits; e++) {
      const at = int(mutated.length);
      switch (int(4)) {
        case 0:
          mutated[at] = int(256);
          break;
        case 1:
          mutated[at] ^= 1 << int(8);
          break;
        case 2:
          mutated = mutated.subarray(0, at);
          break;
        default:
          mutated = Uint8Array.of(
            ...mutated.subarray(0, at),
            int(256),
            ...mutated.subarray(at),
          );
      }
    }
    check(mutated, `mutation #${i}`);
  }
  assert.ok(accepted > 0, "some mutations should stay valid");
  assert.ok(rejected > 4000, `only ${rejected} rejections`);
});

Deno.test("ProtocolCodec.encode() writes a frame message into a reused buffer when it fits", () => {
  const codec = new ProtocolCodec();
  const frame = {
    width: 4,
    height: 2,
    channels: 3,
    format: "bgr24" as const,
    encoding: "raw" as const,
    data: new Uint8Array(24).fill(9),
  };
  const envelope = { version: 1, kind: "frame" as const, port: 5566, seq: 0, sentAt: 1, frame };
  const first = codec.encode(envelope);
  const into = new Uint8Array(first.byteLength + 10);
  const second = codec.encode({ ...envelope, seq: 1 }, { into });
  assert.equal(second.buffer, into.buffer, "written into the given buffer");
  assert.equal(codec.decode(second).seq, 1);
  assert.deepEqual(codec.decode(second).frame?.data, frame.data);
  const small = new Uint8Array(4);
  const third = codec.encode(envelope, { into: small });
  assert.notEqual(third.buffer, small.buffer, "a buffer too small is not used");
});

Deno.test("ProtocolCodec carries a server's heartbeat interval (hb) and identity (sid), optional keys", async (t) => {
  const codec = new ProtocolCodec();
  const about = { heartbeatInterval: 250, serverId: "0123456789abcdef" };
  await t.step("on every server kind, one part and two, and they are absent when not given", () => {
    for (const kind of ["frame", "heartbeat", "terminate"] as const) {
      const envelope: Envelope = { version: 1, kind, port: 5566, seq: 3, sentAt: TS, ...about };
      if (kind === "frame") envelope.message = "hi";
      const back = codec.decode(codec.encode(envelope));
      assert.equal(back.heartbeatInterval, 250);
      assert.equal(back.serverId, "0123456789abcdef");
    }
    const parts = codec.encodeParts({
      version: 2,
      kind: "frame",
      port: 5566,
      seq: 0,
      sentAt: TS,
      frame: wireFrame(2, 1),
      ...about,
    });
    assert.equal(parts.length, 2);
    assert.equal(codec.decodeParts(parts).serverId, "0123456789abcdef");
    const bare = codec.decode(
      codec.encode({ version: 1, kind: "heartbeat", port: 5566, seq: 0, sentAt: TS }),
    );
    assert.ok(!("heartbeatInterval" in bare) && !("serverId" in bare));
  });
  await t.step(
    "a receiver that predates them would ignore them: the other keys are unchanged",
    () => {
      const bytes = codec.encode({ version: 1, kind: "heartbeat", port: 5566, seq: 3, sentAt: TS });
      const withKeys = raw({
        v: 1,
        kind: "heartbeat",
        port: 5566,
        seq: 3,
        ts: TS,
        hb: 1000,
        sid: "x",
      });
      const back = codec.decode(withKeys);
      assert.deepEqual(
        { ...back, heartbeatInterval: undefined, serverId: undefined },
        { ...codec.decode(bytes), heartbeatInterval: undefined, serverId: undefined },
      );
    },
  );
  await t.step("bad values are refused with bad-field naming the key", () => {
    const base = { v: 1, kind: "heartbeat", port: 5566, seq: 0, ts: TS };
    for (
      const [key, value] of [
        ["hb", 0],
        ["hb", -5],
        ["hb", 1.5],
        ["hb", "1000"],
        ["hb", 86_400_001],
        ["sid", ""],
        ["sid", 7],
        ["sid", "has space"],
        ["sid", "x".repeat(65)],
      ] as const
    ) {
      assert.throws(
        () => codec.decode(raw({ ...base, [key]: value })),
        (error: unknown) =>
          error instanceof ProtocolError && error.code === "bad-field" && error.field === key,
        `${key}: ${JSON.stringify(value)}`,
      );
      assert.throws(
        () =>
          codec.encode({
            version: 1,
            kind: "heartbeat",
            port: 5566,
            seq: 0,
            sentAt: TS,
            [key === "hb" ? "heartbeatInterval" : "serverId"]: value,
          } as Envelope),
        TypeError,
      );
    }
  });
});
