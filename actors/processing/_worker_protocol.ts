// Messages between a Worker stage (main thread) and `serveProcessor` (in the
// Worker). Each request carries an id its reply repeats, so a late reply to
// an abandoned request is never mistaken for the current one.

import type { Frame } from "../../capture/frame.ts";

/** The fields of an item that cross into the Worker. */
export interface WireItem {
  readonly port: number;
  readonly frame: Frame | undefined;
  readonly message: unknown;
  readonly seq: number;
  readonly data: Record<string, unknown>;
}

export type ToWorker =
  | {
    readonly type: "Start";
    readonly id: number;
    readonly stage: string;
    readonly options: unknown;
  }
  | { readonly type: "Process"; readonly id: number; readonly item: WireItem }
  | { readonly type: "Close"; readonly id: number };

export type FromWorker =
  | { readonly type: "Started"; readonly id: number; readonly name: string }
  | {
    readonly type: "Processed";
    readonly id: number;
    readonly frame: Frame | undefined;
    readonly data: Record<string, unknown>;
    /** Present when the processor replaced the message. */
    readonly message?: { readonly value: unknown };
  }
  | { readonly type: "Failed"; readonly id: number; readonly error: unknown }
  | { readonly type: "Closed"; readonly id: number };

/**
 * Whether `data` can be transferred rather than copied: it must span its
 * whole, plain ArrayBuffer (a view into a larger buffer, such as a frame
 * decoded in place from a network message, would detach its neighbours too).
 */
export function spansWholeBuffer(data: Uint8Array): boolean {
  const buffer = data.buffer;
  return buffer instanceof ArrayBuffer && !buffer.resizable && data.byteOffset === 0 &&
    data.byteLength === buffer.byteLength;
}

/**
 * The frame to post and what to transfer with it: the frame itself when
 * `transfer` is on and its bytes span their buffer (the sender loses them),
 * else one copy, which is transferred.
 */
export function framePostable(
  frame: Frame | undefined,
  transfer: boolean,
): { frame: Frame | undefined; transfer: ArrayBuffer[] } {
  if (frame === undefined) return { frame, transfer: [] };
  if (transfer && spansWholeBuffer(frame.data)) {
    return { frame, transfer: [frame.data.buffer as ArrayBuffer] };
  }
  const data = new Uint8Array(frame.data);
  return { frame: { ...frame, data }, transfer: [data.buffer] };
}
