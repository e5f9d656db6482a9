/**
 * The seed's bare-minimum client over PUB/SUB: receive frames from every
 * server and keep the latest frame of each (the montage's input).
 *
 *     deno run --allow-read --allow-env --allow-ffi --allow-net=127.0.0.1 examples/bare_minimum_pubsub/client.ts --ports 5566,5567 --view
 *
 * `--view` shows the montage of every server's latest frame, with its
 * frame rate, message and state, live in the browser (the address is
 * printed); without it, no network permission is needed.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Frame, NetGear } from "../../mod.ts";
import { ctrlC, endedBecause } from "../_interrupt.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    address: { type: "string", default: "127.0.0.1" },
    ports: { type: "string", default: "5566,5567" },
    view: { type: "boolean", default: false },
  },
});

const client = await NetGear.open({
  address: flags.values.address,
  port: flags.values.ports.split(",").map(Number),
  protocol: "tcp",
  pattern: 2,
  receiveMode: true,
  logging: true,
  multiserverMode: true,
  viewer: flags.values.view,
});
if (client.viewerUrl) console.log(`live view of every server: ${client.viewerUrl}`);
using interrupt = ctrlC();
interrupt.signal.addEventListener("abort", () => void client.close());

const frameDict = new Map<number, Frame>();
for await (const { port, frame } of client) {
  // {do something with the extracted frame here}
  if (frame) frameDict.set(port, frame);
}
await client.close();
console.log(
  `${endedBecause(client.shutdownReason)}; last frames from ports ${
    [...frameDict.keys()].join(", ")
  }`,
);
