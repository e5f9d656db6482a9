// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript for Node too; types are in JSDoc
// The measurement shared by idle_rep.ts (Deno) and idle_rep.mjs (Node): after
// `settleS` seconds, the process's own CPU time over `seconds`, as one JSON
// line {"event": "idle", "cpuPct", "messages", "usPerMessage", "rssMB"}.
import process from "node:process";

/**
 * @param {object} options
 * @param {number} options.settleS Seconds to wait before measuring.
 * @param {number} options.seconds The measured window.
 * @param {() => number} options.answered Requests answered so far.
 * @returns {Promise<void>} Resolves once the line is printed.
 */
export async function measureIdle({ settleS, seconds, answered }) {
  await new Promise((resolve) => setTimeout(resolve, settleS * 1000));
  const cpu0 = process.cpuUsage();
  const answered0 = answered();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  const count = answered() - answered0;
  console.log(JSON.stringify({
    event: "idle",
    cpuPct: ((cpu.user + cpu.system) / 1000 / ms) * 100,
    messages: count,
    usPerMessage: count > 0 ? (cpu.user + cpu.system) / count : NaN,
    rssMB: process.memoryUsage().rss / 1e6,
  }));
}
