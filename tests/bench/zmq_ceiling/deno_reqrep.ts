// ZmqSocket under Deno: REQ/REP round trips of --size bytes between two
// processes; the req side reports p50/p99 latency.
import { parseArgs } from "node:util";
import { ZmqSocket } from "../../../transports/zmq/zmq_socket.ts";
import { percentile } from "./_stats.ts";

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
  await using rep = new ZmqSocket("rep");
  await rep.bind(values.endpoint);
  for (let i = 0; i < total; i++) {
    const [request] = await rep.receive();
    await rep.send(request);
  }
} else {
  await using req = new ZmqSocket("req");
  req.connect(values.endpoint);
  const payload = new Uint8Array(Number(values.size)).fill(1);
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
  console.log(JSON.stringify({
    role: "req",
    runtime: "deno",
    rounds,
    size: payload.length,
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    perSecond: (total / ms) * 1000,
  }));
}
