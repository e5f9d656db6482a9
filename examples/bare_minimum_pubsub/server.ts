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
import { ctrlC } from "../_interrupt.ts";

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
// Ctrl+C stops the send waiting for the client too, so the goodbye leaves at once.
using interrupt = ctrlC();
let sent = 0;
try {
  for (let n = 0; n < Number(flags.values.frames) && !interrupt.signal.aborted; n++) {
    const frame = await stream.read();
    if (frame === null) break;
    // {do something with the frame here}
    await server.send(frame, { signal: interrupt.signal });
    sent++;
  }
} catch (error) {
  if (!interrupt.signal.aborted) throw error;
} finally {
  await server.close();
}
if (interrupt.signal.aborted) {
  console.log(`interrupted (Ctrl+C) after ${sent} frames; server closed`);
}
