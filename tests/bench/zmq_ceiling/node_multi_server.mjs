// Raw npm:zeromq under Node: one sending process of the multi-server ceiling.
// Connects a PUB (--pattern 2) or REQ (--pattern 1) socket to the client's
// --port and sends --width x --height x 3 frames as fast as it may, until
// SIGTERM. No envelope: the frame's first 16 bytes carry the seq (uint32 LE
// at 0) and sentAt (float64 LE at 8, ms since the epoch, as
// performance.timeOrigin + performance.now()).
//
// PUB with --ack-port: credit-based flow control, at most --window frames
// not yet acknowledged by the client (which pushes the next seq it expects
// to the PULL bound on --ack-port). The sender then waits for the network
// instead of spinning through frames PUB would drop, so this is the
// transport's sustained rate with the CPU left to the client: the ceiling.
// PUB without --ack-port publishes as vidgear does: dropping at the
// high-water mark, spinning a core.
//
// --fps F paces a live source (the bench's live section): slots from one
// start time, missed ones skipped (Pacer in ../_window.mjs).
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { now, Pacer } from "../_window.mjs";

const require = createRequire(import.meta.url);
// Deno's node_modules layout resolves for Node through the symlink.
const zmq = require("../../../node_modules/zeromq");

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "5701" },
    "ack-port": { type: "string" },
    pattern: { type: "string", default: "2" },
    width: { type: "string", default: "640" },
    height: { type: "string", default: "480" },
    window: { type: "string", default: "8" },
    hwm: { type: "string", default: "8" },
    seconds: { type: "string", default: "120" },
    fps: { type: "string", default: "0" },
  },
});
const bytes = Number(values.width) * Number(values.height) * 3;
const pubSub = values.pattern === "2";
const window = Number(values.window);
const hwm = Number(values.hwm);

let seq = 0;
/** @type {Pacer | undefined} */
let pacer;
// A REQ or a credit wait may block forever once the client is gone: stop at once.
const stop = () => {
  const skipped = pacer?.skipped ?? 0;
  console.log(
    JSON.stringify({ event: "server", port: Number(values.port), sent: seq, timeouts, skipped }),
  );
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setTimeout(stop, Number(values.seconds) * 1000);

// zeromq.js sends buffers over 128 bytes zero-copy: a buffer is rewritten
// only after 32 later sends, by when it has long left (at most `window` or,
// dropping, the high-water mark of 8 are in flight; REQ has one).
const ring = Array.from({ length: 32 }, () => Buffer.alloc(bytes, 7));
const socket = pubSub
  ? new zmq.Publisher({ linger: 0, sendHighWaterMark: hwm })
  : new zmq.Request({ linger: 0 });
let ack;
if (pubSub && values["ack-port"]) {
  ack = new zmq.Pull({ linger: 0, receiveTimeout: 50 });
  await ack.bind(`tcp://127.0.0.1:${values["ack-port"]}`);
}
socket.connect(`tcp://127.0.0.1:${values.port}`);

let acked = 0;
let timeouts = 0;
let credited = false;
if (Number(values.fps) > 0) pacer = new Pacer(Number(values.fps));
for (;;) {
  while (ack && seq - acked >= window) {
    try {
      const [message] = await ack.receive();
      acked = Math.max(acked, message.readUint32LE(0));
      credited = true;
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
      // Before the first credit, PUB drops frames (no subscription yet): move on.
      if (!credited) acked = seq - window + 1;
      timeouts++;
    }
  }
  const frame = ring[seq % ring.length];
  frame.writeUint32LE(seq, 0);
  frame.writeDoubleLE(now(), 8);
  await socket.send(frame);
  if (!pubSub) await socket.receive();
  seq++;
  if (pacer) {
    const wait = pacer.next() - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  } else if ((seq & 63) === 0) {
    // A dropping PUB never blocks: yield so SIGTERM can be heard.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
