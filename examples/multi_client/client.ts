/**
 * Multi-client mode's client (vidgear's `multiclient_mode`): binds its own
 * port, takes its share of one server's frames and sends data back with
 * each; it shuts down when the server says goodbye.
 *
 *     deno run --allow-read --allow-env --allow-ffi examples/multi_client/client.ts --port 5567
 *
 * Run one per port given to the server (`--port 5577` for the second).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Frame, NetGear } from "../../mod.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    address: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "5567" },
  },
});
const port = Number(flags.values.port);

// activate multi-client and bidirectional modes: one port of its own
const client = await NetGear.open({
  address: flags.values.address,
  port,
  protocol: "tcp",
  pattern: 1,
  receiveMode: true,
  logging: true,
  multiclientMode: true,
  bidirectionalMode: true,
});
console.log(`client ready on port ${port}`);
const onInterrupt = () => void client.close();
Deno.addSignalListener("SIGINT", onInterrupt);

let frames = 0;
let last: Frame | undefined;
for (;;) {
  // receive the next frame meant for this client, answering with our data
  const data = await client.recv({ returnData: `Hi, I am Client at Port: ${port}` });
  if (data === null) break;
  // {do something with the frame here}
  last = data.frame;
  frames++;
}
console.log(
  `the server has gone; client on port ${port} got ${frames} frames` +
    (last ? ` (last ${last.width}x${last.height})` : ""),
);
Deno.removeSignalListener("SIGINT", onInterrupt);
await client.close();
