import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { NetGear } from "../../../actors/netgear/mod.ts";
import type { Received } from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { sha256, testFrame } from "../../_helpers/frames.ts";

Deno.test("release() gives a received frame's bytes back and touches nothing else", async () => {
  const [port] = freePorts(1);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
    pattern: 1,
  });
  const sending = (async () => {
    await using server = await NetGear.open({ multiserverMode: true, port, pattern: 1 });
    for (let n = 0; n < 4; n++) {
      await server.send(testFrame(port, n), { message: { n, bytes: new Uint8Array(300).fill(n) } });
    }
  })();

  const take = async (n: number): Promise<Received> => {
    const received = await client.recv();
    assert.ok(received?.frame, `frame ${n} arrives`);
    assert.equal(received.seq, n);
    assert.equal(await sha256(received.frame.data), await sha256(testFrame(port, n).data));
    return received;
  };

  // Released: the frame's bytes are gone, its message and fields stay.
  const first = await take(0);
  const view = first.frame!.data.subarray(10, 20);
  assert.equal(client.release(first), true);
  assert.equal(first.frame!.data.byteLength, 0, "the frame's bytes are detached");
  assert.equal(view.byteLength, 0, "and so is every view of them");
  const message = first.message as { n: number; bytes: Uint8Array };
  assert.equal(message.n, 0);
  assert.deepEqual(message.bytes, new Uint8Array(300).fill(0), "the message is untouched");
  assert.equal(first.frame!.width, testFrame(port, 0).width);
  assert.equal(client.release(first), false, "a frame is released once");

  // While a listener may keep frames, nothing is released.
  const stop = client.onFrame(() => {});
  const second = await take(1);
  assert.equal(client.release(second), false);
  assert.equal(await sha256(second.frame!.data), await sha256(testFrame(port, 1).data));
  stop();

  // Later frames arrive intact after a release, and release again.
  const third = await take(2);
  assert.equal(client.release(third), true);
  await take(3);
  await sending;
});

Deno.test("release() leaves bytes that did not come from ZeroMQ alone", async () => {
  const [port] = freePorts(1);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
    pattern: 1,
  });
  const data = new Uint8Array(4096).fill(9);
  const received: Received = {
    port,
    seq: 0,
    sentAt: 0,
    receivedAt: 0,
    frame: { width: 64, height: 64, channels: 1, format: "gray", data },
    message: undefined,
  };
  assert.equal(client.release(received), false);
  assert.equal(data.byteLength, 4096);
});
