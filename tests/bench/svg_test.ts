import assert from "node:assert/strict";
import { scaleChartSvg } from "./_svg.ts";

const series = [
  {
    label: "scale REQ/REP ActorGear",
    points: [
      { servers: 4, fps: 1200, p50: 3, p99: 9 },
      { servers: 1, fps: 800, p50: 1, p99: 2 },
      { servers: 32, fps: 1300, p50: 20, p99: 80 },
    ],
  },
  { label: "scale REQ/REP Node <raw>", points: [{ servers: 1, fps: 900, p50: 0.8, p99: NaN }] },
];

Deno.test("scaleChartSvg draws one fps and two latency lines per series, x ticks per server count", () => {
  const svg = scaleChartSvg(series, "t & t");
  assert.ok(svg.startsWith("<svg xmlns="));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  // Series 1: fps, p50, p99; series 2: fps, p50 (its p99 is NaN: one point only, still a polyline).
  assert.equal(svg.match(/<polyline/g)?.length, 5);
  assert.ok(svg.includes("t &amp; t"));
  assert.ok(svg.includes("Node &lt;raw&gt;"));
  for (const tick of [">1<", ">4<", ">32<"]) assert.ok(svg.includes(tick), tick);
  // Points are drawn in server order whatever order they came in: x grows along the fps line.
  const fpsLine = /points="([^"]+)"/.exec(svg)![1].split(" ").map((p) => Number(p.split(",")[0]));
  assert.deepEqual(fpsLine, [...fpsLine].sort((a, b) => a - b));
  assert.equal(fpsLine.length, 3);
});

Deno.test("scaleChartSvg leaves out non-finite values instead of writing NaN", () => {
  const svg = scaleChartSvg(series, "x");
  assert.ok(!svg.includes("NaN"));
  assert.ok(!svg.includes("Infinity"));
});
