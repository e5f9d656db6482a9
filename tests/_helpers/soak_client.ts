/**
 * A deliberately slow NetGear client in its own process, for the soak test:
 * takes a frame every `DELAY_MS`, and prints its resident memory once a
 * second as JSON lines.
 *
 *     deno run --allow-read --allow-env --allow-ffi soak_client.ts PATTERN DELAY_MS PORT[,PORT…]
 *
 * @module
 */

import { NetGear } from "../../actors/netgear/mod.ts";
import type { Pattern } from "../../actors/netgear/mod.ts";

const [pattern, delayMs, ports] = Deno.args;
const client = await NetGear.open({
  receiveMode: true,
  multiserverMode: true,
  pattern: Number(pattern) as Pattern,
  port: ports.split(",").map(Number),
  livenessTimeout: 30_000,
});
const encoder = new TextEncoder();
const write = (line: object) => Deno.stdout.writeSync(encoder.encode(JSON.stringify(line) + "\n"));
let frames = 0;
const heard = new Set<number>();
const portCount = ports.split(",").length;
/** When every server had been heard from: the soak's clock starts there. */
let allJoinedAt: number | undefined;
const sampler = setInterval(async () => {
  const stats = await client.stats();
  // Run with --v8-flags=--expose-gc: collecting first makes each sample what
  // the client retains, not how far the collector happens to lag behind.
  (globalThis as { gc?: () => void }).gc?.();
  write({
    t: allJoinedAt === undefined ? -1 : (performance.now() - allJoinedAt) / 1000,
    rss: Deno.memoryUsage().rss,
    frames,
    dropped: stats.reduce((sum, s) => sum + s.dropped + s.lost, 0),
  });
}, 1000);
write({ listening: true });
for await (const { port } of client) {
  frames++;
  if (allJoinedAt === undefined) {
    heard.add(port);
    if (heard.size === portCount) allJoinedAt = performance.now();
  }
  await new Promise((resolve) => setTimeout(resolve, Number(delayMs)));
}
clearInterval(sampler);
write({ done: client.shutdownReason, frames });
