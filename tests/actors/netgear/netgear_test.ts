import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { NetGear, type NetGearServer } from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { sha256, testFrame } from "../../_helpers/frames.ts";

const FRAMES = 20;

async function streamAll(
  server: NetGearServer,
  port: number,
  count: number,
  paceMs = 0,
): Promise<unknown[]> {
  const replies: unknown[] = [];
  for (let n = 0; n < count; n++) {
    replies.push(await server.send(testFrame(port, n), { message: `s-${port}-${n}` }));
    if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
  }
  await server.close();
  return replies;
}

for (const servers of [2, 3, 8]) {
  Deno.test(`NetGear REQ/REP with ${servers} servers attributes every frame to its port and loses none`, async () => {
    const ports = freePorts(servers);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: ports,
      pattern: 1,
    });
    const opened = await Promise.all(
      ports.map((port) => NetGear.open({ multiserverMode: true, port, pattern: 1 })),
    );
    const sending = Promise.all(opened.map((server, i) => streamAll(server, ports[i], FRAMES)));

    const received = new Map<number, string[]>(ports.map((p) => [p, []]));
    const hashes = new Map<number, string[]>(ports.map((p) => [p, []]));
    for await (const { port, frame, message, seq } of client) {
      assert.ok(frame, "every message carries a frame");
      assert.equal(message, `s-${port}-${seq}`, "message and frame number belong to the port");
      received.get(port)!.push(message as string);
      hashes.get(port)!.push(await sha256(frame.data));
    }
    await sending;

    for (const port of ports) {
      const expected = Array.from({ length: FRAMES }, (_, n) => `s-${port}-${n}`);
      assert.deepEqual(received.get(port), expected, `port ${port} got every frame once, in order`);
      const expectedHashes = await Promise.all(
        expected.map((_, n) => sha256(testFrame(port, n).data)),
      );
      assert.deepEqual(hashes.get(port), expectedHashes, `port ${port} frames arrive intact`);
    }
    assert.equal(client.shutdownReason, "all-gone");
    assert.deepEqual(client.servers().map((s) => s.state), ports.map(() => "gone"));
  });

  Deno.test(`NetGear PUB/SUB with ${servers} servers attributes frames to ports once subscribed`, async () => {
    const ports = freePorts(servers);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: ports,
      pattern: 2,
    });
    const opened = await Promise.all(
      ports.map((port) => NetGear.open({ multiserverMode: true, port, pattern: 2 })),
    );
    // A PUB server waits for the client's subscription before its first
    // frame goes out, so nothing is lost to ZeroMQ's slow-joiner drop. Each
    // server then sends its next frame once the client has the previous one
    // (PUB/SUB itself may drop under load; this test is about attribution
    // and the first frame, not about load).
    const arrived = new Map<number, () => void>();
    const sending = Promise.all(opened.map(async (server, i) => {
      const port = ports[i];
      for (let n = 0; n < FRAMES; n++) {
        const next = new Promise<void>((resolve) => arrived.set(port, resolve));
        await server.send(testFrame(port, n), { message: `s-${port}-${n}` });
        // Bounded: a lost frame fails the assertions below instead of hanging.
        let timer!: ReturnType<typeof setTimeout>;
        await Promise.race([next, new Promise((resolve) => timer = setTimeout(resolve, 5000))]);
        clearTimeout(timer);
      }
      await server.close();
    }));
    const received = new Map<number, number[]>(ports.map((p) => [p, []]));
    for await (const { port, frame, message, seq } of client) {
      arrived.get(port)?.();
      const [tag, from, n] = String(message).split("-");
      assert.equal(`${tag}-${from}`, `s-${port}`, "the message belongs to the port");
      assert.equal(await sha256(frame!.data), await sha256(testFrame(port, +n).data));
      received.get(port)!.push(+n);
      assert.equal(seq, +n, "frame numbers are the server's own");
    }
    await sending;
    for (const port of ports) {
      const seqs = received.get(port)!;
      assert.deepEqual(
        seqs,
        Array.from({ length: FRAMES }, (_, n) => n),
        "every frame, in order, the first included (no slow-joiner loss)",
      );
    }
  });
}

Deno.test("NetGear bidirectional mode returns each server exactly the data given with its frames", async () => {
  const ports = freePorts(3);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    bidirectionalMode: true,
    port: ports,
  });
  const sending = Promise.all(ports.map(async (port) => {
    const server = await NetGear.open({ multiserverMode: true, bidirectionalMode: true, port });
    return await streamAll(server, port, FRAMES);
  }));
  // The data given to recv() goes back with the frame that call returns.
  const returned = new Map<string, unknown>();
  for (let k = 0;; k++) {
    const returnData = { k, samples: new Float32Array([k, k / 2]) };
    const data = await client.recv({ returnData });
    if (data === null) break;
    returned.set(`${data.port}/${data.seq}`, returnData);
  }
  const replies = await sending;
  for (const [i, port] of ports.entries()) {
    const expected = Array.from({ length: FRAMES }, (_, n) => returned.get(`${port}/${n}`));
    assert.equal(replies[i].length, FRAMES);
    assert.deepEqual(replies[i], expected, `port ${port} got back the data for its own frames`);
    const first = replies[i][0] as { samples: Float32Array };
    assert.ok(first.samples instanceof Float32Array, "typed arrays survive the round trip");
  }
});

Deno.test("an idle NetGear client with four silent servers uses almost no CPU", async () => {
  const { cpuUsage } = await import("node:process");
  const ports = freePorts(4);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
  });
  const servers = await Promise.all(
    ports.map((port) => NetGear.open({ multiserverMode: true, port })),
  );
  // Each server says hello once, then stays connected and silent but for heartbeats.
  const hellos = Promise.all(servers.map((server) => server.send(undefined, { message: "hello" })));
  for (let i = 0; i < 4; i++) await client.recv();
  await hellos;
  const before = cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const used = cpuUsage(before);
  const share = (used.user + used.system) / 1000 / (performance.now() - started);
  // About 2% here; a busy-waiting loop would take a whole core. The margin
  // is wide so a loaded machine cannot fail it (the bench measures the figure).
  assert.ok(share < 0.25, `idle client and servers used ${(share * 100).toFixed(2)}% of a core`);
  await Promise.all(servers.map((server) => server.close()));
  assert.equal(await client.recv(), null);
});

Deno.test("a PUB/SUB server that outruns a slow client reuses no frame buffer ZeroMQ still holds", async () => {
  // The publisher encodes frames into a small ring of buffers that ZeroMQ
  // sends zero-copy. Were a buffer rewritten while still queued or being
  // written out, the client would get a frame twice, out of order, or torn.
  // (The client itself drops the oldest frames a slow reader leaves behind:
  // live video, newest wins; those gaps are counted, not checked here.)
  const [port] = freePorts(1);
  // Enough frames, and a reader slow enough to drop most yet quick enough to
  // check a dozen or so: with 80 frames and a 10 ms pause a fast machine
  // delivered 7 now and then (on main too), under the floor below.
  const count = 100;
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
    pattern: 2,
  });
  const server = await NetGear.open({ multiserverMode: true, port, pattern: 2 });
  const expected = Array.from({ length: count }, (_, n) => testFrame(port, n, 640, 480));
  const frame = testFrame(port, 0, 640, 480);
  const sending = (async () => {
    for (let n = 0; n < count; n++) {
      // One frame object, rewritten as soon as send() resolves: the server
      // must have taken its own copy by then.
      frame.data.set(expected[n].data);
      await server.send(frame, { message: n });
    }
  })();
  const seqs: number[] = [];
  for await (const delivery of client) {
    const { seq } = delivery;
    assert.equal(delivery.message, seq, "the data sent with the frame belongs to its envelope");
    assert.equal(
      await sha256(delivery.frame!.data),
      await sha256(expected[seq].data),
      `frame ${seq} intact`,
    );
    assert.ok(
      seqs.length === 0 || seq > seqs.at(-1)!,
      `frame ${seq} after ${seqs.at(-1)}: no repeats`,
    );
    seqs.push(seq);
    if (seq === count - 1) break;
    // Slow, so the publisher meets a full queue again and again.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await sending;
  await server.close();
  assert.equal(seqs.at(-1), count - 1, "the last frame arrived");
  assert.ok(seqs.length >= 8, `${seqs.length} frames delivered`);
});
