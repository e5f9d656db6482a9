import assert from "node:assert/strict";
import { SendSize } from "../../transports/send_size.ts";
import type { OutgoingFrame } from "../../transports/transport.ts";

function frame(width: number, height: number, bytes = width * height * 3): OutgoingFrame {
  return {
    width,
    height,
    channels: 3,
    format: "bgr24",
    encoding: "raw",
    data: new Uint8Array(bytes),
  };
}

function jpeg(bytes: number): OutgoingFrame {
  const data = new Uint8Array(bytes);
  data.set([0xff, 0xd8, 0xff]);
  return { ...frame(640, 480), encoding: "jpeg", data };
}

Deno.test("a frame measured again (its head remembered) gives what a fresh measure gives", () => {
  const size = new SendSize();
  const first = size.measure(5566, frame(640, 480), undefined);
  assert.equal(size.measure(5566, frame(640, 480), undefined), first);
  // Each shape, port and byte count against a measurer that saw nothing before.
  const cases: [number, OutgoingFrame][] = [
    [5566, frame(64000, 2)],
    [5566, frame(640, 480)],
    [65535, frame(640, 480)],
    [5566, jpeg(5000)],
    [5566, jpeg(90000)],
    [5566, { ...frame(640, 480), format: "rgb24" }],
  ];
  for (const [port, each] of cases) {
    assert.equal(
      size.measure(port, each, undefined),
      new SendSize().measure(port, each, undefined),
    );
  }
});

Deno.test("a frame with a message is measured whole, message included", () => {
  const size = new SendSize();
  const alone = size.measure(5566, frame(640, 480), undefined);
  const withMessage = size.measure(5566, frame(640, 480), "x".repeat(1000));
  assert.ok(withMessage >= alone + 1000, `${withMessage} against ${alone}`);
  assert.throws(() => size.measure(5566, frame(640, 480), () => {}), TypeError);
  // Still remembered for frames alone afterwards.
  assert.equal(size.measure(5566, frame(640, 480), undefined), alone);
});

Deno.test("bytes the encoder refuses are refused with a frame of a remembered shape too", () => {
  const size = new SendSize();
  size.measure(5566, frame(640, 480), undefined);
  assert.throws(() => size.measure(5566, frame(640, 480, 100), undefined), /needs 921600 bytes/);
  size.measure(5566, jpeg(5000), undefined);
  assert.throws(
    () => size.measure(5566, { ...jpeg(5000), data: new Uint8Array(5000) }, undefined),
    /FF D8 FF/,
  );
});
