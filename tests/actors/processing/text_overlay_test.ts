import assert from "node:assert/strict";
import { TextOverlay } from "../../../actors/processing/mod.ts";
import { CHANNELS_OF, type Frame, type PixelFormat } from "../../../capture/frame.ts";

function blank(width: number, height: number, format: PixelFormat = "bgr24"): Frame {
  const channels = CHANNELS_OF[format];
  return { width, height, channels, data: new Uint8Array(width * height * channels), format };
}

function draw(overlay: TextOverlay, frame: Frame, message: unknown = undefined): Frame | undefined {
  const result = overlay.process({ port: 1, frame, message, seq: 0, data: {} });
  return (result as { frame?: Frame } | undefined)?.frame;
}

function pixel(frame: Frame, x: number, y: number): number[] {
  const at = (y * frame.width + x) * frame.channels;
  return [...frame.data.subarray(at, at + frame.channels)];
}

/** The set of lit (non-zero) pixels as "x,y". */
function lit(frame: Frame): Set<string> {
  const out = new Set<string>();
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) {
      if (pixel(frame, x, y).some((v) => v !== 0)) out.add(`${x},${y}`);
    }
  }
  return out;
}

Deno.test("TextOverlay draws a glyph's pixels exactly where the font puts them, scaled", () => {
  // "T" is a full top row of 5 pixels, then a 1-pixel stem in the middle column for 6 rows.
  const frame = draw(new TextOverlay({ text: "T", x: 5, y: 4, scale: 2 }), blank(30, 24))!;
  const expected = new Set<string>();
  for (let y = 4; y < 6; y++) for (let x = 5; x < 15; x++) expected.add(`${x},${y}`);
  for (let y = 6; y < 18; y++) for (let x = 9; x < 11; x++) expected.add(`${x},${y}`);
  assert.deepEqual(lit(frame), expected);
  assert.deepEqual(pixel(frame, 5, 4), [0, 255, 0], "green by default");
});

Deno.test("TextOverlay anchors negative x and y to the right and bottom edges, as the seed's putText", () => {
  // Two characters at scale 1: 5 + 1 + 5 = 11 pixels wide, 7 high.
  const frame = draw(new TextOverlay({ text: "HH", x: -3, y: -2, scale: 1 }), blank(40, 30))!;
  const xs = [...lit(frame)].map((p) => Number(p.split(",")[0]));
  const ys = [...lit(frame)].map((p) => Number(p.split(",")[1]));
  // "H" is lit in columns 0 and 4 of every row, so the text spans x 26..36, y 21..27.
  assert.equal(Math.min(...xs), 40 - 3 - 11);
  assert.equal(Math.max(...xs), 40 - 3 - 1);
  assert.equal(Math.min(...ys), 30 - 2 - 7);
  assert.equal(Math.max(...ys), 30 - 2 - 1);
});

Deno.test("TextOverlay writes its colour in each pixel layout's own channel order", () => {
  const color = [200, 100, 50] as const;
  const expected: Record<PixelFormat, number[]> = {
    bgr24: [50, 100, 200],
    rgb24: [200, 100, 50],
    rgba: [200, 100, 50, 255],
    gray: [(77 * 200 + 150 * 100 + 29 * 50) >> 8],
  };
  for (const format of Object.keys(expected) as PixelFormat[]) {
    const frame = draw(
      new TextOverlay({ text: "T", x: 0, y: 0, scale: 1, color }),
      blank(8, 8, format),
    )!;
    assert.deepEqual(pixel(frame, 0, 0), expected[format], format);
    assert.equal(frame.format, format);
  }
});

Deno.test("TextOverlay draws on a copy, leaving the input untouched, unless inPlace", () => {
  const input = blank(20, 12);
  const copy = draw(new TextOverlay({ text: "A", x: 0, y: 0 }), input)!;
  assert.notEqual(copy, input);
  assert.ok(lit(copy).size > 0);
  assert.equal(lit(input).size, 0);
  const same = draw(new TextOverlay({ text: "A", x: 0, y: 0, inPlace: true }), input)!;
  assert.equal(same, input);
  assert.ok(lit(input).size > 0);
});

Deno.test("TextOverlay takes its text from a function or the message, and skips empty text", () => {
  const byFunction = new TextOverlay({ text: (item) => `#${item.port}`, x: 0, y: 0, scale: 1 });
  const byMessage = new TextOverlay({ x: 0, y: 0, scale: 1 });
  const reference = new TextOverlay({ text: "#1", x: 0, y: 0, scale: 1 });
  const want = lit(draw(reference, blank(20, 10))!);
  assert.deepEqual(lit(draw(byFunction, blank(20, 10))!), want);
  assert.deepEqual(lit(draw(byMessage, blank(20, 10), "#1")!), want);
  assert.equal(draw(byMessage, blank(20, 10), { not: "text" }), undefined, "nothing to draw");
  assert.equal(draw(new TextOverlay({ text: "" }), blank(20, 10)), undefined);
  assert.equal(
    new TextOverlay({ text: "x" }).process({
      port: 1,
      frame: undefined,
      message: 1,
      seq: 0,
      data: {},
    }),
    undefined,
    "an item without a frame passes",
  );
});

Deno.test("TextOverlay clips text that runs off the frame and fills a background box", () => {
  const frame = draw(
    new TextOverlay({ text: "WWWWWWWWWW\nWWW", x: 2, y: 2, scale: 3, background: [0, 0, 255] }),
    blank(24, 16),
  )!;
  assert.equal(frame.data.length, 24 * 16 * 3);
  assert.deepEqual(
    pixel(frame, 23, 15),
    [255, 0, 0],
    "background (blue, BGR) reaches the clipped edge",
  );
});

Deno.test("TextOverlay rejects bad options", () => {
  assert.throws(
    () => new TextOverlay({ scale: 0 }),
    /scale is 0; expected an integer from 1 to 32/,
  );
  assert.throws(() => new TextOverlay({ x: 1.5 }), /x is 1.5/);
  assert.throws(() => new TextOverlay({ text: 3 as unknown as string }), TypeError);
  assert.throws(() => new TextOverlay({ color: [0, 0, 256] }), /expected \[red, green, blue\]/);
});
