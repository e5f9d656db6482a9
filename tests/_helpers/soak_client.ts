/**
 * A deliberately slow NetGear client in its own process, for the soak test:
 * takes a frame every `DELAY_MS`, and prints its resident memory once a
 * second as JSON lines.
 *
 *     deno run --allow-read --allow-env --allow-ffi soak_client.ts PATTERN DELAY_MS PORT[,PORT…]
 *
 * @module
 */

import { NetGear } from "../../transports/netgear.ts";
import type { Pattern } from "../../transports/netgear_options.ts";

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
const started = performance.now();
let frames = 0;
const sampler = setInterval(async () => {
  const stats = await client.stats();
  write({
    t: (performance.now() - started) / 1000,
    rss: Deno.memoryUsage().rss,
    frames,
    dropped: stats.reduce((sum, s) => sum + s.dropped + s.lost, 0),
  });
}, 1000);
write({ listening: true });
for await (const _ of client) {
  frames++;
  await new Promise((resolve) => setTimeout(resolve, Number(delayMs)));
}
clearInterval(sampler);
write({ done: client.shutdownReason, frames });
