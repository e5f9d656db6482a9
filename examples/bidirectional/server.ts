/**
 * The seed's bidirectional server: frames plus a message out, the client's
 * data back with every reply.
 *
 *     deno run --allow-read --allow-env --allow-ffi --allow-run examples/bidirectional/server.ts --port 5577
 *
 * `--input /dev/video0` (or a file, or an rtsp:// URL) reads through ffmpeg;
 * the default is a synthetic moving pattern.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { NetGear, previewValue } from "../../mod.ts";
import { exampleSource } from "../_example_source.ts";
import { ctrlC } from "../_interrupt.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    address: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "5577" },
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
  pattern: 1,
  multiserverMode: true,
  bidirectionalMode: true,
});
// Ctrl+C stops the send waiting for the client too, so the goodbye leaves at once.
using interrupt = ctrlC();
let sent = 0;
try {
  for (let n = 0; n < Number(flags.values.frames) && !interrupt.signal.aborted; n++) {
    const frame = await stream.read();
    if (frame === null) break;
    // {do something with frame and data (to be sent) here}
    const text = `I'm Server at Port: ${port}`;
    const recvData = await server.send(frame, { message: text, signal: interrupt.signal });
    // The client's data as text, escaped so that it cannot drive the terminal.
    if (recvData !== undefined) console.log(previewValue(recvData, { bareString: true }));
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
