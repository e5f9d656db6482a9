/**
 * A NetGear client in its own process for restart tests: prints one JSON line
 * per frame (`{"port":…,"seq":…}`) and one when it starts listening.
 *
 *     deno run --allow-read --allow-env --allow-ffi recording_client.ts PATTERN PORT[,PORT…]
 *
 * @module
 */

import { NetGear } from "../../actors/netgear/mod.ts";
import type { Pattern } from "../../actors/netgear/mod.ts";

const [pattern, ports] = Deno.args;
const client = await NetGear.open({
  receiveMode: true,
  multiserverMode: true,
  pattern: Number(pattern) as Pattern,
  port: ports.split(",").map(Number),
  livenessTimeout: 60_000,
});
const encoder = new TextEncoder();
const write = (line: object) => Deno.stdout.writeSync(encoder.encode(JSON.stringify(line) + "\n"));
write({ listening: true });
for await (const { port, seq } of client) write({ port, seq });
write({ done: client.shutdownReason });
