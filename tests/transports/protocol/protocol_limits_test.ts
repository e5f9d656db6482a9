/**
 * The receiver's decoding limits (PROTOCOL.md §9): every hostile shape is
 * refused with its code, or accepted, by a walk over its headers before
 * cbor-x decodes anything.
 */
import assert from "node:assert/strict";
import { Decoder } from "cbor-x";
import {
  DEFAULT_MAX_ITEMS,
  ProtocolCodec,
  ProtocolError,
} from "../../../transports/protocol/protocol.ts";
import { header, hostileShapes, repeat, text, withMessage } from "./_hostile_cbor.ts";

const PORT = 5566;
/** Small enough that the largest shapes stay cheap to build here. */
const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

function codeOf(codec: ProtocolCodec, parts: Uint8Array[]): string {
  try {
    codec.decodeParts(parts);
    return "accepted";
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
}

Deno.test("ProtocolCodec refuses or accepts each hostile shape as PROTOCOL.md §9 says", async (t) => {
  const codec = new ProtocolCodec({ maxMessageBytes: MAX_MESSAGE_BYTES });
  for (const shape of hostileShapes({ port: PORT, maxMessageBytes: MAX_MESSAGE_BYTES })) {
    await t.step(shape.name, () => assert.equal(codeOf(codec, shape.parts), shape.expect));
  }
});

Deno.test("ProtocolCodec names the envelope key whose value broke a limit", () => {
  const codec = new ProtocolCodec();
  const deep = withMessage(PORT, [...new Array(100).fill(0x81), 0]);
  assert.throws(() => codec.decode(deep), (error: unknown) => {
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "too-complex");
    assert.equal(error.field, "message");
    assert.match(error.message, /more than 32 deep/);
    return true;
  });
});

Deno.test("ProtocolCodec counts items across the whole message, up to maxItems", () => {
  const codec = new ProtocolCodec({ maxItems: 100 });
  // The envelope head takes 11 items (a map, 5 keys, 5 values) before the message.
  const fits = withMessage(PORT, repeat(header(4, 80), [0x01], 80));
  assert.equal(codec.decode(fits).message instanceof Array, true);
  const over = withMessage(PORT, repeat(header(4, 95), [0x01], 95));
  assert.throws(() => codec.decode(over), /100 CBOR items \(limit "maxItems"\)/);
  assert.ok(DEFAULT_MAX_ITEMS >= 16_384);
});

Deno.test("ProtocolCodec refuses text beyond maxCopyBytes and accepts it up to the limit", () => {
  const codec = new ProtocolCodec({ maxCopyBytes: 1000 });
  // "heartbeat" (9 bytes) is text too.
  const fits = withMessage(PORT, [...header(3, 991), ...new Uint8Array(991).fill(0x61)]);
  assert.equal((codec.decode(fits).message as string).length, 991);
  const over = withMessage(PORT, [...header(3, 992), ...new Uint8Array(992).fill(0x61)]);
  assert.throws(() => codec.decode(over), /copy more than 1000 bytes/);
});

Deno.test("ProtocolCodec checks the head before it decodes the message", () => {
  const codec = new ProtocolCodec();
  // A map key that is itself a map: well formed and within every limit,
  // but cbor-x refuses it as a property name once it decodes the message.
  const message = [0xa1, 0xa0, 0x01];
  assert.throws(() => codec.decode(withMessage(PORT, message)), (error: unknown) => {
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "malformed-cbor");
    assert.equal(error.field, "message");
    return true;
  });
  // Arriving on another port, the same bytes are refused for their port:
  // the message is never decoded.
  assert.throws(
    () => codec.decode(withMessage(PORT, message), { port: PORT + 1 }),
    (error: unknown) => {
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.code, "bad-field");
      assert.equal(error.field, "port");
      return true;
    },
  );
});

Deno.test("ProtocolCodec keeps no decoder state from one refused message to the next", () => {
  const codec = new ProtocolCodec();
  // A cbor-x record definition for id 0xe000 with key "v", then a message
  // using it: refused, and the next message reads as if it never came.
  const record = withMessage(PORT, [
    0xd9,
    0xdf,
    0xff,
    0x83,
    0x19,
    0xe0,
    0x00,
    0x81,
    ...text("x"),
    0x01,
  ]);
  assert.equal(codeOf(codec, [record]), "unsupported-tag");
  const plain = withMessage(PORT, [0xd9, 0xe0, 0x00, 0x01]);
  assert.equal(codeOf(codec, [plain]), "unsupported-tag");
  const fine = codec.decode(withMessage(PORT, [0xa1, ...text("x"), 0x01]));
  assert.deepEqual(fine.message, { x: 1 });
});

Deno.test("ProtocolCodec accepts every tag PROTOCOL.md §8 lists", () => {
  const codec = new ProtocolCodec();
  const decoded = (message: number[]): unknown => codec.decode(withMessage(PORT, message)).message;
  assert.ok(decoded([0xc0, ...text("2026-12-03T00:00:00Z")]) instanceof Date);
  assert.ok(decoded([0xc1, 0x1a, 0x69, 0x2f, 0x6d, 0x00]) instanceof Date);
  assert.equal(decoded([0xc2, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0]), 2n ** 64n);
  assert.equal(decoded([0xc3, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0]), -(2n ** 64n) - 1n);
  assert.ok(decoded([0xd8, 0x1b, 0x82, ...text("Error"), ...text("boom")]) instanceof Error);
  assert.ok(decoded([0xd8, 0x55, 0x44, 0, 0, 0x80, 0x3f]) instanceof Float32Array);
  assert.ok(decoded([0xd9, 0x01, 0x02, 0x81, 0x01]) instanceof Set);
  assert.ok(decoded([0xd9, 0x01, 0x03, 0xa1, 0x01, 0x02]) instanceof Map);
});

Deno.test("ProtocolCodec validates its limit options", () => {
  assert.throws(() => new ProtocolCodec({ maxItems: 0 }), RangeError);
  assert.throws(() => new ProtocolCodec({ maxItems: 1.5 }), /"maxItems" must be an integer/);
  assert.throws(() => new ProtocolCodec({ maxDepth: 1 }), /"maxDepth" must be an integer 2\.\.256/);
  assert.throws(() => new ProtocolCodec({ maxCopyBytes: -1 }), /"maxCopyBytes"/);
});

Deno.test("cbor-x itself still decodes the shapes the scan refuses (the scan is what protects)", () => {
  // If cbor-x ever refused these by itself this test would say so, and
  // the scan's reasons in PROTOCOL.md would need a second look.
  const cborx = new Decoder({ useRecords: false, mapsAsObjects: true });
  const cyclic = Uint8Array.of(0xd8, 0x1c, 0xa1, ...text("self"), 0xd8, 0x1d, 0x00);
  const value = cborx.decode(cyclic) as { self: unknown };
  assert.equal(value.self, value);
});
