// ZmqSocket under Deno: the same protocol as node_pub.mjs (see there).
import { parseArgs } from "node:util";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: "tcp://127.0.0.1:5601" },
    ack: { type: "string", default: "tcp://127.0.0.1:5602" },
    frames: { type: "string", default: "3000" },
    window: { type: "string", default: "64" },
  },
});
const frames = Number(values.frames);
const window = Number(values.window);
const FRAME_BYTES = 640 * 480 * 3;

await using pub = new ZmqSocket("pub", { sendHighWaterMark: 2 * window });
await using ack = new ZmqSocket("pull");
await pub.bind(values.data);
await ack.bind(values.ack);

let ready = false;
const readying = ack.receive().then(() => (ready = true));
while (!ready) {
  await pub.send(new Uint8Array(1));
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await readying;

const ring = Array.from(
  { length: 2 * window },
  () => new Uint8Array(FRAME_BYTES).fill(7),
);
const views = ring.map((frame) => new DataView(frame.buffer));
let acked = 0;
const readAck = async (): Promise<void> => {
  const [message] = await ack.receive();
  acked = new DataView(message.buffer, message.byteOffset).getUint32(0, true);
};
const started = performance.now();
for (let i = 0; i < frames; i++) {
  while (i - acked >= window) await readAck();
  views[i % ring.length].setUint32(0, i, true);
  await pub.send(ring[i % ring.length]);
}
while (acked < frames) await readAck();
const ms = performance.now() - started;
console.log(JSON.stringify({ role: "pub", runtime: "deno", frames, ms }));
