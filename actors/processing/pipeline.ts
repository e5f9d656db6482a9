/**
 * Pipelines: processors composed into a chain of actors that annotate and
 * transform frames on a client (`run(client)`) or on a server before sending
 * (`process(frame)`), without ever stalling the transport.
 *
 * @module
 */

import type { ActorRef } from "../actor_ref.ts";
import type { ActorState } from "../actor_stats.ts";
import { ActorSystem } from "../actor_system.ts";
import type { SystemEvent } from "../events.ts";
import type { LogLevel } from "../logger.ts";
import type { MailboxOptions } from "../mailbox.ts";
import { BoundedQueue, resolveQueueOptions } from "../bounded_queue.ts";
import { describeValue } from "../describe.ts";
import { oneForOne } from "../strategy_one_for_one.ts";
import type { Frame } from "../../capture/frame.ts";
import { PipelineClosedError, ProcessorError, StageStoppedError } from "./errors.ts";
import type { Processor, ProcessorFactory, ProcessorItem } from "./processor.ts";
import { ProcessorStage } from "./_processor_stage.ts";
import { type Sink, StageCounters, type StageHooks, type StageMessage } from "./_stage.ts";
import { WorkerStage } from "./_worker_stage.ts";

/** How one stage runs, when a bare {@linkcode Processor} is not enough. Give `processor` or `worker`. */
export interface StageOptions {
  /**
   * The processor, or a factory called again on each restart (a fresh
   * instance then replaces the one that threw).
   *
   * @default {undefined}
   */
  processor?: Processor | ProcessorFactory;
  /**
   * Runs the stage in a Deno Worker: the URL of a module that calls
   * {@linkcode serveProcessor}, e.g. `new URL("./my_processor.ts", import.meta.url)`.
   * Frames go to the Worker transferred, not copied, when their bytes span
   * their whole buffer (see `transfer`); otherwise one copy is made.
   *
   * @default {undefined}
   */
  worker?: URL | string;
  /**
   * Passed (structured-cloned) to the Worker module's factory.
   *
   * @default {undefined}
   */
  workerOptions?: unknown;
  /**
   * Worker stages only: transfer a frame's buffer to the Worker when the
   * frame's bytes span all of it. The frame given to the pipeline is then
   * detached (its `data` empty): use the item that comes out instead. Set
   * `false` to always copy, leaving the input frame intact.
   *
   * @default {true}
   */
  transfer?: boolean;
  /**
   * The stage's name in stats and logs (made unique with a suffix).
   *
   * @default {"the processor's name; for a factory or a Worker, \"stage-<n>\" or the module's file name"}
   */
  name?: string;
  /**
   * The stage's mailbox.
   *
   * @default {PipelineOptions.mailbox}
   */
  mailbox?: MailboxOptions;
}

/** A stage: a processor (run in this thread) or {@linkcode StageOptions}. */
export type PipelineStage = Processor | StageOptions;

/** Options for {@linkcode Pipeline}. */
export interface PipelineOptions {
  /**
   * Only items from these ports are processed; items from other ports pass
   * through untouched (with empty `data`).
   *
   * @default {undefined} (every port)
   */
  ports?: readonly number[];
  /**
   * Mailbox of every stage without its own: a bounded queue that drops the
   * oldest item when full, so a slow stage never holds up the transport
   * (drops are counted in {@linkcode Pipeline.stats}). `"backpressure"`
   * instead makes the input wait for a slow stage: nothing is dropped, and
   * the transport slows down to the slowest stage.
   *
   * @default {{ capacity: 4, overflow: "drop-oldest" }}
   */
  mailbox?: MailboxOptions;
  /**
   * Queue between the last stage and a `run()` consumer, for a consumer that
   * falls behind.
   *
   * @default {{ capacity: 8, overflow: "drop-oldest" }}
   */
  output?: MailboxOptions;
  /**
   * Restarts allowed per stage within `withinMs`; one more failure stops the
   * pipeline with {@linkcode StageStoppedError}.
   *
   * @default {10}
   */
  maxRestarts?: number;
  /**
   * Window of the restart budget, in milliseconds.
   *
   * @default {10_000}
   */
  withinMs?: number;
  /**
   * Least severe level the pipeline's actors log (restarts are warnings).
   *
   * @default {"warn"}
   */
  logLevel?: LogLevel;
  /**
   * Prefix of the pipeline's log lines.
   *
   * @default {"pipeline"}
   */
  name?: string;
}

/** What {@linkcode Pipeline.run} reads: a NetGear client's items, or anything shaped like them. */
export interface PipelineInput {
  /** The server's port. */
  readonly port: number;
  /** The frame. */
  readonly frame?: Frame | undefined;
  /** The server's data. */
  readonly message?: unknown;
  /** The frame number. */
  readonly seq?: number;
  /** Annotations of an earlier pipeline, kept. */
  readonly data?: Record<string, unknown>;
}

/** What {@linkcode Pipeline.run} yields: the input's fields, the (possibly new) frame and `data`. */
export type ProcessedItem<T extends PipelineInput> =
  & Omit<T, keyof ProcessorItem>
  & ProcessorItem;

/** Options for {@linkcode Pipeline.run}. */
export interface RunOptions {
  /**
   * Ends the iteration: the iterator rejects with `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Options for {@linkcode Pipeline.process}. */
export interface ProcessOptions {
  /**
   * The data to send with the frame; processors may replace it.
   *
   * @default {undefined}
   */
  message?: unknown;
  /**
   * The item's port (a server's own port), for processors that keep state per stream.
   *
   * @default {0}
   */
  port?: number;
  /**
   * The frame number.
   *
   * @default {"a counter of process() calls, from 0"}
   */
  seq?: number;
  /**
   * Initial annotations (copied).
   *
   * @default {{}}
   */
  data?: Record<string, unknown>;
  /**
   * Stops waiting (rejects with `signal.reason`); the item still goes through.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Options for {@linkcode Pipeline.ready}. */
export interface ReadyOptions {
  /**
   * Stops waiting, rejecting with `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Figures of one stage, from {@linkcode Pipeline.stats}. */
export interface StageStats {
  /** The stage's name. */
  readonly name: string;
  /** Where the processor runs. */
  readonly mode: "in-process" | "worker";
  /** Items the processor handled successfully. */
  readonly processed: number;
  /** Items the processor threw on (each dropped, each followed by a restart). */
  readonly failed: number;
  /** Items its mailbox dropped because the stage was busy (overflow). */
  readonly dropped: number;
  /** Items waiting in its mailbox now. */
  readonly queued: number;
  /** Restarts so far. */
  readonly restarts: number;
  /** Mean time per processed item in milliseconds (Worker stages: including the trip), 0 before the first. */
  readonly meanMs: number;
  /** The stage actor's lifecycle state. */
  readonly state: ActorState;
}

/** Figures of a pipeline, from {@linkcode Pipeline.stats}. */
export interface PipelineStats {
  /** Items handed to the first stage. */
  readonly entered: number;
  /** Items that left the last stage. */
  readonly completed: number;
  /** Items from ports outside `ports`, passed through untouched. */
  readonly bypassed: number;
  /** Items `run()` consumers fell too far behind to receive (dropped by the output queue). */
  readonly outputDropped: number;
  /** Per stage, in order. */
  readonly stages: readonly StageStats[];
}

interface Stage {
  readonly ref: ActorRef<StageMessage>;
  readonly counters: StageCounters;
  readonly backpressure: boolean;
}

const DEFAULT_STAGE_MAILBOX: Required<MailboxOptions> = { capacity: 4, overflow: "drop-oldest" };
const DEFAULT_OUTPUT: Required<MailboxOptions> = { capacity: 8, overflow: "drop-oldest" };

/** A `process()` call waiting for its item. */
class Ticket implements Sink {
  readonly promise: Promise<ProcessorItem | null>;
  readonly resolve: (item: ProcessorItem | null) => void;
  readonly reject: (reason: unknown) => void;

  constructor() {
    const { promise, resolve, reject } = Promise.withResolvers<ProcessorItem | null>();
    this.promise = promise;
    this.resolve = resolve;
    this.reject = reject;
  }

  deliver(item: ProcessorItem): undefined {
    this.resolve(item);
  }
}

/** One `run()`: its output queue and how far its input got. */
class Run implements Sink {
  readonly output: BoundedQueue<ProcessorItem>;
  /** Entry index of this run's latest item in the stages; -1 before the first. */
  lastIndex = -1;
  inputEnded = false;
  stopped = false;

  constructor(output: Required<MailboxOptions>) {
    this.output = new BoundedQueue(output);
  }

  deliver(item: ProcessorItem): Promise<void> | undefined {
    return this.output.offer(item);
  }
}

/**
 * Processors composed into a chain of actors. Each stage is an actor with a
 * bounded mailbox (drop-oldest by default), so the input side never waits
 * for a slow stage: a busy stage drops its oldest queued item instead, and
 * {@linkcode Pipeline.stats} counts it. Items leave in the order they came
 * in (per port, and overall), minus the dropped ones.
 *
 * A processor that throws fails that item alone: the item is dropped and
 * counted, the stage's supervisor restarts the stage (a new processor when
 * the stage was given a factory, a new Worker in Worker mode) and the stream
 * goes on. Past `maxRestarts` failures within `withinMs` the stage stops and
 * the pipeline with it ({@linkcode StageStoppedError}).
 *
 * In-process stages share this thread with the transport: a stage hands
 * the thread back for one macrotask after every 2 ms of processing, so
 * frames keep being read (and dropped at the busy stage) while it works,
 * but each item still runs to completion and the CPU it takes is the
 * transport's loss. Run heavy processors (a face detector takes 5-20 ms per
 * 640x480 frame) in a Worker (`{ worker: url }`) to keep the transport at
 * full speed.
 *
 * @example On a client: motion on every stream, the message drawn on each frame
 * ```ts ignore
 * // Not run: it needs NetGear servers streaming on ports 5566 and 5567, and runs until they stop.
 * import { NetGear } from "../netgear/mod.ts";
 * import { MotionDetector, Pipeline, TextOverlay } from "./mod.ts";
 *
 * await using client = await NetGear.open({ receiveMode: true, multiserverMode: true, port: [5566, 5567] });
 * await using pipeline = new Pipeline([
 *   new MotionDetector({ threshold: 25 }),
 *   new TextOverlay({ text: (item) => `port ${item.port}` }),
 * ]);
 * for await (const { port, frame, data } of pipeline.run(client)) {
 *   const { regions } = data.motion as { regions: unknown[] };
 *   if (regions.length > 0) console.log(`motion at port ${port}: ${regions.length} regions`);
 * }
 * console.log(pipeline.stats());
 * ```
 *
 * @example On a server, before sending
 * ```ts
 * import assert from "node:assert/strict";
 * import { Pipeline, TextOverlay } from "./mod.ts";
 *
 * await using pipeline = new Pipeline([new TextOverlay({ text: "TOP", x: 0, y: 0 })]);
 * const frame = { width: 64, height: 16, channels: 3, data: new Uint8Array(64 * 16 * 3) };
 * const out = await pipeline.process(frame, { message: "hello" });
 * assert.ok(out !== null && out.message === "hello");
 * assert.equal(out.frame!.data[1], 255); // the T's top left pixel, green, drawn on a copy…
 * assert.equal(frame.data[1], 0); // …the input frame is untouched
 * // then: await server.send(out.frame, { message: { text: out.message, ...out.data } });
 * ```
 */
export class Pipeline implements AsyncDisposable {
  readonly #system: ActorSystem;
  readonly #stages: Stage[] = [];
  readonly #ports: ReadonlySet<number> | undefined;
  readonly #output: Required<MailboxOptions>;
  readonly #tickets = new Map<number, Ticket>();
  readonly #runs = new Set<Run>();
  readonly #readyWaiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();
  readonly #hooks: StageHooks;
  readonly #unsubscribe: () => void;
  #entered = 0;
  #completed = 0;
  #failed = 0;
  #bypassed = 0;
  #outputDropped = 0;
  #startedStages = 0;
  #startedOnce: boolean[] = [];
  #nextSeq = 0;
  /**
   * Highest entry index known to be out of the stages: items leave the last
   * stage in entry order, so every earlier one is out too, or was dropped.
   */
  #frontier = -1;
  #failure: StageStoppedError | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Spawns one actor per stage; Worker stages start loading at once (see
   * {@linkcode Pipeline.ready}).
   *
   * @param stages The stages, in order (may be empty: items pass straight through).
   * @param options See {@linkcode PipelineOptions}.
   * @throws {TypeError} A stage is neither a Processor nor valid StageOptions, or an option has the wrong type.
   * @throws {RangeError} A mailbox capacity, `maxRestarts` or `withinMs` is out of range.
   */
  constructor(stages: readonly PipelineStage[], options: PipelineOptions = {}) {
    if (!Array.isArray(stages)) {
      throw new TypeError(
        `Cannot create a pipeline: stages is ${typeof stages}; expected an array of processors or stage options`,
      );
    }
    const {
      ports,
      mailbox = DEFAULT_STAGE_MAILBOX,
      output = DEFAULT_OUTPUT,
      maxRestarts = 10,
      withinMs = 10_000,
      logLevel = "warn",
      name = "pipeline",
    } = options;
    if (ports !== undefined) {
      if (!Array.isArray(ports) || !ports.every((p) => Number.isInteger(p) && p >= 0)) {
        throw new TypeError(
          `Cannot create a pipeline: ports is ${
            describeValue(ports)
          }; expected an array of port numbers`,
        );
      }
      this.#ports = new Set(ports);
    }
    this.#output = resolveQueue("output", output, DEFAULT_OUTPUT);
    const stageMailbox = resolveQueue("mailbox", mailbox, DEFAULT_STAGE_MAILBOX);
    this.#system = new ActorSystem({
      name,
      logLevel,
      supervisor: oneForOne({ maxRestarts, withinMs }),
    });
    this.#hooks = {
      forward: (position, message) => this.#forward(position, message),
      failed: (position, message, error) => this.#itemFailed(position, message, error),
      started: (position) => this.#stageStarted(position),
    };
    this.#unsubscribe = this.#system.subscribe(this.#onSystemEvent);
    const names = new Set<string>();
    try {
      stages.forEach((stage, position) => this.#spawn(stage, position, stageMailbox, names));
    } catch (error) {
      this.#unsubscribe();
      void this.#system.shutdown();
      throw error;
    }
  }

  /**
   * Waits until every stage has started (Worker modules loaded, models read).
   * Items sent earlier are not lost: they wait in the mailboxes (dropping the
   * oldest past capacity).
   *
   * @param options `signal` to stop waiting.
   * @returns Resolves once every stage has started.
   * @throws {StageStoppedError} A stage could not start within its restart budget.
   * @throws {PipelineClosedError} The pipeline was closed first.
   * @throws {unknown} `signal.reason` when aborted.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Pipeline, MotionDetector } from "./mod.ts";
   * await using pipeline = new Pipeline([new MotionDetector()]);
   * await pipeline.ready();
   * assert.equal(pipeline.stats().stages.length, 1);
   * ```
   */
  ready(options: ReadyOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closing !== undefined) return Promise.reject(new PipelineClosedError());
    if (this.#startedStages === this.#stages.length) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const onAbort = () => waiter.reject(signal!.reason);
    const waiter = {
      resolve: () => {
        signal?.removeEventListener("abort", onAbort);
        this.#readyWaiters.delete(waiter);
        resolve();
      },
      reject: (error: unknown) => {
        signal?.removeEventListener("abort", onAbort);
        this.#readyWaiters.delete(waiter);
        reject(error);
      },
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#readyWaiters.add(waiter);
    return promise;
  }

  /**
   * Processes a stream: reads `source` (a NetGear client, or any async
   * iterable of items with a `port`) as fast as it delivers, feeding the
   * stages without waiting for them, and yields each item once it has
   * passed every stage, with its annotations in `data`.
   *
   * The iteration ends when the source ends and every item in flight has
   * come out (or was dropped). Leaving the loop early stops reading the
   * source after the read in progress (which may wait for the next frame;
   * close the source to end it at once).
   *
   * @param source The items to process.
   * @param options `signal` to stop.
   * @returns An async iterator of processed items.
   * @throws {StageStoppedError} (from the iterator) A stage stopped past its restart budget.
   * @throws {unknown} (from the iterator) What the source threw, or `signal.reason`.
   *
   * @example Annotate a stream of items from two ports, only one of them processed
   * ```ts
   * import assert from "node:assert/strict";
   * import { Pipeline } from "./mod.ts";
   *
   * async function* items() {
   *   for (let seq = 0; seq < 3; seq++) {
   *     yield { port: 5566, seq, message: `a${seq}` };
   *     yield { port: 5567, seq, message: `b${seq}` };
   *   }
   * }
   * await using pipeline = new Pipeline([
   *   { name: "length", processor: { name: "length", process: (item) => ({ data: { length: String(item.message).length } }) } },
   * ], { ports: [5566] });
   * const seen: string[] = [];
   * for await (const { port, message, data } of pipeline.run(items())) {
   *   seen.push(`${port}:${message}:${data.length ?? "-"}`);
   * }
   * assert.deepEqual(seen.filter((s) => s.startsWith("5566")), ["5566:a0:2", "5566:a1:2", "5566:a2:2"]);
   * assert.deepEqual(seen.filter((s) => s.startsWith("5567")), ["5567:b0:-", "5567:b1:-", "5567:b2:-"]);
   * ```
   */
  async *run<T extends PipelineInput>(
    source: AsyncIterable<T>,
    options: RunOptions = {},
  ): AsyncGenerator<ProcessedItem<T>, void, undefined> {
    const { signal } = options;
    signal?.throwIfAborted();
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closing !== undefined) return;
    if (typeof source?.[Symbol.asyncIterator] !== "function") {
      throw new TypeError(
        `Cannot run the pipeline: source is ${typeof source}; expected an async iterable such as a NetGear client`,
      );
    }
    const run = new Run(this.#output);
    this.#runs.add(run);
    void this.#pump(source, run);
    try {
      for (;;) {
        const item = await run.output.take(signal);
        if (item === null) return;
        yield item as ProcessedItem<T>;
      }
    } finally {
      run.stopped = true;
      // Items still coming out for this run are discarded, never parked.
      run.output.finish();
      this.#runs.delete(run);
      this.#outputDropped += run.output.dropped;
    }
  }

  /**
   * Processes one frame, e.g. on a server before sending it. With a single
   * caller awaiting each call nothing is ever dropped; calls made without
   * waiting share the stages' mailboxes and may be.
   *
   * @param frame The frame (Worker stages may transfer its buffer: use the returned frame).
   * @param options The message, port, frame number, initial data and signal.
   * @returns The processed item (`frame`, `message`, `data`), the input
   *   untouched when `port` is outside `ports`, or `null` when a stage's
   *   mailbox dropped it.
   * @throws {ProcessorError} A processor threw on this item (the stage restarted).
   * @throws {StageStoppedError} A stage stopped past its restart budget.
   * @throws {PipelineClosedError} The pipeline is closed (or was, before the item came out).
   * @throws {unknown} `signal.reason` when aborted.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Pipeline } from "./mod.ts";
   * await using pipeline = new Pipeline([{ name: "tag", processor: { name: "tag", process: () => ({ data: { tagged: true } }) } }]);
   * const out = await pipeline.process(undefined, { message: "data only", port: 5577 });
   * assert.deepEqual(out?.data, { tagged: true });
   * ```
   */
  process(frame: Frame | undefined, options: ProcessOptions = {}): Promise<ProcessorItem | null> {
    const { signal, message, port = 0, seq = this.#nextSeq, data } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closing !== undefined) return Promise.reject(new PipelineClosedError());
    if (!Number.isInteger(port) || port < 0) {
      return Promise.reject(
        new TypeError(`Cannot process: port is ${describeValue(port)}; expected a port number`),
      );
    }
    this.#nextSeq = seq + 1;
    const item: ProcessorItem = { port, frame, message, seq, data: { ...data } };
    if (this.#ports !== undefined && !this.#ports.has(port)) {
      this.#bypassed++;
      return Promise.resolve(item);
    }
    const ticket = new Ticket();
    const index = this.#entered++;
    this.#tickets.set(index, ticket);
    void this.#enter(index, item, ticket);
    if (signal === undefined) return ticket.promise;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      ticket.promise.then(resolve, reject).finally(() =>
        signal.removeEventListener("abort", onAbort)
      );
    });
  }

  /**
   * Figures per stage and for the whole pipeline.
   *
   * @returns A snapshot.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Pipeline, TextOverlay } from "./mod.ts";
   * await using pipeline = new Pipeline([new TextOverlay({ text: "hi" })]);
   * const frame = { width: 32, height: 16, channels: 3, data: new Uint8Array(32 * 16 * 3) };
   * await pipeline.process(frame);
   * const [stage] = pipeline.stats().stages;
   * assert.ok(stage.name === "text-overlay" && stage.processed === 1 && stage.dropped === 0);
   * ```
   */
  stats(): PipelineStats {
    let outputDropped = this.#outputDropped;
    for (const run of this.#runs) outputDropped += run.output.dropped;
    return {
      entered: this.#entered,
      completed: this.#completed,
      bypassed: this.#bypassed,
      outputDropped,
      stages: this.#stages.map(({ ref, counters }) => {
        const actor = this.#system.stats(ref);
        return {
          name: counters.name,
          mode: counters.mode,
          processed: counters.processed,
          failed: counters.failed,
          dropped: actor?.dropped ?? 0,
          queued: actor?.queued ?? 0,
          restarts: actor?.restarts ?? 0,
          meanMs: counters.processed === 0 ? 0 : counters.totalMs / counters.processed,
          state: actor?.state ?? "stopped",
        };
      }),
    };
  }

  /**
   * Stops every stage (closing processors, terminating Workers). `run()`
   * iterators end; waiting `process()` calls reject with
   * {@linkcode PipelineClosedError}. Safe to call twice.
   *
   * @returns Resolves once every stage has stopped.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Pipeline, PipelineClosedError } from "./mod.ts";
   * const pipeline = new Pipeline([]);
   * await pipeline.close();
   * await pipeline.close(); // a second close is a no-op
   * await assert.rejects(pipeline.ready(), PipelineClosedError);
   * ```
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      const closed = new PipelineClosedError();
      this.#rejectWaiters(closed);
      for (const run of this.#runs) {
        run.stopped = true;
        run.output.finish();
      }
      this.#closing = this.#system.shutdown().finally(() => this.#unsubscribe());
    }
    return this.#closing;
  }

  /** Same as {@linkcode Pipeline.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- wiring -----------------------------------------------------------------

  #spawn(
    stage: PipelineStage,
    position: number,
    defaultMailbox: Required<MailboxOptions>,
    names: Set<string>,
  ): void {
    const isProcessor = typeof (stage as Processor)?.process === "function";
    const options: StageOptions = isProcessor
      ? { processor: stage as Processor }
      : stage as StageOptions;
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Cannot create a pipeline: stage ${position} is ${
          options === null ? "null" : typeof options
        }; expected a Processor or { processor } or { worker }`,
      );
    }
    const { processor, worker, workerOptions, transfer = true } = options;
    if ((processor === undefined) === (worker === undefined)) {
      throw new TypeError(
        `Cannot create a pipeline: stage ${position} needs exactly one of processor or worker ` +
          `(got ${processor === undefined ? "neither" : "both"})`,
      );
    }
    if (
      processor !== undefined && typeof processor !== "function" &&
      typeof processor?.process !== "function"
    ) {
      throw new TypeError(
        `Cannot create a pipeline: stage ${position}'s processor has no process() method ` +
          `(give a Processor or a factory returning one)`,
      );
    }
    let url: URL | undefined;
    if (worker !== undefined) {
      try {
        url = new URL(worker);
      } catch (cause) {
        throw new TypeError(
          `Cannot create a pipeline: stage ${position}'s worker is ${
            JSON.stringify(String(worker))
          }; expected an absolute URL such as new URL("./my_processor.ts", import.meta.url)`,
          { cause },
        );
      }
    }
    const name = uniqueName(stageName(options, position, url), names);
    const mailbox = options.mailbox === undefined
      ? defaultMailbox
      : resolveQueue(`stage "${name}" mailbox`, options.mailbox, defaultMailbox);
    const counters = new StageCounters(name, url === undefined ? "in-process" : "worker");
    const hooks = this.#hooks;
    const ref = this.#system.spawn<StageMessage>(name, {
      mailbox,
      create: () =>
        url === undefined
          ? new ProcessorStage({ source: processor!, position, counters, hooks })
          : new WorkerStage({
            url,
            options: workerOptions,
            transfer: transfer !== false,
            position,
            counters,
            hooks,
          }),
    });
    this.#stages.push({ ref, counters, backpressure: mailbox.overflow === "backpressure" });
    this.#startedOnce.push(false);
  }

  // --- the flow ---------------------------------------------------------------

  async #pump<T extends PipelineInput>(source: AsyncIterable<T>, run: Run): Promise<void> {
    try {
      for await (const input of source) {
        if (run.stopped) break;
        if (this.#failure !== undefined) throw this.#failure;
        const waiting = this.#admit(input, run);
        if (waiting !== undefined) await waiting;
      }
    } catch (error) {
      if (!run.stopped) run.output.fail(error);
    } finally {
      run.inputEnded = true;
      this.#checkSettled();
      this.#finishRuns(this.#frontier);
    }
  }

  #admit(input: PipelineInput, run: Run): Promise<void> | undefined {
    const data = input.data;
    const item = {
      ...input,
      frame: input.frame,
      seq: input.seq ?? 0,
      data: typeof data === "object" && data !== null ? data : {},
    } as ProcessorItem;
    if (this.#ports !== undefined && !this.#ports.has(item.port)) {
      this.#bypassed++;
      return run.output.offer(item);
    }
    const index = this.#entered++;
    run.lastIndex = index;
    return this.#enter(index, item, run);
  }

  #enter(index: number, item: ProcessorItem, sink: Sink): Promise<void> | undefined {
    const message: StageMessage = { type: "ItemArrived", index, item, owned: undefined, sink };
    if (this.#stages.length === 0) return this.#complete(message);
    const first = this.#stages[0];
    const queued = first.ref.tell(message);
    return first.backpressure ? queued : undefined;
  }

  #forward(position: number, message: StageMessage): Promise<void> | undefined {
    const next = this.#stages[position + 1];
    if (next === undefined) return this.#complete(message);
    const queued = next.ref.tell(message);
    return next.backpressure ? queued : undefined;
  }

  #complete(message: StageMessage): Promise<void> | undefined {
    this.#completed++;
    this.#frontier = message.index;
    const ticket = this.#tickets.get(message.index);
    if (ticket !== undefined) this.#tickets.delete(message.index);
    const waiting = this.#failure === undefined && this.#closing === undefined
      ? message.sink.deliver(message.item)
      : undefined;
    this.#sweepTickets(message.index);
    this.#finishRuns(message.index);
    this.#checkSettled();
    return waiting;
  }

  #itemFailed(position: number, message: StageMessage, error: unknown): void {
    this.#failed++;
    const ticket = this.#tickets.get(message.index);
    if (ticket !== undefined) {
      this.#tickets.delete(message.index);
      const { item } = message;
      ticket.reject(
        new ProcessorError(this.#stages[position].counters.name, item.port, item.seq, {
          cause: error,
        }),
      );
    }
    this.#checkSettled();
  }

  /**
   * When every item that entered has come out, failed or been dropped
   * (mailbox drops leave no other trace), nothing is in flight: resolve what
   * waits for that.
   */
  #checkSettled(): void {
    if (this.#tickets.size === 0 && !this.#anyRunEnding()) return;
    let dropped = 0;
    for (const { ref } of this.#stages) dropped += this.#system.stats(ref)?.dropped ?? 0;
    if (this.#entered === this.#completed + this.#failed + dropped) {
      this.#frontier = this.#entered - 1;
      this.#sweepTickets(this.#frontier);
      this.#finishRuns(this.#frontier);
    }
  }

  #anyRunEnding(): boolean {
    for (const run of this.#runs) if (run.inputEnded) return true;
    return false;
  }

  /** Tickets at or before `frontier` still waiting were dropped by a mailbox. */
  #sweepTickets(frontier: number): void {
    for (const [index, ticket] of this.#tickets) {
      if (index > frontier) break;
      this.#tickets.delete(index);
      ticket.resolve(null);
    }
  }

  #finishRuns(frontier: number): void {
    for (const run of this.#runs) {
      if (run.inputEnded && run.lastIndex <= frontier) run.output.finish();
    }
  }

  // --- lifecycle --------------------------------------------------------------

  #stageStarted(position: number): void {
    if (this.#startedOnce[position]) return;
    this.#startedOnce[position] = true;
    if (++this.#startedStages === this.#stages.length) {
      for (const waiter of [...this.#readyWaiters]) waiter.resolve();
    }
  }

  #onSystemEvent = (event: SystemEvent): void => {
    if (event.type !== "ActorStopped" || this.#closing !== undefined) return;
    const stage = this.#stages.find(({ ref }) => ref.path === event.path);
    if (stage === undefined || this.#failure !== undefined) return;
    const failure = new StageStoppedError(stage.counters.name, { cause: event.reason });
    this.#failure = failure;
    this.#rejectWaiters(failure);
    for (const run of this.#runs) run.output.fail(failure);
    void this.#system.shutdown();
  };

  #rejectWaiters(error: Error): void {
    for (const waiter of [...this.#readyWaiters]) waiter.reject(error);
    for (const ticket of this.#tickets.values()) ticket.reject(error);
    this.#tickets.clear();
  }
}

function resolveQueue(
  what: string,
  options: MailboxOptions,
  defaults: Required<MailboxOptions>,
): Required<MailboxOptions> {
  return resolveQueueOptions(options, defaults, "create a pipeline", what);
}

function stageName(options: StageOptions, position: number, url: URL | undefined): string {
  if (typeof options.name === "string" && options.name !== "") return options.name;
  const processor = options.processor;
  if (processor !== undefined && typeof processor !== "function") {
    if (typeof processor.name === "string" && processor.name !== "") return processor.name;
  }
  if (url !== undefined) {
    const file = url.pathname.split("/").pop()?.replace(/\.[cm]?[jt]sx?$/, "");
    if (file) return file;
  }
  return `stage-${position}`;
}

/** Actor names cannot contain "/" nor start with "$"; duplicates get a suffix. */
function uniqueName(name: string, names: Set<string>): string {
  const clean = name.replace(/\//g, "-").replace(/^\$/, "_");
  let unique = clean;
  for (let n = 2; names.has(unique); n++) unique = `${clean}-${n}`;
  names.add(unique);
  return unique;
}
