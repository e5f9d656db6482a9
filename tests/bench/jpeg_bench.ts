/**
 * JPEG encode and decode of 640x480 BGR frames at quality 90: JpegCodec
 * (libjpeg-turbo through FFI) against the alternatives that are installed,
 * all in the same run, on camera-like images (ffmpeg's testsrc2, and the
 * astronaut photo from assets/images).
 *
 * Alternatives are loaded by bare name and skipped when missing from the
 * import map: `sharp` (libvips + mozjpeg, a Node-API addon) and `jpeg-js`
 * (pure JavaScript). Their timings include the BGR <-> RGB(A) shuffles they
 * need, since a frame arrives as BGR.
 *
 * JpegCodec rows use vidgear's defaults (fast DCT, 4:2:2) unless named.
 *
 * Run: deno run --allow-read --allow-env --allow-ffi --allow-run tests/bench/jpeg_bench.ts
 * Options: --iterations N (per measurement, default 100; jpeg-js runs N/10)
 *          --image PATH (a photo, scaled to 640x480 by ffmpeg).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { JpegCodec } from "../../transports/codecs/jpeg.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "100" },
    image: {
      type: "string",
      default: new URL("../../assets/images/astronaut.png", import.meta.url).pathname,
    },
  },
});
const ITERATIONS = Math.max(5, Number(values.iterations));
const WIDTH = 640;
const HEIGHT = 480;
const QUALITY = 90;

interface Candidate {
  name: string;
  iterations: number;
  encode(bgr: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Returns BGR pixels. */
  decode(jpeg: Uint8Array): Uint8Array | Promise<Uint8Array>;
  close?(): void;
}

async function ffmpegImage(input: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", ...input, "-frames:v", "1"],
      ...["-vf", `scale=${WIDTH}:${HEIGHT}`, "-pix_fmt", "bgr24", "-f", "rawvideo", "pipe:1"],
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return out.stdout;
}

function swapRedBlue(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    out[i] = src[i + 2];
    out[i + 1] = src[i + 1];
    out[i + 2] = src[i];
  }
  return out;
}

async function optional(specifier: string): Promise<unknown> {
  try {
    // A variable specifier keeps these optional: the bench runs without them.
    return await import(specifier);
  } catch (error) {
    console.log(`(${specifier} skipped: ${String(error).split("\n")[0]})`);
    return undefined;
  }
}

async function candidates(): Promise<Candidate[]> {
  const fast = new JpegCodec();
  const list: Candidate[] = [
    {
      name: "JpegCodec (libjpeg-turbo FFI)",
      iterations: ITERATIONS,
      encode: (bgr) => fast.encode({ width: WIDTH, height: HEIGHT, channels: 3, data: bgr }),
      decode: (jpeg) => fast.decode(jpeg).data,
      close: () => fast.close(),
    },
    {
      name: "JpegCodec, accurate DCT",
      iterations: ITERATIONS,
      encode: (bgr) =>
        fast.encode({ width: WIDTH, height: HEIGHT, channels: 3, data: bgr }, { fastDct: false }),
      decode: (jpeg) => fast.decode(jpeg, { fastDct: false }).data,
    },
    {
      // sharp only offers 4:4:4 and 4:2:0: this row compares like with like.
      name: "JpegCodec, 4:2:0",
      iterations: ITERATIONS,
      encode: (bgr) =>
        fast.encode({ width: WIDTH, height: HEIGHT, channels: 3, data: bgr }, {
          subsampling: "420",
        }),
      decode: (jpeg) => fast.decode(jpeg).data,
    },
  ];
  type Sharp = {
    (input: Uint8Array, options?: unknown): {
      jpeg(options: unknown): { toBuffer(): Promise<Uint8Array> };
      raw(): { toBuffer(): Promise<Uint8Array> };
    };
    cache(enabled: boolean): void;
  };
  const sharp = (await optional("sharp") as { default: Sharp } | undefined)?.default;
  if (sharp !== undefined) {
    sharp.cache(false);
    list.push({
      name: "sharp (libvips + mozjpeg)",
      iterations: ITERATIONS,
      encode: (bgr) =>
        sharp(swapRedBlue(bgr), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
          .jpeg({ quality: QUALITY, chromaSubsampling: "4:2:0" }).toBuffer(),
      decode: async (jpeg) => swapRedBlue(await sharp(jpeg).raw().toBuffer()),
    });
  }
  type JpegJs = {
    encode(image: { data: Uint8Array; width: number; height: number }, q: number): {
      data: Uint8Array;
    };
    decode(jpeg: Uint8Array, options: { useTArray: true }): { data: Uint8Array };
  };
  const jpegJs = (await optional("jpeg-js") as { default: JpegJs } | undefined)?.default;
  if (jpegJs !== undefined) {
    list.push({
      name: "jpeg-js (pure JS)",
      iterations: Math.max(5, Math.round(ITERATIONS / 10)),
      encode: (bgr) => {
        const rgba = new Uint8Array(WIDTH * HEIGHT * 4);
        for (let i = 0, o = 0; i < bgr.length; i += 3, o += 4) {
          rgba[o] = bgr[i + 2];
          rgba[o + 1] = bgr[i + 1];
          rgba[o + 2] = bgr[i];
          rgba[o + 3] = 255;
        }
        return jpegJs.encode({ data: rgba, width: WIDTH, height: HEIGHT }, QUALITY).data;
      },
      decode: (jpeg) => {
        const rgba = jpegJs.decode(jpeg, { useTArray: true }).data;
        const bgr = new Uint8Array(WIDTH * HEIGHT * 3);
        for (let i = 0, o = 0; o < bgr.length; i += 4, o += 3) {
          bgr[o] = rgba[i + 2];
          bgr[o + 1] = rgba[i + 1];
          bgr[o + 2] = rgba[i];
        }
        return bgr;
      },
    });
  }
  return list;
}

/** Median and 95th percentile of `runs` timed calls, in ms, after a warm-up. */
async function time(runs: number, fn: () => unknown): Promise<[number, number]> {
  for (let i = 0; i < Math.min(10, runs); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return [samples[Math.floor(runs / 2)], samples[Math.min(runs - 1, Math.floor(runs * 0.95))]];
}

function meanAbsoluteError(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

const images: [string, Uint8Array][] = [
  ["testsrc2", await ffmpegImage(["-f", "lavfi", "-i", `testsrc2=size=${WIDTH}x${HEIGHT}:rate=1`])],
];
try {
  await Deno.stat(values.image);
  images.push([values.image.split("/").pop()!, await ffmpegImage(["-i", values.image])]);
} catch {
  console.log(`(${values.image} not found: photo skipped)`);
}

const list = await candidates();
const rows: string[][] = [];
for (const [imageName, bgr] of images) {
  for (const candidate of list) {
    const jpeg = await candidate.encode(bgr);
    const [encodeMedian, encodeP95] = await time(candidate.iterations, () => candidate.encode(bgr));
    const [decodeMedian, decodeP95] = await time(
      candidate.iterations,
      () => candidate.decode(jpeg),
    );
    const mae = meanAbsoluteError(bgr, await candidate.decode(jpeg));
    rows.push([
      candidate.name,
      imageName,
      `${encodeMedian.toFixed(2)} / ${encodeP95.toFixed(2)}`,
      `${decodeMedian.toFixed(2)} / ${decodeP95.toFixed(2)}`,
      String(jpeg.length),
      `${(bgr.length / jpeg.length).toFixed(1)}x`,
      mae.toFixed(2),
    ]);
  }
}
for (const candidate of list) candidate.close?.();

const header = [
  "encoder",
  "image",
  "encode ms p50/p95",
  "decode ms p50/p95",
  "bytes",
  "ratio",
  "MAE",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]): string =>
  "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
console.log(`\nJPEG quality ${QUALITY}, ${WIDTH}x${HEIGHT} BGR, ${ITERATIONS} iterations`);
console.log(line(header));
console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
for (const row of rows) console.log(line(row));
console.log("target: encode and decode <= 4 ms each, ratio >= 5x");
