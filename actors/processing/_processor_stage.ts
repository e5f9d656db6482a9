// A stage whose processor runs in this thread. The actor owns the processor
// for one incarnation: a restart makes a new actor (and, from a factory, a
// new processor), and the failing item is dropped by the runtime.
//
// The thread is shared with the transport: after every SLICE_MS of
// processing the stage hands it back for one macrotask, so the client can
// read (and the mailbox drop) frames that arrived meanwhile. Without that, a
// busy stage would drain its mailbox in one go and the transport, REQ/REP
// servers included, would slow down to the stage's pace.

import { clearImmediate, setImmediate } from "node:timers";
import type { Actor, ActorContext } from "../actor.ts";
import type { Processor, ProcessorFactory } from "./processor.ts";
import { StageContext } from "./_stage_context.ts";
import {
  isThenable,
  nextMessage,
  type StageCounters,
  type StageHooks,
  type StageMessage,
} from "./_stage.ts";

/** Longest run of processing, in milliseconds, before the stage lets I/O in. */
const SLICE_MS = 2;

export interface ProcessorStageSpec {
  readonly source: Processor | ProcessorFactory;
  readonly position: number;
  readonly counters: StageCounters;
  readonly hooks: StageHooks;
}

export class ProcessorStage implements Actor<StageMessage> {
  #spec: ProcessorStageSpec;
  #processor: Processor | undefined;
  #context: StageContext | undefined;
  #restarting = false;
  #sliceStart = performance.now();
  #yielding: { handle: ReturnType<typeof setImmediate>; resume: () => void } | undefined;

  constructor(spec: ProcessorStageSpec) {
    this.#spec = spec;
  }

  async started(context: ActorContext<StageMessage>): Promise<void> {
    const { source, counters, hooks, position } = this.#spec;
    const processor = typeof source === "function" ? await source() : source;
    if (typeof processor?.process !== "function") {
      throw new TypeError(
        `Cannot start stage "${counters.name}": the factory returned ${
          processor === null ? "null" : typeof processor
        }; expected a Processor with a process() method`,
      );
    }
    this.#processor = processor;
    this.#context = new StageContext(counters.name, context.signal);
    await processor.start?.({ stage: counters.name, signal: context.signal });
    hooks.started(position);
  }

  receive(
    message: StageMessage,
    actor: ActorContext<StageMessage>,
  ): void | Promise<void> {
    const context = this.#context!;
    context.owned = message.owned;
    context.signal = actor.signal;
    const startedAt = performance.now();
    let result;
    try {
      result = this.#processor!.process(message.item, context);
    } catch (error) {
      this.#failed(message, error);
      throw error;
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => this.#done(message, value, startedAt),
        (error) => {
          this.#failed(message, error);
          throw error;
        },
      );
    }
    return this.#done(message, result, startedAt);
  }

  restarting(): void {
    this.#restarting = true;
  }

  async stopped(context: ActorContext<StageMessage>): Promise<void> {
    const yielding = this.#yielding;
    if (yielding !== undefined) {
      clearImmediate(yielding.handle);
      yielding.resume();
    }
    // A processor given as an instance outlives restarts; one made by a
    // factory belongs to this incarnation alone.
    if (this.#restarting && typeof this.#spec.source !== "function") return;
    try {
      await this.#processor?.close?.();
    } catch (error) {
      context.log.error(`processor "${this.#spec.counters.name}" failed to close`, error);
    }
  }

  #done(message: StageMessage, result: unknown, startedAt: number): Promise<void> | undefined {
    const { counters, hooks, position } = this.#spec;
    counters.done(startedAt);
    const next = nextMessage(message, result as never, this.#context!.owned);
    const forwarded = hooks.forward(position, next);
    if (performance.now() - this.#sliceStart < SLICE_MS) return forwarded;
    return forwarded === undefined ? this.#yield() : forwarded.then(() => this.#yield());
  }

  #yield(): Promise<void> {
    return new Promise((resolve) => {
      const resume = () => {
        this.#yielding = undefined;
        this.#sliceStart = performance.now();
        resolve();
      };
      this.#yielding = { handle: setImmediate(resume), resume };
    });
  }

  #failed(message: StageMessage, error: unknown): void {
    const { counters, hooks, position } = this.#spec;
    counters.failed++;
    hooks.failed(position, message, error);
  }
}
