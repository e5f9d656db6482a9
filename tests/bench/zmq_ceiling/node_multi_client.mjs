// Raw npm:zeromq under Node: the multi-server ceiling's receiving process.
// Binds one SUB (--pattern 2) or REP (--pattern 1) socket per port, as
// NetGear's client does, and measures the same window with the same code
// (../_window.mjs). REP answers each frame with 16 bytes. With --ack-ports
// (PUB/SUB), pushes to each server the next seq it expects every --every
// frames: the credit node_multi_server.mjs waits for.
// Prints JSON lines: `ready` once bound, `result` at the window's end.
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { Window } from "../_window.mjs";

const require = createRequire(import.meta.url);
const zmq = require("../../../node_modules/zeromq");

const { values } = parseArgs({
  options: {
    ports: { type: "string", default: "5701" },
    "ack-ports": { type: "string" },
    every: { type: "string", default: "2" },
    hwm: { type: "string", default: "8" },
    pattern: { type: "string", default: "2" },
    warmup: { type: "string", default: "0.5" },
    seconds: { type: "string", default: "2" },
  },
});
const ports = values.ports.split(",").map(Number);
const pubSub = values.pattern === "2";
const emit = (line) => console.log(JSON.stringify(line));

const sockets = [];
for (const port of ports) {
  const socket = pubSub
    ? new zmq.Subscriber({ linger: 0, receiveHighWaterMark: Number(values.hwm) })
    : new zmq.Reply({ linger: 0 });
  await socket.bind(`tcp://127.0.0.1:${port}`);
  if (pubSub) socket.subscribe();
  sockets.push(socket);
}

const acks = (values["ack-ports"] ?? "").split(",").filter(Boolean).map((port) => {
  const push = new zmq.Push({ linger: 0 });
  push.connect(`tcp://127.0.0.1:${port}`);
  return push;
});
const every = Number(values.every);

let done = false;
const window = new Window({
  ports: ports.length,
  warmupMs: Number(values.warmup) * 1000,
  windowMs: Number(values.seconds) * 1000,
  // The bench reads the machine's CPU counters when this line arrives.
  onStart: () => emit({ event: "window" }),
  onDone: (result) => {
    done = true;
    emit({ event: "result", ...result });
    for (const socket of [...sockets, ...acks]) socket.close();
  },
});
emit({ event: "ready", ports });

const reply = Buffer.alloc(16);
await Promise.allSettled(sockets.map(async (socket, index) => {
  const ack = acks[index];
  const credit = Buffer.alloc(4);
  while (!done) {
    const [message] = await socket.receive();
    const seq = message.readUint32LE(0);
    window.record(index, seq, message.readDoubleLE(8), message.length);
    if (!pubSub) await socket.send(reply);
    else if (ack && (seq + 1) % every === 0) {
      credit.writeUint32LE(seq + 1, 0);
      await ack.send(credit);
    }
  }
}));
