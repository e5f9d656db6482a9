/**
 * Capture throughput: how many frames per second FfmpegSource delivers from
 * a 640x480 file with pacing off, against ffmpeg's own rate into /dev/null
 * (the ceiling) and into a pipe (what any out-of-process reader pays), all
 * timed in the same run; and SyntheticSource alone at 640x480.
 *
 * Run: deno run --allow-run --allow-read --allow-write --allow-env tests/bench/capture_bench.ts
 * Options: --frames N (clip length, default 900) --runs N (default 3, best kept).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FfmpegSource, SyntheticSource } from "../../capture/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    frames: { type: "string", default: "900" },
    runs: { type: "string", default: "3" },
  },
});
const FRAMES = Number(values.frames);
const RUNS = Number(values.runs);
const WIDTH = 640;
const HEIGHT = 480;

async function run(cmd: string, args: string[], stdout: "null" | "piped" = "null"): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout, stderr: "piped", stdin: "null" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function makeClip(dir: string, codec: string, ext: string): Promise<string> {
  const path = `${dir}/bench_${codec}.${ext}`;
  const quality = codec === "mpeg4" ? ["-q:v", "3"] : [];
  await run("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${WIDTH}x${HEIGHT}:rate=30`,
    "-frames:v",
    String(FRAMES),
    "-c:v",
    codec,
    ...quality,
    path,
  ]);
  return path;
}

const decodeArgs = (file: string): string[] => [
  "-hide_banner",
  "-loglevel",
  "error",
  "-nostdin",
  "-i",
  file,
  "-f",
  "rawvideo",
  "-pix_fmt",
  "bgr24",
  "-",
];

/** Seconds `fn` takes. */
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function ffmpegToNull(file: string): Promise<number> {
  await run("ffmpeg", decodeArgs(file));
  return FRAMES;
}

async function ffmpegToPipe(file: string): Promise<number> {
  const quoted = decodeArgs(file).map((a) => `'${a}'`).join(" ");
  await run("sh", ["-c", `ffmpeg ${quoted} | cat > /dev/null`]);
  return FRAMES;
}

async function ffmpegSource(file: string, reuseBuffers = false): Promise<number> {
  await using source = new FfmpegSource({
    input: file,
    width: WIDTH,
    height: HEIGHT,
    fps: 30,
    realtime: false,
    reuseBuffers,
  });
  let frames = 0;
  for await (const frame of source) {
    if (frame.data.length !== WIDTH * HEIGHT * 3) throw new Error("bad frame size");
    frames++;
  }
  if (frames !== FRAMES) throw new Error(`FfmpegSource read ${frames} of ${FRAMES} frames`);
  return frames;
}

async function synthetic(): Promise<{ seconds: number; frames: number }> {
  await using source = new SyntheticSource({ width: WIDTH, height: HEIGHT, fps: 0 });
  const t0 = performance.now();
  let frames = 0;
  while (performance.now() - t0 < 2000) {
    await source.read();
    frames++;
  }
  return { seconds: (performance.now() - t0) / 1000, frames };
}

const dir = await Deno.makeTempDir({ prefix: "capture_bench_" });
try {
  const rows: string[][] = [];
  const row = (what: string, r: { seconds: number; frames: number }, ceiling?: number): void => {
    const fps = r.frames / r.seconds;
    rows.push([
      what,
      String(r.frames),
      r.seconds.toFixed(3),
      fps.toFixed(0),
      ceiling === undefined ? "" : `${(100 * fps / ceiling).toFixed(0)}%`,
    ]);
  };
  for (const [codec, ext] of [["mpeg4", "avi"], ["ffv1", "mkv"]]) {
    const file = await makeClip(dir, codec, ext);
    // Interleaved so a slow spell on the machine hits all of them alike.
    const nulls: number[] = [];
    const pipes: number[] = [];
    const sources: number[] = [];
    const reusing: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      nulls.push(await time(() => ffmpegToNull(file)));
      pipes.push(await time(() => ffmpegToPipe(file)));
      sources.push(await time(() => ffmpegSource(file)));
      reusing.push(await time(() => ffmpegSource(file, true)));
    }
    const ceiling = FRAMES / Math.min(...nulls);
    row(`ffmpeg -> /dev/null (${codec}, ceiling)`, {
      seconds: Math.min(...nulls),
      frames: FRAMES,
    }, ceiling);
    row(`ffmpeg | cat > /dev/null (${codec}, pipe)`, {
      seconds: Math.min(...pipes),
      frames: FRAMES,
    }, ceiling);
    row(`FfmpegSource (${codec})`, {
      seconds: Math.min(...sources),
      frames: FRAMES,
    }, ceiling);
    row(`FfmpegSource (${codec}, reuseBuffers)`, {
      seconds: Math.min(...reusing),
      frames: FRAMES,
    }, ceiling);
  }
  row("SyntheticSource 640x480 bgr24, fps 0", await synthetic());

  const header = ["what", "frames", "seconds", "fps", "of ceiling"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(
      " | ",
    ) + " |";
  console.log(`640x480 bgr24, ${FRAMES}-frame clips, best of ${RUNS} runs each`);
  console.log(line(header));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of rows) console.log(line(r));
} finally {
  await Deno.remove(dir, { recursive: true });
}
