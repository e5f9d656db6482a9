import assert from "node:assert/strict";
import { delay } from "../../actors/abort.ts";
import { CaptureError, type PixelFormat, SyntheticSource } from "../../capture/mod.ts";

function differingBytes(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

Deno.test("SyntheticSource defaults to 640x480 bgr24 at 30 fps", async () => {
  await using source = new SyntheticSource();
  assert.deepEqual(source.info, { width: 640, height: 480, fps: 30, pixelFormat: "bgr24" });
  const frame = await source.read();
  assert.ok(frame !== null);
  assert.equal(frame.width, 640);
  assert.equal(frame.height, 480);
  assert.equal(frame.channels, 3);
  assert.equal(frame.format, "bgr24");
  assert.equal(frame.data.length, 640 * 480 * 3);
});

Deno.test("SyntheticSource makes frames of the requested size in each pixel format", async (t) => {
  const cases: [PixelFormat, number][] = [["bgr24", 3], ["rgb24", 3], ["rgba", 4], ["gray", 1]];
  for (const [pixelFormat, channels] of cases) {
    await t.step(pixelFormat, async () => {
      await using source = new SyntheticSource({ width: 200, height: 150, fps: 0, pixelFormat });
      const frame = await source.read();
      assert.ok(frame !== null);
      assert.deepEqual(
        [frame.width, frame.height, frame.channels, frame.format, frame.data.length],
        [200, 150, channels, pixelFormat, 200 * 150 * channels],
      );
      if (pixelFormat === "rgba") {
        for (let i = 3; i < frame.data.length; i += 4) assert.equal(frame.data[i], 255);
      }
    });
  }
  await t.step("rgb24 is bgr24 with red and blue swapped", async () => {
    await using bgr = new SyntheticSource({ width: 64, height: 48, fps: 0 });
    await using rgb = new SyntheticSource({ width: 64, height: 48, fps: 0, pixelFormat: "rgb24" });
    const a = (await bgr.read())!.data;
    const b = (await rgb.read())!.data;
    for (let p = 0; p < 64 * 48; p++) {
      assert.deepEqual([b[3 * p], b[3 * p + 1], b[3 * p + 2]], [
        a[3 * p + 2],
        a[3 * p + 1],
        a[3 * p],
      ]);
    }
  });
});

Deno.test("SyntheticSource stops after `frames` frames", async () => {
  const source = new SyntheticSource({ width: 32, height: 24, fps: 0, frames: 5 });
  let n = 0;
  for await (const _frame of source) n++;
  assert.equal(n, 5);
  assert.equal(await source.read(), null);
  const stats = source.stats();
  assert.equal(stats.framesRead, 5);
  assert.equal(stats.framesDelivered, 5);
  assert.equal(stats.dropped, 0);
  assert.equal(stats.state, "stopped");
});

Deno.test("SyntheticSource frames change over time and each frame owns its bytes", async () => {
  await using source = new SyntheticSource({ width: 320, height: 240, fps: 0 });
  const frames = [];
  for (let i = 0; i < 3; i++) frames.push((await source.read())!);
  assert.ok(differingBytes(frames[0].data, frames[1].data) > 1000);
  assert.ok(differingBytes(frames[1].data, frames[2].data) > 1000);
  assert.notEqual(frames[0].data.buffer, frames[1].data.buffer);
});

Deno.test("SyntheticSource draws the same frame for the same name, another for another name", async () => {
  const nth = async (name: string, n: number): Promise<Uint8Array> => {
    await using source = new SyntheticSource({ width: 320, height: 240, fps: 0, name });
    let data: Uint8Array = new Uint8Array();
    for (let i = 0; i <= n; i++) data = (await source.read())!.data;
    return data;
  };
  assert.deepEqual(await nth("cam-1", 7), await nth("cam-1", 7));
  assert.ok(differingBytes(await nth("cam-1", 7), await nth("cam-2", 7)) > 100);
});

Deno.test("SyntheticSource draws its name in the built-in font", async () => {
  // At 480 lines glyphs are scaled 4x and start 8 px from the top-left corner.
  await using source = new SyntheticSource({ name: "H", fps: 0 });
  const { data } = (await source.read())!;
  const pixel = (
    x: number,
    y: number,
  ): number[] => [...data.subarray((y * 640 + x) * 3, (y * 640 + x) * 3 + 3)];
  // "H" row 0 is #...#: lit at columns 0 and 4, dark between.
  assert.deepEqual(pixel(8, 8), [255, 255, 255]);
  assert.deepEqual(pixel(8 + 4 * 4 + 3, 8 + 3), [255, 255, 255]);
  assert.deepEqual(pixel(8 + 4 * 2, 8), [0, 0, 0]);
  // Row 3 is #####: the crossbar.
  assert.deepEqual(pixel(8 + 4 * 2, 8 + 4 * 3), [255, 255, 255]);
});

Deno.test("SyntheticSource paces frames at its rate without drift", async () => {
  await using source = new SyntheticSource({ width: 64, height: 48, fps: 100 });
  await source.read();
  const t0 = performance.now();
  for (let i = 0; i < 30; i++) await source.read();
  // 30 intervals of 10 ms; timers fire late, but deadlines are absolute so lateness cannot add up.
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 285 && elapsed < 600, `30 frames at 100 fps took ${elapsed} ms`);
});

Deno.test("SyntheticSource does not burst to catch up after a slow read", async () => {
  await using source = new SyntheticSource({ width: 64, height: 48, fps: 50 });
  await source.read();
  await delay(150); // seven frame times behind
  await source.read();
  const t0 = performance.now();
  await source.read();
  const gap = performance.now() - t0;
  assert.ok(gap >= 15, `the frame after a late one came ${gap} ms later, expected ~20 ms`);
});

Deno.test("SyntheticSource with fps 0 generates as fast as it is read", async () => {
  await using source = new SyntheticSource({ width: 640, height: 480, fps: 0 });
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) await source.read();
  const elapsed = performance.now() - t0;
  assert.ok(elapsed < 1000, `100 unpaced 640x480 frames took ${elapsed} ms`);
});

Deno.test("SyntheticSource: a pending paced read resolves null on stop; start after stop fails", async () => {
  const source = new SyntheticSource({ width: 64, height: 48, fps: 1 });
  await source.read();
  const pending = source.read(); // due in a second
  await source.stop();
  assert.equal(await pending, null);
  await assert.rejects(source.start(), (e) => e instanceof CaptureError && e.code === "closed");
});

Deno.test("SyntheticSource: aborting a paced read rejects it and clears its timer", async () => {
  await using source = new SyntheticSource({ width: 64, height: 48, fps: 1 });
  await source.read();
  const reason = new Error("enough");
  await assert.rejects(source.read({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  const controller = new AbortController();
  const pending = source.read({ signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(source.stats().state, "running");
});

Deno.test("SyntheticSource rejects bad options", async (t) => {
  const cases: [string, Record<string, unknown>, ErrorConstructor, RegExp][] = [
    ["zero width", { width: 0 }, RangeError, /"width" must be an integer from 1 to 16384, got 0/],
    ["fractional height", { height: 2.5 }, RangeError, /"height" must be an integer/],
    ["negative fps", { fps: -1 }, RangeError, /"fps" must be a number from 0 to 1000, got -1/],
    ["empty name", { name: "" }, TypeError, /"name" must be a non-empty string/],
    [
      "pixel format",
      { pixelFormat: "bgr" },
      RangeError,
      /must be one of "bgr24", "rgb24", "rgba", "gray", got "bgr"/,
    ],
    ["frames", { frames: -3 }, RangeError, /"frames" must be an integer from 0/],
    ["unknown", { fsp: 30 }, TypeError, /unknown option "fsp"/],
  ];
  for (const [label, options, type, message] of cases) {
    await t.step(label, () => {
      assert.throws(
        () => new SyntheticSource(options),
        (error) => error instanceof type && message.test((error as Error).message),
      );
    });
  }
});
