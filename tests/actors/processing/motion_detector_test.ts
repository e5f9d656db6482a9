import assert from "node:assert/strict";
import { type Motion, MotionDetector } from "../../../actors/processing/mod.ts";
import type { Frame, PixelFormat } from "../../../capture/frame.ts";
import { CHANNELS_OF } from "../../../capture/frame.ts";

const WIDTH = 160;
const HEIGHT = 120;
const SIDE = 24;

/**
 * A mid-gray scene with a textured square at (left, top): a checkerboard of
 * 3-pixel cells that moves with the square, so its inside changes too.
 */
function scene(left: number, top: number, format: PixelFormat = "bgr24"): Frame {
  const channels = CHANNELS_OF[format];
  const data = new Uint8Array(WIDTH * HEIGHT * channels).fill(128);
  for (let y = top; y < top + SIDE; y++) {
    for (let x = left; x < left + SIDE; x++) {
      const value = ((Math.floor((x - left) / 3) + Math.floor((y - top) / 3)) & 1) === 0 ? 20 : 235;
      data.fill(value, (y * WIDTH + x) * channels, (y * WIDTH + x + 1) * channels);
    }
  }
  return { width: WIDTH, height: HEIGHT, channels, data, format };
}

function motionOf(detector: MotionDetector, frame: Frame, port = 5566, seq = 0): Motion {
  const result = detector.process({ port, frame, message: undefined, seq, data: {} });
  return (result as { data: { motion: Motion } }).data.motion;
}

function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} is not within ${tolerance} of ${expected}`,
  );
}

for (const downscale of [1, 2]) {
  Deno.test(`MotionDetector follows a moving square within ${downscale} px (downscale ${downscale})`, () => {
    const detector = new MotionDetector({ downscale });
    assert.deepEqual(motionOf(detector, scene(10, 30)), { regions: [], changed: 0 }, "first frame");
    for (let step = 1; step <= 8; step++) {
      const [fromX, toX] = [10 + (step - 1) * 7, 10 + step * 7];
      const [fromY, toY] = [30 + (step - 1) * 3, 30 + step * 3];
      const motion = motionOf(detector, scene(toX, toY), 5566, step);
      assert.equal(motion.regions.length, 1, `step ${step}: ${JSON.stringify(motion.regions)}`);
      const [region] = motion.regions;
      // Differencing sees where the square was and where it is: their union.
      const tolerance = downscale + 1;
      assertNear(region.x, Math.min(fromX, toX), tolerance, `step ${step} x`);
      assertNear(region.y, Math.min(fromY, toY), tolerance, `step ${step} y`);
      assertNear(
        region.x + region.width,
        Math.max(fromX, toX) + SIDE,
        tolerance,
        `step ${step} right`,
      );
      assertNear(
        region.y + region.height,
        Math.max(fromY, toY) + SIDE,
        tolerance,
        `step ${step} bottom`,
      );
      assert.ok(motion.changed > 0 && motion.changed < 0.1, `changed ${motion.changed}`);
    }
  });
}

for (const downscale of [1, 2, 4]) {
  Deno.test(`MotionDetector reports where a jumping square left and where it landed (downscale ${downscale})`, () => {
    const detector = new MotionDetector({ downscale });
    motionOf(detector, scene(10, 10));
    const { regions } = motionOf(detector, scene(110, 80));
    assert.equal(regions.length, 2, JSON.stringify(regions));
    const byX = [...regions].sort((a, b) => a.x - b.x);
    const tolerance = downscale + 1;
    assertNear(byX[0].x, 10, tolerance, "old x");
    assertNear(byX[0].y, 10, tolerance, "old y");
    assertNear(byX[1].x, 110, tolerance, "new x");
    assertNear(byX[1].y, 80, tolerance, "new y");
    for (const region of regions) {
      assertNear(region.width, SIDE, 2 * tolerance, "width");
      assertNear(region.height, SIDE, 2 * tolerance, "height");
    }
  });
}

Deno.test("MotionDetector finds nothing in a static sequence, in every pixel format", () => {
  for (const format of ["bgr24", "rgb24", "rgba", "gray"] as const) {
    const detector = new MotionDetector();
    for (let seq = 0; seq < 5; seq++) {
      assert.deepEqual(motionOf(detector, scene(40, 40, format), 1, seq), {
        regions: [],
        changed: 0,
      });
    }
  }
});

Deno.test("MotionDetector keeps a reference frame per port", () => {
  const detector = new MotionDetector();
  // Port 1 is static, port 2 moves; interleaved, they must not be compared with each other.
  for (let seq = 0; seq < 3; seq++) {
    assert.deepEqual(motionOf(detector, scene(20, 20), 1, seq).regions, []);
    // Jumps of 40 px: where it was and where it is, 16 px apart, two regions.
    const moving = motionOf(detector, scene(20 + seq * 40, 60), 2, seq);
    assert.equal(moving.regions.length, seq === 0 ? 0 : 2);
  }
  detector.reset(2);
  assert.deepEqual(
    motionOf(detector, scene(0, 0), 2).regions,
    [],
    "after reset, a first frame again",
  );
});

Deno.test("MotionDetector ignores changes below the threshold and regions below minArea", () => {
  const quiet = new MotionDetector({ threshold: 25, downscale: 1 });
  const base = scene(0, 0, "gray");
  const dimmer = { ...base, data: base.data.map((v) => Math.max(0, v - 20)) };
  motionOf(quiet, base);
  assert.deepEqual(motionOf(quiet, dimmer).regions, [], "a 20-level change is under threshold 25");

  const speck = new MotionDetector({ downscale: 1, minArea: 10 });
  const clean = { ...base, data: base.data.slice() };
  const noisy = { ...base, data: base.data.slice() };
  noisy.data[100 * WIDTH + 100] = 0; // one pixel: below 10 pixels
  for (let y = 50; y < 54; y++) noisy.data.fill(0, y * WIDTH + 60, y * WIDTH + 64); // 16 pixels
  motionOf(speck, clean);
  const { regions } = motionOf(speck, noisy);
  assert.deepEqual(regions, [{ x: 60, y: 50, width: 4, height: 4, area: 16 }]);
});

Deno.test("MotionDetector outlines regions on a copy when asked to draw", () => {
  const detector = new MotionDetector({
    downscale: 1,
    draw: true,
    color: [255, 0, 0],
    thickness: 1,
  });
  const first = scene(10, 10);
  detector.process({ port: 1, frame: first, message: undefined, seq: 0, data: {} });
  const second = scene(100, 70);
  const before = second.data.slice();
  const result = detector.process({ port: 1, frame: second, message: undefined, seq: 1, data: {} });
  const drawn = (result as { frame: Frame }).frame;
  assert.notEqual(drawn, second);
  assert.deepEqual(second.data, before, "the input frame is untouched");
  // The new square's top-left corner is outlined in red (BGR order).
  const at = (70 * WIDTH + 100) * 3;
  assert.deepEqual([...drawn.data.subarray(at, at + 3)], [0, 0, 255]);
});

Deno.test("MotionDetector finds both bands of a block shifting across 640x480 frames", () => {
  const detector = new MotionDetector();
  const frames = [0, 1].map((n) => {
    const data = new Uint8Array(640 * 480 * 3).fill(100);
    for (let y = 100; y < 200; y++) {
      data.fill(250, (y * 640 + 100 + n * 50) * 3, (y * 640 + 200 + n * 50) * 3);
    }
    return { width: 640, height: 480, channels: 3, data };
  });
  motionOf(detector, frames[0], 1, 0);
  // A 100-pixel block shifting by 50: its leading and trailing 50-pixel bands.
  // (Its cost per frame is measured by tests/bench/processing_bench.ts.)
  for (let i = 1; i < 20; i++) {
    assert.equal(motionOf(detector, frames[i % 2], 1, i).regions.length, 2);
  }
});

Deno.test("MotionDetector rejects out-of-range options and mismatched frames", () => {
  assert.throws(
    () => new MotionDetector({ threshold: 300 }),
    /threshold is 300; expected an integer from 0 to 254/,
  );
  assert.throws(() => new MotionDetector({ downscale: 1.5 }), /downscale is 1.5/);
  assert.throws(
    () => new MotionDetector({ color: [1, 2] as unknown as [number, number, number] }),
    TypeError,
  );
  const detector = new MotionDetector();
  assert.throws(
    () => motionOf(detector, { width: 4, height: 4, channels: 3, data: new Uint8Array(10) }),
    /needs 3 channels and 48 bytes/,
  );
  assert.throws(
    () =>
      motionOf(new MotionDetector({ downscale: 8 }), {
        width: 4,
        height: 4,
        channels: 1,
        data: new Uint8Array(16),
        format: "gray",
      }),
    /smaller than downscale=8/,
  );
});
