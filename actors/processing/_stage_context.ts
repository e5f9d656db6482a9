// The ProcessorContext a stage hands its processor: one object per stage,
// re-aimed at each item, so a call allocates nothing unless it copies a frame.

import type { Frame } from "../../capture/frame.ts";
import type { ProcessorContext } from "./processor.ts";
import { copyFrame } from "./_draw.ts";

export class StageContext implements ProcessorContext {
  readonly stage: string;
  signal: AbortSignal;
  /** The buffer the current item owns (copied by an earlier stage, or received by a Worker). */
  owned: Uint8Array | undefined;

  constructor(stage: string, signal: AbortSignal) {
    this.stage = stage;
    this.signal = signal;
  }

  writableFrame(frame: Frame): Frame {
    if (frame.data === this.owned) return frame;
    const copy = copyFrame(frame);
    this.owned = copy.data;
    return copy;
  }
}

/** A context for calling a processor outside a pipeline: frames are always copied before drawing. */
export function standaloneContext(stage: string): StageContext {
  return new StageContext(stage, new AbortController().signal);
}
