/**
 * `deno task bench`: ActorGear's benchmark suite. Runs, in order,
 *
 * 1. actors: the actor runtime's micro benchmarks (`deno bench` on
 *    tests/bench/actors_bench.ts, in a subprocess);
 * 2. netgear: NetGear against the ceilings, raw npm:zeromq under Node and raw
 *    pyzmq (Debian's python3-zmq, libzmq from C), 1, 2 and 4 servers,
 *    REQ/REP and PUB/SUB, 640x480x3 raw frames, every server and client a
 *    process of its own, each measured `--repeat` times; and 1 KB REQ/REP
 *    round trips (NetGear, raw ZmqSocket, raw Node, raw pyzmq);
 * 3. liveness: SIGKILL of a server to the client's `gone`, and a server's
 *    close() to the client's recv() returning null;
 * 4. capture: tests/bench/capture_bench.ts, if present, in a subprocess;
 * 5. jpeg: the JPEG codec (tests/bench/jpeg_bench.ts);
 * 6. live: 4 servers at 30 fps each (a live source, paced), end-to-end
 *    latency p50/p99/max of NetGear beside Node's and pyzmq's, both patterns;
 * 7. scale (opt-in: `--only scale`): a NetGear client's idle CPU and memory
 *    per server with 32 connected silent servers, and the throughput curve
 *    over 1, 2, 4, 8, 16 and 32 servers.
 *
 * ActorGear's processes run as a plain `deno run`, with V8's default flags,
 * unless `--v8-flags=...` says otherwise (the report says which). In each
 * round, the implementations of a case run in a seeded order rotated every
 * round (`--seed` replays it), so no side always runs first.
 *
 * A progress line shows on stderr while it runs; the report (tables) goes
 * to stdout at the end, and with `--json PATH` every figure to a file.
 *
 * ```sh
 * deno task bench
 * deno task bench --only netgear --servers 4 --patterns 1 --repeat 5 --json /tmp/bench.json
 * deno task bench --only netgear --servers 1,8 --size 1920x1080 --jpeg 90
 * deno task bench --only scale --svg /tmp/scale.svg --json /tmp/scale.json
 * deno task bench --only live --live-servers 8 --live-fps 15 --live-seconds 10
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Progress } from "./_progress.ts";
import {
  formatRatio,
  formatSpread,
  pairedRatios,
  type RoundValues,
  type Spread,
  spread,
} from "./_stats.ts";
import { roundOrder, seededRandom, shuffled } from "./_order.ts";
import { findPyzmq, PYTHON_CANDIDATES } from "./_python.ts";
import { machineName } from "./_machine.ts";
import { formatTable } from "./_table.ts";
import { type ChartSeries, scaleChartSvg } from "./_svg.ts";
import {
  type IdleRun,
  PortPool,
  type RawIdleRun,
  type RawRoundTrip,
  runIdle,
  runLiveness,
  runRawIdle,
  runRawRoundTrip,
  runThroughput,
  setPython,
  setV8Flags,
  type ThroughputRun,
} from "./netgear/_runs.ts";
import { CLIENT_V8_FLAGS } from "../../actors/netgear/mod.ts";

const HELP = `deno task bench [options]: ActorGear's benchmarks

Options:
  --only SECTIONS     comma list of actors, netgear, liveness, capture, jpeg,
                      live, jpeg-e2e, viewer, scale (default: the first six;
                      live takes ~2 minutes, jpeg-e2e and viewer 1-2 each,
                      scale ~2)
  --servers LIST      server counts, 1 to 32, for netgear (default 1,2,4)
                      and scale's curve            (default 1,2,4,8,16,32)
  --patterns LIST     1 = REQ/REP, 2 = PUB/SUB (default 1,2; scale: 1)
  --size WxH          raw frame size, every implementation  (default 640x480)
  --jpeg QUALITY      add ActorGear rows with JPEG-compressed frames
                      (jpegCompression: true, quality 10-100)
  --repeat N          runs per row, liveness, live (default 3; scale: 1)
  --seconds S         measured window per run      (default 2; scale: 1)
  --warmup S          discarded after every server delivered      (default 0.5)
  --idle-seconds S    scale: the idle client's measured window      (default 5)
  --ceiling MODE      raw PUB/SUB senders (Node, pyzmq) in the netgear and
                      scale sections: credit (flow-controlled, the
                      ceiling) or drop (as vidgear: drop at the high-water
                      mark, spinning a core)                      (default credit)
  --raw-deno          add two rows per netgear case: ActorGear's raw ZmqSocket
                      under Deno receiving from the Node senders, and sending
                      to the Node receiver (no NetGear layers)
  --v8-flags=FLAGS    V8 flags of every ActorGear (Deno) process, to measure
                      with them; the tasks' client flags are
                      ${CLIENT_V8_FLAGS}
                      (default: none, a plain \`deno run\`, V8's defaults)
  --seed N            seed of the order the implementations run in, each
                      round (default: random; the report prints it)
  --python PATH       the Python of the raw pyzmq rows (default: the first of
                      ${PYTHON_CANDIDATES.join(", ")} that imports zmq; none:
                      the rows are skipped, with how to install it)
  --live-servers N    live: servers, 1 to 32                      (default 4)
  --live-fps F        live: frames per second of each server    (default 30)
  --live-seconds S    live: measured window per run              (default 5)
  --capture-args A    arguments for capture_bench.ts   (default "--frames 300 --runs 2")
  --threads           add a table of CPU time per frame by thread (main, ZeroMQ
                      I/O, tokio, V8 workers) of the client and one server,
                      for every netgear and scale row (Linux)
  --cpu-prof DIR      write NetGear clients' and servers' V8 CPU profiles into
                      DIR/client and DIR/server (summarise them with
                      tests/bench/netgear/profile_summary.ts)
  --json PATH         write every figure as JSON
  --svg PATH          write a chart of fps and p50/p99 latency against the
                      number of servers (netgear and scale runs)
  --help              this text

Every server and client is its own process; latency is now (at the
consumer) minus the sender's sentAt (taken before the send), both
performance.timeOrigin + performance.now() (pyzmq: time.time_ns() / 1e6,
the same system clock). "vs Node" / "vs pyzmq" pair each run with the Node /
pyzmq run of the same round; "µs/frame" is the whole machine's CPU time per frame (Linux,
/proc/stat), steadier than fps on a busy machine. The load average and the
hypervisor's steal time are reported: on a 2-core machine shared with other
work the figures are noisy; compare medians.
`;

const SECTIONS = [
  "actors",
  "netgear",
  "liveness",
  "capture",
  "jpeg",
  "live",
  "jpeg-e2e",
  "viewer",
  "scale",
] as const;
const DEFAULT_SECTIONS = ["actors", "netgear", "liveness", "capture", "jpeg", "live"];
type Section = typeof SECTIONS[number];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    only: { type: "string" },
    servers: { type: "string" },
    patterns: { type: "string" },
    size: { type: "string", default: "640x480" },
    jpeg: { type: "string" },
    repeat: { type: "string" },
    seconds: { type: "string" },
    warmup: { type: "string", default: "0.5" },
    "idle-seconds": { type: "string", default: "5" },
    ceiling: { type: "string", default: "credit" },
    "raw-deno": { type: "boolean", default: false },
    // None by default: the figures that count are a plain `deno run`'s.
    "v8-flags": { type: "string", default: "" },
    seed: { type: "string" },
    python: { type: "string" },
    "live-servers": { type: "string", default: "4" },
    "live-fps": { type: "string", default: "30" },
    "live-seconds": { type: "string", default: "5" },
    "capture-args": { type: "string", default: "--frames 300 --runs 2" },
    "cpu-prof": { type: "string" },
    threads: { type: "boolean", default: false },
    json: { type: "string" },
    svg: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}
setV8Flags(values["v8-flags"]);

function fail(message: string): never {
  console.error(`bench: ${message} (see --help)`);
  Deno.exit(2);
}
function intList(name: string, raw: string, allowed?: readonly number[]): number[] {
  const list = raw.split(",").map((s) => Number(s.trim()));
  if (
    list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 32) ||
    (allowed && list.some((n) => !allowed.includes(n)))
  ) {
    fail(
      `Cannot use --${name} ${raw}: expected ${
        allowed ? allowed.join(" or ") : "integers from 1 to 32"
      }, comma-separated`,
    );
  }
  return list;
}
function positive(name: string, raw: string, max: number): number {
  const value = Number(raw);
  if (!(value > 0 && value <= max)) {
    fail(`Cannot use --${name} ${raw}: expected a number above 0 and at most ${max}`);
  }
  return value;
}

const only = values.only?.split(",").map((s) => s.trim()) ?? DEFAULT_SECTIONS;
for (const name of only) {
  if (!SECTIONS.includes(name as Section)) {
    fail(`Cannot use --only ${values.only}: "${name}" is not one of ${SECTIONS.join(", ")}`);
  }
}
const serverCounts = intList("servers", values.servers ?? "1,2,4");
const scaleCounts = intList("servers", values.servers ?? "1,2,4,8,16,32");
const patterns = intList("patterns", values.patterns ?? "1,2", [1, 2]) as (1 | 2)[];
const scalePatterns = intList("patterns", values.patterns ?? "1", [1, 2]) as (1 | 2)[];
const repeat = Math.round(positive("repeat", values.repeat ?? "3", 100));
const scaleRepeat = Math.round(positive("repeat", values.repeat ?? "1", 100));
const seconds = positive("seconds", values.seconds ?? "2", 600);
const scaleSeconds = positive("seconds", values.seconds ?? "1", 600);
const warmup = positive("warmup", values.warmup, 60);
const idleSeconds = positive("idle-seconds", values["idle-seconds"], 600);
const liveServers = intList("live-servers", values["live-servers"])[0];
if (values["live-servers"].includes(",")) {
  fail(`Cannot use --live-servers ${values["live-servers"]}: expected one integer from 1 to 32`);
}
const liveFps = positive("live-fps", values["live-fps"], 1000);
const liveSeconds = positive("live-seconds", values["live-seconds"], 600);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(seed) || seed < 0) {
  fail(`Cannot use --seed ${values.seed}: expected an integer from 0`);
}
const random = seededRandom(seed);
const v8Label = values["v8-flags"]
  ? `--v8-flags=${values["v8-flags"]}`
  : "V8's default flags (plain deno run)";
const sizeMatch = /^(\d+)x(\d+)$/.exec(values.size);
if (
  !sizeMatch || Number(sizeMatch[1]) < 8 || Number(sizeMatch[2]) < 8 ||
  Number(sizeMatch[1]) * Number(sizeMatch[2]) > 7680 * 4320
) {
  fail(`Cannot use --size ${values.size}: expected WIDTHxHEIGHT, each at least 8, at most 8K`);
}
const jpegQuality = values.jpeg === undefined ? undefined : Number(values.jpeg);
if (
  jpegQuality !== undefined &&
  !(Number.isInteger(jpegQuality) && jpegQuality >= 10 && jpegQuality <= 100)
) {
  fail(`Cannot use --jpeg ${values.jpeg}: expected an integer quality from 10 to 100`);
}
if (values.ceiling !== "credit" && values.ceiling !== "drop") {
  fail(`Cannot use --ceiling ${values.ceiling}: expected credit or drop`);
}
const ceiling = values.ceiling as "credit" | "drop";
const WIDTH = Number(sizeMatch![1]);
const HEIGHT = Number(sizeMatch![2]);
const PATTERN_NAME = { 1: "REQ/REP", 2: "PUB/SUB" } as const;
const IMPL_NAME = {
  netgear: "ActorGear",
  deno: "ZmqSocket client",
  "deno-servers": "ZmqSocket servers",
  node: "raw zeromq (Node)",
  py: "raw pyzmq",
} as const;
/** A row's implementation name, with its JPEG quality if any. */
const implName = (impl: keyof typeof IMPL_NAME, jpeg?: number): string =>
  jpeg ? `${IMPL_NAME[impl]} JPEG q${jpeg}` : IMPL_NAME[impl];

const progress = new Progress();
const pool = new PortPool();

// The pyzmq rows need a Python with zmq; without one they are skipped, and
// the report says how to install it.
const pyzmq = only.some((name) => name === "netgear" || name === "live")
  ? await findPyzmq(values.python ? [values.python] : PYTHON_CANDIDATES)
  : undefined;
const withPy = pyzmq !== undefined && !("missing" in pyzmq);
if (pyzmq && "missing" in pyzmq) console.error(`bench: ${pyzmq.missing}`);
if (pyzmq && !("missing" in pyzmq)) setPython(pyzmq.python);
const report: string[] = [];
const json: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  options: {
    only,
    serverCounts,
    patterns,
    repeat,
    seconds,
    warmup,
    ceiling,
    width: WIDTH,
    height: HEIGHT,
    jpegQuality,
    svg: values.svg,
    v8Flags: values["v8-flags"],
    seed,
    liveServers,
    liveFps,
    liveSeconds,
  },
  /** Per round and case, the order the implementations ran in. */
  orders: [] as { section: string; round: number; case: string; order: string[] }[],
  machine: {
    name: await machineName(),
    cpus: navigator.hardwareConcurrency,
    pyzmq,
    deno: Deno.version.deno,
    node: await nodeVersion(),
    loadavgAtStart: loadavg(),
  },
};
const errors: string[] = [];

function loadavg(): number[] {
  try {
    return Deno.loadavg().map((v) => Math.round(v * 100) / 100);
  } catch {
    return [];
  }
}

async function nodeVersion(): Promise<string> {
  try {
    const out = await new Deno.Command("node", { args: ["--version"], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "missing";
  }
}

async function section(name: Section, run: () => Promise<void>): Promise<void> {
  if (!only.includes(name)) return;
  try {
    await run();
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    errors.push(`${name}: ${text}`);
    report.push(`\n## ${name}: FAILED\n${text}`);
  }
}

// ---------------------------------------------------------------- actors

await section("actors", async () => {
  progress.update("actors: deno bench tests/bench/actors_bench.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "--json", new URL("./actors_bench.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno bench failed:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  const parsed = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    benches: {
      name: string;
      group?: string;
      baseline: boolean;
      results: { ok?: { n: number; avg: number; min: number; max: number; p99: number } }[];
    }[];
  };
  const benches = parsed.benches.map((b) => {
    const ok = b.results[0]?.ok;
    const count = Number(/(\d+)k\b/.exec(b.name)?.[1] ?? NaN) * 1000;
    return {
      name: b.name,
      group: b.group ?? "",
      baseline: b.baseline,
      n: ok?.n ?? 0,
      avgMs: ok ? ok.avg / 1e6 : NaN,
      minMs: ok ? ok.min / 1e6 : NaN,
      p99Ms: ok ? ok.p99 / 1e6 : NaN,
      perSecond: ok ? count / (ok.avg / 1e9) : NaN,
    };
  });
  json.actors = benches;
  const baselineOf = new Map(benches.filter((b) => b.baseline).map((b) => [b.group, b.avgMs]));
  report.push(
    "\n## Actors (deno bench tests/bench/actors_bench.ts; 'vs baseline' = time / baseline's time)",
    formatTable(
      ["bench", "avg ms", "p99 ms", "messages/s", "vs baseline"],
      benches.map((b) => [
        b.name,
        b.avgMs.toFixed(2),
        b.p99Ms.toFixed(2),
        Number.isNaN(b.perSecond) ? "-" : Math.round(b.perSecond).toLocaleString("en-US"),
        b.baseline ? "baseline" : `${(b.avgMs / (baselineOf.get(b.group) ?? NaN)).toFixed(2)}x`,
      ]),
    ),
  );
});

// ---------------------------------------------------------------- netgear

interface RowRuns {
  pattern: 1 | 2;
  servers: number;
  impl: "netgear" | "node" | "py" | "deno" | "deno-servers";
  /** ActorGear rows with JPEG-compressed frames: the quality. */
  jpeg?: number;
  runs: ThroughputRun[];
  /** The round each run of `runs` belongs to (failed runs leave gaps). */
  rounds: number[];
  failures: string[];
}

/**
 * Every pattern x server count x implementation (ActorGear, maybe JPEG and
 * ZmqSocket, Node, and pyzmq when `py`).
 */
function buildRows(
  forPatterns: readonly (1 | 2)[],
  counts: readonly number[],
  py: boolean,
): RowRuns[] {
  const rows: RowRuns[] = [];
  for (const pattern of forPatterns) {
    for (const servers of counts) {
      const row = (impl: RowRuns["impl"], jpeg?: number): void =>
        void rows.push({ pattern, servers, impl, jpeg, runs: [], rounds: [], failures: [] });
      row("netgear");
      if (jpegQuality) row("netgear", jpegQuality);
      if (values["raw-deno"]) {
        row("deno");
        row("deno-servers");
      }
      row("node");
      if (py) row("py");
    }
  }
  return rows;
}

/** A case's name: its pattern and server count. */
const caseOf = (row: RowRuns): string => `${PATTERN_NAME[row.pattern]} x${row.servers}`;

/**
 * The order of each case's rows in round `round`: a seeded shuffle per case
 * (drawn once, in round 1), rotated one place every round, so no
 * implementation always runs first and pairs of runs straddle each other
 * both ways. Cases keep their order; every order goes into the JSON.
 */
function orderedRounds(
  section: string,
  rows: readonly RowRuns[],
  bases: Map<string, RowRuns[]>,
  round: number,
): RowRuns[] {
  const cases = [...new Set(rows.map(caseOf))];
  return cases.flatMap((name) => {
    let base = bases.get(name);
    if (!base) {
      base = shuffled(rows.filter((r) => caseOf(r) === name), random);
      bases.set(name, base);
    }
    const order = roundOrder(base, round);
    (json.orders as { section: string; round: number; case: string; order: string[] }[]).push({
      section,
      round,
      case: name,
      order: order.map((r) => implName(r.impl, r.jpeg)),
    });
    return order;
  });
}

/** Runs every row `rounds` times; rounds interleave the rows, so a slow spell on the machine hits all alike. */
async function measureRows(
  name: string,
  rows: RowRuns[],
  rounds: number,
  windowSeconds: number,
  live?: { fps: number },
): Promise<void> {
  const total = rows.length * rounds;
  let done = 0;
  const bases = new Map<string, RowRuns[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const row of orderedRounds(name, rows, bases, round)) {
      progress.update(
        `${name} ${++done}/${total}: ${PATTERN_NAME[row.pattern]}, ${row.servers} server(s), ${
          implName(row.impl, row.jpeg)
        }, run ${round}/${rounds} (load ${loadavg()[0] ?? "?"})`,
      );
      try {
        row.rounds.push(round);
        row.runs.push(
          await runThroughput({
            impl: row.impl,
            pattern: row.pattern,
            servers: row.servers,
            seconds: windowSeconds,
            warmup,
            width: WIDTH,
            height: HEIGHT,
            // Paced PUB senders never reach the high-water mark: no credit,
            // as NetGear's PUB has none.
            ceiling: live ? "drop" : ceiling,
            fps: live?.fps,
            jpegQuality: row.jpeg,
            cpuProfDir: values["cpu-prof"],
            threads: values.threads,
            pool,
          }),
        );
      } catch (error) {
        row.rounds.pop();
        row.failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  }
}

/** A row's runs as one figure per round, for `pairedRatios`. */
function roundValues(row: RowRuns, pick: (run: ThroughputRun) => number): RoundValues {
  return { rounds: row.rounds, values: row.runs.map(pick) };
}

/**
 * Each run's figure over that of the `against` run of the same round, same
 * pattern and server count: measured minutes apart at most, so a slow
 * spell of the machine (steal, other work) weighs on both sides of each
 * ratio.
 */
function ratiosAgainst(
  row: RowRuns,
  rows: readonly RowRuns[],
  against: "node" | "py",
  pick: (run: ThroughputRun) => number = (run) => run.client.fps,
): number[] {
  const other = rows.find((r) =>
    r.impl === against && r.pattern === row.pattern && r.servers === row.servers
  );
  if (row.impl === against || other === undefined) return [];
  return pairedRatios(roundValues(row, pick), roundValues(other, pick));
}

function summarise(rows: readonly RowRuns[]) {
  return rows.map((row) => {
    const of = (pick: (run: ThroughputRun) => number): Spread => spread(row.runs.map(pick));
    const ratios = ratiosAgainst(row, rows, "node");
    const pyRatios = ratiosAgainst(row, rows, "py");
    return {
      pattern: row.pattern,
      servers: row.servers,
      impl: row.impl,
      jpeg: row.jpeg,
      fps: of((r) => r.client.fps),
      mbps: of((r) => r.client.mbps),
      p50: of((r) => r.client.p50),
      p99: of((r) => r.client.p99),
      lostPct: of((r) => r.client.lostPct),
      cpuPct: of((r) => r.client.cpuPct),
      rssMB: of((r) => r.client.rssMB),
      machineUsPerFrame: of((r) => r.machine?.usPerFrame ?? NaN),
      stealPct: of((r) => r.machine?.stealPct ?? NaN),
      vsNode: spread(ratios),
      vsNodeRuns: ratios,
      vsPy: spread(pyRatios),
      vsPyRuns: pyRatios,
      runs: row.runs,
      failures: row.failures,
    };
  });
}
type Summary = ReturnType<typeof summarise>[number];

/** What the throughput table's columns mean, and how much the hypervisor took meanwhile. */
function throughputLegend(summaries: readonly Summary[]): string {
  const steal = spread(summaries.flatMap((s) => s.runs.map((r) => r.machine?.stealPct ?? NaN)));
  return "Latency = now at recv minus sentAt; lost = seq gaps; CPU/RSS = client process; " +
    "µs/frame = CPU time of the whole machine (every process and the kernel) per frame " +
    "delivered; vs Node / vs pyzmq = median (min–max) of each run's fps over the raw Node / " +
    "pyzmq run of the same round (the order of a round's runs rotates)." +
    (steal.n
      ? ` Steal (CPU time the hypervisor gave other guests): median ${
        steal.median.toFixed(1)
      }%, max ${steal.max.toFixed(1)}% of the runs' windows.`
      : "");
}

/**
 * The throughput table; JPEG rows compare with the raw ceilings (which
 * have no JPEG). The pyzmq column shows only where there are pyzmq rows.
 */
function throughputTable(summaries: readonly Summary[]): string {
  // Without pyzmq rows its column would be empty: leave it out.
  const py = summaries.some((s) => s.impl === "py");
  return formatTable(
    [
      "pattern",
      "srv",
      "impl",
      "fps",
      "fps/srv",
      "MB/s",
      "p50 ms",
      "p99 ms",
      "lost %",
      "CPU %",
      "RSS MB",
      "µs/frame",
      "vs Node %",
      ...(py ? ["vs pyzmq %"] : []),
    ],
    summaries.map((s) => {
      return [
        PATTERN_NAME[s.pattern],
        String(s.servers),
        implName(s.impl, s.jpeg),
        formatSpread(s.fps, 0),
        s.fps.n ? (s.fps.median / s.servers).toFixed(0) : "-",
        s.mbps.n ? s.mbps.median.toFixed(0) : "-",
        formatSpread(s.p50, 2),
        formatSpread(s.p99, 1),
        s.lostPct.n ? s.lostPct.median.toFixed(1) : "-",
        s.cpuPct.n ? s.cpuPct.median.toFixed(0) : "-",
        s.rssMB.n ? s.rssMB.median.toFixed(0) : "-",
        s.machineUsPerFrame.n ? s.machineUsPerFrame.median.toFixed(0) : "-",
        formatRatio(s.vsNode, "percent"),
        ...(py ? [formatRatio(s.vsPy, "percent")] : []),
      ];
    }),
  );
}

/**
 * With `--threads`: µs of CPU per frame by thread of the client and of one
 * server, median over a row's runs; the threads that spend the most first.
 */
function threadsTable(summaries: readonly Summary[]): string {
  const lines: string[][] = [];
  for (const s of summaries) {
    for (const role of ["client", "server"] as const) {
      const runs = s.runs.flatMap((r) => r.threads ? [r.threads[role]] : []);
      if (runs.length === 0) continue;
      const names = [...new Set(runs.flatMap((t) => Object.keys(t)))];
      const medians = names.map((name) => {
        const user = spread(runs.map((t) => t[name]?.user ?? 0)).median;
        const system = spread(runs.map((t) => t[name]?.system ?? 0)).median;
        return { name, user, system };
      }).filter((t) => t.user + t.system >= 1).sort((a, b) =>
        b.user + b.system - (a.user + a.system)
      );
      const total = medians.reduce((sum, t) => sum + t.user + t.system, 0);
      for (const t of medians) {
        lines.push([
          PATTERN_NAME[s.pattern],
          String(s.servers),
          implName(s.impl, s.jpeg),
          role === "client" ? "client" : "one server",
          t.name,
          t.user.toFixed(0),
          t.system.toFixed(0),
          (t.user + t.system).toFixed(0),
        ]);
      }
      lines.push([
        PATTERN_NAME[s.pattern],
        String(s.servers),
        implName(s.impl, s.jpeg),
        role === "client" ? "client" : "one server",
        "(all threads)",
        medians.reduce((sum, t) => sum + t.user, 0).toFixed(0),
        medians.reduce((sum, t) => sum + t.system, 0).toFixed(0),
        total.toFixed(0),
      ]);
    }
  }
  return formatTable(
    ["pattern", "srv", "impl", "process", "thread", "user µs/f", "system µs/f", "total µs/f"],
    lines,
  );
}

/** Lines for `--svg`, one per section, pattern and implementation. */
const chartSeries: ChartSeries[] = [];
function addChartSeries(name: string, summaries: readonly Summary[]): void {
  const byKey = new Map<string, Summary[]>();
  for (const s of summaries) {
    const key = `${name} ${PATTERN_NAME[s.pattern]} ${implName(s.impl, s.jpeg)}`;
    byKey.set(key, [...byKey.get(key) ?? [], s]);
  }
  for (const [label, rows] of byKey) {
    chartSeries.push({
      label,
      points: rows.map((s) => ({
        servers: s.servers,
        fps: s.fps.median,
        p50: s.p50.median,
        p99: s.p99.median,
      })),
    });
  }
}

function failureLines(summaries: readonly Summary[]): string[] {
  return summaries.flatMap((s) =>
    s.failures.map((f) =>
      `${PATTERN_NAME[s.pattern]} x${s.servers} ${implName(s.impl, s.jpeg)}: ${f}`
    )
  );
}

await section("netgear", async () => {
  const rows = buildRows(patterns, serverCounts, withPy);
  await measureRows("netgear", rows, repeat, seconds);

  // 1 KB round trips: NetGear (data-only frames; the server's send() is the
  // round trip), raw ZmqSocket under Deno, raw npm:zeromq under Node, raw
  // pyzmq; in a rotating seeded order, as the rows above.
  const netgear1k: ThroughputRun[] = [];
  const raw: Record<"deno" | "node" | "py", RawRoundTrip[]> = { deno: [], node: [], py: [] };
  const rawFailures: string[] = [];
  type Kind1k = "netgear" | "deno" | "node" | "py";
  const kinds1k = shuffled<Kind1k>(
    ["netgear", "deno", "node", ...(withPy ? ["py" as const] : [])],
    random,
  );
  for (let round = 1; round <= repeat; round++) {
    const order = roundOrder(kinds1k, round);
    (json.orders as { section: string; round: number; case: string; order: string[] }[]).push({
      section: "netgear",
      round,
      case: "1 KB round trips",
      order: [...order],
    });
    for (const kind of order) {
      progress.update(`netgear 1 KB round trips, ${kind}, run ${round}/${repeat}`);
      try {
        if (kind === "netgear") {
          netgear1k.push(
            await runThroughput({
              impl: "netgear",
              pattern: 1,
              servers: 1,
              seconds,
              warmup,
              width: WIDTH,
              height: HEIGHT,
              messageBytes: 1024,
              pool,
            }),
          );
        } else {
          raw[kind].push(await runRawRoundTrip(kind, 1024, 3000, pool));
        }
      } catch (error) {
        rawFailures.push(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  const summaries = summarise(rows);
  addChartSeries("netgear", summaries);
  const roundTrip = {
    netgear: {
      sendP50: spread(netgear1k.map((r) => Number(r.servers[0]?.sendP50))),
      sendP99: spread(netgear1k.map((r) => Number(r.servers[0]?.sendP99))),
      perSecond: spread(netgear1k.map((r) => r.client.fps)),
      clientCpuPct: spread(netgear1k.map((r) => r.client.cpuPct)),
    },
    deno: {
      p50: spread(raw.deno.map((r) => r.p50)),
      p99: spread(raw.deno.map((r) => r.p99)),
      perSecond: spread(raw.deno.map((r) => r.perSecond)),
    },
    node: {
      p50: spread(raw.node.map((r) => r.p50)),
      p99: spread(raw.node.map((r) => r.p99)),
      perSecond: spread(raw.node.map((r) => r.perSecond)),
    },
    py: {
      p50: spread(raw.py.map((r) => r.p50)),
      p99: spread(raw.py.map((r) => r.p99)),
      perSecond: spread(raw.py.map((r) => r.perSecond)),
    },
    runs: { netgear: netgear1k, deno: raw.deno, node: raw.node, py: raw.py },
    failures: rawFailures,
  };
  json.netgear = { rows: summaries, roundTrip1k: roundTrip, loadavgAfter: loadavg() };

  report.push(
    `\n## NetGear vs raw npm:zeromq under Node${
      withPy ? " and raw pyzmq" : ""
    }, ${WIDTH}x${HEIGHT}x3 raw frames, ` +
      `median (min–max) of ${repeat} x ${seconds} s windows; ActorGear with ${v8Label}`,
    `Ceilings (raw zeromq under Node, raw pyzmq${
      withPy ? "" : ": skipped"
    }): same processes and ports, no envelope; PUB/SUB senders ${
      ceiling === "credit"
        ? "flow-controlled (credit of 8 frames, high-water marks 16)"
        : "dropping at the high-water mark (8), as NetGear's do"
    }. ${throughputLegend(summaries)}${
      pyzmq && "missing" in pyzmq ? `\nNote: ${pyzmq.missing}.` : ""
    }${
      values["raw-deno"]
        ? "\nZmqSocket client / servers = ActorGear's raw socket layer under Deno, receiving " +
          "from the Node senders / sending to the Node receiver (no NetGear layers)."
        : ""
    }${
      jpegQuality
        ? `\nJPEG rows: ActorGear servers with jpegCompression: true, quality ${jpegQuality}, ` +
          "client decoding (MB/s counts decoded bytes); 'vs Node' / 'vs pyzmq' compare them " +
          "with the RAW ceilings (they have no JPEG)."
        : ""
    }`,
    throughputTable(summaries),
    ...(values.threads
      ? [
        "\n## Where the time goes: CPU µs per frame by thread (median of the runs; " +
        "the client per frame received, one server per frame it sent; main = the JS " +
        "thread, ZMQbg/IO = ZeroMQ's I/O thread, tokio-runtime-w = Deno's blocking pool " +
        "(ActorGear's socket waits), V8 DefaultWorke / node = V8's helper threads (GC))",
        threadsTable(summaries),
      ]
      : []),
    `\n## REQ/REP round trips of 1 KB (median (min–max) of ${repeat})`,
    formatTable(["what", "p50 ms", "p99 ms", "round trips/s"], [
      [
        "NetGear: server send() of 1 KB data, no frame",
        formatSpread(roundTrip.netgear.sendP50, 3),
        formatSpread(roundTrip.netgear.sendP99, 3),
        formatSpread(roundTrip.netgear.perSecond, 0),
      ],
      [
        "raw ZmqSocket under Deno (zmq_ceiling/deno_reqrep.ts)",
        formatSpread(roundTrip.deno.p50, 3),
        formatSpread(roundTrip.deno.p99, 3),
        formatSpread(roundTrip.deno.perSecond, 0),
      ],
      [
        "raw npm:zeromq under Node (zmq_ceiling/node_reqrep.mjs)",
        formatSpread(roundTrip.node.p50, 3),
        formatSpread(roundTrip.node.p99, 3),
        formatSpread(roundTrip.node.perSecond, 0),
      ],
      ...(withPy
        ? [[
          "raw pyzmq (zmq_ceiling/py_reqrep.py)",
          formatSpread(roundTrip.py.p50, 3),
          formatSpread(roundTrip.py.p99, 3),
          formatSpread(roundTrip.py.perSecond, 0),
        ]]
        : []),
    ]),
  );
  const failures = [
    ...failureLines(summaries),
    ...rawFailures.map((f) => `1 KB round trip: ${f}`),
  ];
  if (failures.length) {
    errors.push(...failures.map((f) => `netgear: ${f.split("\n")[0]}`));
    report.push(`Failed runs (${failures.length}):\n${failures.map((f) => `- ${f}`).join("\n")}`);
  }
});

// ---------------------------------------------------------------- liveness

await section("liveness", async () => {
  const heartbeatInterval = 200;
  const livenessTimeout = 1000;
  const rows: string[][] = [];
  const results: Record<string, unknown> = {};
  for (const pattern of patterns) {
    const runs = [];
    const failures: string[] = [];
    for (let round = 1; round <= repeat; round++) {
      progress.update(`liveness ${PATTERN_NAME[pattern]}, run ${round}/${repeat}`);
      try {
        runs.push(await runLiveness({ pattern, heartbeatInterval, livenessTimeout, pool }));
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    const gone = spread(runs.map((r) => r.killToGoneMs));
    const stale = spread(runs.map((r) => r.killToStaleMs));
    const closeToNull = spread(runs.map((r) => r.closeToNullMs));
    results[PATTERN_NAME[pattern]] = { gone, stale, closeToNull, runs, failures };
    rows.push([
      PATTERN_NAME[pattern],
      formatSpread(stale, 0),
      formatSpread(gone, 0),
      [...new Set(runs.map((r) => r.goneReason))].join(","),
      formatSpread(closeToNull, 1),
      failures.length ? `${failures.length} failed: ${failures[0].split("\n")[0]}` : "",
    ]);
    if (failures.length) errors.push(...failures.map((f) => `liveness: ${f.split("\n")[0]}`));
  }
  json.liveness = { heartbeatInterval, livenessTimeout, ...results };
  report.push(
    `\n## Liveness: heartbeatInterval ${heartbeatInterval} ms, livenessTimeout ${livenessTimeout} ms, ` +
      `2 servers at 30 fps, median (min–max) of ${repeat}`,
    formatTable(
      ["pattern", "SIGKILL→stale ms", "SIGKILL→gone ms", "reason", "close()→recv null ms", "notes"],
      rows,
    ),
  );
});

// ---------------------------------------------------------------- capture

await section("capture", async () => {
  const script = new URL("./capture_bench.ts", import.meta.url).pathname;
  try {
    await Deno.stat(script);
  } catch {
    report.push("\n## Capture: tests/bench/capture_bench.ts not found, skipped");
    return;
  }
  const args = values["capture-args"].split(/\s+/).filter(Boolean);
  progress.update(`capture: capture_bench.ts ${args.join(" ")}`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run", "--allow-read", "--allow-write", "--allow-env", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  json.capture = { args, output: text, code: out.code };
  if (!out.success) {
    throw new Error(
      `capture_bench.ts exited with ${out.code}:\n${
        new TextDecoder().decode(out.stderr).slice(-2000)
      }`,
    );
  }
  report.push(`\n## Capture (tests/bench/capture_bench.ts ${args.join(" ")})`, text);
});

// ------------------------------------------- JPEG codec, JPEG end to end, viewer

/** Runs another bench script in a subprocess and keeps its output. */
async function scriptSection(name: Section, file: string, args: string[]): Promise<void> {
  await section(name, async () => {
    const script = new URL(file, import.meta.url).pathname;
    progress.update(`${name}: ${file} ${args.join(" ")}`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-ffi",
        "--allow-run",
        "--allow-write",
        "--allow-net=127.0.0.1",
        "--allow-sys",
        script,
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    json[name] = { args, output: text, code: out.code };
    if (!out.success) {
      throw new Error(
        `${file} exited with ${out.code}:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`,
      );
    }
    report.push(`\n## ${name} (tests/bench/${file.slice(2)} ${args.join(" ")})`, text);
  });
}

await scriptSection("jpeg", "./jpeg_bench.ts", ["--iterations", "50"]);

// ---------------------------------------------------------------- live

/** The figures of the live table; `ratio`: also as ActorGear over each ceiling. */
const LIVE_FIGURES: readonly {
  name: string;
  pick: (run: ThroughputRun) => number;
  digits: number;
  ratio: boolean;
}[] = [
  { name: "p50 ms", pick: (r) => r.client.p50, digits: 2, ratio: true },
  { name: "p99 ms", pick: (r) => r.client.p99, digits: 2, ratio: true },
  { name: "max ms", pick: (r) => r.client.max, digits: 1, ratio: true },
  {
    name: `fps (sent ${liveServers * liveFps})`,
    pick: (r) => r.client.fps,
    digits: 0,
    ratio: false,
  },
  { name: "lost %", pick: (r) => r.client.lostPct, digits: 1, ratio: false },
  { name: "client CPU %", pick: (r) => r.client.cpuPct, digits: 1, ratio: true },
  {
    name: "machine µs/frame",
    pick: (r) => r.machine?.usPerFrame ?? NaN,
    digits: 0,
    ratio: true,
  },
];

await section("live", async () => {
  // A live source: every server paced at --live-fps, far below what the
  // transport can carry, so what counts is the latency each frame sees.
  const impls: RowRuns["impl"][] = ["netgear", "node", ...(withPy ? ["py" as const] : [])];
  const rows: RowRuns[] = patterns.flatMap((pattern) =>
    impls.map((impl) => ({
      pattern,
      servers: liveServers,
      impl,
      runs: [],
      rounds: [],
      failures: [],
    }))
  );
  await measureRows("live", rows, repeat, liveSeconds, { fps: liveFps });

  const lines: string[][] = [];
  const results: Record<string, unknown>[] = [];
  for (const pattern of patterns) {
    const of = (impl: RowRuns["impl"]): RowRuns | undefined =>
      rows.find((r) => r.pattern === pattern && r.impl === impl);
    const actorgear = of("netgear")!;
    for (const figure of LIVE_FIGURES) {
      const cell = (row: RowRuns | undefined): string =>
        row ? formatSpread(spread(row.runs.map(figure.pick)), figure.digits) : "-";
      const ratio = (against: "node" | "py"): string =>
        figure.ratio
          ? formatRatio(spread(ratiosAgainst(actorgear, rows, against, figure.pick)), "times")
          : "";
      lines.push([
        PATTERN_NAME[pattern],
        figure.name,
        ...impls.map((impl) => cell(of(impl))),
        ratio("node"),
        ...(withPy ? [ratio("py")] : []),
      ]);
    }
    for (const row of rows.filter((r) => r.pattern === pattern)) {
      results.push({
        pattern: PATTERN_NAME[pattern],
        impl: row.impl,
        ...Object.fromEntries(
          LIVE_FIGURES.map((f) => [f.name, spread(row.runs.map(f.pick))]),
        ),
        vsNode: Object.fromEntries(
          LIVE_FIGURES.filter((f) => f.ratio).map((f) => [
            f.name,
            ratiosAgainst(row, rows, "node", f.pick),
          ]),
        ),
        vsPy: Object.fromEntries(
          LIVE_FIGURES.filter((f) => f.ratio).map((f) => [
            f.name,
            ratiosAgainst(row, rows, "py", f.pick),
          ]),
        ),
        // Slots a server missed by a whole interval (startup included).
        skipped: row.runs.map((r) => r.servers.map((l) => Number(l.skipped ?? NaN))),
        runs: row.runs,
        rounds: row.rounds,
        failures: row.failures,
      });
    }
  }
  json.live = {
    servers: liveServers,
    fps: liveFps,
    seconds: liveSeconds,
    rows: results,
    loadavgAfter: loadavg(),
  };
  report.push(
    `\n## Live: ${liveServers} servers x ${liveFps} fps, ${WIDTH}x${HEIGHT}x3 raw frames, ` +
      `median (min–max) of ${repeat} x ${liveSeconds} s windows; ActorGear with ${v8Label}`,
    "Every sender paced from its own start time (frame k due at start + k/fps; a slot missed " +
      "by a whole interval is skipped, never sent late in a burst); PUB/SUB without credit (far " +
      "below the high-water mark). Latency = the receiver's clock when the frame is in the " +
      "application's hands minus the sender's, read just before its send (one machine, one " +
      "clock). ActorGear / Node, / pyzmq = median (min–max) of each round's ActorGear figure " +
      "over the ceiling's of the same round (below 1.00x: ActorGear's is lower). Machine " +
      "µs/frame = CPU time of every process and the kernel per frame delivered." +
      (pyzmq && "missing" in pyzmq ? `\nNote: ${pyzmq.missing}.` : ""),
    formatTable(
      [
        "pattern",
        "figure",
        ...impls.map((impl) => implName(impl)),
        "ActorGear / Node",
        ...(withPy ? ["ActorGear / pyzmq"] : []),
      ],
      lines,
    ),
  );
  const failures = failureLines(summarise(rows));
  if (failures.length) {
    errors.push(...failures.map((f) => `live: ${f.split("\n")[0]}`));
    report.push(`Failed runs (${failures.length}):\n${failures.map((f) => `- ${f}`).join("\n")}`);
  }
});
await scriptSection("jpeg-e2e", "./jpeg_e2e_bench.ts", ["--repeat", "2", "--seconds", "3"]);
await scriptSection("viewer", "./viewer_bench.ts", []);

// ---------------------------------------------------------------- scale

const SCALE_SERVERS = 32;
await section("scale", async () => {
  // Idle: the client bound to 32 ports with none connected, then with 32
  // silent servers (one message each, then only heartbeats); and bound to
  // one port, for what binding itself costs.
  const idle: Record<string, { bound1: IdleRun; bound32: IdleRun; connected32: IdleRun }> = {};
  const idleRows: string[][] = [];
  for (const pattern of scalePatterns) {
    const run = (ports: number, servers: number): Promise<IdleRun> => {
      progress.update(
        `scale idle ${
          PATTERN_NAME[pattern]
        }: ${ports} port(s) bound, ${servers} silent server(s), ` +
          `${idleSeconds} s`,
      );
      return runIdle({ pattern, ports, servers, seconds: idleSeconds, pool });
    };
    const bound1 = await run(1, 0);
    const bound32 = await run(SCALE_SERVERS, 0);
    const connected32 = await run(SCALE_SERVERS, SCALE_SERVERS);
    if (connected32.connected !== SCALE_SERVERS) {
      throw new Error(
        `Cannot measure idle scale: ${connected32.connected} of ${SCALE_SERVERS} servers delivered`,
      );
    }
    idle[PATTERN_NAME[pattern]] = { bound1, bound32, connected32 };
    const perServer = (connected32.rssMB - bound32.rssMB) / SCALE_SERVERS;
    const perServerWithBind = (connected32.rssMB - bound1.rssMB) / (SCALE_SERVERS - 1);
    idleRows.push([
      PATTERN_NAME[pattern],
      bound32.cpuPct.toFixed(2),
      connected32.cpuPct.toFixed(2),
      `${connected32.cpuPct < 2 ? "yes" : "NO"}`,
      bound1.rssMB.toFixed(1),
      bound32.rssMB.toFixed(1),
      connected32.rssMB.toFixed(1),
      perServer.toFixed(2),
      perServerWithBind.toFixed(2),
      `${perServer < 2 ? "yes" : "NO"}`,
    ]);
  }
  // The same idle load on bare REP sockets: what the socket layer alone costs
  // under Deno, and the transport's ceiling under Node.
  const rawIdle: Record<"deno" | "node", RawIdleRun> = {} as Record<"deno" | "node", RawIdleRun>;
  for (const runtime of ["deno", "node"] as const) {
    progress.update(`scale idle: ${SCALE_SERVERS} raw ${runtime} REP sockets, ${idleSeconds} s`);
    rawIdle[runtime] = await runRawIdle(runtime, SCALE_SERVERS, idleSeconds, pool);
  }

  // The scale curve stays ActorGear vs Node: 32 more processes per round
  // would lengthen it by half for a ceiling the netgear section shows.
  const rows = buildRows(scalePatterns, scaleCounts, false);
  await measureRows("scale", rows, scaleRepeat, scaleSeconds);
  const summaries = summarise(rows);
  addChartSeries("scale", summaries);
  json.scale = {
    idleSeconds,
    idleServers: SCALE_SERVERS,
    idle,
    rawIdle,
    rows: summaries,
    loadavgAfter: loadavg(),
  };
  report.push(
    `\n## Scale: a NetGear client with ${SCALE_SERVERS} silent servers, idle ${idleSeconds} s ` +
      "(heartbeatInterval 1000 ms)",
    "CPU = the client's own process.cpuUsage() over the window, % of one core; RSS = its " +
      "process.memoryUsage().rss at the end.\nMB/server = (RSS with 32 connected - RSS with " +
      "32 bound, none connected) / 32; 'incl. bind' = (RSS 32 connected - RSS 1 bound) / 31. " +
      "Targets: idle < 2% of a core, < 2 MB per server.",
    formatTable(
      [
        "pattern",
        "CPU % 0 conn",
        "CPU % 32 conn",
        "< 2%",
        "RSS 1 bound",
        "RSS 32 bound",
        "RSS 32 conn",
        "MB/server",
        "incl. bind",
        "< 2 MB",
      ],
      idleRows,
    ),
    `\n## Scale: the same idle load on ${SCALE_SERVERS} bare REP sockets ` +
      "(zmq_ceiling/idle_rep.*: Node REQ peers send 44 bytes every 1000 ms each, on the " +
      "wall clock's multiples of 1000 ms, as silent servers heartbeat)",
    formatTable(
      ["REP side", "CPU %", "requests", "µs/request", "RSS MB"],
      [
        ["raw ZmqSocket under Deno (ActorGear's socket layer alone)", rawIdle.deno],
        ["raw npm:zeromq under Node (the ceiling)", rawIdle.node],
      ].map(([name, run]) => {
        const r = run as RawIdleRun;
        return [
          name as string,
          r.cpuPct.toFixed(2),
          String(r.messages),
          r.usPerMessage.toFixed(0),
          r.rssMB.toFixed(1),
        ];
      }),
    ),
    `\n## Scale: throughput against servers, ${WIDTH}x${HEIGHT}x3 raw frames, ` +
      `median (min–max) of ${scaleRepeat} x ${scaleSeconds} s windows`,
    "fps = all servers together at the one client; fps/srv = fps / servers. " +
      throughputLegend(summaries),
    throughputTable(summaries),
  );
  const failures = failureLines(summaries);
  if (failures.length) {
    errors.push(...failures.map((f) => `scale: ${f.split("\n")[0]}`));
    report.push(`Failed runs (${failures.length}):\n${failures.map((f) => `- ${f}`).join("\n")}`);
  }
});

if (values.svg) {
  try {
    await Deno.writeTextFile(
      values.svg,
      scaleChartSvg(
        chartSeries,
        `ActorGear NetGear vs raw npm:zeromq (Node): ${WIDTH}x${HEIGHT}x3 frames, ` +
          `${navigator.hardwareConcurrency} CPUs`,
      ),
    );
  } catch (error) {
    errors.push(`svg: Cannot write ${values.svg}: ${error}`);
  }
}

progress.clear();
const machine = json.machine as Record<string, unknown>;
machine.loadavgAtEnd = loadavg();
json.finishedAt = new Date().toISOString();
json.errors = errors;
const pyVersion = pyzmq === undefined
  ? ""
  : "missing" in pyzmq
  ? ", pyzmq missing"
  : `, pyzmq ${pyzmq.pyzmq} (libzmq ${pyzmq.libzmq}, ${pyzmq.python})`;
console.log(
  `# ActorGear benchmarks on ${machine.name}: Deno ${machine.deno}, Node ${machine.node}` +
    `${pyVersion}; load average ${(machine.loadavgAtStart as number[]).join(" ")} at start, ${
      (machine.loadavgAtEnd as number[]).join(" ")
    } at end\n# ActorGear processes run with ${v8Label}; run order seed ${seed} ` +
    `(--seed ${seed} replays it)`,
);
console.log(report.join("\n"));
if (values.json) {
  await Deno.writeTextFile(values.json, JSON.stringify(json, null, 2) + "\n");
  console.log(`\nEvery figure: ${values.json}`);
}
if (values.svg && chartSeries.length) console.log(`Chart: ${values.svg}`);
if (errors.length) {
  console.log(`\n${errors.length} problem(s):\n${errors.map((e) => `- ${e}`).join("\n")}`);
  Deno.exitCode = 1;
}
