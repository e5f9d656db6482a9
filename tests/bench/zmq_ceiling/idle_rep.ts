// ActorGear's raw ZmqSocket under Deno: the same as idle_rep.mjs (--count
// REP sockets answering idle_peers.mjs; own CPU over --seconds after
// --settle), with no NetGear layer: what the socket waits alone cost.
import { parseArgs } from "node:util";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";
import { measureIdle } from "./_idle_window.mjs";

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
await measureIdle({
  settleS: Number(values.settle),
  seconds: Number(values.seconds),
  answered: () => messages,
});
await Promise.all(sockets.map((socket) => socket.close()));
Deno.exit(0);
