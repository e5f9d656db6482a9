// ActorGear's raw ZmqSocket under Deno: the same as idle_rep.mjs (--count
// REP sockets answering idle_peers.mjs; own CPU over --seconds after
// --settle), with no NetGear layer: what the socket waits alone cost.
import { parseArgs } from "node:util";
import process from "node:process";
import { ZmqSocket } from "../../../transports/zmq_socket.ts";

const { values } = parseArgs({
  options: {
    base: { type: "string", default: "5701" },
    count: { type: "string", default: "32" },
    settle: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
  },
});
let messages = 0;
const sockets: ZmqSocket[] = [];
for (let i = 0; i < Number(values.count); i++) {
  const socket = new ZmqSocket("rep");
  sockets.push(socket);
  await socket.bind(`tcp://127.0.0.1:${Number(values.base) + i}`);
  (async () => {
    for (;;) {
      const [request] = await socket.receive();
      messages++;
      await socket.send(request);
    }
  })().catch(() => {});
}
console.log(JSON.stringify({ event: "ready" }));
await new Promise((resolve) => setTimeout(resolve, Number(values.settle) * 1000));
const cpu0 = process.cpuUsage();
const messages0 = messages;
const t0 = performance.now();
await new Promise((resolve) => setTimeout(resolve, Number(values.seconds) * 1000));
const cpu = process.cpuUsage(cpu0);
const ms = performance.now() - t0;
const count = messages - messages0;
console.log(JSON.stringify({
  event: "idle",
  cpuPct: ((cpu.user + cpu.system) / 1000 / ms) * 100,
  messages: count,
  usPerMessage: count > 0 ? (cpu.user + cpu.system) / count : NaN,
  rssMB: process.memoryUsage().rss / 1e6,
}));
await Promise.all(sockets.map((socket) => socket.close()));
Deno.exit(0);
