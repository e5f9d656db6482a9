// Raw npm:zeromq under Node: the transport's ceiling on this machine.
// Publishes --frames frames of 640x480x3 bytes with credit-based flow control
// (at most --window frames unacknowledged), so no frame is dropped and the
// rate measured is the sustained end-to-end rate.
import { parseArgs } from "node:util";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// Deno's node_modules layout resolves for Node through the symlink.
const zmq = require("../../../node_modules/zeromq");

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

const pub = new zmq.Publisher({ linger: 0, sendHighWaterMark: 2 * window });
const ack = new zmq.Pull({ linger: 0 });
await pub.bind(values.data);
await ack.bind(values.ack);

// Slow joiner: PUB drops everything until the subscription has arrived, so
// send one-byte hellos until the subscriber answers on the ack socket.
let ready = false;
const readying = ack.receive().then(() => (ready = true));
while (!ready) {
  await pub.send(new Uint8Array(1));
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await readying;

// A frame is reused only after the subscriber acknowledged it, so ZeroMQ
// (which sends it zero-copy) no longer reads it.
const ring = Array.from({ length: 2 * window }, () => Buffer.alloc(FRAME_BYTES, 7));
let acked = 0;
const readAck = async () => {
  const [message] = await ack.receive();
  acked = message.readUint32LE(0);
};
const started = performance.now();
for (let i = 0; i < frames; i++) {
  while (i - acked >= window) await readAck();
  const frame = ring[i % ring.length];
  frame.writeUint32LE(i, 0);
  await pub.send(frame);
}
while (acked < frames) await readAck();
const ms = performance.now() - started;
console.log(JSON.stringify({ role: "pub", runtime: "node", frames, ms }));
pub.close();
ack.close();
