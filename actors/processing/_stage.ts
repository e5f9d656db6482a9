// What every pipeline stage actor shares: its message, its counters (which
// outlive restarts) and how a processor's result is folded into the item.

import type { ProcessorItem, ProcessorResult } from "./processor.ts";

/** Where an item goes once it leaves the last stage (a `run()` consumer or a `process()` call). */
export interface Sink {
  /** The item came out of the last stage. A promise only when the sink applies backpressure. */
  deliver(item: ProcessorItem): Promise<void> | undefined;
}

/** The one message a stage actor handles: an item entering it. */
export type StageMessage = {
  readonly type: "ItemArrived";
  /** Position in the pipeline's entry order: items leave the last stage in this order. */
  readonly index: number;
  readonly item: ProcessorItem;
  /** The frame buffer this item owns (safe to draw on), if any. */
  readonly owned: Uint8Array | undefined;
  readonly sink: Sink;
};

/** What the pipeline does with a stage's outcomes. */
export interface StageHooks {
  /** Passes the item on (next stage or sink); a promise only under backpressure. */
  forward(position: number, message: StageMessage): Promise<void> | undefined;
  /** The processor threw on `message`: the item is dropped, the stage restarts. */
  failed(position: number, message: StageMessage, error: unknown): void;
  /** The stage finished starting (first start and every restart). */
  started(position: number): void;
}

/** Per-stage figures kept outside the actor, so they survive restarts. */
export class StageCounters {
  readonly name: string;
  readonly mode: "in-process" | "worker";
  processed = 0;
  failed = 0;
  totalMs = 0;

  constructor(name: string, mode: "in-process" | "worker") {
    this.name = name;
    this.mode = mode;
  }

  done(startedAt: number): void {
    this.processed++;
    this.totalMs += performance.now() - startedAt;
  }
}

/** The message for the next hop, with the processor's result folded in. */
export function nextMessage(
  message: StageMessage,
  result: ProcessorResult,
  owned: Uint8Array | undefined,
): StageMessage {
  let item = message.item;
  if (result !== undefined && result !== null && result !== item) {
    const { frame, data } = result as { frame?: ProcessorItem["frame"]; data?: object };
    if (data !== undefined && data !== null && data !== item.data) Object.assign(item.data, data);
    const replacesMessage = "message" in result;
    if ((frame !== undefined && frame !== item.frame) || replacesMessage) {
      item = {
        ...item,
        frame: frame ?? item.frame,
        message: replacesMessage ? (result as { message: unknown }).message : item.message,
      };
    }
  }
  return { type: "ItemArrived", index: message.index, item, owned, sink: message.sink };
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as PromiseLike<unknown>).then === "function";
}
