// ZmqSocket under Deno: the same protocol as node_sub.mjs (see there).
import { parseArgs } from "node:util";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: "tcp://127.0.0.1:5601" },
    ack: { type: "string", default: "tcp://127.0.0.1:5602" },
    frames: { type: "string", default: "3000" },
    window: { type: "string", default: "64" },
    every: { type: "string", default: "16" },
  },
});
const frames = Number(values.frames);
const every = Number(values.every);
const FRAME_BYTES = 640 * 480 * 3;

await using sub = new ZmqSocket("sub", {
  receiveHighWaterMark: 2 * Number(values.window),
});
await using ack = new ZmqSocket("push");
sub.subscribe();
sub.connect(values.data);
ack.connect(values.ack);

const acknowledge = (n: number): Promise<void> => {
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, n, true);
  return ack.send(count);
};

let said = false;
let received = 0;
let first = 0;
while (received < frames) {
  const [message] = await sub.receive();
  if (message.length === 1) {
    if (!said) await acknowledge(0);
    said = true;
    continue;
  }
  if (message.length !== FRAME_BYTES) {
    throw new Error(`frame of ${message.length} bytes`);
  }
  const seq = new DataView(message.buffer, message.byteOffset).getUint32(
    0,
    true,
  );
  if (seq !== received) throw new Error(`expected frame ${received}, got ${seq}`);
  if (received === 0) first = performance.now();
  received++;
  if (received % every === 0 || received === frames) {
    await acknowledge(received);
  }
}
const ms = performance.now() - first;
const fps = ((frames - 1) / ms) * 1000;
console.log(JSON.stringify({
  role: "sub",
  runtime: "deno",
  frames,
  ms,
  fps,
  mbps: (fps * FRAME_BYTES) / 1e6,
}));
