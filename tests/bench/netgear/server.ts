/**
 * One NetGear bench server: its own process, sending preallocated frames
 * (nothing allocated per frame here) as fast as the transport takes them, or
 * at `--fps` (slots from one start time, missed ones skipped: see Pacer in
 * `../_window.mjs`), until SIGTERM, `--seconds` or `--frames`; then `close()`.
 *
 * Prints one JSON line at the end: frames sent, the time `close()` began,
 * and the send() durations after warm-up (in REQ/REP, the round trip).
 *
 * `--jpeg-quality Q` JPEG-compresses every frame (`jpegCompression: true`).
 * `--silent` sends one data-only message, prints `{"event":"silent"}`, then
 * sends nothing until SIGTERM: a connected server that only heartbeats (the
 * `scale` section's idle client measurement).
 *
 * ```sh
 * deno run --allow-read --allow-env --allow-ffi tests/bench/netgear/server.ts --port 5701 --pattern 2
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { NetGear } from "../../../actors/netgear/mod.ts";
import type { Frame } from "../../../capture/frame.ts";
import type { Pattern } from "../../../actors/netgear/mod.ts";
import { now, Pacer, percentile } from "../_window.mjs";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string", default: "5701" },
    pattern: { type: "string", default: "2" },
    width: { type: "string", default: "640" },
    height: { type: "string", default: "480" },
    fps: { type: "string", default: "0" },
    frames: { type: "string", default: "0" },
    seconds: { type: "string", default: "120" },
    "message-bytes": { type: "string", default: "0" },
    "no-frame": { type: "boolean", default: false },
    "heartbeat-interval": { type: "string", default: "1000" },
    warmup: { type: "string", default: "0.5" },
    "jpeg-quality": { type: "string", default: "0" },
    silent: { type: "boolean", default: false },
  },
});
const port = Number(values.port);
const width = Number(values.width);
const height = Number(values.height);
const fps = Number(values.fps);
const maxFrames = Number(values.frames) || Infinity;
const warmupMs = Number(values.warmup) * 1000;

// Two frames taken in turn. NetGear is done with a frame's bytes once send()
// has settled (REQ/REP sends them without a copy, PUB/SUB copies them), so
// each buffer is free again by the next send.
const frames: Frame[] = Array.from({ length: 2 }, (_, i) => ({
  width,
  height,
  channels: 3,
  format: "bgr24",
  data: new Uint8Array(width * height * 3).fill(16 + 64 * i),
}));
const messageBytes = Number(values["message-bytes"]);
const message = messageBytes > 0 ? new Uint8Array(messageBytes).fill(1) : undefined;
const withFrame = !values["no-frame"];

const stop = new AbortController();
const onSignal = (): void => stop.abort();
Deno.addSignalListener("SIGTERM", onSignal);
Deno.addSignalListener("SIGINT", onSignal);
const deadline = setTimeout(onSignal, Number(values.seconds) * 1000);

const server = await NetGear.open({
  port,
  pattern: Number(values.pattern) as Pattern,
  multiserverMode: true,
  heartbeatInterval: Number(values["heartbeat-interval"]),
  livenessTimeout: Math.max(5000, 3 * Number(values["heartbeat-interval"])),
  ...(Number(values["jpeg-quality"]) > 0
    ? { jpegCompression: true, jpegCompressionQuality: Number(values["jpeg-quality"]) }
    : {}),
});
if (values.silent) {
  // One message so the client counts this server as connected; then only
  // NetGear's own heartbeats cross the wire until SIGTERM (or --seconds).
  await server.send(undefined, { message: new Uint8Array(16) });
  console.log(JSON.stringify({ event: "silent", port }));
  await new Promise((resolve) => {
    if (stop.signal.aborted) resolve(undefined);
    else stop.signal.addEventListener("abort", resolve, { once: true });
  });
}
// At fps 0 a PUB send() settles through promises alone, so the loop would
// never give the event loop a turn: SIGTERM (and timers) waited up to a
// second. A message through a channel is a real task, unclamped unlike
// setTimeout(0); one every YIELD_MS costs nothing measurable.
const YIELD_MS = 20;
const channel = new MessageChannel();
let wake: () => void = () => {};
channel.port1.onmessage = () => wake();
const nextTask = (): Promise<void> =>
  new Promise((resolve) => {
    wake = resolve;
    channel.port2.postMessage(0);
  });
let yieldedAt = now();

const durations = new Float64Array(1 << 18);
let recorded = 0;
let sent = 0;
let firstAt = 0;
// Paced from one start time (see Pacer): a live source does not drift.
const pacer = fps > 0 ? new Pacer(fps) : undefined;
while (!values.silent && !stop.signal.aborted && sent < maxFrames) {
  const t0 = now();
  // No signal: an aborted REQ send would leave the request half done; the
  // client answers it while it drains.
  await server.send(withFrame ? frames[sent & 1] : undefined, { message });
  const t1 = now();
  if (sent === 0) firstAt = t1;
  else if (t1 - firstAt >= warmupMs && recorded < durations.length) {
    durations[recorded++] = t1 - t0;
  }
  sent++;
  if (t1 - yieldedAt >= YIELD_MS) {
    await nextTask();
    yieldedAt = now();
  }
  if (pacer) {
    const wait = pacer.next() - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
clearTimeout(deadline);
channel.port1.close();
const closeAt = now();
await server.close();
const closedAt = now();
Deno.removeSignalListener("SIGTERM", onSignal);
Deno.removeSignalListener("SIGINT", onSignal);
const sorted = durations.subarray(0, recorded).sort();
console.log(JSON.stringify({
  event: "server",
  port,
  sent,
  closeAt,
  closeMs: closedAt - closeAt,
  sendP50: percentile(sorted, 0.5),
  sendP99: percentile(sorted, 0.99),
  sendSamples: recorded,
  skipped: pacer?.skipped ?? 0,
}));
