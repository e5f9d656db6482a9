import "../../_helpers/preload_native.ts";
/**
 * What NetGear servers put on the wire, read with raw sockets: REQ servers
 * send protocol version 2 (the frame's pixels as a second part, straight
 * from the caller's buffer), PUB servers version 1 (one part), and the
 * client answers each request in its own version.
 */
import assert from "node:assert/strict";
import { NetGear } from "../../../actors/netgear/mod.ts";
import { type Envelope, ProtocolCodec } from "../../../transports/protocol/protocol.ts";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { sha256, testFrame } from "../../_helpers/frames.ts";

const codec = new ProtocolCodec();

function reply(request: Envelope, version: number): Uint8Array {
  return codec.encode({
    version,
    kind: "reply",
    port: request.port,
    seq: request.seq,
    sentAt: Date.now(),
  });
}

Deno.test("a NetGear REQ server sends each frame in two parts (v 2), its pixels untouched", async () => {
  const [port] = freePorts(1);
  await using rep = new ZmqSocket("rep");
  await rep.bind(`tcp://127.0.0.1:${port}`);
  await using server = await NetGear.open({ multiserverMode: true, port, pattern: 1 });
  const frame = testFrame(port, 3, 64, 48);
  const before = await sha256(frame.data);
  const signal = AbortSignal.timeout(10_000);

  const sent = server.send(frame, { message: "pixels apart" });
  const parts = await rep.receive({ signal });
  assert.equal(parts.length, 2, "envelope, then pixels");
  const request = codec.decodeParts(parts);
  assert.equal(request.version, 2);
  assert.equal(request.kind, "frame");
  assert.equal(request.message, "pixels apart");
  assert.equal(parts[1].byteLength, 64 * 48 * 3);
  assert.equal(await sha256(parts[1]), before, "the second part is the frame's bytes");
  assert.ok(parts[0].byteLength < 128, "the first part carries no pixels");
  await rep.send(reply(request, 2), { signal });
  await sent;
  assert.equal(await sha256(frame.data), before, "send() leaves the caller's frame as it was");

  // A heartbeat or goodbye has no frame: one part, still version 2.
  const closing = server.close();
  const goodbye = await rep.receive({ signal });
  assert.equal(goodbye.length, 1);
  const terminate = codec.decodeParts(goodbye);
  assert.deepEqual([terminate.kind, terminate.version], ["terminate", 2]);
  await rep.send(reply(terminate, 2), { signal });
  await closing;
});

Deno.test("a NetGear PUB server sends each frame in one part (v 1)", async () => {
  const [port] = freePorts(1);
  await using sub = new ZmqSocket("sub");
  await sub.bind(`tcp://127.0.0.1:${port}`);
  sub.subscribe();
  await using server = await NetGear.open({ multiserverMode: true, port, pattern: 2 });
  const frame = testFrame(port, 1, 32, 24);
  // Receiving first: the SUB socket sends its subscription only while in use.
  const receiving = sub.receive({ signal: AbortSignal.timeout(10_000) });
  await server.send(frame);
  const parts = await receiving;
  assert.equal(parts.length, 1);
  const envelope = codec.decodeParts(parts);
  assert.equal(envelope.version, 1);
  assert.equal(await sha256(envelope.frame!.data), await sha256(frame.data));
});

for (const version of [1, 2]) {
  Deno.test(`a NetGear client answers a version ${version} request in version ${version}`, async () => {
    const [port] = freePorts(1);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      bidirectionalMode: true,
      port: [port],
      pattern: 1,
    });
    await using req = new ZmqSocket("req");
    req.connect(`tcp://127.0.0.1:${port}`);
    const signal = AbortSignal.timeout(10_000);
    const frame = testFrame(port, 0, 8, 4);
    const request: Envelope = {
      version,
      kind: "frame",
      port,
      seq: 0,
      sentAt: Date.now(),
      frame: { ...frame, format: "bgr24", encoding: "raw" },
    };
    await req.send(codec.encodeParts(request), { signal });
    const got = await client.recv({ returnData: { ok: version }, signal });
    assert.equal(await sha256(got!.frame!.data), await sha256(frame.data));
    const answer = codec.decodeParts(await req.receive({ signal }));
    assert.deepEqual([answer.kind, answer.version, answer.seq, answer.message], [
      "reply",
      version,
      0,
      { ok: version },
    ]);
    // Say goodbye so the client's shutdown does not wait for us.
    await req.send(codec.encode({ ...request, kind: "terminate", seq: 1, frame: undefined }), {
      signal,
    });
    await req.receive({ signal });
  });
}

Deno.test("a NetGear REQ server holds no frame it sent once the reply came", async () => {
  // Each frame is sent from the caller's own buffer (ZeroMQ keeps a reference
  // until the bytes have left): were those references kept, 1500 fresh
  // 900 KB frames would pin 1.4 GB.
  const [port] = freePorts(1);
  await using rep = new ZmqSocket("rep");
  await rep.bind(`tcp://127.0.0.1:${port}`);
  await using server = await NetGear.open({ multiserverMode: true, port, pattern: 1 });
  const frames = 1500;
  const signal = AbortSignal.timeout(60_000);
  const answering = (async () => {
    for (let i = 0; i < frames; i++) {
      const request = codec.decodeParts(await rep.receive({ signal }));
      await rep.send(reply(request, 2), { signal });
    }
  })();
  const rssBefore = Deno.memoryUsage().rss;
  for (let i = 0; i < frames; i++) {
    const data = new Uint8Array(640 * 480 * 3).fill(i & 0xff);
    await server.send({ width: 640, height: 480, channels: 3, format: "bgr24", data });
  }
  await answering;
  const grownMB = (Deno.memoryUsage().rss - rssBefore) / 1e6;
  assert.ok(grownMB < 400, `RSS grew by ${grownMB.toFixed(0)} MB over ${frames} frames`);
  const closing = server.close();
  await rep.send(reply(codec.decodeParts(await rep.receive({ signal })), 2), { signal });
  await closing;
});
