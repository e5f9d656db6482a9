// Raw npm:zeromq under Node: --count REP sockets bound on ports from --base,
// each answering every request with its own bytes. After --settle seconds it
// measures its own CPU time over --seconds and prints one JSON line:
// {"event": "idle", "cpuPct", "messages", "usPerMessage", "rssMB"}.
// The ceiling of the scale section's idle row (see idle_peers.mjs).
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { measureIdle } from "./_idle_window.mjs";

const require = createRequire(import.meta.url);
const zmq = require("../../../node_modules/zeromq");

const { values } = parseArgs({
  options: {
    base: { type: "string", default: "5701" },
    count: { type: "string", default: "32" },
    settle: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
  },
});
let messages = 0;
const sockets = [];
for (let i = 0; i < Number(values.count); i++) {
  const socket = new zmq.Reply({ linger: 0 });
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
for (const socket of sockets) socket.close();
process.exit(0);
