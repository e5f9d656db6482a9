// The lifecycle every source shares (start once, read, stop once, iterate),
// around a driver that knows how to open, produce and close. Private to capture/.

import type { Frame } from "./frame.ts";
import { CaptureError } from "./errors.ts";
import type { OverflowPolicy } from "../actors/bounded_queue.ts";
import type { SourceInfo, SourceState, SourceStats } from "./source.ts";

/** Counters a driver reports; the runner adds state and deliveries. */
export interface DriverCounters {
  framesRead: number;
  dropped: number;
  queueDepth: number;
  queueCapacity: number;
  queueOverflow: OverflowPolicy;
}

/** What a concrete source plugs into the runner. */
export interface SourceDriver {
  /** Opens the input; resolves with its info once the first frame is ready. */
  open(signal: AbortSignal): Promise<SourceInfo>;
  /** The next frame, or null at the end. */
  next(signal: AbortSignal): Promise<Frame | null>;
  /** Ends every process and timer; must be safe to call at any time, twice. */
  close(): Promise<void>;
  counters(): DriverCounters;
}

/** Drives a {@linkcode SourceDriver} through the {@linkcode SourceState} machine. */
export class SourceRunner {
  #driver: SourceDriver;
  #what: string;
  #state: SourceState = "idle";
  #info: SourceInfo | undefined;
  #error: unknown = undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #stopper = new AbortController();
  #delivered = 0;

  /**
   * @param driver The source's producer.
   * @param what The source's name for messages, e.g. "FfmpegSource".
   * @param info Info known before start (generators), if any.
   */
  constructor(driver: SourceDriver, what: string, info?: SourceInfo) {
    this.#driver = driver;
    this.#what = what;
    this.#info = info;
  }

  get info(): SourceInfo {
    if (this.#info === undefined) {
      throw new CaptureError(
        "not-started",
        `Cannot read ${this.#what}.info: the source has not started; await source.start() first`,
      );
    }
    return this.#info;
  }

  get state(): SourceState {
    return this.#state;
  }

  start(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    switch (this.#state) {
      case "idle":
        this.#state = "starting";
        this.#starting = this.#open(signal);
        return this.#starting;
      case "starting":
        return this.#starting!;
      case "running":
      case "ended":
        return Promise.resolve();
      case "failed":
        return Promise.reject(this.#error);
      case "stopped":
        return Promise.reject(
          new CaptureError(
            "closed",
            `Cannot start ${this.#what}: it was stopped; sources are single-use, create a new one`,
          ),
        );
    }
  }

  async #open(signal: AbortSignal | undefined): Promise<void> {
    try {
      const info = await this.#driver.open(anySignal(signal, this.#stopper.signal));
      if (this.#state === "starting") {
        this.#info = info;
        this.#state = "running";
      }
    } catch (error) {
      if (this.#state === "stopped") {
        throw new CaptureError(
          "closed",
          `Cannot start ${this.#what}: it was stopped while starting`,
          { cause: error },
        );
      }
      this.#fail(error);
      await this.#driver.close();
      throw error;
    }
  }

  async read(signal?: AbortSignal): Promise<Frame | null> {
    signal?.throwIfAborted();
    if (this.#state === "idle" || this.#state === "starting") await this.start(signal);
    switch (this.#state) {
      case "running":
        break;
      case "failed":
        throw this.#error;
      default:
        return null;
    }
    let frame: Frame | null;
    try {
      frame = await this.#driver.next(anySignal(signal, this.#stopper.signal));
    } catch (error) {
      // Narrowing does not survive the await: the state may have changed meanwhile.
      if ((this.#state as SourceState) === "stopped") return null;
      if (signal?.aborted && error === signal.reason) throw error;
      this.#fail(error);
      await this.#driver.close();
      throw error;
    }
    if (frame === null) {
      if (this.#state === "running") this.#state = "ended";
      return null;
    }
    this.#delivered++;
    return frame;
  }

  #fail(error: unknown): void {
    if (this.#state === "failed" || this.#state === "stopped") return;
    this.#state = "failed";
    this.#error = error;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#state !== "failed") this.#state = "stopped";
    this.#stopper.abort(
      new CaptureError("closed", `Cannot continue: ${this.#what} was stopped`),
    );
    await this.#driver.close();
  }

  stats(): SourceStats {
    const c = this.#driver.counters();
    return {
      state: this.#state,
      framesRead: c.framesRead,
      framesDelivered: this.#delivered,
      dropped: c.dropped,
      queueDepth: c.queueDepth,
      queueCapacity: c.queueCapacity,
      queueOverflow: c.queueOverflow,
      queuePolicy: c.queueOverflow,
    };
  }

  async *iterate(): AsyncGenerator<Frame, void, undefined> {
    try {
      while (true) {
        const frame = await this.read();
        if (frame === null) return;
        yield frame;
      }
    } finally {
      await this.stop();
    }
  }
}

// One signal that aborts when either does; skips AbortSignal.any's allocation
// (a signal and its listeners) when the caller gave none.
function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a === undefined ? b : AbortSignal.any([a, b]);
}
