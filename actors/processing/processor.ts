/**
 * The processor contract: what a pipeline stage does to one item (a frame,
 * its message and the annotations earlier stages added).
 *
 * @module
 */

import type { Frame } from "../../capture/frame.ts";

/**
 * One frame travelling through a {@linkcode Pipeline}: where it came from,
 * the server's message, and `data`, the annotations added by earlier
 * processors (`data.faces`, `data.motion`, …).
 */
export interface ProcessorItem {
  /** The server's port (on a server-side pipeline: the port given to `process`, else 0). */
  readonly port: number;
  /** The frame, or `undefined` when the server sent data alone. */
  readonly frame: Frame | undefined;
  /** The data the server sent with the frame. */
  readonly message: unknown;
  /** The server's frame number. */
  readonly seq: number;
  /**
   * Annotations, owned by this item: a processor may write to it directly or
   * return `{ data }` to merge. Keep values structured-cloneable (plain
   * objects, arrays, numbers, strings, typed arrays) so Worker stages can
   * carry them.
   */
  readonly data: Record<string, unknown>;
}

/**
 * What a processor returns: a replacement frame and/or message, annotations
 * to merge into `item.data`, the item itself, or nothing (the item goes on
 * unchanged).
 */
export type ProcessorResult =
  | {
    /** The frame to pass on instead of the item's (omit to keep it). */
    readonly frame?: Frame;
    /** Merged into `item.data` (`Object.assign`). */
    readonly data?: Readonly<Record<string, unknown>>;
    /** The message to pass on instead of the item's; present (even `undefined`) means replace. */
    readonly message?: unknown;
  }
  | ProcessorItem
  | undefined
  | void;

/** What a processor can use while it handles one item; valid only during that call. */
export interface ProcessorContext {
  /** The stage's name. */
  readonly stage: string;
  /** Aborted when the stage restarts or the pipeline closes: pass it to I/O you await. */
  readonly signal: AbortSignal;
  /**
   * The frame, safe to draw on: `frame` itself when this item already owns it
   * (an earlier stage made the copy, or it arrived in a Worker), else a copy
   * that the item owns from now on. So several drawing stages cost one copy,
   * and a frame someone else holds is never mutated.
   *
   * @param frame The item's frame.
   * @returns A frame this item may mutate.
   */
  writableFrame(frame: Frame): Frame;
}

/** Options passed to {@linkcode Processor.start}. */
export interface ProcessorStartOptions {
  /** The stage's name. */
  readonly stage: string;
  /** Aborted when the stage stops while starting. */
  readonly signal: AbortSignal;
}

/**
 * A step of a {@linkcode Pipeline}: annotate or transform one item at a time.
 * A pipeline runs each processor in its own actor (or Worker), one item at a
 * time, so a processor needs no locking; a throw fails that item only and the
 * stage restarts (see {@linkcode Pipeline}).
 *
 * Keep `process` fast and allocation-aware: typed-array loops over
 * `frame.data`, no closure per pixel. Never mutate `item.frame.data` in place
 * unless you got the frame from {@linkcode ProcessorContext.writableFrame}.
 *
 * @example Count bright pixels and annotate each frame
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Processor, ProcessorItem, ProcessorResult } from "./processor.ts";
 *
 * class Brightness implements Processor {
 *   readonly name = "brightness";
 *   process(item: ProcessorItem): ProcessorResult {
 *     const data = item.frame?.data;
 *     if (data === undefined) return;
 *     let bright = 0;
 *     for (let i = 0; i < data.length; i++) if (data[i] > 200) bright++;
 *     return { data: { bright: bright / data.length } };
 *   }
 * }
 *
 * const frame = { width: 2, height: 1, channels: 1, data: new Uint8Array([255, 0]), format: "gray" as const };
 * const result = new Brightness().process({ port: 0, frame, message: undefined, seq: 0, data: {} });
 * assert.deepEqual(result, { data: { bright: 0.5 } });
 * ```
 */
export interface Processor {
  /** Names the stage in stats and logs (unless the stage options give a name). */
  readonly name: string;
  /**
   * Handles one item.
   *
   * @param item The item; `item.data` holds earlier stages' annotations.
   * @param context The stage's helpers for this call.
   * @returns Changes to pass on (see {@linkcode ProcessorResult}).
   * @throws {unknown} Anything: the item is dropped (counted as failed) and the stage restarts.
   */
  process(
    item: ProcessorItem,
    context: ProcessorContext,
  ): ProcessorResult | Promise<ProcessorResult>;
  /**
   * Prepares the processor (loads a model, …) before its first item. Called
   * again after each restart: on the same instance when the stage was given
   * an instance (so make it idempotent), on a new one when given a factory.
   * A throw is a failure, supervised like one in `process`.
   *
   * @param options The stage's name and an abort signal.
   */
  start?(options: ProcessorStartOptions): void | Promise<void>;
  /**
   * Frees what the processor holds. Called once per instance: when the
   * pipeline closes or the stage stops, or, for a processor made by a
   * {@linkcode ProcessorFactory}, also when its stage restarts (the next
   * incarnation gets a new instance). A throw is logged and ignored.
   */
  close?(): void | Promise<void>;
}

/**
 * Makes a processor; a stage given a factory calls it again after each
 * restart, so the failed instance's state is discarded.
 *
 * @returns A processor, or a promise of one.
 */
export type ProcessorFactory = () => Processor | Promise<Processor>;
