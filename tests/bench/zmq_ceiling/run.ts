/**
 * Runs the ZeroMQ ceiling benchmark: raw npm:zeromq under Node and raw pyzmq
 * (Debian's python3-zmq, libzmq from C: the transport's ceilings on this
 * machine) against {@linkcode ZmqSocket} under Deno, each publisher and
 * subscriber in its own process, in one run so all see the same machine
 * load. Without a Python that imports zmq the pyzmq lines are skipped, with
 * how to install it.
 *
 * ```sh
 * deno run --allow-run --allow-read tests/bench/zmq_ceiling/run.ts --frames 3000 --runs 3
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { median } from "./_stats.ts";
import { findPyzmq } from "../_python.ts";

const { values } = parseArgs({
  options: {
    frames: { type: "string", default: "3000" },
    runs: { type: "string", default: "3" },
    rounds: { type: "string", default: "5000" },
    port: { type: "string", default: "5601" },
    python: { type: "string" },
  },
});
const here = new URL(".", import.meta.url).pathname;
const DENO_FLAGS = ["run", "--allow-read", "--allow-env", "--allow-ffi"];

type Runtime = "node" | "deno" | "py";
type Result = Record<string, number | string>;

const pyzmq = await findPyzmq(values.python ? [values.python] : undefined);
if ("missing" in pyzmq) console.log(pyzmq.missing);

function command(runtime: Runtime, script: string, args: string[]): Deno.Command {
  const file = `${here}${runtime}_${script}${
    runtime === "node" ? ".mjs" : runtime === "py" ? ".py" : ".ts"
  }`;
  if (runtime === "py" && !("missing" in pyzmq)) {
    return new Deno.Command(pyzmq.python, {
      args: ["-B", file, ...args],
      stdout: "piped",
      stderr: "inherit",
    });
  }
  return runtime === "node"
    ? new Deno.Command("node", { args: [file, ...args], stdout: "piped", stderr: "inherit" })
    : new Deno.Command("deno", {
      args: [...DENO_FLAGS, file, ...args],
      stdout: "piped",
      stderr: "inherit",
    });
}

async function resultOf(child: Deno.ChildProcess): Promise<Result | undefined> {
  const { code, stdout } = await child.output();
  if (code !== 0) throw new Error(`benchmark process exited with ${code}`);
  const line = new TextDecoder().decode(stdout).trim().split("\n").at(-1);
  return line ? JSON.parse(line) : undefined;
}

let port = Number(values.port);
const endpoints = (): string[] => [
  `--data=tcp://127.0.0.1:${port++}`,
  `--ack=tcp://127.0.0.1:${port++}`,
];

async function pubSub(pub: Runtime, sub: Runtime): Promise<Result> {
  const args = [...endpoints(), `--frames=${values.frames}`];
  const subscriber = command(sub, "sub", args).spawn();
  const publisher = command(pub, "pub", args).spawn();
  const [, result] = await Promise.all([resultOf(publisher), resultOf(subscriber)]);
  return result!;
}

async function reqRep(runtime: Runtime): Promise<Result> {
  const args = [`--endpoint=tcp://127.0.0.1:${port++}`, `--rounds=${values.rounds}`];
  const rep = command(runtime, "reqrep", ["--role=rep", ...args]).spawn();
  const req = command(runtime, "reqrep", ["--role=req", ...args]).spawn();
  const [result] = await Promise.all([resultOf(req), resultOf(rep)]);
  return result!;
}

const pairs: [Runtime, Runtime][] = [
  ["node", "node"],
  ["deno", "deno"],
  ["node", "deno"],
  ["deno", "node"],
  ...("missing" in pyzmq ? [] : [["py", "py"], ["py", "deno"]] as [Runtime, Runtime][]),
];
const fps = new Map<string, number[]>();
for (let run = 0; run < Number(values.runs); run++) {
  for (const [pub, sub] of pairs) {
    const result = await pubSub(pub, sub);
    const key = `${pub} pub -> ${sub} sub`;
    fps.set(key, [...(fps.get(key) ?? []), Number(result.fps)]);
    console.log(
      `run ${run + 1} ${key}: ${Number(result.fps).toFixed(0)} fps, ${
        Number(result.mbps).toFixed(0)
      } MB/s`,
    );
  }
}
console.log(
  `\nPUB/SUB 640x480x3 frames (921,600 B), ${values.frames} frames, median of ${values.runs}:`,
);
for (const [key, samples] of fps) {
  const value = median(samples);
  console.log(
    `  ${key.padEnd(22)} ${value.toFixed(0).padStart(6)} fps ${
      (value * 0.9216).toFixed(0).padStart(6)
    } MB/s`,
  );
}
const node = median(fps.get("node pub -> node sub")!);
const deno = median(fps.get("deno pub -> deno sub")!);
console.log(`  Deno ZmqSocket / Node ceiling: ${(100 * deno / node).toFixed(1)}% (target >= 80%)`);
if (!("missing" in pyzmq)) {
  const py = median(fps.get("py pub -> py sub")!);
  console.log(`  Deno ZmqSocket / pyzmq ceiling: ${(100 * deno / py).toFixed(1)}%`);
}

console.log(`\nREQ/REP ${values.rounds} round trips of 1 KB:`);
for (const runtime of ["node", "deno", ...("missing" in pyzmq ? [] : ["py"] as const)] as const) {
  const result = await reqRep(runtime);
  console.log(
    `  ${runtime}: p50 ${Number(result.p50).toFixed(3)} ms, p99 ${
      Number(result.p99).toFixed(3)
    } ms, ${Number(result.perSecond).toFixed(0)} round trips/s`,
  );
}
