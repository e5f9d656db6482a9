// ActorGear's raw ZmqSocket under Deno as one sending process: the same
// frames, sockets and flow control as node_multi_server.mjs (see there),
// into node_multi_client.mjs. Between the Node ceiling and a NetGear server,
// it tells what Deno and the ZmqSocket layer cost a sender by themselves
// (the rest of a NetGear server's cost is its actors and CBOR envelope).
import { parseArgs } from "node:util";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";
import { TransportOperationError } from "../../../transports/errors.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string", default: "5701" },
    "ack-port": { type: "string" },
    pattern: { type: "string", default: "2" },
    width: { type: "string", default: "640" },
    height: { type: "string", default: "480" },
    window: { type: "string", default: "8" },
    hwm: { type: "string", default: "8" },
    seconds: { type: "string", default: "120" },
  },
});
const bytes = Number(values.width) * Number(values.height) * 3;
const pubSub = values.pattern === "2";
const window = Number(values.window);

let seq = 0;
const stop = (): void => {
  console.log(JSON.stringify({ event: "server", port: Number(values.port), sent: seq }));
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
setTimeout(stop, Number(values.seconds) * 1000);

// ZeroMQ sends parts over 128 bytes without copying them: a buffer is
// rewritten only after 32 later sends, by when it has long left.
const ring = Array.from({ length: 32 }, () => new Uint8Array(bytes).fill(7));
const socket = new ZmqSocket(pubSub ? "pub" : "req", {
  sendHighWaterMark: Number(values.hwm),
});
let ack: ZmqSocket | undefined;
if (pubSub && values["ack-port"]) {
  ack = new ZmqSocket("pull");
  await ack.bind(`tcp://127.0.0.1:${values["ack-port"]}`);
}
socket.connect(`tcp://127.0.0.1:${values.port}`);

let acked = 0;
let credited = false;
for (;;) {
  while (ack && seq - acked >= window) {
    try {
      const [message] = await ack.receive({ signal: AbortSignal.timeout(50) });
      acked = Math.max(acked, new DataView(message.buffer, message.byteOffset).getUint32(0, true));
      credited = true;
    } catch (error) {
      if (!(error instanceof DOMException) || error.name !== "TimeoutError") throw error;
      // Before the first credit, PUB drops frames (no subscription yet): move on.
      if (!credited) acked = seq - window + 1;
    }
  }
  const frame = ring[seq % ring.length];
  const header = new DataView(frame.buffer);
  header.setUint32(0, seq, true);
  header.setFloat64(8, performance.timeOrigin + performance.now(), true);
  try {
    await socket.send(frame);
  } catch (error) {
    // A PUB at its high-water mark drops, as node_multi_server.mjs's does.
    if (!(error instanceof TransportOperationError) || error.code !== "EAGAIN") throw error;
  }
  if (!pubSub) await socket.receive();
  seq++;
}
