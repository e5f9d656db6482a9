import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { NetGear } from "../../../actors/netgear/mod.ts";
import type { Frame } from "../../../capture/frame.ts";
import { ProtocolCodec } from "../../../transports/protocol/protocol.ts";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";
import { freePorts } from "../../_helpers/ports.ts";

/** A smooth, camera-like gradient with some texture. */
function gradient(width: number, height: number, shift: number): Frame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 3) {
      data[i] = (x + shift) & 0xff;
      data[i + 1] = (y * 2) & 0xff;
      data[i + 2] = ((x + y) >> 1) & 0xff;
    }
  }
  return { width, height, channels: 3, data, format: "bgr24" };
}

function meanAbsoluteError(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

Deno.test("NetGear JPEG compression: servers send JPEG, the client hands out close frames", async () => {
  const ports = freePorts(2);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
  });
  const sending = ports.map(async (port, i) => {
    const server = await NetGear.open({
      multiserverMode: true,
      port,
      jpegCompression: true,
      jpegCompressionQuality: 90,
    });
    for (let n = 0; n < 5; n++) await server.send(gradient(320, 240, n + i * 10), { message: n });
    await server.close();
  });
  let count = 0;
  for await (const { port, frame, jpeg, message } of client) {
    const i = ports.indexOf(port);
    assert.ok(jpeg && jpeg[0] === 0xff && jpeg[1] === 0xd8, "the compressed bytes are kept");
    assert.ok(jpeg.byteLength * 5 < 320 * 240 * 3, `compressed ${jpeg.byteLength} bytes`);
    assert.equal(frame?.width, 320);
    assert.equal(frame?.format, "bgr24");
    const original = gradient(320, 240, (message as number) + i * 10);
    const error = meanAbsoluteError(frame!.data, original.data);
    assert.ok(error < 3, `mean absolute error ${error.toFixed(2)} at quality 90`);
    count++;
  }
  await Promise.all(sending);
  assert.equal(count, 10);
});

Deno.test("NetGear client with jpegDecode: false hands out the JPEG bytes undecoded", async () => {
  const [port] = freePorts(1);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
    jpegDecode: false,
  });
  const server = await NetGear.open({ multiserverMode: true, port, jpegCompression: "GRAY" });
  const gray: Frame = {
    width: 64,
    height: 48,
    channels: 1,
    data: new Uint8Array(64 * 48).fill(90),
  };
  const sent = server.send(gray);
  const received = await client.recv();
  await sent;
  await server.close();
  assert.equal(received?.frame, undefined);
  assert.ok(received?.jpeg && received.jpeg[0] === 0xff);
});

Deno.test("NetGear client refuses a malformed JPEG frame with an error reply and carries on", async () => {
  const ports = freePorts(2);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
  });
  const codec = new ProtocolCodec();
  await using bad = new ZmqSocket("req");
  bad.connect(`tcp://127.0.0.1:${ports[0]}`);
  const broken = new Uint8Array(500).fill(7);
  broken.set([0xff, 0xd8, 0xff, 0xe0]);
  await bad.send(codec.encode({
    version: 1,
    kind: "frame",
    port: ports[0],
    seq: 0,
    sentAt: Date.now(),
    frame: { width: 32, height: 32, channels: 3, format: "bgr24", encoding: "jpeg", data: broken },
  }));
  const [reply] = await bad.receive({ signal: AbortSignal.timeout(5000) });
  const decoded = codec.decode(reply);
  assert.equal(decoded.kind, "reply");
  assert.equal(decoded.error?.code, "bad-jpeg");

  const good = await NetGear.open({ multiserverMode: true, port: ports[1], jpegCompression: true });
  const sent = good.send(gradient(64, 48, 0), { message: "still here" });
  const received = await client.recv();
  await sent;
  assert.equal(received?.message, "still here");
  const stats = await client.stats();
  assert.deepEqual(stats.find((s) => s.port === ports[0])?.rejected, { "bad-jpeg": 1 });
  await good.close();
});

Deno.test("NetGear.open refuses bad JPEG options by name", async () => {
  await assert.rejects(
    NetGear.open({ multiserverMode: true, port: 5566, jpegCompression: "CMYK" }),
    /option "jpegCompression" is "CMYK"; expected true, false or a colourspace \(BGR, RGB, RGBA, GRAY, RGBX, BGRX, XBGR, XRGB, BGRA, ABGR, ARGB\); not CMYK, which no pixel format can hold/,
  );
  await assert.rejects(
    NetGear.open({ multiserverMode: true, port: 5566, jpegCompressionQuality: 5 }),
    /option "jpegCompressionQuality" is 5; expected an integer from 10 to 100/,
  );
});

Deno.test("NetGear JPEG compression takes vidgear's 4-byte colourspaces: BGRA frames arrive as bgr24", async () => {
  const [port] = freePorts(1);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
  });
  await using server = await NetGear.open({
    multiserverMode: true,
    port,
    jpegCompression: "bgra",
    jpegCompressionQuality: 95,
  });
  const [width, height] = [32, 16];
  const data = new Uint8Array(width * height * 4);
  // B 20, G 140, R 230, alpha 99 (a JPEG keeps no alpha).
  for (let i = 0; i < data.length; i += 4) data.set([20, 140, 230, 99], i);
  // No format: the frame is in the layout jpegCompression names.
  const sent = server.send({ width, height, channels: 4, data });
  const received = await client.recv();
  await sent;
  const frame = received?.frame;
  assert.ok(frame !== undefined);
  assert.equal(frame.format, "bgr24");
  assert.equal(frame.channels, 3);
  assert.equal(frame.width, width);
  for (const [i, want] of [[0, 20], [1, 140], [2, 230]]) {
    assert.ok(Math.abs(frame.data[i] - want) <= 4, `channel ${i}: ${frame.data[i]}, want ${want}`);
  }
  // A frame with its own format is sent as that format, as always.
  const rgb = new Uint8Array(width * height * 3).fill(128);
  const again = server.send({ width, height, channels: 3, format: "rgb24", data: rgb });
  assert.equal((await client.recv())?.frame?.format, "rgb24");
  await again;
  await assert.rejects(
    server.send({ width, height, channels: 3, data: rgb }),
    /frame.channels is 3; valid: 4 for layout "BGRA" \(option jpegCompression\), or a frame.format/,
  );
});

Deno.test("NetGear client refuses a JPEG that claims more pixels than maxMessageSize, before decoding it", async () => {
  const [port] = freePorts(1);
  const maxMessageSize = 64 * 1024;
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
    pattern: 1,
    maxMessageSize,
  });
  const { JpegCodec } = await import("../../../transports/codecs/jpeg.ts");
  using jpeg = new JpegCodec();
  const small = jpeg.encode(gradient(16, 16, 0));
  const codec = new ProtocolCodec();
  await using peer = new ZmqSocket("req");
  peer.connect(`tcp://127.0.0.1:${port}`);
  const frame = (width: number, height: number, seq: number) =>
    codec.encode({
      version: 1,
      kind: "frame",
      port,
      seq,
      sentAt: Date.now(),
      frame: { width, height, channels: 3, format: "bgr24", encoding: "jpeg", data: small },
    });
  // 4000x4000x3 is 48 MB decoded, from a few hundred bytes on the wire.
  await peer.send(frame(4000, 4000, 0));
  const refused = codec.decode((await peer.receive({ signal: AbortSignal.timeout(5000) }))[0]);
  assert.equal(refused.error?.code, "oversized");
  assert.match(refused.error?.message ?? "", /48000000 bytes, more than option "maxMessageSize"/);
  // The same port goes on decoding honest JPEG frames.
  await peer.send(frame(16, 16, 1));
  const got = await client.recv({ signal: AbortSignal.timeout(5000) });
  assert.equal(got?.frame?.width, 16);
  assert.equal(got?.frame?.data.length, 16 * 16 * 3);
});
