/**
 * What the live viewer costs: CPU of the process running the NetGear client
 * (and its viewer) while 4 servers stream 640x480 at 30 fps, in three
 * phases measured one after the other over the same streams:
 *
 * 1. `client only`: the client receives and the app drains it; no viewer;
 * 2. `viewer, no page`: the viewer runs but nobody watches (it should cost
 *    nothing: frames are kept by reference, never encoded);
 * 3. `viewer + page`: one headless Chromium shows every tile.
 *
 * Twice: servers sending raw BGR frames (the viewer JPEG-encodes them for
 * the page, at most `maxFps` per tile) and servers sending JPEG (the viewer
 * passes the bytes on). Every server is its own process (this script,
 * started again with `--serve`), so their work is not in the figures.
 *
 * CPU is `process.cpuUsage()` (user + system) over the window divided by its
 * length: 100 % is one core. Chromium's is the sum over its processes
 * (found by their profile directory) of `utime + stime` from
 * `/proc/<pid>/stat`, read through `cat` since Deno's permissions keep
 * `/proc/<pid>` for `--allow-all`.
 *
 * ```sh
 * deno run --allow-read --allow-env --allow-ffi --allow-run --allow-write \
 *   --allow-net=127.0.0.1 --allow-sys tests/bench/viewer_bench.ts [--seconds 5] [--servers 4]
 * ```
 *
 * @module
 */

import "../_helpers/preload_native.ts";
import process from "node:process";
import { parseArgs } from "node:util";
import { SyntheticSource } from "../../capture/synthetic_source.ts";
import { NetGear, type NetGearClient } from "../../actors/netgear/mod.ts";
import { Viewer } from "../../actors/netgear/mod.ts";
import { Chromium, type ChromiumPage, hasChromium } from "../_helpers/chromium.ts";
import { freePorts } from "../_helpers/ports.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    serve: { type: "string" },
    jpeg: { type: "boolean", default: false },
    servers: { type: "string", default: "4" },
    fps: { type: "string", default: "30" },
    width: { type: "string", default: "640" },
    height: { type: "string", default: "480" },
    seconds: { type: "string", default: "4" },
    repeat: { type: "string", default: "3" },
    "max-fps": { type: "string", default: "30" },
    modes: { type: "string", default: "raw,jpeg" },
    json: { type: "string" },
  },
});
const FPS = Number(values.fps);
const WIDTH = Number(values.width);
const HEIGHT = Number(values.height);
const REPEAT = Math.max(1, Number(values.repeat));

if (values.serve !== undefined) {
  await serve(Number(values.serve), values.jpeg);
  Deno.exit(0);
}

/**
 * `--serve PORT`: stream a synthetic pattern until stdin closes. A second of
 * frames is rendered up front and sent in a loop, so that the servers' own
 * work (on the same cores) stays small.
 */
async function serve(port: number, jpeg: boolean): Promise<void> {
  const stop = new AbortController();
  // The bench closes our stdin to stop us: no signals, nothing left behind.
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* wait for the end */ }
    stop.abort();
  })();
  const frames = [];
  {
    await using source = new SyntheticSource({
      width: WIDTH,
      height: HEIGHT,
      fps: 0,
      frames: Math.max(1, FPS),
      name: `${jpeg ? "jpeg" : "raw"} ${port}`,
    });
    for await (const frame of source) frames.push(frame);
  }
  const server = await NetGear.open({ multiserverMode: true, port, jpegCompression: jpeg });
  const started = performance.now();
  for (let n = 0; !stop.signal.aborted; n++) {
    // Absolute deadlines: timer lateness does not add up into a lower rate.
    const due = started + n * 1000 / FPS - performance.now();
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    await server.send(frames[n % frames.length], { message: { n } }).catch(() => stop.abort());
  }
  await server.close();
}

interface Window {
  mode: string;
  phase: string;
  seconds: number;
  /** Bench process CPU, % of one core (the median window's). */
  cpu: number;
  /** Lowest and highest bench CPU of the windows. */
  cpuRange: [number, number];
  /** Frames received by the client, per second (all servers). */
  received: number;
  /** Frames the viewer sent on, per second (all tiles). */
  shown: number;
  /** Raw frames the viewer encoded, per second. */
  encoded: number;
  /** Frames the page drew, per second. */
  drawn: number | null;
  /** Chromium's CPU, % of one core (every process of it). */
  chromium: number | null;
}

interface Counters {
  at: number;
  cpu: number;
  received: number;
  shown: number;
  encoded: number;
  drawn: number | null;
  chromiumTicks: number | null;
}

async function chromiumTicks(profile: string): Promise<number> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      'for p in $(pgrep -f -- "$1"); do cat /proc/$p/stat 2>/dev/null; done',
      "sh",
      profile,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  let ticks = 0;
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
    if (fields.length > 13) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks;
}

async function counters(
  client: NetGearClient,
  viewer: Viewer | undefined,
  page: ChromiumPage | undefined,
  browser: Chromium | undefined,
): Promise<Counters> {
  const stats = await client.stats();
  const tiles = viewer?.stats() ?? [];
  const drawn = page
    ? await page.evaluate<number>(
      '[...document.querySelectorAll(".tile")].reduce((sum, t) => sum + Number(t.dataset.drawn), 0)',
    )
    : null;
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    cpu: usage.user + usage.system,
    received: stats.reduce((sum, s) => sum + s.frames, 0),
    shown: tiles.reduce((sum, t) => sum + t.shown, 0),
    encoded: tiles.reduce((sum, t) => sum + t.encoded, 0),
    drawn,
    chromiumTicks: browser ? await chromiumTicks(browser.profile) : null,
  };
}

async function measure(
  mode: string,
  phase: string,
  seconds: number,
  parts: [NetGearClient, Viewer?, ChromiumPage?, Chromium?],
): Promise<Window> {
  const start = await counters(...parts);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const end = await counters(...parts);
  const wall = (end.at - start.at) / 1000;
  const rate = (a: number | null, b: number | null) =>
    a === null || b === null ? null : (b - a) / wall;
  const chromium = rate(start.chromiumTicks, end.chromiumTicks);
  const cpu = (end.cpu - start.cpu) / 1e6 / wall * 100;
  return {
    mode,
    phase,
    seconds: wall,
    cpu,
    cpuRange: [cpu, cpu],
    received: rate(start.received, end.received)!,
    shown: rate(start.shown, end.shown)!,
    encoded: rate(start.encoded, end.encoded)!,
    drawn: rate(start.drawn, end.drawn),
    // Clock ticks are 1/100 s on Linux: ticks per second are % of one core.
    chromium,
  };
}

/** `repeat` windows in a row; the figures of the one with the median CPU, and the CPU range. */
async function measureRepeated(
  mode: string,
  phase: string,
  seconds: number,
  parts: [NetGearClient, Viewer?, ChromiumPage?, Chromium?],
): Promise<Window> {
  const windows: Window[] = [];
  for (let i = 0; i < REPEAT; i++) windows.push(await measure(mode, phase, seconds, parts));
  windows.sort((a, b) => a.cpu - b.cpu);
  const median = windows[Math.floor(windows.length / 2)];
  return { ...median, cpuRange: [windows[0].cpu, windows[windows.length - 1].cpu] };
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  while (!await condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function runMode(mode: "raw" | "jpeg", count: number, seconds: number): Promise<Window[]> {
  const ports = freePorts(count);
  const client = await NetGear.open({ receiveMode: true, multiserverMode: true, port: ports });
  const draining = (async () => {
    while (await client.recv() !== null) { /* the app's own use of the frames */ }
  })();
  const self = new URL(import.meta.url).pathname;
  const children = ports.map((port) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-ffi",
        self,
        "--serve",
        String(port),
        ...(mode === "jpeg" ? ["--jpeg"] : []),
        "--fps",
        String(FPS),
        "--width",
        String(WIDTH),
        "--height",
        String(HEIGHT),
      ],
      stdin: "piped",
      stdout: "null",
      stderr: "inherit",
    }).spawn()
  );
  let viewer: Viewer | undefined;
  let browser: Chromium | undefined;
  const windows: Window[] = [];
  try {
    await until(async () => {
      const stats = await client.stats();
      return stats.length === count && stats.every((s) => s.fps > FPS / 2);
    }, `${count} servers streaming`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    windows.push(await measureRepeated(mode, "client only", seconds, [client]));

    viewer = await Viewer.start(client, { maxFps: Number(values["max-fps"]) });
    await new Promise((resolve) => setTimeout(resolve, 500));
    windows.push(await measureRepeated(mode, "viewer, no page", seconds, [client, viewer]));

    if (hasChromium()) {
      browser = await Chromium.launch();
      const page = await browser.newPage(1280, 1000);
      await page.goto(viewer.url);
      await page.waitFor(
        "every tile drawing",
        `document.querySelectorAll(".tile").length === ${count} &&
          [...document.querySelectorAll(".tile")].every((t) => Number(t.dataset.drawn) > 5)`,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      windows.push(
        await measureRepeated(mode, "viewer + page", seconds, [client, viewer, page, browser]),
      );
    } else {
      console.error("viewer bench: no /usr/bin/chromium; the page phase is skipped");
    }
  } finally {
    await browser?.close();
    await viewer?.close();
    for (const child of children) await child.stdin.close().catch(() => {});
    await Promise.all(children.map((child) => child.status));
    await client.close();
    await draining;
  }
  return windows;
}

const count = Number(values.servers);
const seconds = Number(values.seconds);
const results: Window[] = [];
for (const mode of values.modes.split(",") as ("raw" | "jpeg")[]) {
  console.error(`viewer bench: ${count} servers, ${WIDTH}x${HEIGHT} ${mode} at ${FPS} fps…`);
  results.push(...await runMode(mode, count, seconds));
}

const fixed = (value: number | null, digits = 1) => value === null ? "-" : value.toFixed(digits);
const rows = [
  [
    "frames",
    "phase",
    "bench CPU %",
    "received/s",
    "shown/s",
    "encoded/s",
    "drawn/s",
    "chromium CPU %",
  ],
  ...results.map((w) => [
    w.mode,
    w.phase,
    `${fixed(w.cpu)} (${fixed(w.cpuRange[0])}-${fixed(w.cpuRange[1])})`,
    fixed(w.received),
    fixed(w.shown),
    fixed(w.encoded),
    fixed(w.drawn),
    fixed(w.chromium),
  ]),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
console.log(
  `Viewer CPU: ${count} servers (one process each), ${WIDTH}x${HEIGHT} at ${FPS} fps, ` +
    `maxFps ${
      values["max-fps"]
    }, median of ${REPEAT} windows of ${seconds} s (CPU range), ${navigator.hardwareConcurrency} cores; ` +
    `CPU % is of one core`,
);
for (const row of rows) {
  console.log(
    row.map((cell, i) => i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  "),
  );
}
if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(results, null, 2));
