/**
 * The seed's bidirectional client: frames and a message from every server,
 * and data sent back to each with its reply (REQ/REP only).
 *
 *     deno run --allow-read --allow-env --allow-ffi --allow-net=127.0.0.1 examples/bidirectional/client.ts --ports 5577,5578 --view
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
  bidirectionalMode: true,
});
if (client.viewerUrl) console.log(`live view of every server: ${client.viewerUrl}`);
using interrupt = ctrlC();
interrupt.signal.addEventListener("abort", () => void client.close());

const frameDict = new Map<number, Frame>();
for (;;) {
  // prepare data to be sent back with the reply to the frame this call returns
  const data = await client.recv({ returnData: "Hi, I am a Client here." });
  if (data === null) break;
  const { port, frame, message } = data;
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
