// Raw npm:zeromq under Node: --count REQ sockets, one per port from --base,
// each sending a 44-byte request (a NetGear heartbeat's size) every 1000 ms
// and waiting for its reply, until SIGTERM: a silent NetGear server's cadence
// at heartbeatInterval 1000, on the same schedule (the wall clock's multiples
// of 1000 ms, as ActorGear's servers heartbeat; `--phase random` sends from a
// random phase instead, as servers without that schedule would). The load of
// the scale section's idle rows for the raw REP sides (idle_rep.ts,
// idle_rep.mjs).
import { parseArgs } from "node:util";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const zmq = require("../../../node_modules/zeromq");

const { values } = parseArgs({
  options: {
    base: { type: "string", default: "5701" },
    count: { type: "string", default: "32" },
    seconds: { type: "string", default: "120" },
    phase: { type: "string", default: "grid" },
  },
});
if (values.phase !== "grid" && values.phase !== "random") {
  throw new TypeError(`--phase must be "grid" or "random", got ${JSON.stringify(values.phase)}`);
}
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
    let next = values.phase === "grid"
      ? Math.ceil(Date.now() / 1000) * 1000
      : Date.now() + Math.random() * 1000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, next - Date.now()));
      next += 1000;
      await socket.send(request);
      await socket.receive();
    }
  })().catch(() => {});
}
