/**
 * The seed's bare-minimum server over PUB/SUB: stream frames to the client,
 * identified by this server's own port.
 *
 *     deno run --allow-read --allow-env --allow-ffi --allow-run examples/bare_minimum_pubsub/server.ts --port 5566
 *
 * `--input /dev/video0` (or a file, or an rtsp:// URL) reads through ffmpeg;
 * the default is a synthetic moving pattern.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { NetGear } from "../../mod.ts";
import { exampleSource } from "../_example_source.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    address: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "5566" },
    input: { type: "string" },
    frames: { type: "string", default: "300" },
  },
});
const port = Number(flags.values.port);

await using stream = exampleSource(flags.values.input, `server ${port}`);
await stream.start();
const server = await NetGear.open({
  address: flags.values.address,
  port,
  protocol: "tcp",
  pattern: 2,
  multiserverMode: true,
});
const stop = new AbortController();
const onInterrupt = () => stop.abort();
Deno.addSignalListener("SIGINT", onInterrupt);

for (let n = 0; n < Number(flags.values.frames) && !stop.signal.aborted; n++) {
  const frame = await stream.read();
  if (frame === null) break;
  // {do something with the frame here}
  await server.send(frame);
}
Deno.removeSignalListener("SIGINT", onInterrupt);
await server.close();
