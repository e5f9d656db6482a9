// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript for Node too; types are in JSDoc
/**
 * The measurement window shared by the NetGear bench client (Deno) and the
 * raw-zeromq ceiling client (Node), so both are measured by the same code.
 * Plain JavaScript because Node 20 cannot import TypeScript.
 *
 * Warm-up lasts until every port has delivered once, plus `warmupMs`; then a
 * window of `windowMs` is measured: frames, bytes, latency (now minus the
 * sender's `sentAt`, both `performance.timeOrigin + performance.now()`), seq
 * gaps per port, the process's CPU time and RSS.
 *
 * @module
 */

import process from "node:process";

/** Milliseconds since the epoch, monotonic within a process. */
export function now() {
  return performance.timeOrigin + performance.now();
}

/**
 * Returns the value at quantile `q` of sorted samples (nearest rank).
 *
 * @param {ArrayLike<number>} sorted Samples in ascending order.
 * @param {number} q Quantile between 0 and 1.
 * @returns {number} The sample at that rank, or NaN if there are none.
 */
export function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/**
 * @typedef {object} WindowResult
 * @property {number} frames Frames received in the window.
 * @property {number} seconds The window's length.
 * @property {number} fps Frames per second, all ports together.
 * @property {number} mbps Megabytes (1e6) per second of payload.
 * @property {number} p50 Latency median, ms (now at the consumer minus sentAt).
 * @property {number} p99 Latency 99th percentile, ms.
 * @property {number} max Largest latency, ms.
 * @property {number} netP50 Latency median at the transport (receivedAt minus sentAt), ms, or NaN.
 * @property {number} netP99 Its 99th percentile, ms, or NaN.
 * @property {number} lost Frames missing from the seq numbering, all ports.
 * @property {number} lostPct `lost` as a percentage of frames sent in the window.
 * @property {number} cpuPct The process's CPU time over the window, % of one core.
 * @property {number} rssMB Resident set size at the end, MB.
 * @property {number[]} perPortFps Frames per second of each port, in port order.
 */

/** Counts what arrives on a fixed set of ports over a timed window. */
export class Window {
  /**
   * @param {object} options
   * @param {number} options.ports How many ports are expected to deliver.
   * @param {number} options.warmupMs Discarded time once every port delivered.
   * @param {number} options.windowMs Length of the measured window.
   * @param {(result: WindowResult) => void} options.onDone Called once, at the window's end.
   * @param {() => void} [options.onStart] Called once, as the measured window begins.
   * @param {number} [options.capacity] Most latency samples kept.
   */
  constructor({ ports, warmupMs, windowMs, onDone, onStart, capacity = 1 << 18 }) {
    this.ports = ports;
    this.warmupMs = warmupMs;
    this.windowMs = windowMs;
    this.onDone = onDone;
    this.onStart = onStart;
    /** @type {"waiting" | "warmup" | "measuring" | "done"} */
    this.phase = "waiting";
    this.lastSeq = new Float64Array(ports).fill(-1);
    this.seen = 0;
    this.portFrames = new Float64Array(ports);
    this.latency = new Float64Array(capacity);
    this.net = new Float64Array(capacity);
    this.samples = 0;
    this.netSamples = 0;
    this.frames = 0;
    this.bytes = 0;
    this.lost = 0;
    this.startedAt = 0;
    /** @type {NodeJS.CpuUsage | undefined} */
    this.cpu0 = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
  }

  /**
   * Records one arrival.
   *
   * @param {number} port Index of the port, from 0.
   * @param {number} seq The sender's frame number.
   * @param {number} sentAt When it was sent (ms since the epoch).
   * @param {number} bytes Payload bytes.
   * @param {number} [receivedAt] When the transport received it, if known.
   */
  record(port, seq, sentAt, bytes, receivedAt) {
    const last = this.lastSeq[port];
    this.lastSeq[port] = seq;
    if (this.phase === "measuring") {
      const t = now();
      if (last >= 0 && seq > last + 1) this.lost += seq - last - 1;
      this.frames++;
      this.portFrames[port]++;
      this.bytes += bytes;
      if (this.samples < this.latency.length) this.latency[this.samples++] = t - sentAt;
      if (receivedAt !== undefined && this.netSamples < this.net.length) {
        this.net[this.netSamples++] = receivedAt - sentAt;
      }
      return;
    }
    if (this.phase === "waiting" && last < 0 && ++this.seen === this.ports) {
      this.phase = "warmup";
      this.timer = setTimeout(() => this.#start(), this.warmupMs);
    }
  }

  /** Stops the timers without reporting (the process is ending early). */
  cancel() {
    clearTimeout(this.timer);
    this.phase = "done";
  }

  #start() {
    this.phase = "measuring";
    this.cpu0 = process.cpuUsage();
    this.startedAt = now();
    this.timer = setTimeout(() => this.#finish(), this.windowMs);
    this.onStart?.();
  }

  #finish() {
    this.phase = "done";
    const ms = now() - this.startedAt;
    const cpu = process.cpuUsage(this.cpu0);
    const latency = this.latency.subarray(0, this.samples).sort();
    const net = this.net.subarray(0, this.netSamples).sort();
    const seconds = ms / 1000;
    this.onDone({
      frames: this.frames,
      seconds,
      fps: this.frames / seconds,
      mbps: this.bytes / 1e6 / seconds,
      p50: percentile(latency, 0.5),
      p99: percentile(latency, 0.99),
      max: latency.length ? latency[latency.length - 1] : NaN,
      netP50: percentile(net, 0.5),
      netP99: percentile(net, 0.99),
      lost: this.lost,
      lostPct: this.frames + this.lost ? (100 * this.lost) / (this.frames + this.lost) : 0,
      cpuPct: ((cpu.user + cpu.system) / 1000 / ms) * 100,
      rssMB: process.memoryUsage().rss / 1e6,
      perPortFps: Array.from(this.portFrames, (n) => n / seconds),
    });
  }
}

/**
 * Paces a live sender: frame k is due at `start + k * 1000 / fps`, all from
 * one start time, so late wake-ups (timers fire late, a REQ round trip runs
 * long) do not add up: no drift, as there would be with a sleep after every
 * send. A sender more than a whole interval behind skips the slots it
 * missed, as a camera drops frames, and counts them in `skipped`.
 * zmq_ceiling/_py_window.py's Pacer is the same for the pyzmq peers.
 */
export class Pacer {
  /**
   * @param {number} fps Frames per second.
   * @param {number} [start] When frame 0 is due (ms, as `now()`).
   */
  constructor(fps, start = now()) {
    this.interval = 1000 / fps;
    this.start = start;
    this.slot = 0;
    this.skipped = 0;
  }

  /**
   * After a send: when the next frame is due.
   *
   * @param {number} [t] Now (ms, as `now()`).
   * @returns {number} When to send the next frame; in the past: at once.
   */
  next(t = now()) {
    this.slot++;
    const due = Math.floor((t - this.start) / this.interval);
    if (due > this.slot) {
      this.skipped += due - this.slot;
      this.slot = due;
    }
    return this.start + this.slot * this.interval;
  }
}
