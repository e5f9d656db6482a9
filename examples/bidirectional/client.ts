/**
 * The seed's bidirectional client: frames and a message from every server,
 * and data sent back to each with its reply (REQ/REP only).
 *
 *     deno run --allow-read --allow-env --allow-ffi examples/bidirectional/client.ts --ports 5577,5578
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Frame, NetGear } from "../../mod.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    address: { type: "string", default: "127.0.0.1" },
    ports: { type: "string", default: "5577,5578" },
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
  bidirectionalMode: true,
});
const onInterrupt = () => void client.close();
Deno.addSignalListener("SIGINT", onInterrupt);

const frameDict = new Map<number, Frame>();
for (;;) {
  // prepare data to be sent back with the reply to the frame this call returns
  const data = await client.recv({ returnData: "Hi, I am a Client here." });
  if (data === null) break;
  const { port, frame, message } = data;
  // {do something with the extracted frame and data here}
  console.log(`port ${port}: ${String(message)}`);
  if (frame) frameDict.set(port, frame);
}
console.log(`every server has gone; last frames from ports ${[...frameDict.keys()].join(", ")}`);
Deno.removeSignalListener("SIGINT", onInterrupt);
await client.close();
