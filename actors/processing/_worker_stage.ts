// A stage whose processor runs in a Deno Worker. The actor owns one Worker
// per incarnation: a restart terminates it and starts a fresh one, so a
// processor that corrupted its state (or its wasm heap) starts clean.

import type { Actor, ActorContext } from "../actor.ts";
import { WorkerStageError } from "./errors.ts";
import { framePostable, type FromWorker, type ToWorker } from "./_worker_protocol.ts";
import { nextMessage, type StageCounters, type StageHooks, type StageMessage } from "./_stage.ts";

/** How long a Worker may take to load its module and start its processor. */
export const WORKER_START_TIMEOUT_MS = 60_000;
/** How long a Worker may take to close its processor before it is terminated. */
const WORKER_CLOSE_TIMEOUT_MS = 2_000;

export interface WorkerStageSpec {
  readonly url: URL;
  readonly options: unknown;
  readonly transfer: boolean;
  readonly position: number;
  readonly counters: StageCounters;
  readonly hooks: StageHooks;
}

type Reply = Exclude<FromWorker, { type: "Failed" }>;

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: unknown) => void;
}

export class WorkerStage implements Actor<StageMessage> {
  #spec: WorkerStageSpec;
  #worker: Worker | undefined;
  #pending = new Map<number, Pending>();
  #nextId = 0;
  /** Set when the Worker itself failed; every later call rejects with it. */
  #broken: WorkerStageError | undefined;

  constructor(spec: WorkerStageSpec) {
    this.#spec = spec;
  }

  async started(context: ActorContext<StageMessage>): Promise<void> {
    const { url, options, counters, hooks, position } = this.#spec;
    const worker = new Worker(url, { type: "module", name: counters.name });
    this.#worker = worker;
    worker.onmessage = this.#onMessage;
    worker.onerror = this.#onError;
    worker.onmessageerror = this.#onMessageError;
    const timeout = setTimeout(() => {
      this.#break(
        `it did not start within ${WORKER_START_TIMEOUT_MS} ms (does the module call serveProcessor()?)`,
      );
    }, WORKER_START_TIMEOUT_MS);
    const onAbort = () => this.#break("the stage stopped while the Worker was starting");
    context.signal.addEventListener("abort", onAbort, { once: true });
    try {
      await this.#call({ type: "Start", id: this.#nextId++, stage: counters.name, options }, []);
    } finally {
      clearTimeout(timeout);
      context.signal.removeEventListener("abort", onAbort);
    }
    hooks.started(position);
  }

  receive(message: StageMessage): Promise<void> {
    const { counters, hooks, position, transfer } = this.#spec;
    const { item } = message;
    const startedAt = performance.now();
    let sent: Promise<Reply>;
    try {
      const postable = framePostable(item.frame, transfer);
      sent = this.#call({
        type: "Process",
        id: this.#nextId++,
        item: {
          port: item.port,
          frame: postable.frame,
          message: item.message,
          seq: item.seq,
          data: item.data,
        },
      }, postable.transfer);
    } catch (error) {
      sent = Promise.reject(error);
    }
    return sent.then(
      (reply) => {
        if (reply.type !== "Processed") throw new TypeError(`unexpected reply ${reply.type}`);
        counters.done(startedAt);
        // The frame came back through a transfer: this item alone holds it.
        const owned = reply.frame?.data;
        const result = reply.message === undefined
          ? { frame: reply.frame, data: reply.data }
          : { frame: reply.frame, data: reply.data, message: reply.message.value };
        return hooks.forward(position, nextMessage(message, result, owned));
      },
      (error) => {
        counters.failed++;
        hooks.failed(position, message, error);
        throw error;
      },
    );
  }

  async stopped(context: ActorContext<StageMessage>): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    // A request still waiting belongs to an item the stop abandoned: its
    // handler is no longer awaited, so it is left to be collected.
    this.#pending.clear();
    if (this.#broken === undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          this.#call({ type: "Close", id: this.#nextId++ }, []),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${WORKER_CLOSE_TIMEOUT_MS} ms`)),
              WORKER_CLOSE_TIMEOUT_MS,
            );
          }),
        ]);
      } catch (error) {
        context.log.warn(
          `Worker of stage "${this.#spec.counters.name}" did not close cleanly`,
          error,
        );
      } finally {
        clearTimeout(timer);
      }
    }
    this.#pending.clear();
    worker.terminate();
    this.#worker = undefined;
  }

  #call(request: ToWorker, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    const { promise, resolve, reject } = Promise.withResolvers<Reply>();
    this.#pending.set(request.id, { resolve, reject });
    try {
      this.#worker!.postMessage(request, transfer);
    } catch (error) {
      this.#pending.delete(request.id);
      return Promise.reject(error);
    }
    return promise;
  }

  #onMessage = (event: MessageEvent<FromWorker>): void => {
    const reply = event.data;
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.type === "Failed") pending.reject(reply.error);
    else pending.resolve(reply);
  };

  #onError = (event: ErrorEvent): void => {
    // Handled here: unhandled, a Worker's error would terminate the whole process.
    event.preventDefault();
    this.#break(`it threw ${event.message}`, event.error);
  };

  #onMessageError = (): void => {
    this.#break("a reply could not be deserialised");
  };

  #break(because: string, cause?: unknown): void {
    const { url, counters } = this.#spec;
    this.#broken ??= new WorkerStageError(counters.name, url.href, because, { cause });
    for (const pending of this.#pending.values()) pending.reject(this.#broken);
    this.#pending.clear();
  }
}
