import assert from "node:assert/strict";
import { checkFrame, RgbaConverter } from "../../../actors/processing/_rgba.ts";
import type { Frame, PixelFormat } from "../../../capture/frame.ts";

function frame(format: PixelFormat, data: number[], width = 2): Frame {
  const channels = { bgr24: 3, rgb24: 3, rgba: 4, gray: 1 }[format];
  return { width, height: 1, channels, format, data: new Uint8Array(data) };
}

function rgbaOf(input: Frame): number[] {
  const converter = new RgbaConverter();
  return Array.from(converter.convert(input, checkFrame(input, "test")).data as Uint8ClampedArray);
}

Deno.test("RgbaConverter turns bgr24, rgb24, gray and rgba into the same RGBA bytes", () => {
  const expected = [10, 20, 30, 255, 40, 50, 60, 255];
  assert.deepEqual(rgbaOf(frame("bgr24", [30, 20, 10, 60, 50, 40])), expected);
  assert.deepEqual(rgbaOf(frame("rgb24", [10, 20, 30, 40, 50, 60])), expected);
  assert.deepEqual(rgbaOf(frame("rgba", expected)), expected);
  assert.deepEqual(rgbaOf(frame("gray", [7, 9])), [7, 7, 7, 255, 9, 9, 9, 255]);
});

Deno.test("a frame without format is read as bgr24", () => {
  const { format: _, ...noFormat } = frame("bgr24", [30, 20, 10, 60, 50, 40]);
  assert.deepEqual(rgbaOf(noFormat), [10, 20, 30, 255, 40, 50, 60, 255]);
});

Deno.test("RgbaConverter reuses its buffer while the size stays and replaces it when it changes", () => {
  const converter = new RgbaConverter();
  const a = frame("rgb24", [1, 2, 3, 4, 5, 6]);
  const first = converter.convert(a, "rgb24");
  const second = converter.convert(frame("rgb24", [9, 9, 9, 8, 8, 8]), "rgb24");
  assert.equal(second, first);
  assert.deepEqual(Array.from(second.data as Uint8ClampedArray), [9, 9, 9, 255, 8, 8, 8, 255]);
  const third = converter.convert(frame("rgb24", [1, 2, 3], 1), "rgb24");
  assert.notEqual(third, first);
  assert.equal(third.width, 1);
});

Deno.test("checkFrame names the field, the value and the valid choices", () => {
  assert.throws(
    () =>
      checkFrame({ ...frame("rgb24", [1, 2, 3, 4, 5, 6]), format: "nv12" as PixelFormat }, "do it"),
    {
      name: "TypeError",
      message: 'Cannot do it: frame.format="nv12" is not one of bgr24, rgb24, rgba, gray',
    },
  );
  assert.throws(
    () => checkFrame({ ...frame("rgb24", [1, 2, 3, 4, 5, 6]), channels: 4 }, "do it"),
    /frame\.channels=4/,
  );
  assert.throws(
    () => checkFrame({ ...frame("rgb24", [1, 2, 3, 4, 5, 6]), width: 0 }, "do it"),
    /0x1/,
  );
});
