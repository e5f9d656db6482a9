/**
 * A NetGear client in its own process for restart tests: prints one JSON line
 * per frame (`{"port":…,"seq":…}`) and one when it starts listening.
 *
 * In REQ/REP a frame is printed as it arrives, before `recv()` takes it and
 * so before its server gets the reply: a SIGKILL can then never fall between
 * the reply leaving and the line being written, which would make a frame
 * the dead client acknowledged look lost. In PUB/SUB it is printed as taken.
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
const requestReply = pattern === "1";
if (requestReply) client.onFrame(({ port, seq }) => write({ port, seq }));
write({ listening: true });
for await (const { port, seq } of client) if (!requestReply) write({ port, seq });
write({ done: client.shutdownReason });
