import "../../_helpers/preload_native.ts";
// JpegCodec (libjpeg-turbo through FFI): round trips for every option,
// fidelity on a camera-like image, colour handling, and rejection of bad data.

import assert from "node:assert/strict";
import type { Frame, PixelFormat } from "../../../capture/frame.ts";
import { JpegCodec, resolveJpegCompression } from "../../../transports/codecs/jpeg.ts";
import { JpegError, JpegUnavailableError } from "../../../transports/codecs/errors.ts";

const WIDTH = 640;
const HEIGHT = 480;
/** Mean absolute error allowed at quality 90 on testsrc2 (measured: about 1.4 to 1.8). */
const MAE_BOUND_Q90 = 3;

async function ffmpegRuns(): Promise<boolean> {
  try {
    return (await new Deno.Command("ffmpeg", { args: ["-version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}
// Without ffmpeg the camera-like tests are skipped, except in CI where they must run.
const NO_FFMPEG = !(await ffmpegRuns()) && Deno.env.get("CI") !== "true";

let cameraFrame: Frame | undefined;
/** One 640x480 BGR frame of ffmpeg's testsrc2: gradients, text, sharp edges. */
async function camera(): Promise<Frame> {
  if (cameraFrame !== undefined) return cameraFrame;
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-f", "lavfi"],
      ...["-i", `testsrc2=size=${WIDTH}x${HEIGHT}:rate=1`, "-frames:v", "1"],
      ...["-pix_fmt", "bgr24", "-f", "rawvideo", "pipe:1"],
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.equal(out.stdout.length, WIDTH * HEIGHT * 3);
  cameraFrame = { width: WIDTH, height: HEIGHT, channels: 3, format: "bgr24", data: out.stdout };
  return cameraFrame;
}

function meanAbsoluteError(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

function solid(width: number, height: number, format: PixelFormat, pixel: number[]): Frame {
  const data = new Uint8Array(width * height * pixel.length);
  for (let i = 0; i < data.length; i++) data[i] = pixel[i % pixel.length];
  return { width, height, channels: pixel.length, format, data };
}

/** A smooth colour gradient: compresses well, so errors stay small. */
function gradient(width: number, height: number): Frame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 3) {
      data[i] = (x * 255 / width) | 0;
      data[i + 1] = (y * 255 / height) | 0;
      data[i + 2] = ((x + y) * 127 / (width + height)) | 0;
    }
  }
  return { width, height, channels: 3, format: "bgr24", data };
}

function assertPixelsNear(frame: Frame, pixel: number[], tolerance: number): void {
  assert.equal(frame.channels, pixel.length);
  let worst = 0;
  for (let i = 0; i < frame.data.length; i++) {
    worst = Math.max(worst, Math.abs(frame.data[i] - pixel[i % pixel.length]));
  }
  assert.ok(worst <= tolerance, `worst channel error ${worst} > ${tolerance} for ${pixel}`);
}

function rejects(fn: () => unknown, reason: JpegError["reason"]): JpegError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof JpegError, `expected JpegError, got ${error}`);
    assert.equal(error.reason, reason, error.message);
    return error;
  }
  assert.fail("expected a JpegError");
}

Deno.test({
  name:
    "JpegCodec compresses a camera-like 640x480 frame at quality 90 at least 5x, MAE within bound",
  ignore: NO_FFMPEG,
  async fn() {
    using codec = new JpegCodec();
    const frame = await camera();
    const bytes = codec.encode(frame, { quality: 90 });
    assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.ok(frame.data.length / bytes.length >= 5, `ratio ${frame.data.length / bytes.length}`);
    const back = codec.decode(bytes);
    assert.equal(back.width, WIDTH);
    assert.equal(back.height, HEIGHT);
    assert.equal(back.format, "bgr24");
    const mae = meanAbsoluteError(frame.data, back.data);
    assert.ok(mae > 0 && mae <= MAE_BOUND_Q90, `MAE ${mae}`);
  },
});

Deno.test({
  name: "JpegCodec quality trades size for error: 10 < 90 < 100 in bytes, reverse in error",
  ignore: NO_FFMPEG,
  async fn() {
    using codec = new JpegCodec();
    const frame = await camera();
    const results = [10, 90, 100].map((quality) => {
      const bytes = codec.encode(frame, { quality });
      return { size: bytes.length, mae: meanAbsoluteError(frame.data, codec.decode(bytes).data) };
    });
    assert.ok(results[0].size < results[1].size && results[1].size < results[2].size);
    assert.ok(results[0].mae > results[1].mae && results[1].mae > results[2].mae);
  },
});

Deno.test({
  name: "JpegCodec fastDct and fastUpsample each change the pixels but stay within the bound",
  ignore: NO_FFMPEG,
  async fn(t) {
    using codec = new JpegCodec();
    const frame = await camera();
    await t.step("encode: fastDct false selects the accurate DCT", () => {
      const fast = codec.encode(frame, { fastDct: true });
      const accurate = codec.encode(frame, { fastDct: false });
      assert.notDeepEqual(fast, accurate);
      for (const bytes of [fast, accurate]) {
        assert.ok(meanAbsoluteError(frame.data, codec.decode(bytes).data) <= MAE_BOUND_Q90);
      }
    });
    const bytes = codec.encode(frame);
    const reference = codec.decode(bytes, { fastDct: false, fastUpsample: false });
    for (
      const options of [
        { fastDct: true, fastUpsample: false },
        { fastDct: false, fastUpsample: true },
        { fastDct: true, fastUpsample: true },
      ]
    ) {
      await t.step(`decode: ${JSON.stringify(options)}`, () => {
        const back = codec.decode(bytes, options);
        assert.notDeepEqual(back.data, reference.data);
        assert.ok(meanAbsoluteError(frame.data, back.data) <= MAE_BOUND_Q90);
      });
    }
  },
});

Deno.test("JpegCodec writes the chroma subsampling asked for, 4:2:2 by default", async (t) => {
  using codec = new JpegCodec();
  const frame = gradient(64, 48);
  assert.equal(codec.info(codec.encode(frame)).subsampling, "422");
  for (const subsampling of ["444", "422", "420", "gray"] as const) {
    await t.step(subsampling, () => {
      const bytes = codec.encode(frame, { subsampling });
      const info = codec.info(bytes);
      assert.deepEqual(info, {
        width: 64,
        height: 48,
        subsampling,
        colorspace: subsampling === "gray" ? "gray" : "ycbcr",
      });
      const back = codec.decode(bytes);
      assert.equal(back.format, subsampling === "gray" ? "gray" : "bgr24");
      if (subsampling !== "gray") assert.ok(meanAbsoluteError(frame.data, back.data) < 2);
    });
  }
});

Deno.test("JpegCodec keeps a red frame red in BGR, RGB and RGBA", async (t) => {
  using codec = new JpegCodec();
  const red: Record<Exclude<PixelFormat, "gray">, number[]> = {
    bgr24: [0, 0, 255],
    rgb24: [255, 0, 0],
    rgba: [255, 0, 0, 255],
  };
  for (const [from, pixel] of Object.entries(red) as [PixelFormat, number[]][]) {
    for (const [to, expected] of Object.entries(red) as [PixelFormat, number[]][]) {
      await t.step(`${from} -> ${to}`, () => {
        const bytes = codec.encode(solid(32, 16, from, pixel), { subsampling: "444" });
        const back = codec.decode(bytes, { format: to });
        assert.equal(back.format, to);
        assertPixelsNear(back, expected, 3);
      });
    }
  }
  await t.step(
    "a frame without format is read as bgr24 unless defaultFormat says otherwise",
    () => {
      const { format: _, ...bare } = solid(16, 16, "bgr24", [0, 0, 255]);
      assertPixelsNear(codec.decode(codec.encode(bare), { format: "rgb24" }), [255, 0, 0], 3);
      const asRgb = codec.encode(bare, { defaultFormat: "rgb24" });
      assertPixelsNear(codec.decode(asRgb, { format: "rgb24" }), [0, 0, 255], 3);
      // A frame's own format wins over defaultFormat.
      const own = codec.encode(solid(16, 16, "bgr24", [0, 0, 255]), { defaultFormat: "rgb24" });
      assertPixelsNear(codec.decode(own, { format: "rgb24" }), [255, 0, 0], 3);
    },
  );
});

Deno.test("JpegCodec handles gray: gray frames make gray JPEGs, colour decodes to BT.601 luma", () => {
  using codec = new JpegCodec();
  const gray = solid(24, 8, "gray", [77]);
  const bytes = codec.encode(gray, { subsampling: "420" });
  assert.equal(codec.info(bytes).colorspace, "gray");
  const back = codec.decode(bytes);
  assert.equal(back.format, "gray");
  assert.equal(back.channels, 1);
  assertPixelsNear(back, [77], 1);
  assertPixelsNear(codec.decode(bytes, { format: "bgr24" }), [77, 77, 77], 1);
  assertPixelsNear(codec.decode(bytes, { format: "rgba" }), [77, 77, 77, 255], 1);
  // Red's luma is 0.299 * 255 = 76.
  const red = codec.encode(solid(24, 8, "rgb24", [255, 0, 0]), { subsampling: "444" });
  assertPixelsNear(codec.decode(red, { format: "gray" }), [76], 2);
});

Deno.test("JpegCodec encodes frames whose data is a view into a larger buffer", () => {
  using codec = new JpegCodec();
  const frame = gradient(40, 30);
  const backing = new Uint8Array(frame.data.length + 7);
  backing.set(frame.data, 7);
  const view = { ...frame, data: backing.subarray(7) };
  assert.deepEqual(codec.encode(view), codec.encode(frame));
});

Deno.test("JpegCodec rejects malformed and truncated JPEGs with JpegError", async (t) => {
  using codec = new JpegCodec();
  const valid = codec.encode(gradient(160, 120));
  await t.step("empty and non-JPEG bytes", () => {
    for (const bytes of [new Uint8Array(0), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2])]) {
      const error = rejects(() => codec.decode(bytes), "invalid-jpeg");
      assert.match(error.message, /^Cannot decode JPEG: the data must start with .*FF D8 FF/);
      assert.equal(error.operation, "decode");
    }
  });
  await t.step("JPEG markers followed by garbage", () => {
    const error = rejects(
      () => codec.decode(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3, 4])),
      "invalid-jpeg",
    );
    assert.match(error.message, /^Cannot decode JPEG: /);
  });
  await t.step("truncated: rejected as a warning, accepted with strict: false", () => {
    const cut = valid.subarray(0, Math.floor(valid.length / 2));
    const error = rejects(() => codec.decode(cut), "invalid-jpeg");
    assert.equal(error.warning, true);
    assert.match(error.message, /Premature end of JPEG file/);
    assert.equal(codec.decode(cut, { strict: false }).width, 160);
  });
  await t.step("header only", () => {
    rejects(() => codec.decode(valid.subarray(0, 200)), "invalid-jpeg");
  });
  await t.step("corrupt entropy-coded data", () => {
    const corrupt = valid.slice();
    for (let i = 400; i < corrupt.length - 2; i++) corrupt[i] = 0xff;
    rejects(() => codec.decode(corrupt), "invalid-jpeg");
  });
  await t.step("info() rejects the same way", () => {
    rejects(() => codec.info(new Uint8Array([0xff, 0xd8])), "invalid-jpeg");
  });
  await t.step("a header larger than maxPixels is refused before decoding", () => {
    const error = rejects(() => codec.decode(valid, { maxPixels: 160 * 120 - 1 }), "too-large");
    assert.match(error.message, /160x120 = 19200 pixels.*"maxPixels"/);
    assert.equal(codec.decode(valid, { maxPixels: 160 * 120 }).height, 120);
  });
  await t.step("non-Uint8Array input is a TypeError", () => {
    assert.throws(() => codec.decode([0xff, 0xd8] as unknown as Uint8Array), TypeError);
  });
});

Deno.test("JpegCodec survives random corruption of JPEG bytes without crashing the process", () => {
  using codec = new JpegCodec();
  const valid = codec.encode(gradient(96, 64), { quality: 80 });
  // Deterministic xorshift so a failure can be replayed.
  let state = 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  let decoded = 0;
  let rejected = 0;
  for (let round = 0; round < 300; round++) {
    const bytes = valid.slice(0, 3 + Math.floor(next() * (valid.length - 3)) + 1);
    const flips = 1 + Math.floor(next() * 8);
    for (let f = 0; f < flips; f++) {
      bytes[3 + Math.floor(next() * (bytes.length - 3))] = Math.floor(next() * 256);
    }
    try {
      const frame = codec.decode(bytes);
      assert.equal(frame.data.length, frame.width * frame.height * frame.channels);
      decoded++;
    } catch (error) {
      assert.ok(error instanceof JpegError, String(error));
      rejected++;
    }
  }
  assert.equal(decoded + rejected, 300);
  assert.ok(rejected > 0);
});

Deno.test("JpegCodec.encode refuses malformed frames and options", () => {
  using codec = new JpegCodec();
  const frame = gradient(8, 8);
  for (const quality of [0, 101, 90.5, Number.NaN]) {
    assert.throws(() => codec.encode(frame, { quality }), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(
        error.message,
        /^Cannot encode JPEG: option "quality" must be an integer 1..100/,
      );
      return true;
    });
  }
  assert.throws(
    () => codec.encode(frame, { subsampling: "411" as "444" }),
    /option "subsampling" must be one of "444", "422", "420", "gray", got "411"/,
  );
  assert.throws(() => codec.encode({ ...frame, format: "yuv" as PixelFormat }), TypeError);
  assert.throws(() => codec.encode({ ...frame, channels: 4 }), /frame.channels must be 3/);
  assert.throws(() => codec.encode({ ...frame, data: frame.data.subarray(1) }), RangeError);
  assert.throws(() => codec.encode({ ...frame, width: 0 }), RangeError);
  assert.throws(() => codec.encode({ ...frame, width: 70000, height: 1 }), /1..65535/);
});

Deno.test("JpegCodec.close is idempotent and later calls throw a closed JpegError", async () => {
  const codec = new JpegCodec();
  const bytes = codec.encode(gradient(8, 8));
  codec.close();
  codec.close();
  await codec[Symbol.asyncDispose]();
  assert.equal(codec.closed, true);
  assert.equal(rejects(() => codec.encode(gradient(8, 8)), "closed").operation, "encode");
  assert.equal(rejects(() => codec.decode(bytes), "closed").operation, "decode");
});

Deno.test("JpegCodec reports a missing libjpeg-turbo with how to install it", () => {
  const libraryPath = "/nonexistent/libturbojpeg.so.0";
  assert.throws(() => new JpegCodec({ libraryPath }), (error: unknown) => {
    assert.ok(error instanceof JpegUnavailableError);
    assert.deepEqual(error.paths, [libraryPath]);
    assert.match(error.message, /^Cannot load libjpeg-turbo: .*\/nonexistent\/libturbojpeg\.so\.0/);
    if (Deno.build.os === "linux") assert.match(error.message, /apt-get install -y libturbojpeg0/);
    assert.ok(error.cause instanceof AggregateError);
    return true;
  });
  assert.equal(JpegCodec.isAvailable({ libraryPath }), false);
  assert.equal(JpegCodec.isAvailable(), true);
});

Deno.test("resolveJpegCompression reads vidgear's jpegCompression values", () => {
  assert.deepEqual(resolveJpegCompression(true), { enabled: true });
  assert.deepEqual(resolveJpegCompression(false), { enabled: false });
  assert.deepEqual(resolveJpegCompression(" gray "), { enabled: true, format: "gray" });
  assert.deepEqual(resolveJpegCompression("rgb"), { enabled: true, format: "rgb24" });
  assert.deepEqual(resolveJpegCompression("BGR"), { enabled: true, format: "bgr24" });
  assert.deepEqual(resolveJpegCompression("RGBA"), { enabled: true, format: "rgba" });
  assert.throws(
    () => resolveJpegCompression("CMYK"),
    (error: unknown) =>
      error instanceof RangeError &&
      /colourspace "CMYK" is not supported \(no pixel format can hold CMYK; convert the frames to RGB or BGR\); valid choices are true, false, "BGR", "RGB", "RGBA", "GRAY", "RGBX", "BGRX", "XBGR", "XRGB", "BGRA", "ABGR", "ARGB"/
        .test(error.message),
  );
  assert.throws(() => resolveJpegCompression("YUV"), /colourspace "YUV" is not supported; valid/);
  assert.throws(() => resolveJpegCompression(1 as unknown as boolean), TypeError);
});

Deno.test("resolveJpegCompression takes every colourspace of vidgear's but CMYK, 4-byte layouts as layouts", () => {
  const layouts = {
    RGBX: "rgb24",
    BGRX: "bgr24",
    XBGR: "bgr24",
    XRGB: "rgb24",
    BGRA: "bgr24",
    ABGR: "bgr24",
    ARGB: "rgb24",
  } as const;
  for (const [layout, format] of Object.entries(layouts)) {
    assert.deepEqual(resolveJpegCompression(layout.toLowerCase()), {
      enabled: true,
      format,
      layout,
    });
  }
});

Deno.test("JpegCodec encodes frames in a layout no pixel format names, keeping their colours", () => {
  using codec = new JpegCodec();
  const [width, height] = [16, 16];
  // Blue 10, green 120, red 240; the padding or alpha byte 7 (must not leak in).
  const colours: Record<string, number> = { B: 10, G: 120, R: 240, X: 7, A: 7 };
  for (const layout of ["RGBX", "BGRX", "XBGR", "XRGB", "BGRA", "ABGR", "ARGB"] as const) {
    const pixel = [...layout].map((channel) => colours[channel]);
    const data = new Uint8Array(width * height * 4);
    for (let i = 0; i < data.length; i++) data[i] = pixel[i % 4];
    const jpeg = codec.encode({ width, height, channels: 4, data }, { layout, quality: 95 });
    const back = codec.decode(jpeg, { format: "bgr24" });
    const [b, g, r] = back.data;
    for (const [got, want] of [[b, 10], [g, 120], [r, 240]]) {
      assert.ok(Math.abs(got - want) <= 4, `${layout}: got ${[b, g, r]}, want 10,120,240`);
    }
  }
  assert.throws(
    () =>
      codec.encode({ width, height, channels: 3, data: new Uint8Array(width * height * 3) }, {
        layout: "BGRA",
      }),
    /frame.channels must be 4 for layout "BGRA"/,
  );
});
