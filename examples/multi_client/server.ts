/**
 * Multi-client mode's server (vidgear's `multiclient_mode`): one source,
 * many clients, each bound on its own port. Over REQ/REP every frame goes
 * to one client, in turn among those answering, and `send()` says which
 * client took it and what it sent back; a client that stops answering is
 * passed over until it is back.
 *
 *     deno run --allow-read --allow-env --allow-ffi --allow-run examples/multi_client/server.ts --ports 5567,5577
 *
 * Start the clients first (`client.ts --port 5567`, `client.ts --port 5577`).
 * `--input /dev/video0` (or a file, or an rtsp:// URL) reads through ffmpeg;
 * the default is a synthetic moving pattern.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type ClientReply, NetGear, previewValue } from "../../mod.ts";
import { exampleSource } from "../_example_source.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    address: { type: "string", default: "127.0.0.1" },
    ports: { type: "string", default: "5567,5577" },
    input: { type: "string" },
    frames: { type: "string", default: "300" },
  },
});
const ports = flags.values.ports.split(",").map(Number);

await using stream = exampleSource(flags.values.input, "multi-client server");
await stream.start();
// activate multi-client and bidirectional modes: connect to every client's port
const server = await NetGear.open({
  address: flags.values.address,
  port: ports,
  protocol: "tcp",
  pattern: 1,
  logging: true,
  multiclientMode: true,
  bidirectionalMode: true,
});
const stop = new AbortController();
const onInterrupt = () => stop.abort();
Deno.addSignalListener("SIGINT", onInterrupt);

for (let n = 0; n < Number(flags.values.frames) && !stop.signal.aborted; n++) {
  const frame = await stream.read();
  if (frame === null) break;
  // {do something with the frame here}
  // send the frame to the next client, and learn which one took it: (port, data)
  const { port, data } = await server.send(frame) as ClientReply;
  // The client's data as text, escaped so that it cannot drive the terminal.
  console.log(`client ${port}: ${previewValue(data, { bareString: true })}`);
}
Deno.removeSignalListener("SIGINT", onInterrupt);
// says goodbye to every client, which then shut down
await server.close();
