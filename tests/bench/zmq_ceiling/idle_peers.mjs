// Raw npm:zeromq under Node: --count REQ sockets, one per port from --base,
// each sending a 44-byte request (a NetGear heartbeat's size) every 1000 ms
// from a random phase (a silent NetGear server's cadence at heartbeatInterval
// 1000: 32 of them send 31.8 a second; an earlier 1000-1500 ms gave the raw
// sides 20% fewer messages than NetGear got) and waiting for its reply, until
// SIGTERM. The load of the scale section's
// idle rows for the raw REP sides (idle_rep.ts, idle_rep.mjs).
import { parseArgs } from "node:util";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const zmq = require("../../../node_modules/zeromq");

const { values } = parseArgs({
  options: {
    base: { type: "string", default: "5701" },
    count: { type: "string", default: "32" },
    seconds: { type: "string", default: "120" },
  },
});
const sockets = [];
const stop = () => {
  for (const socket of sockets) socket.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setTimeout(stop, Number(values.seconds) * 1000);

const request = Buffer.alloc(44, 1);
for (let i = 0; i < Number(values.count); i++) {
  const socket = new zmq.Request({ linger: 0 });
  sockets.push(socket);
  socket.connect(`tcp://127.0.0.1:${Number(values.base) + i}`);
  (async () => {
    let next = Date.now() + Math.random() * 1000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, next - Date.now()));
      next += 1000;
      await socket.send(request);
      await socket.receive();
    }
  })().catch(() => {});
}
