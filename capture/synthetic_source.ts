/**
 * A moving test pattern, in pure TypeScript: the default source for demos and tests.
 *
 * @module
 */

import { CHANNELS_OF, type Frame, type PixelFormat } from "./frame.ts";
import { delay } from "../actors/abort.ts";
import { type DriverCounters, type SourceDriver, SourceRunner } from "./_runner.ts";
import { TestPattern } from "./_test_pattern.ts";
import {
  checkKeys,
  intOption,
  MAX_SIDE,
  numberOption,
  pixelFormatOption,
  stringOption,
} from "./_validate.ts";
import type { FrameSource, SignalOptions, SourceInfo, SourceStats } from "./source.ts";

/** Options for {@linkcode SyntheticSource}. */
export interface SyntheticSourceOptions {
  /**
   * Frame width in pixels.
   *
   * @default {640}
   */
  width?: number;
  /**
   * Frame height in pixels.
   *
   * @default {480}
   */
  height?: number;
  /**
   * Frames per second; 0 generates as fast as the consumer reads (no pacing).
   *
   * @default {30}
   */
  fps?: number;
  /**
   * Drawn on every frame (with the frame number) and hashed into the colour of
   * the moving box, so streams can be told apart.
   *
   * @default {"synthetic"}
   */
  name?: string;
  /**
   * Pixel layout of the frames.
   *
   * @default {"bgr24"}
   */
  pixelFormat?: PixelFormat;
  /**
   * Stop after this many frames (`read()` then returns null); endless when unset.
   *
   * @default {undefined}
   */
  frames?: number;
}

const OPTION_KEYS = ["width", "height", "fps", "name", "pixelFormat", "frames"] as const;
const WHAT = "SyntheticSource";

class SyntheticDriver implements SourceDriver {
  #pattern: TestPattern;
  #info: SourceInfo;
  #channels: number;
  #limit: number | undefined;
  #interval: number;
  #next = 0;
  #generated = 0;
  #clock: number | undefined;

  constructor(pattern: TestPattern, info: SourceInfo, limit: number | undefined) {
    this.#pattern = pattern;
    this.#info = info;
    this.#channels = CHANNELS_OF[info.pixelFormat];
    this.#limit = limit;
    this.#interval = info.fps > 0 ? 1000 / info.fps : 0;
  }

  open(): Promise<SourceInfo> {
    return Promise.resolve(this.#info);
  }

  async next(signal: AbortSignal): Promise<Frame | null> {
    if (this.#limit !== undefined && this.#next >= this.#limit) return null;
    const index = this.#next++;
    if (this.#interval > 0) {
      const now = performance.now();
      this.#clock ??= now;
      // Deadlines come from the start time, not the previous frame, so timer
      // lateness never accumulates into drift.
      let due = this.#clock + index * this.#interval;
      if (now - due > this.#interval) {
        // The consumer fell behind: restart the clock instead of bursting to catch up.
        this.#clock = now - index * this.#interval;
        due = now;
      }
      if (due > now) await delay(due - now, { signal });
    }
    const data = new Uint8Array(this.#pattern.frameBytes);
    this.#pattern.render(index, data);
    this.#generated++;
    return {
      width: this.#info.width,
      height: this.#info.height,
      channels: this.#channels,
      data,
      format: this.#info.pixelFormat,
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  counters(): DriverCounters {
    return {
      framesRead: this.#generated,
      dropped: 0,
      queueDepth: 0,
      queueCapacity: 0,
      queueOverflow: "backpressure",
    };
  }
}

/**
 * Generates a moving test pattern: scrolling colour bars, a bouncing box whose
 * colour comes from `name`, and a band with `name` and the frame number drawn
 * in a built-in 5x7 font (scaled to stay readable: 20x28-pixel glyphs at 480
 * lines). Frame `n` of a given name and size is always the same image.
 *
 * Frames are paced to `fps` with absolute deadlines (no drift, no busy wait);
 * a consumer that falls behind gets the next frame at once, without a burst.
 * Frames are generated on demand, so nothing is queued or dropped.
 *
 * **Frame ownership:** each frame has its own buffer; keep it as long as you like.
 *
 * @example Two distinguishable streams
 * ```ts
 * import assert from "node:assert/strict";
 * import { SyntheticSource } from "./mod.ts";
 * await using front = new SyntheticSource({ name: "front", fps: 0, frames: 2 });
 * await using back = new SyntheticSource({ name: "back", fps: 0, frames: 2 });
 * for await (const frame of front) assert.deepEqual([frame.width, frame.height], [640, 480]);
 * const other = await back.read();
 * assert.equal(other?.format, "bgr24");
 * // The name is drawn into the picture: the two streams differ.
 * await using again = new SyntheticSource({ name: "front", fps: 0 });
 * assert.notDeepEqual(other?.data, (await again.read())?.data);
 * ```
 */
export class SyntheticSource implements FrameSource {
  #runner: SourceRunner;

  /**
   * Checks the options and prepares the pattern.
   *
   * @param options Size, rate, name, pixel format and frame limit.
   * @throws {TypeError} On an unknown option or a value of the wrong type.
   * @throws {RangeError} On an out-of-range size, rate or limit, or an unknown pixel format.
   */
  constructor(options: SyntheticSourceOptions = {}) {
    checkKeys(WHAT, options, OPTION_KEYS);
    const width = intOption(WHAT, "width", options.width, 1, MAX_SIDE, 640);
    const height = intOption(WHAT, "height", options.height, 1, MAX_SIDE, 480);
    const fps = numberOption(WHAT, "fps", options.fps, 0, 1000, 30)!;
    const name = stringOption(WHAT, "name", options.name, "synthetic")!;
    const pixelFormat = pixelFormatOption(WHAT, options.pixelFormat);
    const frames = intOption(WHAT, "frames", options.frames, 0, Number.MAX_SAFE_INTEGER);
    const info: SourceInfo = { width, height, fps, pixelFormat };
    const pattern = new TestPattern(width, height, pixelFormat, name);
    this.#runner = new SourceRunner(new SyntheticDriver(pattern, info, frames), WHAT, info);
  }

  /**
   * Frame size, rate and format (known from construction).
   *
   * @returns The info.
   */
  get info(): SourceInfo {
    return this.#runner.info;
  }

  /**
   * Marks the source running; the first frame is due at once.
   *
   * @param options `signal` to abandon.
   * @returns When started.
   */
  start(options: SignalOptions = {}): Promise<void> {
    return this.#runner.start(options.signal);
  }

  /**
   * The next frame, at its due time; null after `frames` frames or `stop()`.
   *
   * @param options `signal` abandons this wait only.
   * @returns The frame, or null.
   */
  read(options: SignalOptions = {}): Promise<Frame | null> {
    return this.#runner.read(options.signal);
  }

  /**
   * Stops the source; pending and later reads return null. Safe to call twice.
   *
   * @returns When stopped.
   */
  stop(): Promise<void> {
    return this.#runner.stop();
  }

  /**
   * The same as {@linkcode SyntheticSource.stop}.
   *
   * @returns When stopped.
   */
  close(): Promise<void> {
    return this.#runner.stop();
  }

  /**
   * Frames generated and delivered (never dropped: frames are made on demand).
   *
   * @returns A snapshot.
   */
  stats(): SourceStats {
    return this.#runner.stats();
  }

  /**
   * Iterates frames; leaving the loop stops the source.
   *
   * @returns The iterator.
   */
  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    return this.#runner.iterate();
  }

  /**
   * Stops the source (for `await using`).
   *
   * @returns When stopped.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#runner.stop();
  }
}
