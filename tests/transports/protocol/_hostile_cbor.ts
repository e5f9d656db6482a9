/**
 * Hostile CBOR messages, written byte by byte so they can be anything a
 * peer could send: for the codec's limit tests, the client's structured
 * fuzz test and tests/bench/hostile_bench.ts.
 *
 * @module
 */

/** One message to throw at a receiver, and what it must earn. */
export interface HostileShape {
  readonly name: string;
  readonly parts: Uint8Array[];
  /** The ProtocolError code it must be refused with, or `"accepted"`. */
  readonly expect: string;
}

/** A CBOR header: major type and argument, in the shortest form. */
export function header(major: number, argument: number): number[] {
  const m = major << 5;
  if (argument < 24) return [m | argument];
  if (argument < 0x100) return [m | 24, argument];
  if (argument < 0x10000) return [m | 25, argument >> 8, argument & 0xff];
  if (argument < 0x1_0000_0000) {
    return [
      m | 26,
      argument >>> 24,
      (argument >>> 16) & 0xff,
      (argument >>> 8) & 0xff,
      argument & 0xff,
    ];
  }
  const out = [m | 27];
  let big = BigInt(argument);
  const bytes: number[] = [];
  for (let i = 0; i < 8; i++, big >>= 8n) bytes.unshift(Number(big & 0xffn));
  return out.concat(bytes);
}

/** A text string item. */
export function text(value: string): number[] {
  const bytes = new TextEncoder().encode(value);
  return [...header(3, bytes.length), ...bytes];
}

/** `count` copies of `item` in one buffer, after `prefix`. */
export function repeat(
  prefix: readonly number[],
  item: readonly number[],
  count: number,
): Uint8Array {
  const out = new Uint8Array(prefix.length + item.length * count);
  out.set(prefix);
  if (item.length === 1) {
    out.fill(item[0], prefix.length);
  } else {
    for (let i = 0; i < count; i++) out.set(item, prefix.length + i * item.length);
  }
  return out;
}

/**
 * A heartbeat envelope from `port` whose `message` value is `message`
 * (raw CBOR bytes): the envelope head is valid, so only the message decides.
 */
export function withMessage(port: number, message: Uint8Array | readonly number[]): Uint8Array {
  const head = [
    ...header(5, 6),
    ...text("v"),
    1,
    ...text("kind"),
    ...text("heartbeat"),
    ...text("port"),
    ...header(0, port),
    ...text("seq"),
    0,
    ...text("ts"),
    ...header(0, 1000),
    ...text("message"),
  ];
  const out = new Uint8Array(head.length + message.length);
  out.set(head);
  out.set(message, head.length);
  return out;
}

/** Options of {@linkcode hostileShapes}. */
export interface HostileShapeOptions {
  /** The port the envelopes name. */
  readonly port: number;
  /** The receiver's size limit: the largest shapes are built just under it. */
  readonly maxMessageBytes: number;
}

/** A message whose `message` is `prefix` then `count` times `item`. */
function messageOf(
  port: number,
  prefix: readonly number[],
  item: readonly number[],
  count: number,
) {
  return withMessage(port, repeat(prefix, item, count));
}

/**
 * Every hostile shape: the attacks reported in issue 14 and their
 * relatives, each at a size that costs most within the receiver's limits.
 *
 * @param options The port and the receiver's size limit.
 * @returns The shapes, with what each must earn.
 */
export function hostileShapes(options: HostileShapeOptions): HostileShape[] {
  const { port, maxMessageBytes } = options;
  const room = maxMessageBytes - 64; // what a message value may take
  const shapes: HostileShape[] = [];
  const add = (name: string, message: Uint8Array, expect: string) =>
    shapes.push({ name, parts: [message], expect });

  // Bignums: cbor-x converts them in O(n²) time.
  for (const n of [65, 10_000, 200_000, Math.min(room - 16, 300_000)]) {
    add(
      `bignum of ${n} bytes (tag 2)`,
      messageOf(port, [0xc2, ...header(2, n)], [0xff], n),
      "too-complex",
    );
  }
  add(
    "bignum of 64 bytes (tag 3)",
    messageOf(port, [0xc3, ...header(2, 64)], [0xff], 64),
    "accepted",
  );

  // Huge counts.
  add(
    "array announcing 2^32-1 items",
    withMessage(port, [0x9a, 0xff, 0xff, 0xff, 0xff, 0xa0]),
    "malformed-cbor",
  );
  const maps = room - 8;
  add(`array of ${maps} empty maps`, messageOf(port, header(4, maps), [0xa0], maps), "too-complex");
  add(
    "array of 16,383 empty maps",
    messageOf(port, header(4, 16_383), [0xa0], 16_383),
    "too-complex",
  );
  add("array of 500 empty maps", messageOf(port, header(4, 500), [0xa0], 500), "accepted");
  add(
    "array of 16,000 small integers",
    messageOf(port, header(4, 16_000), [0x01], 16_000),
    "too-complex",
  );
  add(
    "array of 16,000 float64",
    messageOf(port, header(4, 16_000), [0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], 16_000),
    "too-complex",
  );
  add(
    "array of 9,000 float64",
    messageOf(port, header(4, 9000), [0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], 9000),
    "accepted",
  );
  add(
    "array of 16,000 empty byte strings",
    messageOf(port, header(4, 16_000), [0x40], 16_000),
    "too-complex",
  );
  add(
    "array of 16,000 one-char texts",
    messageOf(port, header(4, 16_000), [0x61, 0x61], 16_000),
    "too-complex",
  );
  const keys: number[] = [];
  for (let i = 0; i < 5000; i++) keys.push(...text(`k${i}`), 0);
  add(
    "map of 5,000 distinct keys",
    withMessage(port, [...header(5, 5000), ...keys]),
    "too-complex",
  );
  const nulls = repeat([0x9f], [0xf6], 20_001);
  nulls[nulls.length - 1] = 0xff;
  add("indefinite array of 20,000 nulls", withMessage(port, nulls), "too-complex");

  // Depth.
  add(
    "arrays nested 10,000 deep",
    withMessage(port, [...new Array(10_000).fill(0x81), 0]),
    "too-complex",
  );
  add(
    "maps nested 40 deep",
    withMessage(port, [...new Array(40).fill(0).flatMap(() => [0xa1, 0x61, 0x61]), 0]),
    "too-complex",
  );
  add("arrays nested 30 deep", withMessage(port, [...new Array(30).fill(0x81), 0]), "accepted");
  add(
    "tags nested 40 deep (tag 258)",
    withMessage(port, [...new Array(40).fill(0).flatMap(() => [0xd9, 0x01, 0x02, 0x81]), 0]),
    "too-complex",
  );

  // Tags cbor-x interprets that PROTOCOL.md does not list.
  const cyclic = [0xd8, 0x1c, 0xa2, ...text("toString"), 0x01, ...text("self"), 0xd8, 0x1d, 0x00];
  add(
    "cyclic object (tags 28/29) with a toString key",
    withMessage(port, cyclic),
    "unsupported-tag",
  );
  add(
    "record definition (tag 105)",
    withMessage(port, [0xd8, 0x69, 0x83, 0x19, 0xe0, 0x00, 0x81, 0x61, 0x61, 0x01]),
    "unsupported-tag",
  );
  add(
    "record structure (tag 0xe000)",
    withMessage(port, [0xd9, 0xe0, 0x00, 0x81, 0x01]),
    "unsupported-tag",
  );
  add(
    "record definitions (tag 0xdffe)",
    withMessage(port, [0xd9, 0xdf, 0xfe, 0x80]),
    "unsupported-tag",
  );
  add(
    "bundled strings (tag 0xdff9)",
    withMessage(port, [0xd9, 0xdf, 0xf9, 0x80]),
    "unsupported-tag",
  );
  add(
    "packed table (tag 51)",
    withMessage(port, [0xd8, 0x33, 0x84, 0x80, 0x80, 0x80, 0x00]),
    "unsupported-tag",
  );
  add("packed reference (tag 6)", withMessage(port, [0xc6, 0x00]), "unsupported-tag");
  add(
    "string reference (tags 256/25)",
    withMessage(port, [0xd9, 0x01, 0x00, 0x82, 0x61, 0x61, 0xd8, 0x19, 0x00]),
    "unsupported-tag",
  );
  add("bundled string (tag 14)", withMessage(port, [0xce, 0x01]), "unsupported-tag");
  add(
    "decimal fraction (tag 4)",
    withMessage(port, [0xc4, 0x82, 0x21, 0x19, 0x6a, 0xb3]),
    "unsupported-tag",
  );
  add(
    "self-described CBOR (tag 55799)",
    withMessage(port, [0xd9, 0xd9, 0xf7, 0x01]),
    "unsupported-tag",
  );
  add(
    "tag number 2^64-1",
    withMessage(port, [0xdb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]),
    "unsupported-tag",
  );
  add("typed array tag around text", withMessage(port, [0xd8, 0x55, 0x61, 0x61]), "malformed-cbor");
  add("Set tag around a map", withMessage(port, [0xd9, 0x01, 0x02, 0xa0]), "malformed-cbor");
  add(
    "Error tag with 40 items",
    withMessage(port, [0xd8, 0x1b, ...header(4, 40), ...new Array(40).fill(0x60)]),
    "malformed-cbor",
  );
  add(
    "date string of 100 bytes (tag 0)",
    withMessage(port, [0xc0, ...header(3, 100), ...new Array(100).fill(0x31)]),
    "too-complex",
  );

  // Typed arrays, sets, dates, errors in bulk.
  add(
    "8,000 Float32Array tags",
    messageOf(port, header(4, 8000), [0xd8, 0x55, 0x44, 0, 0, 0x80, 0x3f], 8000),
    "too-complex",
  );
  add(
    "300 Float32Array tags",
    messageOf(port, header(4, 300), [0xd8, 0x55, 0x44, 0, 0, 0x80, 0x3f], 300),
    "accepted",
  );
  for (const typed of new Set([Math.min(16 * 1024 * 1024 - 1024, room - 16), room - 16])) {
    const length = typed - (typed % 8);
    add(
      `one Float64Array of ${length} bytes`,
      withMessage(port, repeat([0xd8, 0x56, ...header(2, length)], [0], length)),
      length > 16 * 1024 * 1024 ? "too-complex" : "accepted",
    );
  }
  add(
    "5,000 Sets of one item",
    messageOf(port, header(4, 5000), [0xd9, 0x01, 0x02, 0x81, 0x00], 5000),
    "too-complex",
  );
  add("8,000 epoch dates", messageOf(port, header(4, 8000), [0xc1, 0x01], 8000), "too-complex");
  add(
    "5,000 RegExps",
    messageOf(
      port,
      header(4, 5000),
      [0xd8, 0x1b, 0x83, ...text("RegExp"), ...text("(a+)+$"), 0x60],
      5000,
    ),
    "too-complex",
  );

  // Text.
  const textBytes = Math.min(room - 16, 16 * 1024 * 1024 - 1024);
  add(
    `text of ${textBytes} bytes`,
    withMessage(port, repeat(header(3, textBytes), [0x61], textBytes)),
    "accepted",
  );
  if (room - 16 > 16 * 1024 * 1024 + 16) {
    const over = room - 16;
    add(
      `text of ${over} bytes`,
      withMessage(port, repeat(header(3, over), [0x61], over)),
      "too-complex",
    );
  }
  add("indefinite text string", withMessage(port, [0x7f, 0x61, 0x61, 0xff]), "malformed-cbor");
  const bytes = room - 16;
  add(
    `byte string of ${bytes} bytes`,
    withMessage(port, repeat(header(2, bytes), [0], bytes)),
    "accepted",
  );

  // Simple values and headers that are not CBOR.
  add("unassigned simple value 0", withMessage(port, [0xe0]), "malformed-cbor");
  add("one-byte simple value 255", withMessage(port, [0xf8, 0xff]), "malformed-cbor");
  add("reserved additional information", withMessage(port, [0x1c]), "malformed-cbor");
  add("break outside a container", withMessage(port, [0xff]), "malformed-cbor");
  add(
    "byte string announcing 2^63 bytes",
    withMessage(port, [0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0]),
    "malformed-cbor",
  );

  // The envelope head itself.
  add(
    "top-level array of 2^32-1 items",
    Uint8Array.of(0x9a, 0xff, 0xff, 0xff, 0xff),
    "malformed-cbor",
  );
  add(
    "top-level map announcing 2^32-1 pairs",
    Uint8Array.of(0xba, 0xff, 0xff, 0xff, 0xff),
    "malformed-cbor",
  );
  add(
    "spoofed port with a costly message",
    withMessage(port + 1, [0xc2, ...header(2, 1000), ...new Uint8Array(1000)]),
    "too-complex",
  );
  return shapes;
}
