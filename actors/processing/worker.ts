/**
 * The Worker side of a pipeline stage: a module given as a stage's `worker`
 * calls {@linkcode serveProcessor} once, and the stage's items are handled
 * there, off the main thread.
 *
 * @module
 */

import type { Frame } from "../../capture/frame.ts";
import type { Processor, ProcessorResult } from "./processor.ts";
import { StageContext } from "./_stage_context.ts";
import { framePostable, type FromWorker, type ToWorker } from "./_worker_protocol.ts";

/**
 * Makes the Worker's processor from the stage's `workerOptions`
 * (structured-cloned from the main thread).
 *
 * @param options The stage's `workerOptions`, or `undefined`.
 * @returns A processor, or a promise of one.
 */
export type WorkerProcessorFactory = (options: unknown) => Processor | Promise<Processor>;

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  close(): void;
}

/**
 * Serves a processor to the pipeline stage that started this Worker. Call it
 * once, at the top level of the Worker module. Items arrive one at a time;
 * each frame arrives with its bytes transferred (or copied once), so the
 * processor owns it: `context.writableFrame` returns it as is, and drawing
 * costs no copy. The frame goes back the same way.
 *
 * @param create Makes the processor from the stage's `workerOptions`.
 * @throws {TypeError} Called outside a Worker, or twice.
 *
 * @example A Worker module (`invert_worker.ts`) and the stage that runs it
 * ```ts ignore
 * // invert_worker.ts
 * import { serveProcessor } from "./mod.ts";
 * serveProcessor(() => ({
 *   name: "invert",
 *   process(item, context) {
 *     if (item.frame === undefined) return;
 *     const frame = context.writableFrame(item.frame);
 *     for (let i = 0; i < frame.data.length; i++) frame.data[i] = 255 - frame.data[i];
 *     return { frame };
 *   },
 * }));
 *
 * // main.ts
 * import { Pipeline } from "./mod.ts";
 * await using pipeline = new Pipeline([{ worker: new URL("./invert_worker.ts", import.meta.url) }]);
 * ```
 */
export function serveProcessor(create: WorkerProcessorFactory): void {
  const WorkerGlobalScope = (globalThis as { WorkerGlobalScope?: new () => unknown })
    .WorkerGlobalScope;
  if (WorkerGlobalScope === undefined || !(globalThis instanceof WorkerGlobalScope)) {
    throw new TypeError(
      "Cannot serve a processor: serveProcessor() must run inside a Worker started by a " +
        "pipeline stage ({ worker: new URL(...) })",
    );
  }
  const scope = globalThis as unknown as WorkerScope;
  if (scope.onmessage !== null) {
    throw new TypeError("Cannot serve a processor: this Worker already handles messages");
  }
  const server = new ProcessorServer(scope, create);
  // Requests are chained so a second one (Close after an abandoned item)
  // never runs while the first is still awaiting.
  let queue: Promise<void> = Promise.resolve();
  scope.onmessage = (event) => {
    queue = queue.then(() => server.handle(event.data));
  };
}

class ProcessorServer {
  #scope: WorkerScope;
  #create: WorkerProcessorFactory;
  #processor: Processor | undefined;
  #context: StageContext | undefined;
  #controller = new AbortController();

  constructor(scope: WorkerScope, create: WorkerProcessorFactory) {
    this.#scope = scope;
    this.#create = create;
  }

  async handle(request: ToWorker): Promise<void> {
    const scope = this.#scope;
    try {
      switch (request.type) {
        case "Start": {
          const processor = await this.#create(request.options);
          if (typeof processor?.process !== "function") {
            throw new TypeError(
              `Cannot start stage "${request.stage}": the Worker's factory returned ${typeof processor}; expected a Processor`,
            );
          }
          this.#processor = processor;
          this.#context = new StageContext(request.stage, this.#controller.signal);
          await processor.start?.({ stage: request.stage, signal: this.#controller.signal });
          scope.postMessage({ type: "Started", id: request.id, name: processor.name }, []);
          return;
        }
        case "Process":
          return await this.#process(request);
        case "Close":
          this.#controller.abort(new Error("the stage is closing"));
          await this.#processor?.close?.();
          scope.postMessage({ type: "Closed", id: request.id }, []);
          scope.close();
          return;
      }
    } catch (error) {
      scope.postMessage({ type: "Failed", id: request.id, error: cloneable(error) }, []);
    }
  }

  async #process(request: Extract<ToWorker, { type: "Process" }>): Promise<void> {
    const { item } = request;
    const context = this.#context!;
    // The frame arrived by transfer or as a copy: nobody else can see it.
    context.owned = item.frame?.data;
    const result: ProcessorResult = await this.#processor!.process(item, context);
    let frame: Frame | undefined = item.frame;
    let message: { value: unknown } | undefined;
    if (result !== undefined && result !== null && result !== item) {
      if (result.data !== undefined && result.data !== item.data) {
        Object.assign(item.data, result.data);
      }
      if (result.frame !== undefined) frame = result.frame;
      if ("message" in result) message = { value: result.message };
    }
    const postable = framePostable(frame, true);
    this.#scope.postMessage(
      { type: "Processed", id: request.id, frame: postable.frame, data: item.data, message },
      postable.transfer,
    );
  }
}

// Errors clone with their name, message and stack; anything else that
// cannot be cloned is described instead.
function cloneable(error: unknown): unknown {
  if (error instanceof Error) return error;
  try {
    return structuredClone(error);
  } catch {
    return new Error(String(error));
  }
}
