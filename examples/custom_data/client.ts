/**
 * The seed's unidirectional custom data client: frames plus a text message
 * from every server; the messages are printed to the terminal.
 *
 *     deno run --allow-read --allow-env --allow-ffi --allow-net=127.0.0.1 examples/custom_data/client.ts --ports 5577,5578 --view
 *
 * `--view` shows the montage of every server's latest frame, with its
 * frame rate, message and state, live in the browser (the address is
 * printed); without it, no network permission is needed.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Frame, NetGear, previewValue } from "../../mod.ts";
import { ctrlC, endedBecause } from "../_interrupt.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    address: { type: "string", default: "127.0.0.1" },
    ports: { type: "string", default: "5577,5578" },
    view: { type: "boolean", default: false },
  },
});

const client = await NetGear.open({
  address: flags.values.address,
  port: flags.values.ports.split(",").map(Number),
  protocol: "tcp",
  pattern: 1,
  receiveMode: true,
  logging: true,
  multiserverMode: true,
  viewer: flags.values.view,
});
if (client.viewerUrl) console.log(`live view of every server: ${client.viewerUrl}`);
using interrupt = ctrlC();
interrupt.signal.addEventListener("abort", () => void client.close());

const frameDict = new Map<number, Frame>();
for await (const { port, frame, message } of client) {
  // {do something with the extracted frame and data here}
  // Text as the seed prints it; any other CBOR a server sent (a bigint, a
  // cycle) safely, where String() could throw or run the message's toString.
  console.log(`port ${port}: ${previewValue(message, { bareString: true })}`);
  if (frame) frameDict.set(port, frame);
}
await client.close();
console.log(
  `${endedBecause(client.shutdownReason)}; last frames from ports ${
    [...frameDict.keys()].join(", ")
  }`,
);
