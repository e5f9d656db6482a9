/**
 * Machine-wide CPU time during a benchmark window, from Linux's /proc/stat:
 * what every process and the kernel spent together, and the time the
 * hypervisor took from this machine's CPUs for other guests (steal).
 *
 * Why: frames per second on a 2-core machine depend on how the scheduler
 * interleaves five processes, and swing from run to run; the CPU time all
 * of them spend per frame is steadier, and is the figure that says where
 * the time goes. Steal says when the machine itself was slowed down.
 *
 * Deno reads /proc/stat only with --allow-all, so without it a `cat` child
 * reads it (the bench has --allow-run); a window needs two reads, at its
 * start and its end, so the cost is two short children per run.
 *
 * @module
 */

/** One reading of /proc/stat's aggregate line, in ticks (1/100 s). */
export interface CpuSample {
  /** When it was read (`performance.now()`). */
  readonly at: number;
  /** user + nice + system + irq + softirq. */
  readonly busy: number;
  /** Time taken by the hypervisor for other guests. */
  readonly steal: number;
  /** Every field but guest time (already inside user). */
  readonly total: number;
}

/** Machine-wide CPU figures over a window. */
export interface MachineWindow {
  /** CPU time spent (user, nice, system, irq, softirq; all CPUs), ms. */
  readonly busyMs: number;
  /** Busy share of all CPUs' time, %. */
  readonly busyPct: number;
  /** Time the hypervisor ran other guests on these CPUs, % of all CPUs' time. */
  readonly stealPct: number;
  /** The window's length, ms. */
  readonly ms: number;
}

/** USER_HZ: the unit of /proc/stat, 1/100 s on every Linux that matters here. */
const TICK_MS = 10;

/**
 * Reads the machine's CPU counters now.
 *
 * @returns The sample, or `undefined` where /proc/stat cannot be read (not Linux).
 * @example
 * ```ts ignore
 * const start = await readCpu();
 * // ... the window ...
 * const end = await readCpu();
 * if (start && end) console.log(machineWindow(start, end).busyPct);
 * ```
 */
export async function readCpu(): Promise<CpuSample | undefined> {
  const at = performance.now();
  let text: string | undefined;
  try {
    text = await Deno.readTextFile("/proc/stat");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) return undefined;
    try {
      const out = await new Deno.Command("cat", {
        args: ["/proc/stat"],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (out.success) text = new TextDecoder().decode(out.stdout);
    } catch {
      return undefined;
    }
  }
  if (text === undefined) return undefined;
  return parseCpuLine(text.slice(0, text.indexOf("\n")), at);
}

/**
 * The figures between two samples.
 *
 * @param start The earlier sample.
 * @param end The later one.
 * @returns Busy time and shares; NaN shares when no tick passed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { machineWindow, parseCpuLine } from "./_machine.ts";
 * const a = parseCpuLine("cpu  100 0 50 800 0 0 0 0 0 0", 0)!;
 * const b = parseCpuLine("cpu  200 0 100 900 0 0 0 50 0 0", 1000)!;
 * assert.deepEqual(machineWindow(a, b), { busyMs: 1500, busyPct: 50, stealPct: 16.666666666666668, ms: 1000 });
 * ```
 */
export function machineWindow(start: CpuSample, end: CpuSample): MachineWindow {
  const total = end.total - start.total;
  return {
    busyMs: (end.busy - start.busy) * TICK_MS,
    busyPct: total > 0 ? (100 * (end.busy - start.busy)) / total : NaN,
    stealPct: total > 0 ? (100 * (end.steal - start.steal)) / total : NaN,
    ms: end.at - start.at,
  };
}

/**
 * Parses the aggregate `cpu` line of /proc/stat.
 *
 * @param line For example `"cpu  58969 31 47349 547973 1447 0 4666 3121 0 0"`.
 * @param at When it was read.
 * @returns Busy, steal and total ticks, or `undefined` if it is not a cpu line.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCpuLine } from "./_machine.ts";
 * const s = parseCpuLine("cpu  100 1 50 800 9 0 4 6 0 0", 0)!;
 * assert.deepEqual([s.busy, s.steal, s.total], [155, 6, 970]);
 * ```
 */
export function parseCpuLine(line: string, at: number): CpuSample | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== "cpu" || fields.length < 9) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice: inside user already]
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.slice(1, 9).map(Number);
  if (![user, nice, system, idle, iowait, irq, softirq, steal].every(Number.isFinite)) {
    return undefined;
  }
  return {
    at,
    busy: user + nice + system + irq + softirq,
    steal,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

/**
 * The CPU's model name from /proc/cpuinfo's text.
 *
 * @param cpuinfo The file's text.
 * @returns The first `model name`, or `undefined` when there is none.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCpuModel } from "./_machine.ts";
 * assert.equal(parseCpuModel("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n"), "AMD EPYC 7B13");
 * ```
 */
export function parseCpuModel(cpuinfo: string): string | undefined {
  const line = cpuinfo.split("\n").find((l) => /^model name\s*:/.test(l));
  return line?.slice(line.indexOf(":") + 1).trim() || undefined;
}

/**
 * Names the machine for the report: host name, CPU model and CPU count,
 * so figures from different machines are never compared unawares.
 *
 * @returns For example `vm, AMD EPYC 7B13, 2 CPUs`; parts that cannot be
 * read are left out.
 * @example
 * ```ts ignore
 * console.log(`# bench on ${await machineName()}`);
 * ```
 */
export async function machineName(): Promise<string> {
  let host: string | undefined;
  try {
    host = Deno.hostname();
  } catch {
    host = undefined;
  }
  let model: string | undefined;
  try {
    // Deno reads /proc only with --allow-all: a `cat` child reads it.
    const out = await new Deno.Command("cat", {
      args: ["/proc/cpuinfo"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (out.success) model = parseCpuModel(new TextDecoder().decode(out.stdout));
  } catch {
    model = undefined;
  }
  return [host, model, `${navigator.hardwareConcurrency} CPUs`].filter(Boolean).join(", ");
}
