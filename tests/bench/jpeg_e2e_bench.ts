/**
 * End-to-end: 4 server processes streaming 640x480 frames as fast as they
 * can to one client (this process), raw against JPEG (quality 90), REQ/REP,
 * measured side by side in one run.
 *
 *     deno run --allow-read --allow-env --allow-ffi --allow-run --allow-net=127.0.0.1 tests/bench/jpeg_e2e_bench.ts [--repeat 3] [--seconds 4] [--servers 4]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { cpuUsage } from "node:process";
import { NetGear } from "../../actors/netgear/mod.ts";
import { freePorts } from "../_helpers/ports.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    repeat: { type: "string", default: "3" },
    seconds: { type: "string", default: "4" },
    servers: { type: "string", default: "4" },
  },
});
const repeat = Number(values.repeat);
const seconds = Number(values.seconds);
const count = Number(values.servers);
const CLI = new URL("../../cli/cli.ts", import.meta.url).pathname;

interface Result {
  fps: number;
  wireMBps: number;
  cpu: number;
}

async function run(jpeg: number): Promise<Result> {
  const ports = freePorts(count);
  const client = await NetGear.open({ receiveMode: true, multiserverMode: true, port: ports });
  const servers = ports.map((port) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", "--allow-ffi", "--allow-run", CLI, "server"]
        .concat(["--port", String(port), "--fps", "0", "--jpeg", String(jpeg)])
        .concat(["--duration", String(seconds + 2), "--quiet"]),
      stdout: "null",
      stderr: "inherit",
    }).spawn()
  );
  // Warm up until every server is heard and one second has passed.
  const heard = new Set<number>();
  const warmEnd = performance.now() + 1000;
  while (heard.size < count || performance.now() < warmEnd) {
    const item = await client.recv();
    if (item === null) throw new Error("client ended during warm-up");
    heard.add(item.port);
  }
  const before = await client.stats();
  const cpuBefore = cpuUsage();
  const started = performance.now();
  let frames = 0;
  while (performance.now() - started < (seconds - 0.5) * 1000) {
    if ((await client.recv()) === null) break;
    frames++;
  }
  const elapsed = performance.now() - started;
  const cpu = cpuUsage(cpuBefore);
  const after = await client.stats();
  const bytes = after.reduce((sum, s) => sum + s.bytes, 0) -
    before.reduce((sum, s) => sum + s.bytes, 0);
  for await (const _ of client) { /* drain until the servers leave */ }
  await Promise.all(servers.map((s) => s.status));
  await client.close();
  return {
    fps: (frames * 1000) / elapsed,
    wireMBps: bytes / 1000 / elapsed,
    cpu: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: [string, Result[]][] = [["raw", []], ["jpeg q90", []]];
for (let r = 0; r < repeat; r++) {
  for (const [name, results] of rows) {
    console.error(`run ${r + 1}/${repeat}: ${name}`);
    results.push(await run(name === "raw" ? 0 : 90));
  }
}
console.log(
  `\n${count} servers x 640x480 synthetic frames, REQ/REP, median (min-max) of ${repeat}; load ${
    Deno.loadavg().join(" ")
  }`,
);
console.log("| frames | fps at client | MB/s on the wire | client CPU % |");
console.log("| --- | --- | --- | --- |");
for (const [name, results] of rows) {
  const cell = (f: (r: Result) => number, d = 0) => {
    const xs = results.map(f);
    return `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)})`;
  };
  console.log(
    `| ${name} | ${cell((r) => r.fps)} | ${cell((r) => r.wireMBps)} | ${cell((r) => r.cpu)} |`,
  );
}
