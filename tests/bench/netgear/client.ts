/**
 * The NetGear bench client, in its own process as an application would run
 * it: receives from every port and measures a window (see `../_window.mjs`).
 *
 * Prints JSON lines on stdout: `ready` once the sockets are bound, `state`
 * for every server state change, `result` at the end of the window, `null`
 * when `recv()` returns null (every server gone), `end` just before exiting.
 * After the window it keeps receiving (so REQ/REP servers can finish and
 * say goodbye) until `recv()` returns null or `--drain` seconds pass.
 *
 * Each frame is given back with `client.release()` once counted, as a loop
 * that keeps no frames should; `--keep-frames` leaves them to the garbage
 * collector instead (ActorGear before `release`).
 *
 * `--idle S --expect N` (with `--no-window`): once N servers have each
 * delivered a message (0: at once), waits `--settle` seconds, then measures
 * its own CPU time over S seconds and prints `idle` with `cpuPct` (% of one
 * core) and `rssMB`, and keeps receiving until killed.
 *
 * ```sh
 * deno run --allow-read --allow-env --allow-ffi tests/bench/netgear/client.ts --ports 5701,5702 --pattern 2
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { NetGear, type NetGearClient } from "../../../actors/netgear/mod.ts";
import type { Pattern } from "../../../actors/netgear/mod.ts";
import { now, Window, type WindowResult } from "../_window.mjs";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    ports: { type: "string", default: "5701" },
    pattern: { type: "string", default: "2" },
    warmup: { type: "string", default: "0.5" },
    seconds: { type: "string", default: "2" },
    drain: { type: "string", default: "15" },
    "heartbeat-interval": { type: "string", default: "1000" },
    "liveness-timeout": { type: "string", default: "5000" },
    "no-window": { type: "boolean", default: false },
    idle: { type: "string", default: "0" },
    expect: { type: "string", default: "0" },
    settle: { type: "string", default: "1" },
    "keep-frames": { type: "boolean", default: false },
  },
});
const ports = values.ports.split(",").map(Number);
const emit = (line: Record<string, unknown>): void => console.log(JSON.stringify(line));

let client: NetGearClient;
try {
  client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
    pattern: Number(values.pattern) as Pattern,
    heartbeatInterval: Number(values["heartbeat-interval"]),
    livenessTimeout: Number(values["liveness-timeout"]),
  });
} catch (error) {
  emit({ event: "error", message: String(error) });
  Deno.exit(3);
}
client.addEventListener("serverstate", (event) => {
  const { port, state, reason } = event.detail;
  emit({ event: "state", port, state, reason, at: now() });
});

// Ports are indexed once so the per-frame path does a lookup, not a search.
const indexOf = new Map(ports.map((port, i) => [port, i]));
const keepFrames = values["keep-frames"];
let drainTimer: ReturnType<typeof setTimeout> | undefined;
const window = values["no-window"] ? undefined : new Window({
  ports: ports.length,
  warmupMs: Number(values.warmup) * 1000,
  windowMs: Number(values.seconds) * 1000,
  // The bench reads the machine's CPU counters when this line arrives.
  onStart: () => emit({ event: "window" }),
  onDone: (result: WindowResult) => {
    emit({ event: "result", ...result });
    // Closing ends recv() with null: no abort signal on the per-frame path.
    drainTimer = setTimeout(() => void client.close(), Number(values.drain) * 1000);
  },
});
emit({ event: "ready", ports });

const idleMs = Number(values.idle) * 1000;
const expected = Number(values.expect);
const delivered = new Set<number>();
let idleTimer: ReturnType<typeof setTimeout> | undefined;
function measureIdle(): void {
  idleTimer = setTimeout(() => {
    const cpu0 = process.cpuUsage();
    const t0 = now();
    idleTimer = setTimeout(() => {
      const cpu = process.cpuUsage(cpu0);
      const ms = now() - t0;
      const memory = process.memoryUsage();
      emit({
        event: "idle",
        connected: delivered.size,
        seconds: ms / 1000,
        cpuPct: ((cpu.user + cpu.system) / 1000 / ms) * 100,
        rssMB: memory.rss / 1e6,
        heapMB: memory.heapUsed / 1e6,
        externalMB: memory.external / 1e6,
      });
    }, idleMs);
  }, Number(values.settle) * 1000);
}
if (idleMs > 0 && expected === 0) measureIdle();

try {
  for (;;) {
    const got = await client.recv();
    if (got === null) {
      emit({ event: "null", at: now(), reason: client.shutdownReason });
      break;
    }
    if (idleMs > 0 && !delivered.has(got.port)) {
      delivered.add(got.port);
      if (delivered.size === expected) measureIdle();
    }
    const bytes = got.frame ? got.frame.data.byteLength : byteLength(got.message);
    window?.record(indexOf.get(got.port)!, got.seq, got.sentAt, bytes, got.receivedAt);
    if (!keepFrames) client.release(got);
  }
} finally {
  clearTimeout(drainTimer);
  clearTimeout(idleTimer);
  window?.cancel();
  await client.close();
}
emit({ event: "end", at: now(), reason: client.shutdownReason });

function byteLength(message: unknown): number {
  return message instanceof Uint8Array ? message.byteLength : 0;
}
