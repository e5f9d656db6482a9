import "../_helpers/preload_native.ts";
/**
 * tests/interop/vidgear_peer.py, the peer speaking vidgear 0.3.5's NetGear
 * wire format (multi-server mode): its own self-test (both ends against each
 * other), then each end against raw ZeroMQ sockets driven from TypeScript,
 * so that the format it speaks and the frame pattern
 * tests/_helpers/vidgear_peer.ts rebuilds are checked by a second
 * implementation, not only by the peer itself.
 *
 * Needs /usr/bin/python3 with Debian's python3-zmq, python3-numpy and
 * python3-pil, and `--allow-run --allow-read --allow-env --allow-ffi
 * --allow-net=127.0.0.1`.
 */
import assert from "node:assert/strict";
import jpeg from "jpeg-js";
import { ZmqSocket } from "../../transports/zmq/zmq_socket.ts";
import {
  linesOf,
  PEER_EXIT,
  type PeerLine,
  sha256Hex,
  VIDGEAR_ACK,
  VIDGEAR_FRAME_KEYS,
  VIDGEAR_PYTHON,
  VIDGEAR_TERMINATE_ACK,
  vidgearCompression,
  vidgearFrame,
  VidgearPeer,
} from "../_helpers/vidgear_peer.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));
const parse = (part: Uint8Array): Record<string, unknown> => JSON.parse(decoder.decode(part));

/** Bound on each wait of a test; the peer's own waits are shorter (--timeout-ms). */
const deadline = (): AbortSignal => AbortSignal.timeout(15_000);
const PEER_TIMEOUT = ["--timeout-ms", "10000"];

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

/** A BGR frame as JPEG, from jpeg-js (an encoder other than the peer's Pillow). */
function jpegOfBgr(bgr: Uint8Array, width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[4 * p] = bgr[3 * p + 2];
    rgba[4 * p + 1] = bgr[3 * p + 1];
    rgba[4 * p + 2] = bgr[3 * p];
    rgba[4 * p + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data: rgba, width, height }, 90).data);
}

/** A JPEG decoded back to BGR by jpeg-js. */
function bgrOfJpeg(data: Uint8Array): { bgr: Uint8Array; width: number; height: number } {
  const image = jpeg.decode(data, { useTArray: true, formatAsRGBA: false });
  const bgr = new Uint8Array(image.data.length);
  for (let i = 0; i < bgr.length; i += 3) {
    bgr[i] = image.data[i + 2];
    bgr[i + 1] = image.data[i + 1];
    bgr[i + 2] = image.data[i];
  }
  return { bgr, width: image.width, height: image.height };
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name,
    ignore: VIDGEAR_PYTHON.skip,
    async fn() {
      VIDGEAR_PYTHON.require();
      await fn();
    },
  });

test("vidgear_peer.py --self-test: both patterns, bidirectional, JPEG, terminate, bad frames", async () => {
  await using peer = new VidgearPeer(["--self-test"]);
  const run = await peer.done;
  assert.equal(run.code, PEER_EXIT.ok, run.stderr);
  const cases = linesOf(run, "self-test");
  assert.deepEqual(cases.map((line) => line.ok), new Array(7).fill(true), run.stderr);
  const names = cases.map((line) => String(line.case)).join("\n");
  for (
    const topic of [
      "reqrep",
      "bidirectional",
      "JPEG",
      "pubsub",
      "terminate",
      "malformed",
      "bounded",
    ]
  ) {
    assert.match(names, new RegExp(topic), `no self-test case about ${topic}`);
  }
});

test("server, REQ/REP: a TypeScript REP gets vidgear's frames and terminate, and its answers are printed", async () => {
  await using rep = new ZmqSocket("rep");
  await rep.bind("tcp://127.0.0.1:*");
  const port = Number(rep.lastEndpoint!.split(":").at(-1));
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
    '{"note": "hi", "n": [1, 2]}',
  ]);
  const acks = ["Data received on device: ABCD1234 !", "Data received on device: ZZZZ0000 !"];
  for (let index = 0; index < 2; index++) {
    const parts = await rep.receive({ signal: deadline() });
    assert.equal(parts.length, 2, "a frame is [JSON, pixels]");
    const header = parse(parts[0]);
    assert.deepEqual(Object.keys(header), VIDGEAR_FRAME_KEYS);
    assert.deepEqual(header, {
      port,
      terminate_flag: false,
      compression: false,
      message: { note: "hi", n: [1, 2] },
      pattern: "1",
      dtype: "uint8",
      shape: [5, 7, 3],
    });
    assert.deepEqual(new Uint8Array(parts[1]), vidgearFrame(5, 7, 3, port, index));
    await rep.send(encoder.encode(acks[index]), { signal: deadline() });
  }
  const terminate = await rep.receive({ signal: deadline() });
  assert.equal(terminate.length, 1, "vidgear's terminate is one part");
  assert.deepEqual(parse(terminate[0]), { terminate_flag: true, port });
  await rep.send(encoder.encode(VIDGEAR_TERMINATE_ACK), { signal: deadline() });

  const run = await peer.done; // before the REP closes: its last answer must leave first
  assert.equal(run.code, PEER_EXIT.ok, run.stderr);
  assert.deepEqual(linesOf(run, "ack").map((line) => line.text), acks);
  assert.deepEqual(linesOf(run, "terminate-ack").map((line) => line.text), [VIDGEAR_TERMINATE_ACK]);
  const sent = linesOf(run, "sent");
  for (let index = 0; index < 2; index++) {
    assert.equal(sent[index].sha256, await sha256Hex(vidgearFrame(5, 7, 3, port, index)));
  }
});

test("client, REQ/REP bidirectional: TypeScript servers on two ports, raw and JPEG frames", async () => {
  await using peer = new VidgearPeer([
    "client",
    ...PEER_TIMEOUT,
    "--ports",
    "0",
    "0",
    "--bidirectional",
    "--return-data",
    '{"seen": true}',
  ]);
  const ports = (await peer.waitFor("listening", deadline())).ports as number[];
  assert.equal(ports.length, 2);
  await using raw = new ZmqSocket("req");
  await using compressed = new ZmqSocket("req");
  raw.connect(`tcp://127.0.0.1:${ports[0]}`);
  compressed.connect(`tcp://127.0.0.1:${ports[1]}`);

  const rawFrame = vidgearFrame(6, 10, 3, ports[0], 0);
  await raw.send([
    json({
      port: ports[0],
      terminate_flag: false,
      compression: false,
      message: "raw",
      pattern: "1",
      dtype: "uint8",
      shape: [6, 10, 3],
    }),
    rawFrame,
  ], { signal: deadline() });
  const jpegFrame = vidgearFrame(32, 48, 3, ports[1], 0);
  await compressed.send([
    json({
      port: ports[1],
      terminate_flag: false,
      compression: vidgearCompression("BGR"),
      message: null,
      pattern: "1",
      dtype: "",
      shape: "",
    }),
    jpegOfBgr(jpegFrame, 48, 32),
  ], { signal: deadline() });
  for (const req of [raw, compressed]) {
    const reply = await req.receive({ signal: deadline() });
    assert.equal(reply.length, 1);
    assert.deepEqual(parse(reply[0]), { return_type: "dict", data: { seen: true } });
  }
  for (const [req, port] of [[raw, ports[0]], [compressed, ports[1]]] as const) {
    await req.send(json({ terminate_flag: true, port }), { signal: deadline() });
    const answer = await req.receive({ signal: deadline() });
    assert.equal(decoder.decode(answer[0]), VIDGEAR_TERMINATE_ACK);
  }

  const run = await peer.done;
  assert.equal(run.code, PEER_EXIT.ok, run.stderr);
  const frames = linesOf(run, "frame");
  const byPort = (port: number): PeerLine => {
    const found = frames.filter((line) => line.port === port);
    assert.equal(found.length, 1, `one frame from port ${port}`);
    return found[0];
  };
  const rawLine = byPort(ports[0]);
  assert.equal(rawLine.sha256, await sha256Hex(rawFrame));
  assert.deepEqual(rawLine.shape, [6, 10, 3]);
  assert.equal(rawLine.message, "raw");
  assert.equal(rawLine.bytes, rawFrame.length);
  const jpegLine = byPort(ports[1]);
  assert.deepEqual(jpegLine.shape, [32, 48, 3]);
  assert.deepEqual(jpegLine.compression, vidgearCompression("BGR"));
  // Channels in BGR order: swapping them would move each mean by tens.
  assertClose(jpegLine.channel_means as number[], channelMeans(jpegFrame, 3), 4);
  assert.deepEqual(
    linesOf(run, "terminate").map((line) => [line.port, line.parts]).sort(),
    [[ports[0], 1], [ports[1], 1]].sort(),
  );
});

test("client, REQ/REP: answers a 2-D uint16 frame with vidgear's ack string, the same id each time", async () => {
  await using peer = new VidgearPeer(["client", ...PEER_TIMEOUT, "--ports", "0"]);
  const [port] = (await peer.waitFor("listening", deadline())).ports as number[];
  await using req = new ZmqSocket("req");
  req.connect(`tcp://127.0.0.1:${port}`);
  // Little-endian uint16, as numpy on x86 and ARM lays out "uint16".
  const pixels = new Uint16Array([0, 1, 256, 65535, 4660, 7]);
  const bytes = new Uint8Array(pixels.buffer);
  const answers: string[] = [];
  for (let index = 0; index < 2; index++) {
    await req.send([
      json({
        port,
        terminate_flag: false,
        compression: false,
        message: index,
        pattern: "1",
        dtype: "uint16",
        shape: [2, 3],
      }),
      bytes,
    ], { signal: deadline() });
    const answer = await req.receive({ signal: deadline() });
    assert.equal(answer.length, 1, "the ack is one plain string part");
    answers.push(decoder.decode(answer[0]));
  }
  assert.match(answers[0], VIDGEAR_ACK);
  assert.equal(answers[1], answers[0], "one device id per client");
  await req.send(json({ terminate_flag: true, port }), { signal: deadline() });
  assert.equal(
    decoder.decode((await req.receive({ signal: deadline() }))[0]),
    VIDGEAR_TERMINATE_ACK,
  );

  const run = await peer.done;
  assert.equal(run.code, PEER_EXIT.ok, run.stderr);
  const frames = linesOf(run, "frame");
  assert.deepEqual(frames.map((line) => [line.index, line.message, line.dtype]), [
    [0, 0, "uint16"],
    [1, 1, "uint16"],
  ]);
  assert.deepEqual(frames[0].shape, [2, 3]);
  assert.equal(frames[0].sha256, await sha256Hex(bytes));
  assertClose(frames[0].channel_means as number[], [(0 + 1 + 256 + 65535 + 4660 + 7) / 6], 0.001);
});

test("server, PUB/SUB: a TypeScript SUB gets vidgear's JPEG frames, which decode to the pattern", async () => {
  await using sub = new ZmqSocket("sub");
  sub.subscribe();
  await sub.bind("tcp://127.0.0.1:*");
  const port = Number(sub.lastEndpoint!.split(":").at(-1));
  await using peer = new VidgearPeer([
    "server",
    ...PEER_TIMEOUT,
    "--pattern",
    "2",
    "--port",
    String(port),
    "--frames",
    "3",
    "--width",
    "40",
    "--height",
    "24",
    "--jpeg",
    "--seq-message",
    "--wait-subscriber",
    "--hwm",
    "100",
  ]);
  for (let index = 0; index < 3; index++) {
    const parts = await sub.receive({ signal: deadline() });
    assert.equal(parts.length, 2);
    assert.deepEqual(parse(parts[0]), {
      port,
      terminate_flag: false,
      compression: vidgearCompression("BGR"),
      message: { seq: index, port, text: null },
      pattern: "2",
      dtype: "",
      shape: "",
    });
    const { bgr, width, height } = bgrOfJpeg(new Uint8Array(parts[1]));
    assert.deepEqual([height, width], [24, 40]);
    assertClose(channelMeans(bgr, 3), channelMeans(vidgearFrame(24, 40, 3, port, index), 3), 4);
  }
  const terminate = await sub.receive({ signal: deadline() });
  assert.deepEqual(terminate.map(parse), [{ terminate_flag: true, port }]);
  const run = await peer.done;
  assert.equal(run.code, PEER_EXIT.ok, run.stderr);
  assert.equal(linesOf(run, "sent").length, 3);
});

test("client: a frame without its port is a protocol violation (exit 4)", async () => {
  await using peer = new VidgearPeer(["client", ...PEER_TIMEOUT, "--ports", "0"]);
  const [port] = (await peer.waitFor("listening", deadline())).ports as number[];
  await using req = new ZmqSocket("req");
  req.connect(`tcp://127.0.0.1:${port}`);
  await req.send([
    json({
      terminate_flag: false,
      compression: false,
      message: null,
      pattern: "1",
      dtype: "uint8",
      shape: [1, 1, 3],
    }),
    new Uint8Array(3),
  ], { signal: deadline() });
  const run = await peer.done;
  assert.equal(run.code, PEER_EXIT.protocol, run.stderr);
  assert.match(run.stderr, /carry 'port'/);
  assert.deepEqual(linesOf(run, "frame"), []);
});

test("client: with no server it gives up at its deadline (exit 3)", async () => {
  const started = performance.now();
  await using peer = new VidgearPeer([
    "client",
    "--timeout-ms",
    "100",
    "--deadline-ms",
    "300",
    "--ports",
    "0",
  ]);
  const run = await peer.done;
  assert.equal(run.code, PEER_EXIT.timeout, run.stderr);
  assert.match(run.stderr, /timeout/);
  assert.ok(performance.now() - started < 10_000, "bounded by the deadline, not a hang");
});
