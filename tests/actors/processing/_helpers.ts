// Shared pieces of the processing tests: items, gates, processors that
// record what they saw, and collecting a pipeline's output.

import type { Frame } from "../../../capture/frame.ts";
import type {
  Processor,
  ProcessorContext,
  ProcessorItem,
  ProcessorResult,
} from "../../../actors/processing/mod.ts";

/** A small gray frame filled with `value`. */
export function grayFrame(width: number, height: number, value = 0): Frame {
  return {
    width,
    height,
    channels: 1,
    data: new Uint8Array(width * height).fill(value),
    format: "gray",
  };
}

/** An async iterable of `count` items per port, interleaved port by port. */
export async function* itemsOf(
  ports: readonly number[],
  count: number,
  frame?: (port: number, seq: number) => Frame,
): AsyncGenerator<{ port: number; seq: number; message: string; frame?: Frame }> {
  for (let seq = 0; seq < count; seq++) {
    for (const port of ports) {
      yield { port, seq, message: `${port}/${seq}`, frame: frame?.(port, seq) };
    }
  }
}

/** Everything an async iterable yields. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A promise the test opens when it chooses. */
export class Gate {
  readonly #opened = Promise.withResolvers<void>();
  readonly #entered = Promise.withResolvers<void>();
  /** Resolves once a processor is waiting at the gate. */
  get entered(): Promise<void> {
    return this.#entered.promise;
  }
  /** Waits for the gate to open. */
  wait(): Promise<void> {
    this.#entered.resolve();
    return this.#opened.promise;
  }
  open(): void {
    this.#opened.resolve();
  }
}

/** A processor that records the items it saw and returns what `result` makes of them. */
export class Recorder implements Processor {
  readonly name: string;
  readonly seen: string[] = [];
  #result: (
    item: ProcessorItem,
    context: ProcessorContext,
  ) => ProcessorResult | Promise<ProcessorResult>;

  constructor(
    name: string,
    result: (
      item: ProcessorItem,
      context: ProcessorContext,
    ) => ProcessorResult | Promise<ProcessorResult> = () => undefined,
  ) {
    this.name = name;
    this.#result = result;
  }

  process(
    item: ProcessorItem,
    context: ProcessorContext,
  ): ProcessorResult | Promise<ProcessorResult> {
    this.seen.push(`${item.port}/${item.seq}`);
    return this.#result(item, context);
  }
}

/** "port/seq" of each item. */
export function keys(items: readonly { port: number; seq: number }[]): string[] {
  return items.map(({ port, seq }) => `${port}/${seq}`);
}
