import "../../_helpers/preload_native.ts";
/**
 * Fuzzing the NetGear client: thousands of seeded random byte strings and
 * mutated envelopes hit one of its ports from raw ZeroMQ sockets while a
 * well-behaved NetGear server streams on another. The client must answer
 * (REQ/REP) or drop (PUB/SUB) every bad message, count it by code, lose none
 * of the good server's frames, and never stop serving.
 *
 * Needs `--allow-read --allow-env --allow-ffi --allow-net=127.0.0.1`.
 */
import assert from "node:assert/strict";
import { Encoder } from "cbor-x";
import {
  NetGear,
  type NetGearClient,
  type NetGearClientEventMap,
  type NetGearServer,
  type Received,
  type ServerStateEvent,
  type ServerStats,
} from "../../../actors/netgear/mod.ts";
import {
  type Envelope,
  ProtocolCodec,
  ProtocolError,
} from "../../../transports/protocol/protocol.ts";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { sha256, testFrame } from "../../_helpers/frames.ts";
import { background, within } from "../../_helpers/async.ts";

const SEED = 0x5eed_2026;
const FUZZ_COUNT = 3000;
/** The good server's frames, spread evenly over the fuzzing. */
const GOOD_FRAMES = 150;
/** The client's limit (and ZMQ_MAXMSGSIZE): small, so an oversized message is cheap to make. */
const MAX_MESSAGE_SIZE = 64 * 1024;
/**
 * PUB/SUB: frames the good server may be ahead of the client's recv. A NetGear
 * PUB server keeps at most 8 frames (ZMQ_SNDHWM) and drops the rest, even for
 * an idle client when it sends in bursts (one process runs everything here),
 * so without this window the test would measure the sender, not the client.
 */
const PUB_WINDOW = 4;

// ------------------------------------------------------------ fuzz corpus

/** mulberry32: a small seeded PRNG, so every run sends the same inputs. */
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

/** One message to throw at the client, and the rejection code it must earn. */
interface FuzzInput {
  readonly strategy: string;
  readonly parts: Uint8Array[];
  readonly code: string;
}

// Writes any map as told (no validation), as a foreign sender could.
const rawCbor = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });

const WRONG_VALUES: readonly unknown[] = [
  "x",
  "",
  -1,
  0,
  1.5,
  null,
  true,
  [],
  {},
  [1, 2],
  new Uint8Array(3),
  2n ** 70n,
  -(2n ** 70n),
  Number.NaN,
  Number.POSITIVE_INFINITY,
  70_000,
  2 ** 53,
];

const FIELDS: readonly string[] = [
  "v",
  "kind",
  "port",
  "seq",
  "ts",
  "frame",
  "error",
  "frame.w",
  "frame.h",
  "frame.c",
  "frame.fmt",
  "frame.enc",
  "frame.data",
  "error.code",
  "error.message",
];

/**
 * `count` seeded inputs the client must refuse, each with its expected code.
 *
 * The expected code comes from ProtocolCodec itself (which also judges the
 * number of parts) plus the transport's own rule (the envelope names the
 * port it arrived on):
 * this fuzzes the client's handling of bad input, not the codec's verdicts
 * (tests/transports/protocol/protocol_interop_test.ts checks those against Python).
 */
function fuzzCorpus(seed: number, count: number, port: number): FuzzInput[] {
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));
  const codec = new ProtocolCodec({ maxMessageBytes: MAX_MESSAGE_SIZE });
  const expectedCode = (parts: Uint8Array[]): string | undefined => {
    try {
      // The client checks the port with the head, before seq and ts.
      codec.decodeParts(parts, { port });
      return undefined;
    } catch (error) {
      if (error instanceof ProtocolError) return error.code;
      throw error;
    }
  };
  const validMap = (): Record<string, unknown> => {
    const kind = pick(["frame", "frame", "heartbeat", "terminate", "reply"]);
    const map: Record<string, unknown> = {
      v: pick([1, 2]),
      kind,
      port,
      seq: int(1000),
      ts: Date.now(),
    };
    if (random() < 0.5) map.message = pick<unknown>(["hi", 7, { a: [1, 2] }, bytes(4), null]);
    if (kind === "frame" || (kind === "reply" && random() < 0.3)) {
      const fmt = pick(["bgr24", "rgb24", "rgba", "gray"] as const);
      const c = { bgr24: 3, rgb24: 3, rgba: 4, gray: 1 }[fmt];
      const [w, h] = [1 + int(6), 1 + int(4)];
      map.frame = { w, h, c, fmt, enc: "raw", data: bytes(w * h * c) };
    }
    if (kind === "reply" && random() < 0.3) map.error = { code: "x", message: "y" };
    return map;
  };
  /** Sets (or with `undefined` deletes) a key, dotted for the frame or error map. */
  const setPath = (map: Record<string, unknown>, path: string, value: unknown): void => {
    const [head, tail] = path.split(".");
    const target = tail === undefined
      ? map
      : (map[head] = { ...(map[head] as Record<string, unknown> | undefined) });
    const key = tail ?? head;
    if (value === undefined) delete (target as Record<string, unknown>)[key];
    else (target as Record<string, unknown>)[key] = value;
  };
  const encode = (value: unknown): Uint8Array => rawCbor.encode(value).slice();
  const strategies: Record<string, () => Uint8Array[]> = {
    random: () => [bytes(int(200))],
    flip: () => {
      const out = encode(validMap());
      for (let n = 1 + int(4); n > 0; n--) out[int(out.length)] ^= 1 + int(255);
      return [out];
    },
    truncate: () => {
      const out = encode(validMap());
      return [out.slice(0, int(out.length))];
    },
    trailing: () => [Uint8Array.of(...encode(validMap()), ...bytes(1 + int(8)))],
    "wrong-type": () => {
      const map = validMap();
      setPath(map, pick(FIELDS), pick(WRONG_VALUES));
      return [encode(map)];
    },
    missing: () => {
      const map = validMap();
      setPath(map, pick(FIELDS), undefined);
      return [encode(map)];
    },
    version: () => [encode({ ...validMap(), v: pick([0, 3, 4, 255, 65536, 2 ** 40]) })],
    "size-mismatch": () => {
      const map: Record<string, unknown> = { ...validMap(), kind: "frame" };
      const [w, h] = [1 + int(6), 1 + int(4)];
      const size = w * h * 3;
      const wrong = pick([0, size - 1, size + 1, size * 2]);
      map.frame = { w, h, c: 3, fmt: "bgr24", enc: "raw", data: bytes(wrong) };
      return [encode(map)];
    },
    jpeg: () => {
      const map: Record<string, unknown> = { ...validMap(), kind: "frame" };
      map.frame = { w: 4, h: 4, c: 3, fmt: "bgr24", enc: "jpeg", data: bytes(1 + int(40)) };
      return [encode(map)];
    },
    forbidden: () => {
      const map = validMap();
      if (random() < 0.5) map.error = { code: "x", message: "y" };
      else map.frame = { w: 1, h: 1, c: 1, fmt: "gray", enc: "raw", data: bytes(1) };
      map.kind = pick(["frame", "heartbeat", "terminate"]);
      return [encode(map)];
    },
    "wrong-port": () => [encode({ ...validMap(), port: pick([1, port - 1, port + 1, 65535]) })],
    "not-a-map": () => {
      const encoded = encode(pick<unknown>([[1, 2], "text", 42, null, bytes(8), validMap()]));
      // Tag 55799 (self-described CBOR) around it: still not a plain map.
      return [random() < 0.5 ? Uint8Array.of(0xd9, 0xd9, 0xf7, ...encoded) : encoded];
    },
    // Version 2's two-part frame with one rule of PROTOCOL.md §3.1 broken.
    "two-part": () => {
      const [w, h] = [1 + int(6), 1 + int(4)];
      const frame: Record<string, unknown> = { w, h, c: 3, fmt: "bgr24", enc: "raw" };
      const map: Record<string, unknown> = { ...validMap(), v: 2, kind: "frame", frame };
      let data = bytes(w * h * 3);
      switch (int(5)) {
        case 0:
          map.v = 1;
          break;
        case 1:
          delete map.frame;
          map.kind = pick(["frame", "heartbeat", "terminate"]);
          map.message = "data alone";
          break;
        case 2:
          frame.data = data;
          break;
        case 3:
          data = bytes(pick([0, w * h * 3 - 1, w * h * 3 + 1]));
          break;
        default:
          return [encode(map), data, bytes(int(8))];
      }
      return [encode(map), data];
    },
    multipart: () =>
      Array.from(
        { length: 2 + int(2) },
        () => random() < 0.7 ? encode(validMap()) : bytes(int(50)),
      ),
  };
  const names = Object.keys(strategies);
  const inputs: FuzzInput[] = [];
  while (inputs.length < count) {
    const strategy = pick(names);
    const parts = strategies[strategy]();
    const code = expectedCode(parts);
    // A mutation can leave an envelope valid (a flipped pixel): that is not
    // fuzz, and would make the fuzz port a server, so draw again.
    if (code !== undefined) inputs.push({ strategy, parts, code });
  }
  return inputs;
}

/** An envelope over MAX_MESSAGE_SIZE, otherwise valid. */
function oversizedEnvelope(port: number): Uint8Array {
  const frame = testFrame(port, 0, 200, 200); // 120,000 bytes of pixels
  return new ProtocolCodec({ maxMessageBytes: 1 << 20 }).encode({
    version: 1,
    kind: "frame",
    port,
    seq: 0,
    sentAt: Date.now(),
    frame: { ...frame, format: "bgr24", encoding: "raw" },
  });
}

/** Every rejection code a fuzz input can earn (`oversized` never reaches our code: see the tests). */
const FUZZ_CODES = [
  "bad-field",
  "bad-jpeg",
  "frame-size-mismatch",
  "malformed-cbor",
  "missing-field",
  "not-a-map",
  "unknown-version",
  "unsupported-tag",
];

function tally(codes: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

function sorted(counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

// ---------------------------------------------------------------- helpers

/** A counter others can wait on: `reached(n)` resolves once it is at least n. */
class Counter {
  #value = 0;
  #waiters: { at: number; resolve: () => void }[] = [];

  get value(): number {
    return this.#value;
  }

  increment(): void {
    this.#value++;
    const due = this.#waiters.filter((w) => w.at <= this.#value);
    this.#waiters = this.#waiters.filter((w) => w.at > this.#value);
    for (const waiter of due) waiter.resolve();
  }

  reached(at: number): Promise<void> {
    if (at <= this.#value) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ at, resolve }));
  }

  /** Releases every waiter (when the test ends early). */
  release(): void {
    for (const waiter of this.#waiters) waiter.resolve();
    this.#waiters = [];
  }
}

/** Resolves once `port` has reached `state` with `reason` (a `serverstate` event). */
function stateReached(
  client: NetGearClient,
  port: number,
  reason: ServerStateEvent["reason"],
): Promise<void> {
  return new Promise((resolve) => {
    const onState = (event: NetGearClientEventMap["serverstate"]): void => {
      const detail = event.detail;
      if (detail.port !== port || detail.reason !== reason) return;
      client.removeEventListener("serverstate", onState);
      resolve();
    };
    client.addEventListener("serverstate", onState);
  });
}

/**
 * Calls `send` every `everyMs` until `until` resolves (at most `maxTries`
 * times): how a PUB peer gets past the slow-joiner loss when it cannot see
 * the subscription. Returns how many sends it took.
 */
async function repeatUntil(
  send: () => Promise<void>,
  until: Promise<void>,
  what: string,
  everyMs = 10,
  maxTries = 500,
): Promise<number> {
  let done = false;
  until.then(() => done = true);
  for (let tries = 1;; tries++) {
    await send();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([until, new Promise((resolve) => timer = setTimeout(resolve, everyMs))]);
    clearTimeout(timer);
    if (done) return tries;
    assert.ok(tries < maxTries, `${what}: no effect after ${tries} tries`);
  }
}

/** The client's log lines, captured so 3000 rejections do not flood the test output. */
class CapturedLogs implements Disposable {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  readonly #warn = console.warn;
  readonly #error = console.error;

  constructor() {
    console.warn = (...args: unknown[]) => void this.warnings.push(args.map(String).join(" "));
    console.error = (...args: unknown[]) => void this.errors.push(args.map(String).join(" "));
  }

  [Symbol.dispose](): void {
    console.warn = this.#warn;
    console.error = this.#error;
  }
}

function statsOf(all: ServerStats[], port: number): ServerStats {
  const stats = all.find((s) => s.port === port);
  assert.ok(stats, `the client has figures for port ${port}`);
  return stats;
}

async function assertGoodFrames(received: Received[], port: number): Promise<void> {
  assert.deepEqual(
    received.map((r) => r.message),
    Array.from({ length: GOOD_FRAMES }, (_, n) => `good-${n}`),
    "the good server's frames all arrive, once, in order",
  );
  for (const [n, { frame }] of received.entries()) {
    assert.ok(frame);
    assert.equal(await sha256(frame.data), await sha256(testFrame(port, n).data), `frame ${n}`);
  }
}

/**
 * Streams GOOD_FRAMES frames, frame n once the fuzzer has sent n/GOOD_FRAMES
 * of its inputs (so both run at once) and, when `delivered` is given, once
 * the client has received frame n - PUB_WINDOW.
 */
async function streamAlongside(
  server: NetGearServer,
  port: number,
  fuzzed: Counter,
  delivered?: Counter,
): Promise<void> {
  for (let n = 0; n < GOOD_FRAMES; n++) {
    await fuzzed.reached(Math.floor((n * FUZZ_COUNT) / GOOD_FRAMES));
    await delivered?.reached(n - PUB_WINDOW);
    await server.send(testFrame(port, n), { message: `good-${n}` });
  }
}

// ------------------------------------------------------------------ tests

Deno.test("NetGear REQ/REP client answers every fuzz request with an error reply and loses no good frame", async () => {
  const [goodPort, fuzzPort] = freePorts(2);
  const corpus = fuzzCorpus(SEED, FUZZ_COUNT, fuzzPort);
  assert.deepEqual(Object.keys(sorted(tally(corpus.map((c) => c.code)))), FUZZ_CODES);
  using logs = new CapturedLogs();
  const fuzzed = new Counter();
  try {
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: [goodPort, fuzzPort],
      pattern: 1,
      maxMessageSize: MAX_MESSAGE_SIZE,
    });
    const received: Received[] = [];
    const receiving = background((async () => {
      for await (const item of client) {
        assert.equal(item.port, goodPort, "only the good server's frames are delivered");
        received.push(item);
      }
    })());
    await using good = await NetGear.open({ multiserverMode: true, port: goodPort, pattern: 1 });
    const streaming = background(streamAlongside(good, goodPort, fuzzed));

    await using fuzzer = new ZmqSocket("req");
    fuzzer.connect(`tcp://127.0.0.1:${fuzzPort}`);
    // A second REQ peer on the same port sends one oversized message.
    await using big = new ZmqSocket("req");
    big.connect(`tcp://127.0.0.1:${fuzzPort}`);
    let oversize: Promise<{ outcome: string; servedMeanwhile: number }> | undefined;

    const codec = new ProtocolCodec();
    const deadline = AbortSignal.timeout(25_000);
    const replyCodes: string[] = [];
    for (const [i, input] of corpus.entries()) {
      if (i === FUZZ_COUNT / 3) {
        const startedAt = fuzzed.value;
        await big.send(oversizedEnvelope(fuzzPort), { signal: deadline });
        oversize = big.receive({ signal: AbortSignal.timeout(1500) }).then(
          () => ({ outcome: "reply", servedMeanwhile: fuzzed.value - startedAt }),
          (error: unknown) => ({
            outcome: error instanceof DOMException ? error.name : String(error),
            servedMeanwhile: fuzzed.value - startedAt,
          }),
        );
      }
      const what = `fuzz input ${i} (${input.strategy})`;
      await fuzzer.send(input.parts.length === 1 ? input.parts[0] : input.parts, {
        signal: deadline,
      });
      const parts = await fuzzer.receive({
        signal: AbortSignal.any([deadline, AbortSignal.timeout(5000)]),
      });
      assert.equal(parts.length, 1, `${what}: a one-part reply`);
      const reply: Envelope = codec.decode(parts[0]);
      assert.equal(reply.kind, "reply", what);
      assert.ok(reply.error, `${what}: an error reply`);
      assert.equal(reply.error.code, input.code, `${what}: ${reply.error.message}`);
      assert.deepEqual([reply.port, reply.seq], [fuzzPort, 0], what);
      replyCodes.push(reply.error.code);
      fuzzed.increment();
    }
    await within(streaming, 10_000, "the good server to finish");

    // ZeroMQ refuses the oversized message itself (ZMQ_MAXMSGSIZE): it
    // drops that peer's connection before our code sees a byte, so no reply
    // ever comes, and the client keeps serving the other peer meanwhile.
    const { outcome, servedMeanwhile } = await oversize!;
    assert.equal(outcome, "TimeoutError", "the oversized request gets no reply");
    assert.ok(servedMeanwhile > 0, "the fuzzer was answered while the oversized request hung");

    const stats = await client.stats();
    const fuzzStats = statsOf(stats, fuzzPort);
    assert.deepEqual(sorted(fuzzStats.rejected), sorted(tally(replyCodes)), "counted by code");
    assert.equal(Object.values(fuzzStats.rejected).reduce((a, b) => a + b, 0), FUZZ_COUNT);
    assert.deepEqual(sorted(fuzzStats.rejected), sorted(tally(corpus.map((c) => c.code))));
    assert.equal(fuzzStats.frames, 0);
    const goodStats = statsOf(stats, goodPort);
    assert.deepEqual(goodStats.rejected, {});
    assert.equal(goodStats.frames, GOOD_FRAMES);

    await good.close();
    await within(receiving, 10_000, "the client to end after the good server left");
    await assertGoodFrames(received, goodPort);
    assert.equal(client.shutdownReason, "all-gone");
    assert.deepEqual(logs.errors, [], "the client logged no failure");
    assert.ok(logs.warnings.every((line) => !line.includes(`port ${goodPort}`)));
  } finally {
    fuzzed.release();
  }
});

Deno.test("NetGear PUB/SUB client drops and counts every fuzz message and loses no good frame", async () => {
  const [goodPort, fuzzPort, bigPort] = freePorts(3);
  const corpus = fuzzCorpus(SEED + 1, FUZZ_COUNT, fuzzPort);
  assert.deepEqual(Object.keys(sorted(tally(corpus.map((c) => c.code)))), FUZZ_CODES);
  const BATCH = 100;
  using logs = new CapturedLogs();
  const fuzzed = new Counter();
  const markers = new Counter();
  const delivered = new Counter();
  try {
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: [goodPort, fuzzPort, bigPort],
      pattern: 2,
      maxMessageSize: MAX_MESSAGE_SIZE,
      // recv shares the event loop with the fuzzer: keep every good frame.
      queueSize: 4096,
    });
    const joinedGood = stateReached(client, goodPort, "joined");
    const joinedFuzz = stateReached(client, fuzzPort, "joined");
    const joinedBig = stateReached(client, bigPort, "joined");
    const received: Received[] = [];
    const receiving = background((async () => {
      for await (const item of client) {
        if (item.port === fuzzPort) {
          assert.equal(
            item.message,
            `marker-${markers.value}`,
            "only markers pass on the fuzz port",
          );
          markers.increment();
        } else {
          assert.equal(item.port, goodPort, "nothing is delivered from the oversize port");
          if (item.message !== "hello") {
            received.push(item);
            delivered.increment();
          }
        }
      }
    })());

    // The good server says hello until the client has heard it, then streams
    // alongside the fuzzer, paced by its progress and by the client's recv.
    await using good = await NetGear.open({ multiserverMode: true, port: goodPort, pattern: 2 });
    await repeatUntil(
      async () => void await good.send(undefined, { message: "hello" }),
      joinedGood,
      "good server hello",
    );
    const streaming = background(streamAlongside(good, goodPort, fuzzed, delivered));

    const codec = new ProtocolCodec();
    const envelope = (port: number, kind: Envelope["kind"], seq: number, message?: unknown) =>
      codec.encode({ version: 1, kind, port, seq, sentAt: Date.now(), message });
    await using fuzzer = new ZmqSocket("pub");
    fuzzer.connect(`tcp://127.0.0.1:${fuzzPort}`);
    await repeatUntil(
      () => fuzzer.send(envelope(fuzzPort, "heartbeat", 0)),
      joinedFuzz,
      "fuzzer heartbeat",
    );
    // After each batch a valid data-only frame, a marker: once recv has it,
    // the client has read (and counted) everything sent before it. The
    // fuzzer stays at most two batches ahead, far below the high-water marks.
    let seq = 0;
    for (const [i, input] of corpus.entries()) {
      await fuzzer.send(input.parts.length === 1 ? input.parts[0] : input.parts);
      fuzzed.increment();
      if ((i + 1) % BATCH === 0 || i + 1 === corpus.length) {
        await fuzzer.send(envelope(fuzzPort, "frame", seq, `marker-${seq}`));
        seq++;
        await within(markers.reached(seq - 1), 10_000, `marker ${seq - 2}`);
      }
    }
    await within(markers.reached(seq), 10_000, "the last marker");
    await within(streaming, 10_000, "the good server to finish");

    // A PUB peer sending more than ZMQ_MAXMSGSIZE on its own port.
    await using big = new ZmqSocket("pub");
    big.connect(`tcp://127.0.0.1:${bigPort}`);
    await repeatUntil(
      () => big.send(envelope(bigPort, "heartbeat", 0)),
      joinedBig,
      "big heartbeat",
    );
    await big.send(oversizedEnvelope(bigPort));
    // ZeroMQ drops the connection on the oversized message; the PUB
    // reconnects by itself, and a later goodbye gets through.
    const bigGone = stateReached(client, bigPort, "terminated");
    const goodbyes = await repeatUntil(
      () => big.send(envelope(bigPort, "terminate", 0)),
      bigGone,
      "big terminate",
      20,
      250,
    );

    const stats = await client.stats();
    const fuzzStats = statsOf(stats, fuzzPort);
    assert.deepEqual(sorted(fuzzStats.rejected), sorted(tally(corpus.map((c) => c.code))));
    assert.equal(Object.values(fuzzStats.rejected).reduce((a, b) => a + b, 0), FUZZ_COUNT);
    assert.equal(fuzzStats.frames, seq, "every marker counted as a frame");
    const bigStats = statsOf(stats, bigPort);
    assert.deepEqual(bigStats.rejected, {}, "ZeroMQ refused the oversized message before us");
    assert.equal(bigStats.frames, 0);
    const goodStats = statsOf(stats, goodPort);
    assert.deepEqual(goodStats.rejected, {});
    assert.equal(goodStats.dropped, 0);

    await fuzzer.send(envelope(fuzzPort, "terminate", seq));
    await good.close();
    await within(receiving, 10_000, "the client to end after every server left");
    await assertGoodFrames(received, goodPort);
    assert.equal(client.shutdownReason, "all-gone");
    assert.deepEqual(logs.errors, [], "the client logged no failure");
    assert.ok(goodbyes >= 2, "the first goodbye went down with the dropped connection");
  } finally {
    fuzzed.release();
    markers.release();
    delivered.release();
  }
});
