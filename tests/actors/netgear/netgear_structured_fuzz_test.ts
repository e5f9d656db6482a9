import "../../_helpers/preload_native.ts";
/**
 * Structured hostile CBOR against a NetGear client: seeded random trees
 * (deep nesting, huge announced counts, every tag cbor-x knows, bignums,
 * text, typed arrays, simple values) inside otherwise valid envelopes, plus
 * every shape of tests/transports/protocol/_hostile_cbor.ts, hit one port for a
 * bounded time while a good server streams on another. The good server must
 * lose nothing, every hostile message must be answered (REQ/REP) or counted
 * (PUB/SUB), and the client's event loop must never stall for 100 ms.
 *
 * Needs `--allow-read --allow-env --allow-ffi --allow-net=127.0.0.1`.
 */
import assert from "node:assert/strict";
import { NetGear, type Received } from "../../../actors/netgear/mod.ts";
import { ProtocolCodec, ProtocolError } from "../../../transports/protocol/protocol.ts";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { testFrame } from "../../_helpers/frames.ts";
import {
  header,
  hostileShapes,
  text,
  withMessage,
} from "../../transports/protocol/_hostile_cbor.ts";

const SEED = 0x0bad_cb08;
/** Small enough that every shape is cheap to build, large enough for each attack. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const RANDOM_COUNT = 1500;
const GOOD_FRAMES = 120;
const MAX_STALL_MS = 100;
const TIME_BUDGET_MS = 30_000;

/** Every tag cbor-x gives a meaning to, and tags other libraries write. */
const TAGS: readonly number[] = [
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  14,
  15,
  25,
  27,
  28,
  29,
  30,
  35,
  37,
  51,
  64,
  65,
  66,
  67,
  68,
  69,
  70,
  71,
  72,
  73,
  74,
  75,
  77,
  78,
  79,
  80,
  81,
  82,
  84,
  85,
  86,
  87,
  105,
  256,
  258,
  259,
  55799,
  0xdff9,
  0xdffe,
  0xdfff,
  0xe000,
  0xe001,
  0xffff,
  0x10000,
];

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

/** Bytes appended to a buffer that grows by doubling: no array of numbers per byte. */
class ByteWriter {
  #bytes = new Uint8Array(256);
  #length = 0;

  push(...values: number[]): void {
    for (const value of values) this.#put(value);
  }

  fill(value: number, count: number): void {
    this.#reserve(count);
    this.#bytes.fill(value, this.#length, this.#length + count);
    this.#length += count;
  }

  get last(): number {
    return this.#bytes[this.#length - 1];
  }

  bytes(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }

  #put(value: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
  }

  #reserve(count: number): void {
    if (this.#length + count <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#length + count) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}

/** A random CBOR tree as bytes: no validity intended, only shape. */
function randomTree(random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  const out = new ByteWriter();
  let budget = 2000; // items of structure per message, so the corpus stays small
  const item = (depth: number): void => {
    if (--budget <= 0) {
      out.push(0x00);
      return;
    }
    const roll = int(16);
    if (depth > 60 || roll < 3) {
      out.push([0x00, 0x17, 0x20, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xe0, 0xf8, 0x1c][int(11)]);
      if (out.last === 0xf9) out.push(0x3c, 0x00);
      else if (out.last === 0xf8) out.push(int(256));
      return;
    }
    switch (roll) {
      case 3: // a huge announced count with little behind it
        out.push(...header(4 + int(2), [0xffff_ffff, 0x7fff_ffff, 1 << 24, 100_000][int(4)]));
        for (let i = int(8); i > 0; i--) item(depth + 1);
        return;
      case 4:
      case 5: // a real array
        {
          const n = int(12);
          out.push(...header(4, n));
          for (let i = 0; i < n; i++) item(depth + 1);
        }
        return;
      case 6: // a real map, text keys or not
        {
          const n = int(6);
          out.push(...header(5, n));
          for (let i = 0; i < n; i++) {
            if (random() < 0.7) out.push(...text(["toString", "__proto__", "then", "k"][int(4)]));
            else item(depth + 1);
            item(depth + 1);
          }
        }
        return;
      case 7: // indefinite containers, sometimes without their break
        out.push(random() < 0.5 ? 0x9f : 0xbf);
        for (let i = int(6) * 2; i > 0; i--) item(depth + 1);
        if (random() < 0.8) out.push(0xff);
        return;
      case 8:
      case 9:
      case 10: // a tag around anything
        out.push(...header(6, TAGS[int(TAGS.length)]));
        item(depth + 1);
        return;
      case 11: // a bignum of any size
        {
          const n = [8, 64, 65, 1000, 20_000][int(5)];
          out.push(0xc2 + int(2), ...header(2, n));
          out.fill(0xff, n);
        }
        return;
      case 12: // text, possibly not UTF-8
        {
          const n = int(40);
          out.push(...header(3, n));
          for (let i = 0; i < n; i++) out.push(random() < 0.1 ? 0xc3 : 0x61);
        }
        return;
      case 13: // bytes that claim more than follows
        out.push(...header(2, [3, 1 << 30, 0xffff_ffff][int(3)]), 1, 2, 3);
        return;
      default: // a typed array of any tag
        out.push(...header(6, 64 + int(24)), ...header(2, 8), 0, 0, 0, 0, 0, 0, 0x80, 0x3f);
    }
  };
  item(0);
  return out.bytes();
}

/** The structured corpus: random trees and the catalogued shapes, all on `port`. */
function corpus(port: number): Uint8Array[] {
  const random = prng(SEED);
  const messages: Uint8Array[] = [];
  for (let i = 0; i < RANDOM_COUNT; i++) messages.push(withMessage(port, randomTree(random)));
  for (const shape of hostileShapes({ port, maxMessageBytes: MAX_MESSAGE_BYTES })) {
    if (shape.parts.length === 1) messages.push(shape.parts[0]);
  }
  return messages;
}

/** What the client's codec makes of each message: the code it must count. */
function verdicts(messages: readonly Uint8Array[], port: number): string[] {
  const codec = new ProtocolCodec({ maxMessageBytes: MAX_MESSAGE_BYTES });
  return messages.map((bytes) => {
    try {
      codec.decode(bytes, { port });
      return "accepted";
    } catch (error) {
      if (error instanceof ProtocolError) return error.code;
      throw error;
    }
  });
}

/** The longest gap between ticks of a 5 ms interval while it runs. */
class StallMonitor implements Disposable {
  #last = performance.now();
  #worst = 0;
  readonly #timer = setInterval(() => {
    const now = performance.now();
    this.#worst = Math.max(this.#worst, now - this.#last);
    this.#last = now;
  }, 5);

  get worstMs(): number {
    return Math.max(this.#worst, performance.now() - this.#last);
  }

  [Symbol.dispose](): void {
    clearInterval(this.#timer);
  }
}

class QuietLogs implements Disposable {
  readonly errors: string[] = [];
  readonly #warn = console.warn;
  readonly #error = console.error;
  constructor() {
    console.warn = () => {};
    console.error = (...args: unknown[]) => void this.errors.push(args.map(String).join(" "));
  }
  [Symbol.dispose](): void {
    console.warn = this.#warn;
    console.error = this.#error;
  }
}

function tally(codes: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

Deno.test("NetGear REQ/REP client survives structured hostile CBOR without stalling or losing a good frame", async () => {
  const [goodPort, fuzzPort] = freePorts(2);
  const messages = corpus(fuzzPort);
  const expected = verdicts(messages, fuzzPort);
  // The corpus reaches every refusal the limits have.
  for (const code of ["too-complex", "unsupported-tag", "malformed-cbor"]) {
    assert.ok(expected.includes(code), `the corpus earns ${code}`);
  }
  using logs = new QuietLogs();
  const deadline = AbortSignal.timeout(TIME_BUDGET_MS);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [goodPort, fuzzPort],
    pattern: 1,
    maxMessageSize: MAX_MESSAGE_BYTES,
  });
  const received: Received[] = [];
  const receiving = (async () => {
    for await (const item of client) {
      if (item.port === goodPort) received.push(item);
    }
  })();
  await using good = await NetGear.open({ multiserverMode: true, port: goodPort, pattern: 1 });
  await using fuzzer = new ZmqSocket("req", { maxMessageSize: MAX_MESSAGE_BYTES });
  fuzzer.connect(`tcp://127.0.0.1:${fuzzPort}`);
  const answers: string[] = [];
  using stalls = new StallMonitor();
  const streaming = (async () => {
    for (let n = 0; n < GOOD_FRAMES; n++) {
      await good.send(testFrame(goodPort, n, 64, 48), { message: n, signal: deadline });
    }
  })();
  const codec = new ProtocolCodec();
  for (const bytes of messages) {
    await fuzzer.send(bytes, { signal: deadline });
    const [reply] = await fuzzer.receive({ signal: deadline });
    const envelope = codec.decode(reply);
    answers.push(envelope.error?.code ?? "accepted");
  }
  await streaming;
  const worst = stalls.worstMs;
  assert.deepEqual(tally(answers), tally(expected), "every message answered with its verdict");
  const fuzzStats = (await client.stats()).find((s) => s.port === fuzzPort);
  assert.deepEqual(
    tally(Object.entries(fuzzStats?.rejected ?? {}).flatMap(([code, n]) => Array(n).fill(code))),
    tally(expected.filter((code) => code !== "accepted")),
    "every refusal counted by code",
  );
  await good.close();
  await client.close();
  await receiving;
  assert.deepEqual(
    received.map((r) => r.message),
    Array.from({ length: GOOD_FRAMES }, (_, n) => n),
  );
  console.log(`worst event-loop stall under attack: ${worst.toFixed(1)} ms`);
  assert.ok(worst < MAX_STALL_MS, `the event loop stalled ${worst.toFixed(1)} ms`);
  assert.deepEqual(logs.errors, []);
});

Deno.test("NetGear PUB/SUB client survives structured hostile CBOR without stalling or losing a good frame", async () => {
  const [goodPort, fuzzPort] = freePorts(2);
  const messages = corpus(fuzzPort);
  const expected = verdicts(messages, fuzzPort);
  using logs = new QuietLogs();
  const deadline = AbortSignal.timeout(TIME_BUDGET_MS);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [goodPort, fuzzPort],
    pattern: 2,
    maxMessageSize: MAX_MESSAGE_BYTES,
    queueSize: 4096,
  });
  const received: Received[] = [];
  let markerSeen: (() => void) | undefined;
  const receiving = (async () => {
    for await (const item of client) {
      if (item.port === goodPort) received.push(item);
      else if (item.message === "marker") markerSeen?.();
    }
  })();
  await using good = await NetGear.open({ multiserverMode: true, port: goodPort, pattern: 2 });
  await using fuzzer = new ZmqSocket("pub", { sendHighWaterMark: 0 });
  fuzzer.connect(`tcp://127.0.0.1:${fuzzPort}`);
  const marker = (seq: number) =>
    new ProtocolCodec().encode({
      version: 1,
      kind: "frame",
      port: fuzzPort,
      seq,
      sentAt: Date.now(),
      message: "marker",
    });
  // The slow joiner: send markers until the client has one.
  let seq = 0;
  for (let tries = 0;; tries++) {
    assert.ok(tries < 500, "the fuzzer's subscription never came");
    const seen = new Promise<void>((resolve) => markerSeen = resolve);
    await fuzzer.send(marker(seq++));
    const timer = new Promise<"late">((resolve) => setTimeout(resolve, 20, "late"));
    if (await Promise.race([seen, timer]) !== "late") break;
  }
  using stalls = new StallMonitor();
  const streaming = (async () => {
    for (let n = 0; n < GOOD_FRAMES; n++) {
      await good.send(testFrame(goodPort, n, 64, 48), { message: n, signal: deadline });
    }
  })();
  for (const [i, bytes] of messages.entries()) {
    await fuzzer.send(bytes, { signal: deadline });
    if (i % 100 === 99) {
      // Let the client read what was sent so far before sending more.
      const seen = new Promise<void>((resolve) => markerSeen = resolve);
      await fuzzer.send(marker(seq++));
      await Promise.race([seen, new Promise((_, reject) => deadline.onabort = reject)]);
    }
  }
  const seen = new Promise<void>((resolve) => markerSeen = resolve);
  await fuzzer.send(marker(seq++));
  await seen;
  await streaming;
  const worst = stalls.worstMs;
  const fuzzStats = (await client.stats()).find((s) => s.port === fuzzPort);
  assert.deepEqual(
    tally(Object.entries(fuzzStats?.rejected ?? {}).flatMap(([code, n]) => Array(n).fill(code))),
    tally(expected.filter((code) => code !== "accepted")),
    "every refusal counted by code",
  );
  await good.close();
  await client.close();
  await receiving;
  assert.deepEqual(
    received.map((r) => r.message),
    Array.from({ length: GOOD_FRAMES }, (_, n) => n),
  );
  console.log(`worst event-loop stall under attack: ${worst.toFixed(1)} ms`);
  assert.ok(worst < MAX_STALL_MS, `the event loop stalled ${worst.toFixed(1)} ms`);
  assert.deepEqual(logs.errors, []);
});
