import "../../_helpers/preload_native.ts";
/**
 * NetGear with `wire: "vidgear"` against tests/interop/vidgear_peer.py, a
 * peer speaking vidgear 0.3.5's own NetGear format, through real sockets:
 * Python servers streaming to an ActorGear client and ActorGear servers to
 * a Python client, in both patterns, with messages, bidirectional return
 * data (values and arrays), JPEG both ways, terminate and its answer,
 * device-id acknowledgements; malformed vidgear messages refused and still
 * answered, so a vidgear server never hangs; and what vidgear's format
 * cannot carry refused in the caller's call.
 *
 * Needs /usr/bin/python3 with Debian's python3-zmq, python3-numpy and
 * python3-pil (skipped without them, failed under CI=true).
 */
import assert from "node:assert/strict";
import {
  type Frame,
  NetGear,
  type NetGearClient,
  type NetGearServer,
  type Received,
  SendError,
} from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import {
  linesOf,
  PEER_EXIT,
  type PeerLine,
  sha256Hex,
  VIDGEAR_ACK,
  VIDGEAR_PYTHON,
  VIDGEAR_TERMINATE_ACK,
  vidgearCompression,
  vidgearFrame,
  VidgearPeer,
} from "../../_helpers/vidgear_peer.ts";

/** Bound on each wait of a test; the peer's own waits are shorter (--timeout-ms). */
const deadline = (): AbortSignal => AbortSignal.timeout(20_000);
const PEER_TIMEOUT = ["--timeout-ms", "10000"];

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name,
    ignore: VIDGEAR_PYTHON.skip,
    async fn() {
      VIDGEAR_PYTHON.require();
      await fn();
    },
  });

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

/** A vidgear client's (and the peer's) frame `k` of `port`, as an ActorGear bgr24 or gray frame. */
function peerFrame(height: number, width: number, channels: 1 | 3, port: number, k: number): Frame {
  return {
    width,
    height,
    channels,
    format: channels === 3 ? "bgr24" : "gray",
    data: vidgearFrame(height, width, channels, port, k),
  };
}

/** Every frame the client gives until it ends, each answered (REQ/REP) with `returnData`. */
async function drain(client: NetGearClient, returnData?: unknown): Promise<Received[]> {
  const all: Received[] = [];
  const signal = deadline();
  for (let received; (received = await client.recv({ returnData, signal })) !== null;) {
    all.push(received);
  }
  return all;
}

/** A Python vidgear server connecting to `port`. */
function pythonServer(port: number, pattern: 1 | 2, ...args: string[]): VidgearPeer {
  return new VidgearPeer([
    "server",
    ...PEER_TIMEOUT,
    "--pattern",
    String(pattern),
    "--port",
    String(port),
    // vidgear's PUB keeps one frame (high-water mark 1) and drops the rest
    // of a burst, unseen by any client: these tests are about the format.
    ...(pattern === 2 ? ["--wait-subscriber", "--hwm", "1000"] : []),
    ...args,
  ]);
}

async function finished(peer: VidgearPeer) {
  const run = await peer.done;
  assert.equal(run.code, PEER_EXIT.ok, `peer exited ${run.code}: ${run.stderr}`);
  return run;
}

// ------------------------------------------------------ Python servers -> ActorGear client

for (const pattern of [1, 2] as const) {
  const name = pattern === 1 ? "REQ/REP" : "PUB/SUB";
  test(`vidgear ${name}: two Python servers stream raw bgr24 and gray frames with messages to an ActorGear client`, async () => {
    const ports = freePorts(2);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: ports,
      pattern,
      wire: "vidgear",
      signal: deadline(),
    });
    await using color = pythonServer(
      ports[0],
      pattern,
      "--frames",
      "4",
      "--width",
      "16",
      "--height",
      "12",
      "--seq-message",
      "--message",
      "cam",
    );
    await using gray = pythonServer(
      ports[1],
      pattern,
      "--frames",
      "3",
      "--width",
      "9",
      "--height",
      "7",
      "--channels",
      "1",
      "--message",
      '{"room": "hall"}',
    );
    const received = await drain(client);
    const colorRun = await finished(color);
    const grayRun = await finished(gray);

    const of = (port: number) => received.filter((r) => r.port === port);
    assert.equal(of(ports[0]).length, 4);
    assert.equal(of(ports[1]).length, 3);
    for (const [k, r] of of(ports[0]).entries()) {
      assert.equal(r.seq, k, "frames are numbered on arrival, per port");
      assert.deepEqual(r.message, { seq: k, port: ports[0], text: "cam" });
      assert.deepEqual(
        [r.frame?.width, r.frame?.height, r.frame?.channels, r.frame?.format],
        [16, 12, 3, "bgr24"],
      );
      assert.deepEqual(r.frame!.data, vidgearFrame(12, 16, 3, ports[0], k));
    }
    for (const [k, r] of of(ports[1]).entries()) {
      assert.deepEqual(r.message, { room: "hall" });
      assert.equal(r.frame?.format, "gray");
      assert.deepEqual(r.frame!.data, vidgearFrame(7, 9, 1, ports[1], k));
    }
    assert.equal(client.shutdownReason, "all-gone", "both terminates ended the client");
    if (pattern === 1) {
      const acks = [...linesOf(colorRun, "ack"), ...linesOf(grayRun, "ack")].map((l) => l.text);
      assert.equal(acks.length, 7);
      for (const text of acks) assert.match(String(text), VIDGEAR_ACK);
      assert.equal(new Set(acks).size, 1, "one device id per client run");
      for (const run of [colorRun, grayRun]) {
        assert.deepEqual(linesOf(run, "terminate-ack").map((l) => l.text), [
          VIDGEAR_TERMINATE_ACK,
        ]);
      }
    }
  });

  test(`vidgear ${name}: a Python server's JPEG frames (BGR and GRAY) are decoded by an ActorGear client`, async () => {
    const ports = freePorts(2);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: ports,
      pattern,
      wire: "vidgear",
      signal: deadline(),
    });
    await using bgr = pythonServer(
      ports[0],
      pattern,
      "--jpeg",
      "--frames",
      "2",
      "--width",
      "64",
      "--height",
      "48",
    );
    await using gray = pythonServer(
      ports[1],
      pattern,
      "--jpeg",
      "--colorspace",
      "GRAY",
      "--channels",
      "1",
      "--frames",
      "2",
      "--width",
      "40",
      "--height",
      "30",
    );
    const received = await drain(client);
    await finished(bgr);
    await finished(gray);
    assert.equal(received.length, 4);
    for (const r of received) {
      const k = received.filter((o) => o.port === r.port).indexOf(r);
      assert.ok(r.jpeg !== undefined && r.jpeg[0] === 0xff, "the JPEG bytes are kept");
      if (r.port === ports[0]) {
        assert.deepEqual([r.frame?.width, r.frame?.height, r.frame?.format], [64, 48, "bgr24"]);
        // BGR order kept: swapping channels would move each mean by tens.
        assertClose(
          channelMeans(r.frame!.data, 3),
          channelMeans(vidgearFrame(48, 64, 3, ports[0], k), 3),
          4,
        );
      } else {
        assert.deepEqual([r.frame?.width, r.frame?.height, r.frame?.format], [40, 30, "gray"]);
        assertClose(
          channelMeans(r.frame!.data, 1),
          channelMeans(vidgearFrame(30, 40, 1, ports[1], k), 1),
          4,
        );
      }
    }
  });
}

for (
  const [what, returnData] of [
    ["data", { seen: true, list: [1, 2.5, "x"], none: null }],
    ["a frame", peerFrame(6, 8, 3, 0, 0)],
  ] as const
) {
  test(`vidgear REQ/REP bidirectional: an ActorGear client returns ${what} to Python servers`, async () => {
    const ports = freePorts(2);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: ports,
      pattern: 1,
      bidirectionalMode: true,
      wire: "vidgear",
      signal: deadline(),
    });
    const peers = ports.map((port) =>
      pythonServer(port, 1, "--bidirectional", "--frames", "2", "--message", '{"q": 1}')
    );
    try {
      const received = await drain(client, returnData);
      assert.equal(received.length, 4);
      for (const r of received) assert.deepEqual(r.message, { q: 1 });
      for (const peer of peers) {
        const run = await finished(peer);
        const replies = linesOf(run, "reply");
        assert.equal(replies.length, 2);
        for (const reply of replies) {
          if (what === "data") {
            assert.deepEqual([reply.return_type, reply.data], ["dict", returnData]);
          } else {
            assert.deepEqual([reply.return_type, reply.shape, reply.dtype], [
              "ndarray",
              [6, 8, 3],
              "uint8",
            ]);
            assert.equal(reply.sha256, await sha256Hex(vidgearFrame(6, 8, 3, 0, 0)));
          }
        }
        assert.deepEqual(linesOf(run, "terminate-ack").map((l) => l.text), [
          VIDGEAR_TERMINATE_ACK,
        ]);
      }
    } finally {
      for (const peer of peers) await peer[Symbol.asyncDispose]();
    }
  });
}

// ------------------------------------------------------ ActorGear servers -> Python client

/** A Python vidgear client bound on `count` free ports; resolves once it listens. */
async function pythonClient(
  count: number,
  pattern: 1 | 2,
  ...args: string[]
): Promise<{ peer: VidgearPeer; ports: number[] }> {
  const peer = new VidgearPeer([
    "client",
    ...PEER_TIMEOUT,
    "--pattern",
    String(pattern),
    "--ports",
    ...new Array(count).fill("0"),
    ...args,
  ]);
  const ports = (await peer.waitFor("listening", deadline())).ports as number[];
  return { peer, ports };
}

function framesOf(lines: readonly PeerLine[], port: number): PeerLine[] {
  return lines.filter((line) => line.kind === "frame" && line.port === port);
}

for (const pattern of [1, 2] as const) {
  const name = pattern === 1 ? "REQ/REP" : "PUB/SUB";
  test(`vidgear ${name}: two ActorGear servers stream raw frames with messages to a Python client, then terminate`, async () => {
    const { peer, ports } = await pythonClient(2, pattern);
    await using _peer = peer;
    const servers: NetGearServer[] = await Promise.all(
      ports.map((port) =>
        NetGear.open({ multiserverMode: true, port, pattern, wire: "vidgear", signal: deadline() })
      ),
    );
    const replies = await Promise.all(servers.map(async (server, i) => {
      const port = ports[i];
      const out: unknown[] = [];
      for (let k = 0; k < 3; k++) {
        const frame = i === 0 ? peerFrame(12, 16, 3, port, k) : peerFrame(7, 9, 1, port, k);
        out.push(await server.send(frame, { message: { k, from: "actorgear", port } }));
      }
      await server.close();
      return out;
    }));
    const run = await finished(peer);
    for (const reply of replies) assert.deepEqual(reply, [undefined, undefined, undefined]);
    for (const [i, port] of ports.entries()) {
      const frames = framesOf(run.lines, port);
      assert.equal(frames.length, 3, `port ${port}: ${run.stderr}`);
      for (const [k, line] of frames.entries()) {
        const [h, w, c] = i === 0 ? [12, 16, 3] : [7, 9, 1];
        assert.deepEqual(line.shape, c === 3 ? [h, w, 3] : [h, w], "gray goes as [h, w]");
        assert.equal(line.dtype, "uint8");
        assert.equal(line.pattern, String(pattern));
        assert.equal(line.compression, false);
        assert.deepEqual(line.message, { k, from: "actorgear", port });
        assert.equal(line.sha256, await sha256Hex(vidgearFrame(h, w, c, port, k)));
        assert.deepEqual(line.extra_keys, []);
      }
    }
    assert.deepEqual(
      linesOf(run, "terminate").map((line) => [line.port, line.parts, line.keys]).sort(),
      ports.map((port) => [port, 1, ["port", "terminate_flag"]]).sort(),
    );
    for (const server of servers) {
      const stats = server.stats();
      assert.equal(stats.sent, 3);
      assert.equal(stats.heartbeats, 0, "vidgear has no heartbeats");
    }
  });

  test(`vidgear ${name}: an ActorGear server's JPEG frames carry vidgear's compression flags`, async () => {
    const { peer, ports } = await pythonClient(2, pattern);
    await using _peer = peer;
    const [bgr, gray] = await Promise.all([
      NetGear.open({
        multiserverMode: true,
        port: ports[0],
        pattern,
        wire: "vidgear",
        jpegCompression: true,
        jpegCompressionFastupsample: true,
        signal: deadline(),
      }),
      NetGear.open({
        multiserverMode: true,
        port: ports[1],
        pattern,
        wire: "vidgear",
        jpegCompression: "GRAY",
        jpegCompressionFastdct: false,
        signal: deadline(),
      }),
    ]);
    for (let k = 0; k < 2; k++) {
      await bgr.send(peerFrame(48, 64, 3, ports[0], k));
      await gray.send(peerFrame(30, 40, 1, ports[1], k));
    }
    await bgr.close();
    await gray.close();
    const run = await finished(peer);
    const bgrFrames = framesOf(run.lines, ports[0]);
    const grayFrames = framesOf(run.lines, ports[1]);
    assert.equal(bgrFrames.length, 2);
    assert.equal(grayFrames.length, 2);
    for (const [k, line] of bgrFrames.entries()) {
      assert.deepEqual(line.compression, { dct: true, ups: true, colorspace: "BGR" });
      assert.deepEqual(line.shape, [48, 64, 3]);
      assertClose(
        line.channel_means as number[],
        channelMeans(vidgearFrame(48, 64, 3, ports[0], k), 3),
        4,
      );
    }
    for (const [k, line] of grayFrames.entries()) {
      assert.deepEqual(line.compression, { ...vidgearCompression("GRAY"), dct: false });
      assert.deepEqual(line.shape, [30, 40]);
      assertClose(
        line.channel_means as number[],
        channelMeans(vidgearFrame(30, 40, 1, ports[1], k), 1),
        4,
      );
    }
  });
}

test("vidgear REQ/REP bidirectional: an ActorGear server gets a Python client's return data", async () => {
  const { peer, ports } = await pythonClient(
    1,
    1,
    "--bidirectional",
    "--return-data",
    '{"ok": [1, 2.5, "three", null]}',
  );
  await using _peer = peer;
  await using server = await NetGear.open({
    multiserverMode: true,
    port: ports[0],
    pattern: 1,
    bidirectionalMode: true,
    wire: "vidgear",
    signal: deadline(),
  });
  for (let k = 0; k < 2; k++) {
    const reply = await server.send(peerFrame(4, 5, 3, ports[0], k), { message: k });
    assert.deepEqual(reply, { ok: [1, 2.5, "three", null] });
  }
  await server.close();
  const run = await finished(peer);
  assert.deepEqual(framesOf(run.lines, ports[0]).map((l) => l.message), [0, 1]);
});

test("vidgear REQ/REP bidirectional: an ActorGear server gets a Python client's returned arrays as frames", async () => {
  const { peer, ports } = await pythonClient(
    1,
    1,
    "--bidirectional",
    "--return-array",
    "10x12x3",
  );
  await using _peer = peer;
  await using server = await NetGear.open({
    multiserverMode: true,
    port: ports[0],
    pattern: 1,
    bidirectionalMode: true,
    wire: "vidgear",
    signal: deadline(),
  });
  for (let k = 0; k < 2; k++) {
    const reply = await server.send(peerFrame(4, 5, 3, ports[0], k)) as Frame;
    assert.deepEqual(
      [reply.width, reply.height, reply.channels, reply.format],
      [12, 10, 3, "bgr24"],
    );
    assert.deepEqual(reply.data, vidgearFrame(10, 12, 3, 0, k));
  }
  await server.close();
  await finished(peer);
});

test("vidgear REQ/REP bidirectional: a Python client's JPEG-compressed arrays are decoded", async () => {
  const { peer, ports } = await pythonClient(
    1,
    1,
    "--bidirectional",
    "--return-array",
    "32x48x3",
    "--jpeg",
  );
  await using _peer = peer;
  await using server = await NetGear.open({
    multiserverMode: true,
    port: ports[0],
    pattern: 1,
    bidirectionalMode: true,
    wire: "vidgear",
    signal: deadline(),
  });
  const reply = await server.send(peerFrame(4, 5, 3, ports[0], 0)) as Frame;
  assert.deepEqual([reply.width, reply.height, reply.format], [48, 32, "bgr24"]);
  assertClose(channelMeans(reply.data, 3), channelMeans(vidgearFrame(32, 48, 3, 0, 0), 3), 4);
  await server.close();
  await finished(peer);
});

// ------------------------------------------------------ refusals

for (const bidirectional of [false, true]) {
  test(`vidgear REQ/REP${bidirectional ? " bidirectional" : ""}: malformed Python frames are refused, counted and answered, so the server never hangs`, async () => {
    const corruptions = ["short-data", "no-port", "bad-json", "one-part", "wrong-pattern"];
    const ports = freePorts(corruptions.length);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: ports,
      pattern: 1,
      bidirectionalMode: bidirectional,
      wire: "vidgear",
      signal: deadline(),
    });
    const peers = corruptions.map((corrupt, i) =>
      pythonServer(
        ports[i],
        1,
        "--corrupt",
        corrupt,
        "--frames",
        "2",
        ...(bidirectional ? ["--bidirectional"] : []),
      )
    );
    try {
      const refusals = new Map<string, string[]>();
      for (const [i, peer] of peers.entries()) {
        const run = await peer.done;
        // The peer waits for an answer to each frame: it got one, at once.
        assert.equal(run.code, PEER_EXIT.ok, `${corruptions[i]}: ${run.stderr}`);
        const answers = bidirectional ? linesOf(run, "reply") : linesOf(run, "ack");
        assert.equal(answers.length, 2, corruptions[i]);
        refusals.set(
          corruptions[i],
          answers.map((a) =>
            bidirectional ? JSON.stringify([a.return_type, a.data]) : a.text
          ) as string[],
        );
      }
      for (const [corrupt, answers] of refusals) {
        for (const answer of answers) {
          if (bidirectional) assert.equal(answer, '["NoneType",null]', corrupt);
          else assert.match(answer, /^ActorGear client refused the message \([a-z-]+\): /, corrupt);
        }
      }
      const stats = await client.stats();
      const rejected = Object.fromEntries(stats.map((s) => [s.port, s.rejected]));
      assert.deepEqual(rejected[ports[0]], { "frame-size-mismatch": 2 });
      assert.deepEqual(rejected[ports[1]], { "missing-field": 2 });
      assert.deepEqual(rejected[ports[2]], { "malformed-cbor": 2 });
      assert.deepEqual(rejected[ports[3]], { "missing-field": 2 });
      assert.deepEqual(rejected[ports[4]], { "bad-field": 2 });
      for (const s of stats) assert.equal(s.frames, 0, "nothing refused was delivered");
    } finally {
      for (const peer of peers) await peer[Symbol.asyncDispose]();
    }
  });
}

test("vidgear PUB/SUB: frames ActorGear cannot hold (float32, 4 channels) are refused and counted", async () => {
  const ports = freePorts(2);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
    pattern: 2,
    wire: "vidgear",
    signal: deadline(),
  });
  await using floats = pythonServer(ports[0], 2, "--dtype", "float32", "--frames", "2");
  await using bgra = pythonServer(ports[1], 2, "--channels", "4", "--frames", "2");
  await finished(floats);
  await finished(bgra);
  const deadlineAt = Date.now() + 10_000;
  let rejected: Record<number, Record<string, number>> = {};
  while (Date.now() < deadlineAt) {
    rejected = Object.fromEntries((await client.stats()).map((s) => [s.port, s.rejected]));
    if (rejected[ports[0]]?.["bad-field"] === 2 && rejected[ports[1]]?.["bad-field"] === 2) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.deepEqual(rejected[ports[0]], { "bad-field": 2 });
  assert.deepEqual(rejected[ports[1]], { "bad-field": 2 });
});

test("vidgear: what vidgear's format cannot carry is refused in send()'s call", async () => {
  const { peer, ports } = await pythonClient(1, 1);
  await using _peer = peer;
  await using server = await NetGear.open({
    multiserverMode: true,
    port: ports[0],
    pattern: 1,
    wire: "vidgear",
    signal: deadline(),
  });
  await assert.rejects(
    server.send(undefined, { message: "data alone" }),
    (error) => error instanceof TypeError && /no data without a frame/.test(error.message),
  );
  const rgb: Frame = { width: 2, height: 1, channels: 3, format: "rgb24", data: new Uint8Array(6) };
  await assert.rejects(
    server.send(rgb),
    (error) => error instanceof TypeError && /rgb24.*bgr24/.test(error.message),
  );
  const frame = peerFrame(2, 2, 3, ports[0], 0);
  for (const message of [new Map([["a", 1]]), 10n, { when: new Date(0) }, new Uint8Array(2)]) {
    await assert.rejects(
      server.send(frame, { message }),
      (error) =>
        error instanceof TypeError &&
        /vidgear's wire format: "options\.message/.test(error.message),
      String(message),
    );
  }
  // Nothing invalid reached the wire: the client sees only the good frame.
  await server.send(frame, { message: "fine" });
  await server.close();
  const run = await finished(peer);
  assert.deepEqual(linesOf(run, "frame").map((l) => l.message), ["fine"]);
});

test("vidgear: a vidgear-wire server meeting a CBOR client fails with a SendError saying so", async () => {
  const [port] = freePorts(1);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
    pattern: 1,
    signal: deadline(),
  });
  await using server = await NetGear.open({
    multiserverMode: true,
    port,
    pattern: 1,
    wire: "vidgear",
    requestTimeout: 2000,
    maxRetries: 0,
    signal: deadline(),
  });
  await assert.rejects(
    server.send(peerFrame(2, 2, 3, port, 0)),
    (error) => error instanceof SendError && /vidgear/.test(error.message),
  );
  const [stats] = await client.stats();
  assert.ok(Object.keys(stats.rejected).length > 0, "the CBOR client refused the JSON");
});
