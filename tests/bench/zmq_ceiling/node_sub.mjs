// Raw npm:zeromq under Node: receives what node_pub.mjs or deno_pub.ts
// publishes, acknowledges every --every frames, reports fps and MB/s.
import { parseArgs } from "node:util";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const zmq = require("../../../node_modules/zeromq");

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

const sub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 2 * Number(values.window) });
const ack = new zmq.Push({ linger: 0 });
sub.subscribe();
sub.connect(values.data);
ack.connect(values.ack);

const count = Buffer.alloc(4);
const acknowledge = async (n) => {
  count.writeUint32LE(n, 0);
  await ack.send(count);
};

let said = false;
let received = 0;
let first = 0;
let bytes = 0;
while (received < frames) {
  const [message] = await sub.receive();
  if (message.length === 1) {
    if (!said) await acknowledge(0);
    said = true;
    continue;
  }
  if (message.length !== FRAME_BYTES) throw new Error(`frame of ${message.length} bytes`);
  const seq = message.readUint32LE(0);
  if (seq !== received) throw new Error(`expected frame ${received}, got ${seq}`);
  if (received === 0) first = performance.now();
  received++;
  bytes += message.length;
  if (received % every === 0 || received === frames) await acknowledge(received);
}
const ms = performance.now() - first;
// The first frame starts the clock, so frames - 1 intervals were timed.
const fps = ((frames - 1) / ms) * 1000;
console.log(JSON.stringify({
  role: "sub",
  runtime: "node",
  frames,
  ms,
  fps,
  mbps: (fps * FRAME_BYTES) / 1e6,
}));
sub.close();
ack.close();
