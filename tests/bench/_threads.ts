/**
 * CPU time per thread of a process (Linux /proc/PID/task/TID/stat), grouped
 * by thread name: which of a benchmark process's threads spend the time,
 * for `deno task bench --threads`.
 *
 * Threads that share a name (ZeroMQ's I/O threads, tokio's blocking pool,
 * V8's workers) are added up. Deno reads /proc only with --allow-all, so a
 * `sh` child reads every stat file at once (the bench has --allow-run).
 *
 * @module
 */

/** User and system CPU time of one group of threads, in ticks (1/100 s). */
export interface ThreadTimes {
  /** Ticks in user space. */
  readonly user: number;
  /** Ticks in the kernel. */
  readonly system: number;
}

/**
 * Reads the CPU time of every thread of `pid`, by thread name.
 *
 * @param pid The process.
 * @returns Times per thread name (numbers and `/` ends stripped, so
 * `ZMQbg/IO/0` and `ZMQbg/IO/1` are one group; the main thread is `main`),
 * or `undefined` where /proc cannot be read.
 * @example
 * ```ts ignore
 * const before = await readThreads(child.pid);
 * ```
 */
export async function readThreads(pid: number): Promise<Map<string, ThreadTimes> | undefined> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `cat /proc/${pid}/task/*/stat`],
      stdout: "piped",
      stderr: "null",
    }).output();
    // A thread that ends between the glob and its read makes cat fail: the
    // others were still read, and they are what counts.
    const text = new TextDecoder().decode(out.stdout);
    return text === "" ? undefined : parseThreadStats(text, pid);
  } catch {
    return undefined;
  }
}

/**
 * Groups `/proc/PID/task/TID/stat` lines by thread name.
 *
 * @param text One stat line per thread.
 * @param pid The process: its thread of the same id is named `main`
 * (Node names its helper threads `node` too).
 * @returns User and system ticks per name.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseThreadStats } from "./_threads.ts";
 * const line = (tid: number, name: string, u: number, s: number) =>
 *   `${tid} (${name}) S 1 1 1 0 -1 0 0 0 0 0 ${u} ${s} 0 0 20 0 1 0 0 0 0`;
 * const text = [line(7, "deno", 5, 1), line(8, "ZMQbg/IO/0", 2, 7), line(9, "ZMQbg/IO/1", 1, 1)];
 * const times = parseThreadStats(text.join("\n"), 7);
 * assert.deepEqual(times.get("main"), { user: 5, system: 1 });
 * assert.deepEqual(times.get("ZMQbg/IO"), { user: 3, system: 8 });
 * ```
 */
export function parseThreadStats(text: string, pid: number): Map<string, ThreadTimes> {
  const times = new Map<string, ThreadTimes>();
  for (const line of text.split("\n")) {
    const open = line.indexOf("(");
    const close = line.lastIndexOf(")");
    if (open < 0 || close < open) continue;
    const tid = Number(line.slice(0, open));
    const name = tid === pid ? "main" : line.slice(open + 1, close).replace(/[/#]?\d+$/, "");
    // After "(name) ": state is field 3; utime and stime are fields 14 and 15.
    const fields = line.slice(close + 2).split(" ");
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    if (!Number.isFinite(user) || !Number.isFinite(system)) continue;
    const sum = times.get(name) ?? { user: 0, system: 0 };
    times.set(name, { user: sum.user + user, system: sum.system + system });
  }
  return times;
}

/**
 * Microseconds of CPU per frame, by thread name, between two readings.
 *
 * @param before The reading at the window's start.
 * @param after The reading at its end.
 * @param frames Frames the window counted for this process.
 * @returns `{ name: { user, system } }` in µs per frame, busiest first;
 * threads that spent nothing are left out.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { perFrame } from "./_threads.ts";
 * const a = new Map([["deno", { user: 10, system: 2 }]]);
 * const b = new Map([["deno", { user: 20, system: 4 }]]);
 * assert.deepEqual(perFrame(a, b, 1000), { deno: { user: 100, system: 20 } });
 * ```
 */
export function perFrame(
  before: Map<string, ThreadTimes>,
  after: Map<string, ThreadTimes>,
  frames: number,
): Record<string, ThreadTimes> {
  const TICK_US = 10_000;
  const rows: [string, ThreadTimes][] = [];
  for (const [name, end] of after) {
    const start = before.get(name) ?? { user: 0, system: 0 };
    const user = ((end.user - start.user) * TICK_US) / frames;
    const system = ((end.system - start.system) * TICK_US) / frames;
    if (user + system > 0) rows.push([name, { user, system }]);
  }
  rows.sort((a, b) => b[1].user + b[1].system - (a[1].user + a[1].system));
  return Object.fromEntries(rows);
}
