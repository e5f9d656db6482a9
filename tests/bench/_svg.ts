/**
 * A hand-written SVG chart for `deno task bench --svg PATH`: frames per
 * second and latency (p50 solid, p99 dashed) against the number of servers,
 * one line per pattern/implementation. No dependencies.
 *
 * @module
 */

/** One measured point of a series. */
export interface ChartPoint {
  /** Number of servers (the x axis, log 2). */
  readonly servers: number;
  /** Frames per second at the client, all servers together. */
  readonly fps: number;
  /** Latency median, ms. */
  readonly p50: number;
  /** Latency 99th percentile, ms. */
  readonly p99: number;
}

/** One line on the chart: a pattern and implementation over server counts. */
export interface ChartSeries {
  /** Legend text, for example `REQ/REP ActorGear`. */
  readonly label: string;
  /** Its points, any order. */
  readonly points: readonly ChartPoint[];
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"];
const PANEL_W = 460;
const PANEL_H = 300;
const MARGIN = { left: 64, right: 24, top: 48, bottom: 44 };

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function niceStep(range: number): number {
  const raw = range / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

function fmt(value: number): string {
  if (value >= 1000) return `${Math.round(value / 100) / 10}k`.replace(".0k", "k");
  if (value >= 10) return String(Math.round(value));
  return String(Math.round(value * 100) / 100);
}

/**
 * Draws the chart: two panels (fps, linear; latency, log 10), x = servers on
 * a log 2 axis, a legend below.
 *
 * @param series The lines; points with a non-finite value are left out.
 * @param title The chart's title.
 * @returns The SVG document.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scaleChartSvg } from "./_svg.ts";
 * const svg = scaleChartSvg([{ label: "REQ/REP Node", points: [
 *   { servers: 1, fps: 900, p50: 1.1, p99: 2.5 },
 *   { servers: 2, fps: 1500, p50: 1.3, p99: 3.1 },
 * ] }], "scale");
 * assert.ok(svg.startsWith("<svg") && svg.includes("REQ/REP Node"));
 * ```
 */
export function scaleChartSvg(series: readonly ChartSeries[], title: string): string {
  const all = series.flatMap((s) => s.points);
  const counts = [...new Set(all.map((p) => p.servers))].sort((a, b) => a - b);
  const xMin = Math.log2(counts[0] ?? 1);
  const xMax = Math.max(xMin + 1, Math.log2(counts[counts.length - 1] ?? 2));
  const innerW = PANEL_W - MARGIN.left - MARGIN.right;
  const innerH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const x = (servers: number): number =>
    MARGIN.left + ((Math.log2(servers) - xMin) / (xMax - xMin)) * innerW;

  const fpsValues = all.map((p) => p.fps).filter(Number.isFinite);
  const fpsStep = niceStep(Math.max(1, ...fpsValues));
  const fpsMax = Math.ceil(Math.max(1, ...fpsValues) / fpsStep) * fpsStep;
  const yFps = (v: number): number => MARGIN.top + innerH - (v / fpsMax) * innerH;

  const latValues = all.flatMap((p) => [p.p50, p.p99]).filter((v) => Number.isFinite(v) && v > 0);
  const latLo = Math.floor(Math.log10(Math.min(...latValues, 1)));
  const latHi = Math.max(latLo + 1, Math.ceil(Math.log10(Math.max(...latValues, 1))));
  const yLat = (v: number): number =>
    MARGIN.top + innerH - ((Math.log10(v) - latLo) / (latHi - latLo)) * innerH;

  const out: string[] = [];
  const legendRows = Math.ceil((series.length + 1) / 2);
  const width = 2 * PANEL_W;
  const height = PANEL_H + 16 + 20 * legendRows + 8;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${
      escape(title)
    }</text>`,
  );

  const panel = (
    offset: number,
    name: string,
    ticks: { value: number; y: number }[],
    lines: string[],
  ): void => {
    out.push(`<g transform="translate(${offset},0)">`);
    out.push(
      `<text x="${MARGIN.left + innerW / 2}" y="${MARGIN.top - 10}" text-anchor="middle" ` +
        `font-weight="bold">${escape(name)}</text>`,
    );
    for (const t of ticks) {
      out.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + innerW}" y1="${t.y}" y2="${t.y}" ` +
          `stroke="#ddd"/>`,
        `<text x="${MARGIN.left - 6}" y="${t.y + 4}" text-anchor="end">${fmt(t.value)}</text>`,
      );
    }
    for (const c of counts) {
      out.push(
        `<line x1="${x(c)}" x2="${x(c)}" y1="${MARGIN.top}" y2="${MARGIN.top + innerH}" ` +
          `stroke="#eee"/>`,
        `<text x="${x(c)}" y="${MARGIN.top + innerH + 16}" text-anchor="middle">${c}</text>`,
      );
    }
    out.push(
      `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${innerW}" height="${innerH}" ` +
        `fill="none" stroke="#888"/>`,
      `<text x="${MARGIN.left + innerW / 2}" y="${PANEL_H - 8}" text-anchor="middle">` +
        `servers (log 2)</text>`,
      ...lines,
      `</g>`,
    );
  };

  const path = (points: [number, number][], colour: string, dashed: boolean): string =>
    points.length === 0 ? "" : [
      `<polyline fill="none" stroke="${colour}" stroke-width="2"${
        dashed ? ' stroke-dasharray="6 4"' : ""
      } points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ")}"/>`,
      ...points.map(([px, py]) =>
        `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${colour}"/>`
      ),
    ].join("");

  const sorted = series.map((s) => [...s.points].sort((a, b) => a.servers - b.servers));
  const fpsTicks = [];
  for (let v = 0; v <= fpsMax + 1e-9; v += fpsStep) fpsTicks.push({ value: v, y: yFps(v) });
  panel(
    0,
    "frames/s at the client (all servers)",
    fpsTicks,
    sorted.map((points, i) =>
      path(
        points.filter((p) => Number.isFinite(p.fps)).map((p) => [x(p.servers), yFps(p.fps)]),
        COLOURS[i % COLOURS.length],
        false,
      )
    ),
  );
  const latTicks = [];
  for (let e = latLo; e <= latHi; e++) latTicks.push({ value: 10 ** e, y: yLat(10 ** e) });
  panel(
    PANEL_W,
    "latency ms (log 10): p50 solid, p99 dashed",
    latTicks,
    sorted.flatMap((points, i) =>
      (["p50", "p99"] as const).map((key) =>
        path(
          points.filter((p) => Number.isFinite(p[key]) && p[key] > 0).map((
            p,
          ) => [x(p.servers), yLat(p[key])]),
          COLOURS[i % COLOURS.length],
          key === "p99",
        )
      )
    ),
  );

  series.forEach((s, i) => {
    const lx = MARGIN.left + (i % 2) * PANEL_W;
    const ly = PANEL_H + 16 + 20 * Math.floor(i / 2);
    const colour = COLOURS[i % COLOURS.length];
    out.push(
      `<line x1="${lx}" x2="${
        lx + 24
      }" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${escape(s.label)}</text>`,
    );
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
