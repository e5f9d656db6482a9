// Raw npm:zeromq under Node: the same REQ/REP round trips as deno_reqrep.ts.
import { parseArgs } from "node:util";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const zmq = require("../../../node_modules/zeromq");

const { values } = parseArgs({
  options: {
    role: { type: "string", default: "req" },
    endpoint: { type: "string", default: "tcp://127.0.0.1:5603" },
    rounds: { type: "string", default: "5000" },
    warmup: { type: "string", default: "200" },
    size: { type: "string", default: "1024" },
  },
});
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const total = rounds + warmup;

if (values.role === "rep") {
  const rep = new zmq.Reply({ linger: 0 });
  await rep.bind(values.endpoint);
  for (let i = 0; i < total; i++) {
    const [request] = await rep.receive();
    await rep.send(request);
  }
  rep.close();
} else {
  const req = new zmq.Request({ linger: 0 });
  req.connect(values.endpoint);
  const payload = Buffer.alloc(Number(values.size), 1);
  const times = new Float64Array(rounds);
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const sent = performance.now();
    await req.send(payload);
    await req.receive();
    if (i >= warmup) times[i - warmup] = performance.now() - sent;
  }
  const ms = performance.now() - started;
  times.sort();
  const at = (q) => times[Math.min(rounds - 1, Math.ceil(q * rounds) - 1)];
  console.log(JSON.stringify({
    role: "req",
    runtime: "node",
    rounds,
    size: payload.length,
    p50: at(0.5),
    p99: at(0.99),
    perSecond: (total / ms) * 1000,
  }));
  req.close();
}
