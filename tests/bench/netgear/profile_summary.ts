/**
 * Summarises V8 CPU profiles (`deno run --cpu-prof`, or `deno task bench
 * --cpu-prof DIR`): where a NetGear client's time goes, as self time per
 * function and per source file, in ms and in µs per frame when `--frames`
 * is given.
 *
 * ```sh
 * deno run --allow-read tests/bench/netgear/profile_summary.ts /tmp/prof/*.cpuprofile --frames 3600
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { formatTable } from "../_table.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    top: { type: "string", default: "25" },
    frames: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help || positionals.length === 0) {
  console.log(
    "profile_summary.ts FILE.cpuprofile... [--top N] [--frames N]: self time per function and file",
  );
  Deno.exit(positionals.length === 0 && !values.help ? 2 : 0);
}

const ROOT = new URL("../../../", import.meta.url).href;
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let totalUs = 0;
let idleUs = 0;
for (const path of positionals) {
  const profile = JSON.parse(await Deno.readTextFile(path)) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const frame = nodes.get(profile.samples[i])!.callFrame;
    totalUs += us;
    if (frame.functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    const file = shorten(frame.url) || frame.functionName;
    const name = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
}

const frames = values.frames ? Number(values.frames) : undefined;
const busyUs = totalUs - idleUs;
const rows = (map: Map<string, number>): string[][] =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)).map(([name, us]) => [
    name,
    (us / 1000).toFixed(1),
    `${((100 * us) / busyUs).toFixed(1)}%`,
    frames ? (us / frames).toFixed(1) : "",
  ]);
console.log(
  `profiled ${(totalUs / 1e6).toFixed(2)} s, busy (main thread, not idle) ${
    (busyUs / 1e6).toFixed(2)
  } s${frames ? `, ${frames} frames: ${(busyUs / frames).toFixed(1)} µs per frame` : ""}\n`,
);
console.log(formatTable(["file", "self ms", "of busy", "µs/frame"], rows(byFile)));
console.log();
console.log(formatTable(["function", "self ms", "of busy", "µs/frame"], rows(byFunction)));

function shorten(url: string): string {
  if (url.startsWith(ROOT)) return url.slice(ROOT.length);
  const npm = url.indexOf("node_modules/");
  return npm >= 0 ? url.slice(npm + "node_modules/".length) : url;
}
