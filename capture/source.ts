/**
 * The one interface every frame source implements.
 *
 * @module
 */

import type { OverflowPolicy } from "../actors/bounded_queue.ts";
import type { Frame, PixelFormat } from "./frame.ts";

/** What a source produces. */
export interface SourceInfo {
  /** Frame width in pixels. */
  readonly width: number;
  /** Frame height in pixels. */
  readonly height: number;
  /** Nominal frames per second; 0 when unknown or unpaced. */
  readonly fps: number;
  /** Pixel layout of every frame's `data`. */
  readonly pixelFormat: PixelFormat;
}

/**
 * Where a source is in its life.
 *
 * `idle` → `starting` → `running` → `ended` (input exhausted) or `failed`;
 * `stop()` moves any state but `failed` to `stopped`.
 */
export type SourceState = "idle" | "starting" | "running" | "ended" | "stopped" | "failed";

/**
 * What to do when the read-ahead queue is full: an {@linkcode OverflowPolicy},
 * the same choices as an actor's mailbox.
 *
 * - `"drop-oldest"`: keep reading and discard the oldest queued frame, so the
 *   consumer always gets the freshest frames (cameras, live streams).
 * - `"backpressure"`: stop reading until the consumer takes a frame; the
 *   producer blocks and no frame is lost (files).
 * - `"drop-newest"`: keep reading and discard the frame just read, so the
 *   consumer gets the frames that were waiting (rarely what you want).
 *
 * @deprecated Use {@linkcode OverflowPolicy}; this alias of it will be removed.
 */
export type QueuePolicy = OverflowPolicy;

/**
 * Read-ahead queue settings: the `{ capacity, overflow }` of every bounded
 * queue in ActorGear.
 */
export interface QueueOptions {
  /**
   * Frames held between the reader and the consumer, 1 to 1024.
   *
   * @default {4}
   */
  capacity?: number;
  /**
   * What to do when the queue is full.
   *
   * @default {"drop-oldest for cameras and live streams, backpressure for files"}
   */
  overflow?: OverflowPolicy;
  /**
   * The former name of `overflow`, still accepted (giving both is an error).
   *
   * @deprecated Use `overflow`; `policy` will be removed.
   */
  policy?: OverflowPolicy;
}

/** Counters describing a source's traffic, from {@linkcode FrameSource.stats}. */
export interface SourceStats {
  /** Where the source is in its life. */
  readonly state: SourceState;
  /** Frames taken from the producer (the capture process's output, or generated). */
  readonly framesRead: number;
  /** Frames returned by `read()` or the iterator. */
  readonly framesDelivered: number;
  /** Frames discarded by the `"drop-oldest"` or `"drop-newest"` policy. */
  readonly dropped: number;
  /** Frames waiting in the read-ahead queue now. */
  readonly queueDepth: number;
  /** The queue's capacity (0 for sources that generate on demand). */
  readonly queueCapacity: number;
  /** What the queue does when full. */
  readonly queueOverflow: OverflowPolicy;
  /**
   * The same as `queueOverflow`, under its former name.
   *
   * @deprecated Use `queueOverflow`; `queuePolicy` will be removed.
   */
  readonly queuePolicy: OverflowPolicy;
}

/** Options for {@linkcode FrameSource.start} and {@linkcode FrameSource.read}. */
export interface SignalOptions {
  /** Abandons the wait; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * A source of video frames: a camera, a file, a stream or a generator.
 *
 * Use it as an async iterable (`for await (const frame of source)`), which
 * starts it and stops it when the loop ends, even through `break` or a throw;
 * or call `start()`, `read()` until it returns `null`, and `stop()`.
 * Sources are single-use: once stopped they cannot be restarted.
 *
 * @example Read three frames and stop
 * ```ts
 * import assert from "node:assert/strict";
 * import { SyntheticSource, type FrameSource } from "./mod.ts";
 * await using source: FrameSource = new SyntheticSource({ width: 320, height: 240, fps: 0 });
 * let n = 0;
 * for await (const frame of source) {
 *   assert.equal(frame.data.length, 320 * 240 * 3);
 *   if (++n === 3) break;
 * }
 * assert.equal(await source.read(), null); // leaving the loop stopped it
 * ```
 */
export interface FrameSource extends AsyncIterable<Frame>, AsyncDisposable {
  /**
   * Frame size, rate and format. Sources that learn them from the input
   * (ffprobe) know them once `start()` has resolved; reading `info` earlier
   * throws a {@linkcode CaptureError} with code `"not-started"`.
   */
  readonly info: SourceInfo;
  /**
   * Opens the input and waits until the first frame is ready, so a camera
   * that does not exist or a stream that does not answer fails here.
   * Calling it again returns the same promise. `read()` and the iterator
   * call it for you.
   *
   * @throws {CaptureError} If the input cannot be opened.
   */
  start(options?: SignalOptions): Promise<void>;
  /**
   * The next frame, or `null` once the input has ended or the source was stopped.
   *
   * @throws {CaptureError} If the input cannot be opened or fails mid-stream.
   */
  read(options?: SignalOptions): Promise<Frame | null>;
  /** Stops reading and ends every process the source started; safe to call twice. */
  stop(): Promise<void>;
  /** The same as `stop()`. */
  close(): Promise<void>;
  /** Traffic counters and state. */
  stats(): SourceStats;
}
