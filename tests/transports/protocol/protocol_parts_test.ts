/**
 * Version 2's two-part frames (PROTOCOL.md §3.1): `encodeParts()` hands the
 * frame's own bytes over as the second part, `decodeParts()` reads both
 * forms and refuses every broken two-part message with its code and field.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Encoder } from "cbor-x";
import {
  type Envelope,
  PROTOCOL_VERSIONS,
  ProtocolCodec,
  ProtocolError,
  type ProtocolErrorCode,
  type WireFrame,
} from "../../../transports/protocol/protocol.ts";

const TS = 1764072000123.25;
const rawEncoder = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });
const raw = (value: unknown): Uint8Array =>
  Uint8Array.prototype.slice.call(rawEncoder.encode(value));
const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

function pixels(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i + 31 * seed) % 251);
}

function frameEnvelope(version: number, data = pixels(640 * 480 * 3, 1)): Envelope {
  const frame: WireFrame = {
    width: 640,
    height: 480,
    channels: 3,
    format: "bgr24",
    encoding: "raw",
    data,
  };
  return { version, kind: "frame", port: 5566, seq: 7, sentAt: TS, message: { n: 1 }, frame };
}

Deno.test("encodeParts() sends a version 2 frame's own bytes as the second part, uncopied", () => {
  const codec = new ProtocolCodec();
  const envelope = frameEnvelope(2);
  const parts = codec.encodeParts(envelope);
  assert.equal(parts.length, 2);
  assert.equal(parts[1], envelope.frame!.data, "the second part is the caller's buffer itself");
  assert.ok(parts[0].byteLength < 128, `the envelope part is small (${parts[0].byteLength} bytes)`);
  assert.equal(parts[0].byteOffset, 0);
  assert.equal(parts[0].buffer.byteLength, parts[0].byteLength, "the first part owns its buffer");
  // What a receiver reads back: the same envelope, its pixels a view of part 2.
  const decoded = codec.decodeParts(parts);
  assert.equal(decoded.version, 2);
  assert.equal(decoded.frame!.data.buffer, envelope.frame!.data.buffer);
  assert.deepStrictEqual({ ...decoded, frame: { ...decoded.frame, data: null } }, {
    ...envelope,
    frame: { ...envelope.frame, data: null },
  });
});

Deno.test("encodeParts() makes one part for version 1 and for envelopes without a frame", () => {
  const codec = new ProtocolCodec();
  const v1 = frameEnvelope(1, pixels(12, 0));
  v1.frame = { ...v1.frame!, width: 2, height: 2 };
  const one = codec.encodeParts(v1);
  assert.equal(one.length, 1);
  assert.deepStrictEqual(one[0], codec.encode(v1));
  const heartbeat: Envelope = { version: 2, kind: "heartbeat", port: 5566, seq: 8, sentAt: TS };
  const [part, ...rest] = codec.encodeParts(heartbeat);
  assert.equal(rest.length, 0);
  assert.deepStrictEqual(codec.decodeParts([part]), heartbeat);
});

Deno.test("encodeParts() writes the two parts PROTOCOL.md shows", () => {
  const parts = new ProtocolCodec().encodeParts({
    version: 2,
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
  });
  assert.deepStrictEqual(parts.map(toHex), [
    "a7 61 76 02 64 6b 69 6e 64 65 66 72 61 6d 65 64 70 6f 72 74 19 15 be 63 73 65 71 00 62 74 73 fb 42 79 ab ae 28 a7 b4 00 67 6d 65 73 73 61 67 65 62 68 69 65 66 72 61 6d 65 a5 61 77 02 61 68 01 61 63 03 63 66 6d 74 65 62 67 72 32 34 63 65 6e 63 63 72 61 77",
    "00 00 ff 00 ff 00",
  ]);
});

Deno.test("encodeParts() refuses what encode() refuses, and both parts over maxMessageBytes", () => {
  const small = new ProtocolCodec({ maxMessageBytes: 100_000 });
  assert.throws(() => small.encodeParts(frameEnvelope(2)), RangeError);
  const bad = frameEnvelope(2, pixels(10, 0));
  assert.throws(
    () => small.encodeParts(bad),
    (error: unknown) =>
      error instanceof RangeError && error.cause instanceof ProtocolError &&
      error.cause.code === "frame-size-mismatch",
  );
  assert.throws(
    () => small.encodeParts({ ...frameEnvelope(3), frame: undefined, message: 1 }),
    (error: unknown) =>
      error instanceof TypeError && (error.cause as ProtocolError).code === "unknown-version",
  );
});

Deno.test("decodeParts() gives a plain Uint8Array view of a Node Buffer second part", () => {
  const codec = new ProtocolCodec();
  const [head, data] = codec.encodeParts(frameEnvelope(2));
  const received = [Buffer.from(head), Buffer.from(data)];
  const frame = codec.decodeParts(received).frame!;
  assert.equal(frame.data.constructor, Uint8Array);
  assert.equal(frame.data.buffer, received[1].buffer);
  assert.equal(frame.data.byteOffset, received[1].byteOffset);
});

Deno.test("decodeParts() accepts a two-part reply and a two-part JPEG frame", () => {
  const codec = new ProtocolCodec();
  const jpeg = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 1, 2, 3);
  const head = raw({
    v: 2,
    kind: "reply",
    port: 5566,
    seq: 3,
    ts: TS,
    frame: { w: 8, h: 8, c: 3, fmt: "rgb24", enc: "jpeg" },
  });
  const reply = codec.decodeParts([head, jpeg]);
  assert.equal(reply.kind, "reply");
  assert.equal(reply.frame!.encoding, "jpeg");
  assert.deepStrictEqual(reply.frame!.data, jpeg);
});

Deno.test("decodeParts() refuses each broken two-part message with its code and field", async (t) => {
  const codec = new ProtocolCodec({ maxMessageBytes: 1000 });
  const data = pixels(6, 0);
  const frame = { w: 2, h: 1, c: 3, fmt: "bgr24", enc: "raw" };
  const head = (overrides: Record<string, unknown>): Uint8Array =>
    raw({ v: 2, kind: "frame", port: 5566, seq: 0, ts: TS, frame, ...overrides });
  const cases: [string, Uint8Array[], ProtocolErrorCode, string | undefined][] = [
    ["no part", [], "malformed-cbor", undefined],
    ["three parts", [head({}), data, new Uint8Array(1)], "malformed-cbor", undefined],
    ["version 1 in two parts", [head({ v: 1 }), data], "bad-field", "v"],
    ["an unknown version in two parts", [head({ v: 3 }), data], "unknown-version", "v"],
    [
      "two parts and no frame",
      [head({ frame: undefined, message: "x" }), data],
      "missing-field",
      "frame",
    ],
    [
      "a heartbeat in two parts",
      [head({ kind: "heartbeat", frame: undefined }), data],
      "missing-field",
      "frame",
    ],
    [
      "data in the frame map too",
      [head({ frame: { ...frame, data } }), data],
      "bad-field",
      "frame.data",
    ],
    ["too few pixel bytes", [head({}), data.subarray(1)], "frame-size-mismatch", "frame.data"],
    ["too many pixel bytes", [head({}), pixels(7, 0)], "frame-size-mismatch", "frame.data"],
    [
      "JPEG bytes without markers",
      [head({ frame: { ...frame, enc: "jpeg" } }), data],
      "bad-jpeg",
      "frame.data",
    ],
    ["both parts over maxMessageBytes", [head({}), new Uint8Array(1000)], "oversized", undefined],
    ["a first part that is not CBOR", [Uint8Array.of(0xff), data], "malformed-cbor", undefined],
    ["a first part that is not a map", [raw([1, 2]), data], "not-a-map", undefined],
  ];
  for (const [name, parts, code, field] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => codec.decodeParts(parts),
        (error: unknown) => {
          assert.ok(error instanceof ProtocolError, `got ${error}`);
          assert.equal(error.code, code, error.message);
          assert.equal(error.field, field);
          assert.match(error.message, /^Cannot decode envelope: /);
          return true;
        },
      );
    });
  }
  await t.step("not an array, or a part that is not bytes", () => {
    assert.throws(() => codec.decodeParts("x" as unknown as Uint8Array[]), TypeError);
    assert.throws(() => codec.decodeParts([head({}), "x" as unknown as Uint8Array]), TypeError);
  });
});

Deno.test("decode() reads one-part messages of every version it speaks, and names them", () => {
  const codec = new ProtocolCodec();
  for (const v of PROTOCOL_VERSIONS) {
    const envelope = codec.decode(raw({ v, kind: "heartbeat", port: 1, seq: 0, ts: TS }));
    assert.equal(envelope.version, v);
  }
  assert.throws(
    () => codec.decode(raw({ v: 3, kind: "heartbeat", port: 1, seq: 0, ts: TS })),
    (error: unknown) =>
      error instanceof ProtocolError && error.code === "unknown-version" &&
      /valid: 1, 2/.test(error.message),
  );
});
