// buildMontages: tile placement, resizing (hand-computed), spill-over, black
// fill, format conversion and argument checks.

import assert from "node:assert/strict";
import type { Frame, PixelFormat } from "../../capture/frame.ts";
import { buildMontages } from "../../capture/montage.ts";

function frame(width: number, height: number, format: PixelFormat, values: number[]): Frame {
  const channels = { bgr24: 3, rgb24: 3, rgba: 4, gray: 1 }[format];
  assert.equal(values.length, width * height * channels);
  return { width, height, channels, format, data: Uint8Array.from(values) };
}

function solid(width: number, height: number, format: PixelFormat, pixel: number[]): Frame {
  return frame(
    width,
    height,
    format,
    Array.from({ length: width * height * pixel.length }, (_, i) => pixel[i % pixel.length]),
  );
}

/** The rows of a gray frame as arrays, for readable comparisons. */
function rows(f: Frame): number[][] {
  return Array.from(
    { length: f.height },
    (_, y) => [...f.data.subarray(y * f.width * f.channels, (y + 1) * f.width * f.channels)],
  );
}

Deno.test("buildMontages places tiles row-major and leaves empty cells black", () => {
  const tiles = [10, 20, 30].map((v) => solid(2, 1, "gray", [v]));
  const [montage, ...rest] = buildMontages(tiles, [2, 1], [2, 2]);
  assert.equal(rest.length, 0);
  assert.deepEqual(
    { width: montage.width, height: montage.height, channels: montage.channels },
    { width: 4, height: 2, channels: 1 },
  );
  assert.equal(montage.format, "gray");
  assert.deepEqual(rows(montage), [
    [10, 10, 20, 20],
    [30, 30, 0, 0],
  ]);
});

Deno.test("buildMontages places colour tiles at the right byte offsets", () => {
  const red = solid(1, 2, "bgr24", [0, 0, 255]);
  const green = solid(1, 2, "bgr24", [0, 255, 0]);
  const blue = solid(1, 2, "bgr24", [255, 0, 0]);
  const [montage] = buildMontages([red, green, blue], { width: 1, height: 2 }, [3, 1]);
  assert.equal(montage.format, "bgr24");
  const row = [0, 0, 255, 0, 255, 0, 255, 0, 0];
  assert.deepEqual([...montage.data], [...row, ...row]);
});

Deno.test("buildMontages spills extra frames into further montages", async (t) => {
  const tiles = [1, 2, 3, 4, 5].map((v) => solid(1, 1, "gray", [v]));
  await t.step("five frames in 2x1 grids make three montages, the last half black", () => {
    const montages = buildMontages(tiles, [1, 1], [2, 1]);
    assert.deepEqual(montages.map((m) => [...m.data]), [[1, 2], [3, 4], [5, 0]]);
  });
  await t.step("an exact multiple makes no extra blank montage", () => {
    const montages = buildMontages(tiles.slice(0, 4), [1, 1], [2, 1]);
    assert.deepEqual(montages.map((m) => [...m.data]), [[1, 2], [3, 4]]);
  });
  await t.step("no frames make one black montage, bgr24 unless format says otherwise", () => {
    const [montage, ...rest] = buildMontages([], [3, 2], [2, 2]);
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { w: montage.width, h: montage.height, c: montage.channels, f: montage.format },
      { w: 6, h: 4, c: 3, f: "bgr24" },
    );
    assert.ok(montage.data.every((v) => v === 0));
    assert.equal(buildMontages([], [3, 2], [2, 2], { format: "gray" })[0].data.length, 24);
  });
});

Deno.test("buildMontages bilinear resizing matches hand-computed values", async (t) => {
  await t.step("2x1 -> 4x1: centres at -0.25, 0.25, 0.75, 1.25 of the source", () => {
    const [m] = buildMontages([frame(2, 1, "gray", [0, 100])], [4, 1], [1, 1]);
    assert.deepEqual([...m.data], [0, 25, 75, 100]);
  });
  await t.step("2x2 -> 4x4 blends both axes", () => {
    const [m] = buildMontages([frame(2, 2, "gray", [0, 100, 100, 200])], [4, 4], [1, 1]);
    assert.deepEqual(rows(m), [
      [0, 25, 75, 100],
      [25, 50, 100, 125],
      [75, 100, 150, 175],
      [100, 125, 175, 200],
    ]);
  });
  await t.step("2x2 -> 4x4 in three channels (the unrolled path) blends both axes", () => {
    // Channel k holds the gray case plus k: bilinear weights sum to one, so
    // each channel's result is the gray result plus k.
    const gray = [0, 100, 100, 200];
    const source = frame(2, 2, "bgr24", gray.flatMap((v) => [v, v + 1, v + 2]));
    const [m] = buildMontages([source], [4, 4], [1, 1]);
    const expected = [0, 25, 75, 100, 25, 50, 100, 125, 75, 100, 150, 175, 100, 125, 175, 200];
    assert.deepEqual([...m.data], expected.flatMap((v) => [v, v + 1, v + 2]));
  });
  await t.step("4x1 -> 2x1 averages neighbour pairs", () => {
    const [m] = buildMontages([frame(4, 1, "gray", [10, 20, 30, 40])], [2, 1], [1, 1]);
    assert.deepEqual([...m.data], [15, 35]);
  });
  await t.step("channels are interpolated separately and stay in order", () => {
    const source = frame(2, 1, "bgr24", [0, 10, 200, 100, 10, 0]);
    const [m] = buildMontages([source], [4, 1], [1, 1]);
    assert.deepEqual([...m.data], [0, 10, 200, 25, 10, 150, 75, 10, 50, 100, 10, 0]);
  });
});

Deno.test("buildMontages nearest resizing picks the source pixel under each centre", () => {
  const source = frame(4, 1, "gray", [10, 20, 30, 40]);
  const [down] = buildMontages([source], [2, 1], [1, 1], { interpolation: "nearest" });
  assert.deepEqual([...down.data], [20, 40]);
  const [up] = buildMontages([frame(2, 1, "gray", [10, 20])], [4, 1], [1, 1], {
    interpolation: "nearest",
  });
  assert.deepEqual([...up.data], [10, 10, 20, 20]);
  const [tall] = buildMontages([frame(1, 2, "gray", [5, 9])], [1, 4], [1, 1], {
    interpolation: "nearest",
  });
  assert.deepEqual([...tall.data], [5, 5, 9, 9]);
});

Deno.test("buildMontages resizes frames of different sizes in one montage", () => {
  // Same height, different widths: each needs its own row table.
  const narrow = frame(1, 2, "gray", [1, 3]);
  const wide = frame(4, 2, "gray", [10, 20, 30, 40, 50, 60, 70, 80]);
  const [m] = buildMontages([narrow, wide], [2, 2], [2, 1], { interpolation: "nearest" });
  assert.deepEqual(rows(m), [
    [1, 1, 20, 40],
    [3, 3, 60, 80],
  ]);
});

Deno.test("buildMontages converts mixed formats to the first frame's format", async (t) => {
  await t.step("bgr24 red into a gray montage becomes BT.601 luma 76", () => {
    const [m] = buildMontages(
      [solid(1, 1, "gray", [9]), solid(1, 1, "bgr24", [0, 0, 255])],
      [1, 1],
      [2, 1],
    );
    assert.equal(m.format, "gray");
    assert.deepEqual([...m.data], [9, 76]);
  });
  await t.step("gray into a bgr24 montage repeats the value", () => {
    const [m] = buildMontages(
      [solid(1, 1, "bgr24", [1, 2, 3]), solid(2, 2, "gray", [100])],
      [1, 1],
      [2, 1],
    );
    assert.deepEqual([...m.data], [1, 2, 3, 100, 100, 100]);
  });
  await t.step("rgb24 and rgba into bgr24 keep red red", () => {
    const [m] = buildMontages(
      [
        solid(1, 1, "bgr24", [0, 0, 255]),
        solid(1, 1, "rgb24", [255, 0, 0]),
        solid(1, 1, "rgba", [
          255,
          0,
          0,
          7,
        ]),
      ],
      [1, 1],
      [3, 1],
    );
    assert.deepEqual([...m.data], [0, 0, 255, 0, 0, 255, 0, 0, 255]);
  });
  await t.step("an rgba montage is opaque: converted tiles and black cells get alpha 255", () => {
    const [m] = buildMontages(
      [solid(1, 1, "rgba", [1, 2, 3, 4]), solid(1, 1, "bgr24", [0, 0, 255])],
      [1, 1],
      [3, 1],
    );
    assert.deepEqual([...m.data], [1, 2, 3, 4, 255, 0, 0, 255, 0, 0, 0, 255]);
  });
  await t.step("option format overrides the first frame's", () => {
    const [m] = buildMontages([solid(2, 1, "bgr24", [0, 0, 255])], [1, 1], [1, 1], {
      format: "rgb24",
    });
    assert.equal(m.format, "rgb24");
    assert.deepEqual([...m.data], [255, 0, 0]);
  });
  await t.step("a frame without format counts as bgr24", () => {
    const bare = { width: 1, height: 1, channels: 3, data: Uint8Array.from([0, 0, 255]) };
    const [m] = buildMontages([bare], [1, 1], [1, 1], { format: "rgb24" });
    assert.deepEqual([...m.data], [255, 0, 0]);
  });
});

Deno.test("buildMontages copies same-size tiles exactly and leaves inputs untouched", () => {
  const a = frame(2, 1, "rgb24", [1, 2, 3, 4, 5, 6]);
  const before = [...a.data];
  const [m] = buildMontages([a], [2, 1], [1, 2]);
  assert.deepEqual([...m.data], [1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0]);
  assert.notEqual(m.data.buffer, a.data.buffer);
  assert.deepEqual([...a.data], before);
});

Deno.test("buildMontages refuses malformed arguments with messages naming them", () => {
  const ok = solid(2, 2, "gray", [1]);
  const cases: [() => unknown, ErrorConstructor, RegExp][] = [
    [() => buildMontages([ok], [0, 2], [1, 1]), RangeError, /tileSize width must be a positive/],
    [() => buildMontages([ok], { width: 2, height: 2.5 }, [1, 1]), RangeError, /tileSize height/],
    [() => buildMontages([ok], [2, 2], [1, 0]), RangeError, /grid rows must be a positive/],
    [() => buildMontages([ok], [2, 2], [1] as unknown as [number, number]), TypeError, /grid/],
    [
      () => buildMontages([ok], [2, 2], [1, 1], { interpolation: "cubic" as "nearest" }),
      TypeError,
      /option "interpolation" must be "nearest" or "bilinear", got "cubic"/,
    ],
    [
      () => buildMontages([ok, { ...ok, data: ok.data.subarray(1) }], [2, 2], [1, 1]),
      RangeError,
      /frames\[1\]\.data must hold width \* height \* channels = 4 bytes, got 3/,
    ],
    [
      () => buildMontages([{ ...ok, channels: 3 }], [2, 2], [1, 1]),
      TypeError,
      /frames\[0\]\.channels must be 1 for format "gray"/,
    ],
    [
      () => buildMontages([ok], [2, 2], [1, 1], { format: "yuv" as PixelFormat }),
      TypeError,
      /option "format" must be one of/,
    ],
    [() => buildMontages(null as unknown as Frame[], [2, 2], [1, 1]), TypeError, /frames/],
  ];
  for (const [fn, type, message] of cases) {
    assert.throws(fn, (error: unknown) => {
      assert.ok(error instanceof type, `${error} is not a ${type.name}`);
      assert.match((error as Error).message, /^Cannot build montages: /);
      assert.match((error as Error).message, message);
      return true;
    });
  }
});
