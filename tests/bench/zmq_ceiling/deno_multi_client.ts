// ActorGear's raw ZmqSocket under Deno as the multi-server receiving process:
// the same sockets, flow control and measurement as node_multi_client.mjs
// (see there), fed by node_multi_server.mjs. Between the Node ceiling and
// NetGear, it tells what Deno and the ZmqSocket layer cost by themselves.
import { parseArgs } from "node:util";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";
import { Window, type WindowResult } from "../_window.mjs";

const { values } = parseArgs({
  args: Deno.args,
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
const emit = (line: Record<string, unknown>): void => console.log(JSON.stringify(line));

const sockets: ZmqSocket[] = [];
for (const port of ports) {
  const socket = new ZmqSocket(pubSub ? "sub" : "rep", {
    receiveHighWaterMark: Number(values.hwm),
  });
  await socket.bind(`tcp://127.0.0.1:${port}`);
  if (pubSub) socket.subscribe();
  sockets.push(socket);
}
const acks = (values["ack-ports"] ?? "").split(",").filter(Boolean).map((port) => {
  const push = new ZmqSocket("push");
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
  onDone: (result: WindowResult) => {
    done = true;
    emit({ event: "result", ...result });
    for (const socket of [...sockets, ...acks]) void socket.close();
  },
});
emit({ event: "ready", ports });

const reply = new Uint8Array(16);
await Promise.allSettled(sockets.map(async (socket, index) => {
  const ack = acks[index];
  const credit = new Uint8Array(4);
  const creditView = new DataView(credit.buffer);
  while (!done) {
    const [message] = await socket.receive();
    const view = new DataView(message.buffer, message.byteOffset, 16);
    const seq = view.getUint32(0, true);
    window.record(index, seq, view.getFloat64(8, true), message.byteLength);
    if (!pubSub) await socket.send(reply);
    else if (ack && (seq + 1) % every === 0) {
      creditView.setUint32(0, seq + 1, true);
      await ack.send(credit);
    }
  }
}));
