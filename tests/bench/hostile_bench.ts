/**
 * What a hostile message costs a receiver: for each shape of CBOR an
 * attacker might send (huge counts, deep nesting, every tag cbor-x knows,
 * bignums, text, typed arrays…), at the sizes that cost most within the
 * limits, the time `ProtocolCodec.decodeParts` takes (refusal or not) and the
 * heap the decoded result keeps, against the message's own size.
 *
 * Run: deno run --v8-flags=--expose-gc --allow-read --allow-env tests/bench/hostile_bench.ts [--json PATH]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ProtocolCodec, ProtocolError } from "../../transports/protocol/protocol.ts";
import { hostileShapes } from "../transports/protocol/_hostile_cbor.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { json: { type: "string" }, runs: { type: "string", default: "5" } },
});
const runs = Number(values.runs);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error("hostile_bench: run with --v8-flags=--expose-gc to measure retained memory");
  Deno.exit(2);
}

/** The JavaScript heap plus ArrayBuffer memory (typed-array copies live outside the heap). */
function used(): number {
  const { heapUsed, external } = Deno.memoryUsage();
  return heapUsed + external;
}

interface Row {
  shape: string;
  bytes: number;
  outcome: string;
  medianMs: number;
  maxMs: number;
  retainedBytes: number;
  retainedRatio: number;
}

const codec = new ProtocolCodec();
const rows: Row[] = [];
for (const shape of hostileShapes({ port: 5566, maxMessageBytes: codec.maxMessageBytes })) {
  const bytes = shape.parts.reduce((sum, part) => sum + part.byteLength, 0);
  const decode = (): unknown => {
    try {
      return codec.decodeParts(shape.parts);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      return error;
    }
  };
  const first = decode(); // warm-up: compiles the paths this shape takes
  const outcome = first instanceof ProtocolError ? first.code : "accepted";
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    decode();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  // Memory: keep `copies` results alive at once and divide, so that a small
  // result is not lost in the heap's noise.
  const copies = Math.max(2, Math.min(200, Math.floor(8_000_000 / bytes)));
  gc!();
  const before = used();
  const kept: unknown[] = [];
  for (let i = 0; i < copies; i++) kept.push(decode());
  gc!();
  const retained = Math.max(0, (used() - before) / copies);
  if (kept.length !== copies) throw new Error("unreachable: keeps the results alive");
  rows.push({
    shape: shape.name,
    bytes,
    outcome,
    medianMs: times[Math.floor(times.length / 2)],
    maxMs: times[times.length - 1],
    retainedBytes: Math.round(retained),
    retainedRatio: retained / bytes,
  });
}

const pad = (text: string, width: number) => text.padEnd(width);
console.log(
  `${pad("shape", 44)} ${pad("bytes", 10)} ${pad("outcome", 16)} ${pad("median ms", 10)} ${
    pad("max ms", 8)
  } retained (x size)`,
);
for (const row of rows) {
  console.log(
    `${pad(row.shape, 44)} ${pad(String(row.bytes), 10)} ${pad(row.outcome, 16)} ${
      pad(row.medianMs.toFixed(2), 10)
    } ${pad(row.maxMs.toFixed(2), 8)} ${row.retainedBytes} (${row.retainedRatio.toFixed(2)})`,
  );
}
const worstTime = rows.reduce((a, b) => (b.maxMs > a.maxMs ? b : a));
const worstMemory = rows.reduce((a, b) => (b.retainedRatio > a.retainedRatio ? b : a));
console.log(
  `worst time: ${worstTime.maxMs.toFixed(1)} ms (${worstTime.shape}); worst memory: ${
    worstMemory.retainedRatio.toFixed(2)
  }x its size (${worstMemory.shape}, ${worstMemory.retainedBytes} bytes)`,
);
if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(rows, null, 2));
