import "../../_helpers/preload_native.ts";
/**
 * VidgearCodec: vidgear 0.3.5's NetGear multi-server wire format. Unit tests
 * (round trips, Python's JSON, every refusal, hostile bytes), then interop
 * with tests/interop/vidgear_peer.py through real ZeroMQ sockets, both
 * directions, both patterns: raw and JPEG frames, messages, acks,
 * bidirectional replies (ndarray included), terminate.
 *
 * The interop tests need /usr/bin/python3 with Debian's python3-zmq,
 * python3-numpy and python3-pil (skipped without, failed under CI=true),
 * and `--allow-run --allow-read --allow-env --allow-ffi`.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { JpegCodec } from "../../../transports/codecs/jpeg.ts";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";
import {
  decodeVidgearJpeg,
  FORMAT_OF_VIDGEAR_COLORSPACE,
  newVidgearDeviceId,
  ProtocolError,
  VIDGEAR_COLORSPACES,
  VIDGEAR_TERMINATE_ACK,
  VidgearCodec,
  type VidgearFrame,
  type VidgearReply,
  type VidgearTerminate,
  VidgearUnsupportedFrameError,
} from "../../../transports/protocol/vidgear_codec.ts";
import type { Frame } from "../../../capture/frame.ts";
import {
  linesOf,
  PEER_EXIT,
  type PeerLine,
  sha256Hex,
  VIDGEAR_ACK,
  VIDGEAR_FRAME_KEYS,
  VIDGEAR_PYTHON,
  VIDGEAR_TERMINATE_ACK as PEER_TERMINATE_ACK,
  vidgearCompression,
  vidgearFrame,
  VidgearPeer,
} from "../../_helpers/vidgear_peer.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const parse = (part: Uint8Array): Record<string, unknown> => JSON.parse(decoder.decode(part));

const PORT = 5566;

/** A vidgear frame header as Python's json.dumps writes it (", " and ": "), with overrides. */
function header(overrides: Record<string, unknown> = {}, drop: string[] = []): Uint8Array {
  const value: Record<string, unknown> = {
    port: PORT,
    terminate_flag: false,
    compression: false,
    message: null,
    pattern: "1",
    dtype: "uint8",
    shape: [2, 3, 3],
    ...overrides,
  };
  for (const key of drop) delete value[key];
  return bytes(pythonJson(value));
}

/** JSON with Python's default separators (", " and ": "), as pyzmq's send_json writes it. */
function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${
      Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`).join(", ")
    }}`;
  }
  return JSON.stringify(value);
}

const JPEG_MARKERS = [0xff, 0xd8, 0xff, 0xe0];

function bgrFrame(width: number, height: number, seed = 0): Frame {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed) % 256;
  return { width, height, channels: 3, format: "bgr24", data };
}

/** The ProtocolError `fn` throws (failing if it throws anything else or nothing). */
function refusal(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw new assert.AssertionError({
      message: `expected a ProtocolError, got ${error}`,
      actual: error,
    });
  }
  assert.fail("expected a ProtocolError, but it was accepted");
}

function assertRefused(
  fn: () => unknown,
  code: string,
  field?: string,
  message?: RegExp,
): ProtocolError {
  const error = refusal(fn);
  assert.equal(error.code, code, error.message);
  if (field !== undefined) assert.equal(error.field, field, error.message);
  if (message !== undefined) assert.match(error.message, message);
  return error;
}

// ------------------------------------------------------------------ round trips

Deno.test("encodeFrame: a bgr24 frame is vidgear's header in vidgear's key order, and its bytes uncopied", () => {
  const codec = new VidgearCodec();
  const frame = bgrFrame(4, 2);
  const parts = codec.encodeFrame({ port: PORT, pattern: 1, frame, message: { note: "hi" } });
  assert.equal(parts.length, 2);
  assert.ok(parts[1] === frame.data, "the frame's own bytes, not a copy");
  const head = parse(parts[0]);
  assert.deepEqual(Object.keys(head), VIDGEAR_FRAME_KEYS);
  assert.deepEqual(head, {
    port: PORT,
    terminate_flag: false,
    compression: false,
    message: { note: "hi" },
    pattern: "1",
    dtype: "uint8",
    shape: [2, 4, 3],
  });
  const decoded = codec.decodeServerMessage(parts);
  assert.ok(decoded.kind === "frame" && decoded.encoding === "raw");
  assert.deepEqual(decoded.frame, {
    width: 4,
    height: 2,
    channels: 3,
    format: "bgr24",
    data: frame.data,
  });
  assert.equal(decoded.pattern, 1);
  assert.deepEqual(decoded.message, { note: "hi" });
});

Deno.test("encodeFrame: a gray frame is a 2-D [h, w] array, as OpenCV's gray frames are", () => {
  const codec = new VidgearCodec();
  const data = Uint8Array.from({ length: 6 }, (_, i) => i);
  const parts = codec.encodeFrame({
    port: PORT,
    pattern: 2,
    frame: { width: 3, height: 2, channels: 1, format: "gray", data },
  });
  assert.deepEqual(parse(parts[0]).shape, [2, 3]);
  assert.equal(parse(parts[0]).message, null, "no message is null, as vidgear's None");
  const decoded = codec.decodeServerMessage(parts, { pattern: 2, ports: [PORT] });
  assert.ok(decoded.kind === "frame" && decoded.encoding === "raw");
  assert.equal(decoded.frame.format, "gray");
  assert.equal(decoded.frame.channels, 1);
  // [h, w, 1] is gray too.
  const three = codec.decodeServerMessage([header({ shape: [2, 3, 1] }), data]);
  assert.ok(three.kind === "frame" && three.encoding === "raw" && three.frame.format === "gray");
});

Deno.test("encodeFrame: a JPEG declares the colourspace of its frame's layout, and decodes back to that layout", () => {
  const codec = new VidgearCodec();
  const data = new Uint8Array([...JPEG_MARKERS, 1, 2, 3]);
  for (
    const [format, colorspace] of [
      ["bgr24", "BGR"],
      ["rgb24", "RGB"],
      ["rgba", "RGBA"],
      ["gray", "GRAY"],
    ] as const
  ) {
    const parts = codec.encodeFrame({
      port: PORT,
      pattern: 2,
      jpeg: { data, format, fastDct: false, fastUpsample: true },
    });
    assert.ok(parts[1] === data);
    const head = parse(parts[0]);
    assert.deepEqual(Object.keys(head), VIDGEAR_FRAME_KEYS);
    assert.deepEqual(head.compression, { dct: false, ups: true, colorspace });
    assert.equal(head.dtype, "");
    assert.equal(head.shape, "");
    const decoded = codec.decodeServerMessage(parts);
    assert.ok(decoded.kind === "frame" && decoded.encoding === "jpeg");
    assert.deepEqual(decoded.jpeg, {
      data,
      colorspace,
      format,
      fastDct: false,
      fastUpsample: true,
    });
  }
  // vidgear's defaults: fastdct on, fastupsample off, BGR.
  const [head] = codec.encodeFrame({ port: PORT, pattern: 1, jpeg: { data } });
  assert.deepEqual(parse(head).compression, vidgearCompression("BGR"));
});

Deno.test("decodeServerMessage: every vidgear colourspace but CMYK maps to a pixel format with its colour order", () => {
  const codec = new VidgearCodec();
  const data = new Uint8Array([...JPEG_MARKERS]);
  for (const colorspace of VIDGEAR_COLORSPACES) {
    const parts = [
      header({ compression: { dct: true, ups: false, colorspace }, dtype: "", shape: "" }),
      data,
    ];
    if (colorspace === "CMYK") {
      const error = assertRefused(
        () => codec.decodeServerMessage(parts),
        "bad-field",
        "compression.colorspace",
      );
      assert.ok(error instanceof VidgearUnsupportedFrameError);
      assert.equal(error.colorspace, "CMYK");
      continue;
    }
    const decoded = codec.decodeServerMessage(parts);
    assert.ok(decoded.kind === "frame" && decoded.encoding === "jpeg");
    assert.equal(decoded.jpeg.format, FORMAT_OF_VIDGEAR_COLORSPACE[colorspace]);
    const order = colorspace === "GRAY" ? "GRAY" : colorspace.replace(/[XA]/g, "");
    const expected = order === "GRAY" ? "gray" : order === "RGB" ? "rgb" : "bgr";
    assert.ok(decoded.jpeg.format.startsWith(expected), `${colorspace}: ${decoded.jpeg.format}`);
  }
});

Deno.test("encodeRefusal: text or a None reply that vidgear's server reads; decodeReply tells it apart", () => {
  const codec = new VidgearCodec();
  const [text] = codec.encodeRefusal({
    code: "bad-field",
    message: "no port",
    bidirectional: false,
  });
  assert.equal(decoder.decode(text), "ActorGear client refused the message (bad-field): no port");
  const [json] = codec.encodeRefusal({ code: "oversized", message: "big", bidirectional: true });
  // What vidgear's bidirectional server reads: return_type and data, nothing else needed.
  assert.deepEqual(parse(json), {
    return_type: "NoneType",
    data: null,
    refused: { code: "oversized", message: "big" },
  });
  assert.deepEqual(codec.decodeReply([json]), {
    kind: "refused",
    code: "oversized",
    message: "big",
  });
  const long = codec.encodeRefusal({ code: "x", message: "m".repeat(5000), bidirectional: false });
  assert.ok(long[0].byteLength < 1100, "a reason, not a payload");
  for (const code of ["Bad", "", "a b", "x".repeat(41), 7 as unknown as string]) {
    assert.throws(
      () => codec.encodeRefusal({ code, message: "", bidirectional: false }),
      RangeError,
      String(code),
    );
  }
  // A client's data that merely holds a "refused" key of another shape is data.
  const data = codec.decodeReply([bytes('{"return_type": "dict", "data": {}, "refused": 1}')]);
  assert.equal(data.kind, "data");
  const ack = codec.decodeReply([bytes("ActorGear client refused it")]);
  assert.equal(ack.kind, "ack");
});

Deno.test("encodeTerminate: one part, vidgear's {terminate_flag, port}; an empty second part is accepted too", () => {
  const codec = new VidgearCodec();
  const parts = codec.encodeTerminate(PORT);
  assert.equal(parts.length, 1);
  assert.deepEqual(parse(parts[0]), { terminate_flag: true, port: PORT });
  const expected: VidgearTerminate = { kind: "terminate", port: PORT };
  assert.deepEqual(codec.decodeServerMessage(parts), expected);
  assert.deepEqual(codec.decodeServerMessage([parts[0], new Uint8Array(0)]), expected);
  // Only the flag and the port are read: a terminate needs no frame keys.
  assert.deepEqual(
    codec.decodeServerMessage([bytes('{"terminate_flag": true, "port": "5566", "extra": 1}')]),
    expected,
  );
});

Deno.test("decodeServerMessage: reads Python's JSON: spaces, a port as digits, NaN and ±Infinity, unknown keys", () => {
  const codec = new VidgearCodec();
  const text = '{"port": "5566", "terminate_flag": false, "compression": false, ' +
    '"message": {"score": NaN, "hi": Infinity, "lo": -Infinity, "text": "NaN -Infinity \\" ok", ' +
    '"list": [1.5, NaN]}, "pattern": "1", "dtype": "uint8", "shape": [1, 1, 3], "later": true}';
  const decoded = codec.decodeServerMessage([bytes(text), new Uint8Array(3)]);
  assert.ok(decoded.kind === "frame");
  assert.equal(decoded.port, PORT);
  const message = decoded.message as Record<string, unknown>;
  assert.ok(Number.isNaN(message.score));
  assert.equal(message.hi, Infinity);
  assert.equal(message.lo, -Infinity);
  assert.equal(message.text, 'NaN -Infinity " ok', "tokens inside strings are text");
  assert.ok(Array.isArray(message.list) && Number.isNaN(message.list[1]));
});

Deno.test("encodeFrame: writes NaN and ±Infinity as Python's json reads them, and the codec reads them back", () => {
  const codec = new VidgearCodec();
  const message = { a: NaN, b: [Infinity, -Infinity, 1], c: "NaN", "d\u0000": null };
  const parts = codec.encodeFrame({
    port: PORT,
    pattern: 1,
    frame: bgrFrame(1, 1),
    message,
  });
  const text = decoder.decode(parts[0]);
  assert.match(
    text,
    /"message":\{"a":NaN,"b":\[Infinity,-Infinity,1\],"c":"NaN","d\\u0000":null\}/,
  );
  const decoded = codec.decodeServerMessage(parts) as VidgearFrame;
  assert.deepEqual(decoded.message, message);
});

Deno.test("decodeServerMessage: a frame's bytes are a plain Uint8Array view of the received part", () => {
  const codec = new VidgearCodec();
  // ZeroMQ hands parts over as Node Buffers.
  const backing = Buffer.alloc(40);
  const part = backing.subarray(10, 28);
  const decoded = codec.decodeServerMessage([header(), part]);
  assert.ok(decoded.kind === "frame" && decoded.encoding === "raw");
  assert.equal(decoded.frame.data.constructor, Uint8Array);
  assert.equal(decoded.frame.data.buffer, backing.buffer);
  assert.equal(decoded.frame.data.byteOffset, part.byteOffset);
  assert.equal(decoded.frame.data.byteLength, 18);
});

Deno.test("encodeAck and encodeTerminateAck: vidgear's answer strings, read back by decodeReply", () => {
  const codec = new VidgearCodec();
  const id = newVidgearDeviceId();
  assert.match(id, /^[A-Z0-9]{8}$/);
  const [ack] = codec.encodeAck(id);
  assert.match(decoder.decode(ack), VIDGEAR_ACK);
  assert.deepEqual(codec.decodeReply([ack]), {
    kind: "ack",
    text: `Data received on device: ${id} !`,
    deviceId: id,
  });
  const [terminate] = codec.encodeTerminateAck();
  assert.equal(decoder.decode(terminate), PEER_TERMINATE_ACK);
  assert.equal(VIDGEAR_TERMINATE_ACK, PEER_TERMINATE_ACK);
  assert.deepEqual(codec.decodeReply([terminate]), {
    kind: "terminate-ack",
    text: PEER_TERMINATE_ACK,
  });
  // Any other text is an ack without a device id.
  assert.deepEqual(codec.decodeReply([bytes("ok")]), {
    kind: "ack",
    text: "ok",
    deviceId: undefined,
  });
  for (const bad of ["ABCD123", "abcd1234", "ABCD12345", "ABCD-234", 12345678]) {
    assert.throws(() => codec.encodeAck(bad as string), RangeError);
  }
  const ids = new Set(Array.from({ length: 50 }, newVidgearDeviceId));
  assert.ok(ids.size > 45, "ids are random");
});

Deno.test("encodeReply: data goes with its Python type name, and decodeReply returns it", () => {
  const codec = new VidgearCodec();
  const cases: [unknown, string][] = [
    ["ok", "str"],
    [{ a: [1, 2], b: null }, "dict"],
    [[1, "two", 3.5], "list"],
    [42, "int"],
    [2.5, "float"],
    [true, "bool"],
    [null, "NoneType"],
  ];
  for (const [data, returnType] of cases) {
    const parts = codec.encodeReply({ data });
    assert.equal(parts.length, 1);
    assert.deepEqual(parse(parts[0]), { return_type: returnType, data });
    const reply = codec.decodeReply(parts);
    assert.deepEqual(reply, { kind: "data", returnType, data, port: undefined });
  }
  assert.deepEqual(parse(codec.encodeReply({ data: undefined })[0]), {
    return_type: "NoneType",
    data: null,
  });
  // Multi-client mode: the port comes first.
  const withPort = codec.encodeReply({ data: 1, port: 5577 });
  assert.deepEqual(Object.keys(parse(withPort[0])), ["port", "return_type", "data"]);
  assert.equal((codec.decodeReply(withPort) as { port?: number }).port, 5577);
});

Deno.test("encodeReply: an array goes as vidgear's ndarray reply, raw or JPEG, its bytes uncopied", () => {
  const codec = new VidgearCodec();
  const frame = bgrFrame(3, 2, 5);
  const parts = codec.encodeReply({ frame });
  assert.equal(parts.length, 2);
  assert.ok(parts[1] === frame.data);
  assert.deepEqual(parse(parts[0]), {
    return_type: "ndarray",
    compression: false,
    array_dtype: "uint8",
    array_shape: [2, 3, 3],
    data: null,
  });
  const reply = codec.decodeReply(parts);
  assert.ok(reply.kind === "array" && reply.encoding === "raw");
  assert.deepEqual(reply.frame, {
    width: 3,
    height: 2,
    channels: 3,
    format: "bgr24",
    data: frame.data,
  });
  assert.equal(reply.returnType, "ndarray");

  const jpeg = new Uint8Array([...JPEG_MARKERS, 9]);
  const compressed = codec.encodeReply({ jpeg: { data: jpeg, format: "gray" }, port: 6000 });
  assert.deepEqual(parse(compressed[0]), {
    port: 6000,
    return_type: "ndarray",
    compression: vidgearCompression("GRAY"),
    array_dtype: "",
    array_shape: "",
    data: null,
  });
  const back = codec.decodeReply(compressed);
  assert.ok(back.kind === "array" && back.encoding === "jpeg");
  assert.equal(back.jpeg.format, "gray");
  assert.equal(back.port, 6000);
});

Deno.test("decodeVidgearJpeg: decodes with JpegCodec into the declared layout; a broken JPEG is bad-jpeg", () => {
  using jpegCodec = new JpegCodec();
  const codec = new VidgearCodec();
  const frame = bgrFrame(16, 8);
  const data = jpegCodec.encode(frame, { quality: 95 });
  const decoded = codec.decodeServerMessage(
    codec.encodeFrame({ port: PORT, pattern: 2, jpeg: { data, format: "rgb24" } }),
  );
  assert.ok(decoded.kind === "frame" && decoded.encoding === "jpeg");
  const rgb = decodeVidgearJpeg(jpegCodec, decoded.jpeg);
  assert.equal(rgb.format, "rgb24");
  assert.deepEqual([rgb.width, rgb.height, rgb.channels], [16, 8, 3]);
  const truncated = { ...decoded.jpeg, data: data.subarray(0, 40) };
  assertRefused(() => decodeVidgearJpeg(jpegCodec, truncated), "bad-jpeg", "data");
  assertRefused(
    () => decodeVidgearJpeg(jpegCodec, decoded.jpeg, { maxPixels: 100 }),
    "bad-jpeg",
    "data",
    /maxPixels/,
  );
});

// ------------------------------------------------------------------ refusals

Deno.test("decodeServerMessage refuses every malformed message with its ProtocolError code", async (t) => {
  const codec = new VidgearCodec();
  const pixels = new Uint8Array(18);
  const jpegHeader = (compression: unknown, extra: Record<string, unknown> = {}) =>
    header({ compression, dtype: "", shape: "", ...extra });
  const jpeg = new Uint8Array(JPEG_MARKERS);
  const cases: [string, Uint8Array[], string, string | undefined][] = [
    ["no parts", [], "malformed-cbor", undefined],
    ["three parts", [header(), pixels, pixels], "malformed-cbor", undefined],
    ["header not UTF-8", [new Uint8Array([0x7b, 0xff, 0x7d]), pixels], "malformed-cbor", undefined],
    ["header not JSON", [bytes("{not json"), pixels], "malformed-cbor", undefined],
    ["empty header", [new Uint8Array(0), pixels], "malformed-cbor", undefined],
    ["header a JSON array", [bytes("[1, 2]"), pixels], "not-a-map", undefined],
    ["header a JSON string", [bytes('"frame"'), pixels], "not-a-map", undefined],
    ["header null", [bytes("null"), pixels], "not-a-map", undefined],
    [
      "no terminate_flag",
      [header({}, ["terminate_flag"]), pixels],
      "missing-field",
      "terminate_flag",
    ],
    ["terminate_flag 0", [header({ terminate_flag: 0 }), pixels], "bad-field", "terminate_flag"],
    ["no port", [header({}, ["port"]), pixels], "missing-field", "port"],
    ["port 0", [header({ port: 0 }), pixels], "bad-field", "port"],
    ["port 65536", [header({ port: 65536 }), pixels], "bad-field", "port"],
    ["port 5566.5", [header({ port: 5566.5 }), pixels], "bad-field", "port"],
    ["port letters", [header({ port: "http" }), pixels], "bad-field", "port"],
    ["port true", [header({ port: true }), pixels], "bad-field", "port"],
    ["port negative digits", [header({ port: "-1" }), pixels], "bad-field", "port"],
    ["terminate without port", [bytes('{"terminate_flag": true}')], "missing-field", "port"],
    [
      "terminate with a second part",
      [bytes('{"terminate_flag": true, "port": 5566}'), pixels],
      "bad-field",
      "data",
    ],
    ["no compression", [header({}, ["compression"]), pixels], "missing-field", "compression"],
    ["no message", [header({}, ["message"]), pixels], "missing-field", "message"],
    ["no pattern", [header({}, ["pattern"]), pixels], "missing-field", "pattern"],
    ["no dtype", [header({}, ["dtype"]), pixels], "missing-field", "dtype"],
    ["no shape", [header({}, ["shape"]), pixels], "missing-field", "shape"],
    ["pattern 1 as a number", [header({ pattern: 1 }), pixels], "bad-field", "pattern"],
    ['pattern "0"', [header({ pattern: "0" }), pixels], "bad-field", "pattern"],
    ["one part", [header()], "missing-field", "data"],
    ["compression true", [header({ compression: true }), pixels], "bad-field", "compression"],
    ["compression a string", [header({ compression: ".jpg" }), pixels], "bad-field", "compression"],
    ["compression an array", [header({ compression: [] }), pixels], "bad-field", "compression"],
    ["compression null", [header({ compression: null }), pixels], "bad-field", "compression"],
    [
      "compression without dct",
      [jpegHeader({ ups: false, colorspace: "BGR" }), jpeg],
      "missing-field",
      "compression.dct",
    ],
    [
      "compression without ups",
      [jpegHeader({ dct: true, colorspace: "BGR" }), jpeg],
      "missing-field",
      "compression.ups",
    ],
    [
      "compression without colorspace",
      [jpegHeader({ dct: true, ups: false }), jpeg],
      "missing-field",
      "compression.colorspace",
    ],
    [
      "dct a string",
      [jpegHeader({ dct: "yes", ups: false, colorspace: "BGR" }), jpeg],
      "bad-field",
      "compression.dct",
    ],
    [
      "ups a number",
      [jpegHeader({ dct: true, ups: 0, colorspace: "BGR" }), jpeg],
      "bad-field",
      "compression.ups",
    ],
    [
      "colorspace lower case",
      [jpegHeader({ dct: true, ups: false, colorspace: "bgr" }), jpeg],
      "bad-field",
      "compression.colorspace",
    ],
    [
      "colorspace unknown",
      [jpegHeader({ dct: true, ups: false, colorspace: "YUV" }), jpeg],
      "bad-field",
      "compression.colorspace",
    ],
    [
      "JPEG with a dtype",
      [jpegHeader(vidgearCompression(), { dtype: "uint8" }), jpeg],
      "bad-field",
      "dtype",
    ],
    [
      "JPEG with a shape",
      [jpegHeader(vidgearCompression(), { shape: [2, 3, 3] }), jpeg],
      "bad-field",
      "shape",
    ],
    [
      "JPEG without markers",
      [jpegHeader(vidgearCompression()), new Uint8Array([0x89, 0x50, 0x4e, 0x47])],
      "bad-jpeg",
      "data",
    ],
    ["JPEG empty", [jpegHeader(vidgearCompression()), new Uint8Array(0)], "bad-jpeg", "data"],
    ["dtype a number", [header({ dtype: 8 }), pixels], "bad-field", "dtype"],
    ["dtype unknown", [header({ dtype: "pixels" }), pixels], "bad-field", "dtype"],
    ["dtype empty on a raw frame", [header({ dtype: "" }), pixels], "bad-field", "dtype"],
    ["shape a string", [header({ shape: "2x3x3" }), pixels], "bad-field", "shape"],
    ["shape empty", [header({ shape: [] }), pixels], "bad-field", "shape"],
    ["shape negative", [header({ shape: [-2, -3, 3] }), pixels], "bad-field", "shape"],
    ["shape fractional", [header({ shape: [2, 3.5, 3] }), pixels], "bad-field", "shape"],
    ["shape of strings", [header({ shape: ["2", "3", "3"] }), pixels], "bad-field", "shape"],
    ["shape of 65 dims", [header({ shape: new Array(65).fill(1) }), pixels], "bad-field", "shape"],
    ["a byte short", [header(), pixels.subarray(1)], "frame-size-mismatch", "data"],
    ["a byte long", [header(), new Uint8Array(19)], "frame-size-mismatch", "data"],
    [
      "huge shape",
      [header({ shape: [2 ** 40, 2 ** 40, 3] }), pixels],
      "frame-size-mismatch",
      "data",
    ],
    [
      "uint16 sized as uint8",
      [header({ dtype: "uint16" }), pixels],
      "frame-size-mismatch",
      "data",
    ],
  ];
  for (const [name, parts, code, field] of cases) {
    await t.step(name, () => {
      assertRefused(() => codec.decodeServerMessage(parts), code, field);
    });
  }
});

Deno.test("decodeServerMessage refuses well-formed frames a Frame cannot hold, naming dtype and shape", async (t) => {
  const codec = new VidgearCodec();
  const cases: [string, string, number[], number, string][] = [
    ["uint16", "uint16", [2, 3], 12, "dtype"],
    ["float32", "float32", [2, 3, 3], 72, "dtype"],
    ["big-endian uint16", ">u2", [2, 3], 12, "dtype"],
    ["bool", "bool", [2, 3], 6, "dtype"],
    ["four channels (BGRA)", "uint8", [2, 3, 4], 24, "shape"],
    ["two channels", "uint8", [2, 3, 2], 12, "shape"],
    ["one dimension", "uint8", [6], 6, "shape"],
    ["four dimensions", "uint8", [1, 2, 3, 3], 18, "shape"],
    ["zero height", "uint8", [0, 3, 3], 0, "shape"],
    ["wider than 65535", "uint8", [1, 65536], 65536, "shape"],
  ];
  for (const [name, dtype, shape, size, field] of cases) {
    await t.step(name, () => {
      const error = assertRefused(
        () => codec.decodeServerMessage([header({ dtype, shape }), new Uint8Array(size)]),
        "bad-field",
        field,
      );
      assert.ok(error instanceof VidgearUnsupportedFrameError);
      assert.equal(error.dtype, dtype);
      assert.deepEqual(error.shape, shape);
      assert.ok(error.message.includes(dtype), error.message);
    });
  }
  // numpy's other spellings of uint8 are uint8.
  for (const dtype of ["|u1", "u1", "<u1"]) {
    const decoded = codec.decodeServerMessage([header({ dtype }), new Uint8Array(18)]);
    assert.ok(decoded.kind === "frame" && decoded.encoding === "raw");
  }
});

Deno.test("decodeServerMessage checks the port and pattern the caller expects", () => {
  const codec = new VidgearCodec();
  const parts = [header(), new Uint8Array(18)];
  assert.equal(
    (codec.decodeServerMessage(parts, { ports: [5565, PORT] }) as VidgearFrame).port,
    PORT,
  );
  assert.equal((codec.decodeServerMessage(parts, { ports: PORT }) as VidgearFrame).port, PORT);
  assertRefused(
    () => codec.decodeServerMessage(parts, { ports: [5565] }),
    "bad-field",
    "port",
    /5565/,
  );
  assertRefused(
    () => codec.decodeServerMessage(codec.encodeTerminate(5570), { ports: [PORT] }),
    "bad-field",
    "port",
  );
  assertRefused(
    () => codec.decodeServerMessage(parts, { pattern: 2 }),
    "bad-field",
    "pattern",
    /pattern 1, this client pattern 2/,
  );
  assert.throws(() => codec.decodeServerMessage(parts, { ports: [] }), TypeError);
  assert.throws(() => codec.decodeServerMessage(parts, { ports: [0] }), RangeError);
  assert.throws(
    () => codec.decodeServerMessage(parts, { pattern: 0 as 1 }),
    RangeError,
  );
  assert.throws(() => codec.decodeServerMessage("parts" as unknown as Uint8Array[]), TypeError);
  assert.throws(
    () => codec.decodeServerMessage([parts[0], "pixels" as unknown as Uint8Array]),
    TypeError,
  );
});

Deno.test("decode limits: header size, data size, JSON depth and items are refused before parsing", () => {
  const codec = new VidgearCodec({
    maxHeaderBytes: 1000,
    maxDataBytes: 100,
    maxDepth: 4,
    maxItems: 50,
  });
  const pixels = new Uint8Array(18);
  assertRefused(
    () => codec.decodeServerMessage([header({ message: "x".repeat(1000) }), pixels]),
    "oversized",
    undefined,
    /1000/,
  );
  assertRefused(
    () => codec.decodeServerMessage([header({ shape: [10, 10, 3] }), new Uint8Array(300)]),
    "oversized",
    "data",
  );
  // The header is depth 1: a message may nest 3 more.
  assert.ok(codec.decodeServerMessage([header({ message: [[[1]]] }), pixels]).kind === "frame");
  assertRefused(
    () => codec.decodeServerMessage([header({ message: [[[[1]]]] }), pixels]),
    "too-complex",
    undefined,
    /maxDepth/,
  );
  assertRefused(
    () => codec.decodeServerMessage([header({ message: new Array(40).fill(0) }), pixels]),
    "too-complex",
    undefined,
    /maxItems/,
  );
  // Brackets inside strings are text, not nesting.
  assert.ok(
    codec.decodeServerMessage([header({ message: "[[[[[[{{{{" }), pixels]).kind === "frame",
  );
  // Defaults: a million brackets are refused at once, not parsed.
  const started = performance.now();
  assertRefused(
    () => new VidgearCodec().decodeServerMessage([bytes("[".repeat(1_000_000)), pixels]),
    "too-complex",
  );
  assertRefused(
    () =>
      new VidgearCodec().decodeServerMessage([
        bytes(`{"message": [${new Array(20_000).fill(0).join(",")}]}`),
        pixels,
      ]),
    "too-complex",
  );
  assert.ok(performance.now() - started < 1000, "refused by the scan, fast");
  for (
    const bad of [{ maxHeaderBytes: 10 }, { maxDepth: 1 }, { maxItems: 2 ** 25 }, {
      maxDataBytes: -1,
    }]
  ) {
    assert.throws(() => new VidgearCodec(bad), RangeError);
  }
});

Deno.test("decodeReply refuses malformed replies with their codes", async (t) => {
  const codec = new VidgearCodec({ maxHeaderBytes: 500 });
  const json = (value: unknown) => bytes(JSON.stringify(value));
  const ndarray = {
    return_type: "ndarray",
    compression: false,
    array_dtype: "uint8",
    array_shape: [1, 2, 3],
    data: null,
  };
  const cases: [string, Uint8Array[], string, string | undefined][] = [
    ["no parts", [], "malformed-cbor", undefined],
    [
      "three parts",
      [json(ndarray), new Uint8Array(6), new Uint8Array(0)],
      "malformed-cbor",
      undefined,
    ],
    ["text not UTF-8", [new Uint8Array([0x44, 0xc3, 0x28])], "malformed-cbor", undefined],
    ["text in two parts", [bytes("Data received"), bytes("!")], "malformed-cbor", undefined],
    ["text too long", [bytes("x".repeat(501))], "oversized", undefined],
    ["JSON not well formed", [bytes('{"return_type": ')], "malformed-cbor", undefined],
    ["no return_type", [json({ data: 1 })], "missing-field", "return_type"],
    ["return_type a number", [json({ return_type: 1, data: 1 })], "bad-field", "return_type"],
    ["no data", [json({ return_type: "int" })], "missing-field", "data"],
    [
      "data in two parts",
      [json({ return_type: "int", data: 1 }), new Uint8Array(1)],
      "malformed-cbor",
      undefined,
    ],
    ["bad port", [json({ port: "x", return_type: "int", data: 1 })], "bad-field", "port"],
    ["ndarray in one part", [json(ndarray)], "missing-field", "data"],
    [
      "ndarray without compression",
      [json({ ...ndarray, compression: undefined }), new Uint8Array(6)],
      "missing-field",
      "compression",
    ],
    [
      "ndarray without array_dtype",
      [json({ ...ndarray, array_dtype: undefined }), new Uint8Array(6)],
      "missing-field",
      "array_dtype",
    ],
    [
      "ndarray without array_shape",
      [json({ ...ndarray, array_shape: undefined }), new Uint8Array(6)],
      "missing-field",
      "array_shape",
    ],
    ["ndarray short", [json(ndarray), new Uint8Array(5)], "frame-size-mismatch", "data"],
    [
      "ndarray shape a string",
      [json({ ...ndarray, array_shape: "1x2x3" }), new Uint8Array(6)],
      "bad-field",
      "array_shape",
    ],
    [
      "ndarray float64",
      [json({ ...ndarray, array_dtype: "float64" }), new Uint8Array(48)],
      "bad-field",
      "array_dtype",
    ],
    [
      "ndarray JPEG without markers",
      [
        json({ ...ndarray, compression: vidgearCompression(), array_dtype: "", array_shape: "" }),
        new Uint8Array(6),
      ],
      "bad-jpeg",
      "data",
    ],
  ];
  for (const [name, parts, code, field] of cases) {
    await t.step(name, () => {
      assertRefused(() => codec.decodeReply(parts), code, field);
    });
  }
  const error = refusal(() =>
    codec.decodeReply([json({ ...ndarray, array_dtype: "float64" }), new Uint8Array(48)])
  );
  assert.ok(error instanceof VidgearUnsupportedFrameError && error.dtype === "float64");
});

Deno.test("encoders refuse what vidgear could not read, with TypeError or RangeError", () => {
  const codec = new VidgearCodec({ maxDepth: 4 });
  const frame = bgrFrame(2, 2);
  const jpeg = { data: new Uint8Array(JPEG_MARKERS) };
  const encode = (input: Record<string, unknown>) =>
    codec.encodeFrame({ port: PORT, pattern: 1, frame, ...input } as never);
  assert.throws(() => encode({ port: 0 }), RangeError);
  assert.throws(() => encode({ port: 65536 }), RangeError);
  assert.throws(() => encode({ port: "5566" }), RangeError);
  assert.throws(() => encode({ pattern: 0 }), RangeError);
  assert.throws(() => encode({ pattern: "1" }), RangeError);
  assert.throws(() => encode({ jpeg }), /exactly one of "frame" and "jpeg"/);
  assert.throws(() => encode({ frame: undefined }), /exactly one/);
  assert.throws(
    () => encode({ frame: { ...frame, format: "rgb24" } }),
    /vidgear receivers take raw pixels as BGR/,
  );
  assert.throws(() => encode({ frame: { ...frame, format: "rgba", channels: 4 } }), TypeError);
  assert.throws(() => encode({ frame: { ...frame, format: "yuv" } }), TypeError);
  assert.throws(() => encode({ frame: { ...frame, channels: 1 } }), TypeError);
  assert.throws(() => encode({ frame: { ...frame, width: 0 } }), RangeError);
  assert.throws(() => encode({ frame: { ...frame, data: new Uint8Array(11) } }), RangeError);
  assert.throws(() => encode({ frame: { ...frame, data: [1, 2] } }), TypeError);
  assert.throws(
    () => encode({ frame: undefined, jpeg: { data: new Uint8Array([1, 2, 3]) } }),
    /JPEG markers/,
  );
  assert.throws(
    () => encode({ frame: undefined, jpeg: { ...jpeg, format: "yuv" } }),
    TypeError,
  );
  assert.throws(
    () => encode({ frame: undefined, jpeg: { ...jpeg, fastDct: "yes" } }),
    TypeError,
  );
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (
    const message of [
      { a: undefined },
      [() => 1],
      10n,
      new Date(0),
      new Map(),
      cyclic,
      Symbol("s"),
      { nested: [new Uint8Array(2)] },
    ]
  ) {
    assert.throws(() => encode({ message }), TypeError, String(message));
  }
  assert.throws(() => encode({ message: [[[[1]]]] }), /maxDepth/);
  assert.doesNotThrow(() => encode({ message: [[[1]]] }));
  // The same object twice (not a cycle) is fine.
  const shared = { x: 1 };
  assert.doesNotThrow(() => encode({ message: [shared, shared] }));
  assert.doesNotThrow(() => encode({ message: Object.create(null) }));
  assert.throws(() => codec.encodeTerminate(0), RangeError);
  assert.throws(() => codec.encodeReply({}), /exactly one of "data", "frame" and "jpeg", got none/);
  assert.throws(() => codec.encodeReply({ data: 1, frame }), /got "data", "frame"/);
  assert.throws(() => codec.encodeReply({ data: 1, port: 0 }), RangeError);
  assert.throws(
    () =>
      codec.encodeReply({ data: undefined, frame: undefined, jpeg: { data: new Uint8Array(2) } }),
    TypeError,
  );
  assert.throws(() => codec.encodeFrame(null as never), TypeError);
});

/** A deterministic pseudo-random sequence (xorshift32), so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

Deno.test("hostile bytes: random and mutated messages only ever raise ProtocolError", () => {
  const codec = new VidgearCodec();
  const next = random(20260505);
  const valid = [
    codec.encodeFrame({ port: PORT, pattern: 1, frame: bgrFrame(3, 2), message: { a: [1, "b"] } }),
    codec.encodeFrame({
      port: PORT,
      pattern: 2,
      jpeg: { data: new Uint8Array([...JPEG_MARKERS, 0]) },
    }),
    codec.encodeTerminate(PORT),
    codec.encodeReply({ data: { x: [NaN] } }),
    codec.encodeReply({ frame: bgrFrame(1, 1) }),
    codec.encodeAck("ABCD1234"),
  ];
  const alphabet = bytes(
    '{}[]":,0123456789-+.eEtruefalsnNaIiy \\u"port terminate_flag shape dtype',
  );
  let accepted = 0;
  let refused = 0;
  for (let round = 0; round < 4000; round++) {
    const base = valid[Math.floor(next() * valid.length)];
    const parts = base.map((part) => part.slice());
    const head = parts[0];
    const mutations = 1 + Math.floor(next() * 4);
    for (let m = 0; m < mutations; m++) {
      const at = Math.floor(next() * head.length);
      head[at] = next() < 0.5
        ? alphabet[Math.floor(next() * alphabet.length)]
        : Math.floor(next() * 256);
    }
    if (next() < 0.2 && parts.length === 2) parts[1] = parts[1].subarray(Math.floor(next() * 3));
    if (next() < 0.05) parts.push(new Uint8Array(0));
    for (const decode of [() => codec.decodeServerMessage(parts), () => codec.decodeReply(parts)]) {
      try {
        decode();
        accepted++;
      } catch (error) {
        if (!(error instanceof ProtocolError)) {
          throw new Error(
            `round ${round}: ${error} for ${JSON.stringify(decoder.decode(head))}`,
          );
        }
        refused++;
      }
    }
  }
  for (let round = 0; round < 500; round++) {
    const length = Math.floor(next() * 200);
    const noise = Uint8Array.from({ length }, () => Math.floor(next() * 256));
    for (
      const decode of [() => codec.decodeServerMessage([noise]), () => codec.decodeReply([noise])]
    ) {
      try {
        decode();
      } catch (error) {
        assert.ok(error instanceof ProtocolError, String(error));
      }
    }
  }
  assert.ok(accepted > 0 && refused > 0, `${accepted} accepted, ${refused} refused`);
});

// ------------------------------------------------------------------ interop with vidgear_peer.py

/** Bound on each wait of a test; the peer's own waits are shorter (--timeout-ms). */
const deadline = (): AbortSignal => AbortSignal.timeout(15_000);
const PEER_TIMEOUT = ["--timeout-ms", "10000"];

const interop = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name,
    ignore: VIDGEAR_PYTHON.skip,
    async fn() {
      VIDGEAR_PYTHON.require();
      await fn();
    },
  });

function portOf(socket: ZmqSocket): number {
  return Number(socket.lastEndpoint!.split(":").at(-1));
}

/** A REQ socket set up as vidgear's server sets up its own: ZMQ_REQ_RELAXED and ZMQ_REQ_CORRELATE. */
function vidgearReq(): ZmqSocket {
  return new ZmqSocket("req", { requestRelaxed: true, requestCorrelate: true });
}

/** Per-channel means of interleaved pixels, as the peer prints `channel_means`. */
function channelMeans(data: Uint8Array, channels: number): number[] {
  const sums = new Array<number>(channels).fill(0);
  for (let i = 0; i < data.length; i++) sums[i % channels] += data[i];
  return sums.map((sum) => sum / (data.length / channels));
}

function assertClose(got: readonly number[], expected: readonly number[], tolerance: number) {
  assert.equal(got.length, expected.length, `${got} vs ${expected}`);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i] - expected[i]) <= tolerance, `channel ${i}: ${got} vs ${expected}`);
  }
}

function peerFrame(
  height: number,
  width: number,
  channels: 1 | 3,
  port: number,
  index: number,
): Frame {
  return {
    width,
    height,
    channels,
    format: channels === 3 ? "bgr24" : "gray",
    data: vidgearFrame(height, width, channels, port, index),
  };
}

interop(
  "vidgear server, REQ/REP: an ActorGear REP decodes its frames and terminate, and its acks reach it",
  async () => {
    const codec = new VidgearCodec();
    await using rep = new ZmqSocket("rep");
    await rep.bind("tcp://127.0.0.1:*");
    const port = portOf(rep);
    await using peer = new VidgearPeer([
      "server",
      ...PEER_TIMEOUT,
      "--port",
      String(port),
      "--frames",
      "2",
      "--width",
      "7",
      "--height",
      "5",
      "--message",
      '{"note": "hi", "n": [1, 2.5, null]}',
    ]);
    const deviceId = newVidgearDeviceId();
    for (let index = 0; index < 2; index++) {
      const parts = await rep.receive({ signal: deadline() });
      // vidgear's REQ_CORRELATE request id travels before the delimiter: REP keeps it as routing.
      assert.equal(parts.length, 2, "REP hands over [JSON, pixels], no request id");
      const decoded = codec.decodeServerMessage(parts, { ports: [port], pattern: 1 });
      assert.ok(decoded.kind === "frame" && decoded.encoding === "raw");
      assert.equal(decoded.port, port);
      assert.deepEqual(decoded.message, { note: "hi", n: [1, 2.5, null] });
      assert.deepEqual(
        { ...decoded.frame, data: new Uint8Array(decoded.frame.data) },
        peerFrame(5, 7, 3, port, index),
      );
      await rep.send(codec.encodeAck(deviceId), { signal: deadline() });
    }
    const terminate = await rep.receive({ signal: deadline() });
    assert.deepEqual(codec.decodeServerMessage(terminate, { ports: [port] }), {
      kind: "terminate",
      port,
    });
    await rep.send(codec.encodeTerminateAck(), { signal: deadline() });

    const run = await peer.done; // before the REP closes: its last answer must leave first
    assert.equal(run.code, PEER_EXIT.ok, run.stderr);
    assert.deepEqual(
      linesOf(run, "ack").map((line) => line.text),
      new Array(2).fill(`Data received on device: ${deviceId} !`),
    );
    assert.deepEqual(linesOf(run, "terminate-ack").map((line) => line.text), [PEER_TERMINATE_ACK]);
  },
);

interop(
  "vidgear server, REQ/REP: a ROUTER sees REQ_CORRELATE's 4-byte request id; the parts after the delimiter decode",
  async () => {
    const codec = new VidgearCodec();
    await using router = new ZmqSocket("router");
    await router.bind("tcp://127.0.0.1:*");
    const port = portOf(router);
    await using peer = new VidgearPeer([
      "server",
      ...PEER_TIMEOUT,
      "--port",
      String(port),
      "--frames",
      "1",
      "--channels",
      "1",
    ]);
    const ids: number[] = [];
    for (const kind of ["frame", "terminate"]) {
      const parts = await router.receive({ signal: deadline() });
      // [routing id, request id, delimiter, ...what the server sent]
      assert.equal(parts[1].byteLength, 4, "REQ_CORRELATE's request id is 4 bytes");
      assert.equal(parts[2].byteLength, 0, "then the empty delimiter");
      ids.push(new DataView(parts[1].buffer, parts[1].byteOffset).getUint32(0));
      const decoded = codec.decodeServerMessage(parts.slice(3), { ports: [port] });
      assert.equal(decoded.kind, kind);
      const answer = kind === "frame" ? codec.encodeAck("ROUTER01") : codec.encodeTerminateAck();
      // The request id must come back, or the REQ drops the reply as stale.
      await router.send([parts[0], parts[1], new Uint8Array(0), ...answer], { signal: deadline() });
    }
    assert.notEqual(ids[0], ids[1], "each request has its own id");
    const run = await peer.done;
    assert.equal(run.code, PEER_EXIT.ok, run.stderr);
    assert.deepEqual(linesOf(run, "ack").map((line) => line.text), [
      "Data received on device: ROUTER01 !",
    ]);
    assert.deepEqual(linesOf(run, "terminate-ack").map((line) => line.text), [PEER_TERMINATE_ACK]);
  },
);

interop(
  "vidgear server, bidirectional: an ActorGear REP returns data, raw BGR and gray arrays, and a JPEG array",
  async () => {
    using jpegCodec = new JpegCodec();
    const codec = new VidgearCodec();
    await using rep = new ZmqSocket("rep");
    await rep.bind("tcp://127.0.0.1:*");
    const port = portOf(rep);
    await using peer = new VidgearPeer([
      "server",
      ...PEER_TIMEOUT,
      "--port",
      String(port),
      "--frames",
      "4",
      "--bidirectional",
      "--seq-message",
      "--message",
      "q",
    ]);
    const bgr = peerFrame(16, 24, 3, 0, 1);
    const gray = peerFrame(10, 12, 1, 0, 2);
    const jpegSource = peerFrame(32, 48, 3, 0, 3);
    const replies = [
      codec.encodeReply({ data: { seen: [1, "two"], ok: true } }),
      codec.encodeReply({ frame: bgr }),
      codec.encodeReply({ frame: gray }),
      codec.encodeReply({ jpeg: { data: jpegCodec.encode(jpegSource, { quality: 95 }) } }),
    ];
    for (let index = 0; index < 4; index++) {
      const decoded = codec.decodeServerMessage(await rep.receive({ signal: deadline() }), {
        ports: [port],
        pattern: 1,
      });
      assert.ok(decoded.kind === "frame");
      assert.deepEqual(decoded.message, { seq: index, port, text: "q" });
      await rep.send(replies[index], { signal: deadline() });
    }
    assert.equal(
      codec.decodeServerMessage(await rep.receive({ signal: deadline() })).kind,
      "terminate",
    );
    await rep.send(codec.encodeTerminateAck(), { signal: deadline() });

    const run = await peer.done;
    assert.equal(run.code, PEER_EXIT.ok, run.stderr);
    const lines = linesOf(run, "reply");
    assert.equal(lines.length, 4);
    assert.deepEqual([lines[0].return_type, lines[0].data], ["dict", {
      seen: [1, "two"],
      ok: true,
    }]);
    assert.deepEqual([lines[1].return_type, lines[1].shape, lines[1].dtype], [
      "ndarray",
      [16, 24, 3],
      "uint8",
    ]);
    assert.equal(lines[1].sha256, await sha256Hex(bgr.data));
    assert.deepEqual(lines[2].shape, [10, 12], "a gray array is 2-D");
    assert.equal(lines[2].sha256, await sha256Hex(gray.data));
    assert.deepEqual(lines[3].shape, [32, 48, 3]);
    assert.deepEqual(lines[3].compression, vidgearCompression("BGR"));
    // Pillow decoded it as BGR: swapped channels would move each mean by tens.
    assertClose(lines[3].channel_means as number[], channelMeans(jpegSource.data, 3), 4);
    assert.deepEqual(linesOf(run, "terminate-ack").map((line) => line.text), [PEER_TERMINATE_ACK]);
  },
);

interop(
  "vidgear servers, PUB/SUB: an ActorGear SUB on four ports gets gray, JPEG BGR and GRAY frames, and refuses uint16",
  async () => {
    using jpegCodec = new JpegCodec();
    const codec = new VidgearCodec();
    await using sub = new ZmqSocket("sub", { receiveHighWaterMark: 100 });
    sub.subscribe();
    const ports: number[] = [];
    for (let i = 0; i < 4; i++) {
      await sub.bind("tcp://127.0.0.1:*");
      ports.push(portOf(sub));
    }
    const common = [...PEER_TIMEOUT, "--pattern", "2", "--wait-subscriber", "--hwm", "100"];
    const [grayPort, bgrPort, jpegGrayPort, wordPort] = ports;
    const peers = [
      [
        "--port",
        String(grayPort),
        "--frames",
        "2",
        "--channels",
        "1",
        "--width",
        "9",
        "--height",
        "4",
      ],
      ["--port", String(bgrPort), "--frames", "2", "--jpeg", "--width", "40", "--height", "24"],
      [
        "--port",
        String(jpegGrayPort),
        "--frames",
        "1",
        "--jpeg",
        "--colorspace",
        "GRAY",
        "--channels",
        "1",
        "--terminate-empty-part",
      ],
      ["--port", String(wordPort), "--frames", "1", "--dtype", "uint16", "--channels", "1"],
    ].map((args) => new VidgearPeer(["server", ...common, ...args]));
    try {
      const seen = new Map<number, number>(ports.map((port) => [port, 0]));
      const terminated = new Map<number, number>();
      const unsupported: VidgearUnsupportedFrameError[] = [];
      // Bounded: 6 frames and 4 terminates are expected.
      for (let messages = 0; terminated.size < 4 && messages < 20; messages++) {
        const parts = await sub.receive({ signal: deadline() });
        let decoded: VidgearFrame | VidgearTerminate;
        try {
          decoded = codec.decodeServerMessage(parts, { ports, pattern: 2 });
        } catch (error) {
          if (!(error instanceof VidgearUnsupportedFrameError)) throw error;
          unsupported.push(error);
          continue;
        }
        if (decoded.kind === "terminate") {
          terminated.set(decoded.port, parts.length);
          continue;
        }
        const index = seen.get(decoded.port)!;
        seen.set(decoded.port, index + 1);
        assert.equal(decoded.pattern, 2);
        if (decoded.port === grayPort) {
          assert.ok(decoded.encoding === "raw");
          assert.deepEqual(
            { ...decoded.frame, data: new Uint8Array(decoded.frame.data) },
            peerFrame(4, 9, 1, grayPort, index),
          );
          continue;
        }
        assert.ok(decoded.encoding === "jpeg", `port ${decoded.port} sends JPEG`);
        const frame = decodeVidgearJpeg(jpegCodec, decoded.jpeg);
        if (decoded.port === bgrPort) {
          assert.deepEqual(decoded.jpeg.colorspace, "BGR");
          assert.deepEqual([frame.format, frame.width, frame.height], ["bgr24", 40, 24]);
          assertClose(
            channelMeans(frame.data, 3),
            channelMeans(vidgearFrame(24, 40, 3, bgrPort, index), 3),
            4,
          );
        } else {
          assert.equal(decoded.port, jpegGrayPort);
          assert.deepEqual([frame.format, frame.width, frame.height], ["gray", 32, 24]);
          assertClose(
            channelMeans(frame.data, 1),
            channelMeans(vidgearFrame(24, 32, 1, jpegGrayPort, index), 1),
            4,
          );
        }
      }
      assert.deepEqual([...seen], [[grayPort, 2], [bgrPort, 2], [jpegGrayPort, 1], [wordPort, 0]]);
      assert.deepEqual(
        [...terminated].sort(),
        [[grayPort, 1], [bgrPort, 1], [jpegGrayPort, 2], [wordPort, 1]].sort(),
        "vidgear's terminate is one part; --terminate-empty-part adds an empty one",
      );
      assert.equal(unsupported.length, 1);
      assert.equal(unsupported[0].dtype, "uint16");
      assert.deepEqual(unsupported[0].shape, [24, 32]);
      for (const peer of peers) {
        const run = await peer.done;
        assert.equal(run.code, PEER_EXIT.ok, run.stderr);
      }
    } finally {
      for (const peer of peers) await peer[Symbol.asyncDispose]();
    }
  },
);

interop(
  "vidgear servers' corrupted frames: each is refused with its code, and their terminates still decode",
  async () => {
    const codec = new VidgearCodec();
    await using sub = new ZmqSocket("sub", { receiveHighWaterMark: 100 });
    sub.subscribe();
    const corruptions = ["short-data", "no-port", "bad-json", "one-part", "wrong-pattern"];
    const ports: number[] = [];
    for (const _ of corruptions) {
      await sub.bind("tcp://127.0.0.1:*");
      ports.push(portOf(sub));
    }
    const peers = corruptions.map((corrupt, i) =>
      new VidgearPeer([
        "server",
        ...PEER_TIMEOUT,
        "--pattern",
        "2",
        "--wait-subscriber",
        "--hwm",
        "100",
        "--port",
        String(ports[i]),
        "--frames",
        "1",
        "--corrupt",
        corrupt,
      ])
    );
    try {
      const refusals: string[] = [];
      const terminated: number[] = [];
      for (let messages = 0; terminated.length < ports.length && messages < 20; messages++) {
        const parts = await sub.receive({ signal: deadline() });
        try {
          const decoded = codec.decodeServerMessage(parts, { ports, pattern: 2 });
          assert.equal(decoded.kind, "terminate", "every frame is corrupt");
          terminated.push(decoded.port);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          refusals.push(`${error.code} ${error.field}`);
        }
      }
      assert.deepEqual(refusals.sort(), [
        "bad-field pattern", // wrong-pattern
        "frame-size-mismatch data", // short-data
        "malformed-cbor undefined", // bad-json
        "missing-field data", // one-part
        "missing-field port", // no-port
      ]);
      assert.deepEqual(terminated.sort(), [...ports].sort());
      for (const peer of peers) assert.equal((await peer.done).code, PEER_EXIT.ok);
    } finally {
      for (const peer of peers) await peer[Symbol.asyncDispose]();
    }
  },
);

interop(
  "vidgear client, REQ/REP: ActorGear servers send raw BGR, gray and JPEG frames; acks carry one device id",
  async () => {
    using jpegCodec = new JpegCodec();
    const codec = new VidgearCodec();
    await using peer = new VidgearPeer(["client", ...PEER_TIMEOUT, "--ports", "0", "0"]);
    const ports = (await peer.waitFor("listening", deadline())).ports as number[];
    await using rawReq = vidgearReq();
    await using jpegReq = vidgearReq();
    rawReq.connect(`tcp://127.0.0.1:${ports[0]}`);
    jpegReq.connect(`tcp://127.0.0.1:${ports[1]}`);
    const bgr = peerFrame(6, 10, 3, ports[0], 0);
    const gray = peerFrame(5, 4, 1, ports[0], 1);
    const colour = peerFrame(32, 48, 3, ports[1], 0);
    const grayJpeg = peerFrame(24, 16, 1, ports[1], 1);
    const sends: [ZmqSocket, Uint8Array[]][] = [
      [rawReq, codec.encodeFrame({ port: ports[0], pattern: 1, frame: bgr, message: "raw" })],
      [
        rawReq,
        codec.encodeFrame({ port: ports[0], pattern: 1, frame: gray, message: { k: [1, 2] } }),
      ],
      [
        jpegReq,
        codec.encodeFrame({ port: ports[1], pattern: 1, jpeg: { data: jpegCodec.encode(colour) } }),
      ],
      [
        jpegReq,
        codec.encodeFrame({
          port: ports[1],
          pattern: 1,
          jpeg: { data: jpegCodec.encode(grayJpeg), format: "gray" },
          message: ["gray", null],
        }),
      ],
    ];
    const deviceIds = new Set<string | undefined>();
    for (const [req, parts] of sends) {
      await req.send(parts, { signal: deadline() });
      const reply = codec.decodeReply(await req.receive({ signal: deadline() }));
      assert.equal(reply.kind, "ack");
      deviceIds.add((reply as { deviceId?: string }).deviceId);
    }
    assert.equal(deviceIds.size, 1, "one device id per client");
    assert.match([...deviceIds][0]!, /^[A-Z0-9]{8}$/);
    for (const [req, port] of [[rawReq, ports[0]], [jpegReq, ports[1]]] as const) {
      await req.send(codec.encodeTerminate(port), { signal: deadline() });
      const reply: VidgearReply = codec.decodeReply(await req.receive({ signal: deadline() }));
      assert.equal(reply.kind, "terminate-ack");
    }

    const run = await peer.done;
    assert.equal(run.code, PEER_EXIT.ok, run.stderr);
    const frames = linesOf(run, "frame");
    const of = (port: number): PeerLine[] => frames.filter((line) => line.port === port);
    const [rawLine, grayLine] = of(ports[0]);
    assert.deepEqual([rawLine.shape, rawLine.dtype, rawLine.message], [[6, 10, 3], "uint8", "raw"]);
    assert.equal(rawLine.sha256, await sha256Hex(bgr.data));
    assert.deepEqual([grayLine.shape, grayLine.message], [[5, 4], { k: [1, 2] }]);
    assert.equal(grayLine.sha256, await sha256Hex(gray.data));
    assert.deepEqual(rawLine.extra_keys, []);
    const [colourLine, grayJpegLine] = of(ports[1]);
    assert.deepEqual([colourLine.shape, colourLine.compression], [
      [32, 48, 3],
      vidgearCompression("BGR"),
    ]);
    assertClose(colourLine.channel_means as number[], channelMeans(colour.data, 3), 4);
    assert.deepEqual([grayJpegLine.shape, grayJpegLine.message], [[24, 16], ["gray", null]]);
    assertClose(grayJpegLine.channel_means as number[], channelMeans(grayJpeg.data, 1), 4);
    assert.deepEqual(
      linesOf(run, "terminate").map((line) => [line.port, line.parts, line.keys]).sort(),
      [[ports[0], 1, ["port", "terminate_flag"]], [ports[1], 1, ["port", "terminate_flag"]]].sort(),
    );
  },
);

interop(
  "vidgear client, bidirectional: an ActorGear server decodes returned data, raw BGR and gray arrays, and JPEG arrays",
  async () => {
    using jpegCodec = new JpegCodec();
    const codec = new VidgearCodec();
    const runs = [
      ["--return-data", '{"seen": true, "n": [1, 2.5]}'],
      ["--return-array", "16x24x3"],
      ["--return-array", "10x12"],
      ["--return-array", "16x24x3", "--jpeg"],
    ];
    const peers = runs.map((args) =>
      new VidgearPeer(["client", ...PEER_TIMEOUT, "--ports", "0", "--bidirectional", ...args])
    );
    try {
      const results = await Promise.all(peers.map(async (peer) => {
        const [port] = (await peer.waitFor("listening", deadline())).ports as number[];
        await using req = vidgearReq();
        req.connect(`tcp://127.0.0.1:${port}`);
        const replies: VidgearReply[] = [];
        for (let index = 0; index < 2; index++) {
          const frame = peerFrame(4, 5, 3, port, index);
          await req.send(codec.encodeFrame({ port, pattern: 1, frame, message: index }), {
            signal: deadline(),
          });
          const reply = codec.decodeReply(await req.receive({ signal: deadline() }));
          // A returned array is a view into the reply: copy it before the next receive.
          replies.push(
            reply.kind === "array" && reply.encoding === "raw"
              ? { ...reply, frame: { ...reply.frame, data: reply.frame.data.slice() } }
              : reply.kind === "array"
              ? { ...reply, jpeg: { ...reply.jpeg, data: reply.jpeg.data.slice() } }
              : reply,
          );
        }
        await req.send(codec.encodeTerminate(port), { signal: deadline() });
        assert.equal(
          codec.decodeReply(await req.receive({ signal: deadline() })).kind,
          "terminate-ack",
        );
        const run = await peer.done;
        assert.equal(run.code, PEER_EXIT.ok, run.stderr);
        return replies;
      }));
      const [data, bgr, gray, jpeg] = results;
      for (const reply of data) {
        assert.deepEqual(reply, {
          kind: "data",
          returnType: "dict",
          data: { seen: true, n: [1, 2.5] },
          port: undefined,
        });
      }
      for (const [index, reply] of bgr.entries()) {
        assert.ok(reply.kind === "array" && reply.encoding === "raw");
        assert.deepEqual(reply.frame, peerFrame(16, 24, 3, 0, index));
      }
      for (const [index, reply] of gray.entries()) {
        assert.ok(reply.kind === "array" && reply.encoding === "raw");
        assert.deepEqual(reply.frame, peerFrame(10, 12, 1, 0, index));
      }
      for (const [index, reply] of jpeg.entries()) {
        assert.ok(reply.kind === "array" && reply.encoding === "jpeg");
        assert.equal(reply.jpeg.colorspace, "BGR");
        const frame = decodeVidgearJpeg(jpegCodec, reply.jpeg);
        assert.deepEqual([frame.width, frame.height, frame.format], [24, 16, "bgr24"]);
        assertClose(
          channelMeans(frame.data, 3),
          channelMeans(vidgearFrame(16, 24, 3, 0, index), 3),
          4,
        );
      }
    } finally {
      for (const peer of peers) await peer[Symbol.asyncDispose]();
    }
  },
);

interop(
  "vidgear client, PUB/SUB: an ActorGear publisher's raw and JPEG frames and terminate reach it",
  async () => {
    using jpegCodec = new JpegCodec();
    const codec = new VidgearCodec();
    await using peer = new VidgearPeer([
      "client",
      ...PEER_TIMEOUT,
      "--pattern",
      "2",
      "--hwm",
      "100",
      "--ports",
      "0",
    ]);
    const [port] = (await peer.waitFor("listening", deadline())).ports as number[];
    // XPUB hears the subscription: frames published before it would be lost.
    await using pub = new ZmqSocket("xpub", { sendHighWaterMark: 100 });
    pub.connect(`tcp://127.0.0.1:${port}`);
    const subscription = await pub.receive({ signal: deadline() });
    assert.equal(subscription[0][0], 1, "a subscription");
    const bgr = peerFrame(8, 6, 3, port, 0);
    const gray = peerFrame(3, 7, 1, port, 1);
    const colour = peerFrame(24, 40, 3, port, 2);
    for (
      const parts of [
        codec.encodeFrame({ port, pattern: 2, frame: bgr, message: "first" }),
        codec.encodeFrame({ port, pattern: 2, frame: gray }),
        codec.encodeFrame({ port, pattern: 2, jpeg: { data: jpegCodec.encode(colour) } }),
        codec.encodeTerminate(port),
      ]
    ) {
      await pub.send(parts, { signal: deadline() });
    }
    const run = await peer.done;
    assert.equal(run.code, PEER_EXIT.ok, run.stderr);
    const frames = linesOf(run, "frame");
    assert.deepEqual(frames.map((line) => [line.index, line.pattern, line.message]), [
      [0, "2", "first"],
      [1, "2", null],
      [2, "2", null],
    ]);
    assert.equal(frames[0].sha256, await sha256Hex(bgr.data));
    assert.deepEqual(frames[1].shape, [3, 7]);
    assert.equal(frames[1].sha256, await sha256Hex(gray.data));
    assertClose(frames[2].channel_means as number[], channelMeans(colour.data, 3), 4);
    assert.deepEqual(linesOf(run, "terminate").map((line) => line.parts), [1]);
  },
);
