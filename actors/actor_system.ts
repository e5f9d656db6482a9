/**
 * The actor system: root of the actor tree, registry of live actors, home of
 * dead letters and of supervision events.
 *
 * @module
 */

import type { Props, StopOptions, SystemView } from "./actor.ts";
import type { ActorRef } from "./actor_ref.ts";
import type { ActorStats } from "./actor_stats.ts";
import { ActorStoppedError } from "./errors.ts";
import type { SystemEvent } from "./events.ts";
import { consoleLogger, type Logger, type LogLevel } from "./logger.ts";
import { oneForOne } from "./strategy_one_for_one.ts";
import type { SupervisorStrategy } from "./supervision.ts";
import { abortable } from "./abort.ts";
import { Guardian } from "./_guardian.ts";
import { levelRank } from "./_prefixed_logger.ts";
import { Runtime } from "./_runtime.ts";

/** Options for {@linkcode ActorSystem}. */
export interface ActorSystemOptions {
  /**
   * Name used to prefix the system's own log lines.
   *
   * @default {"actorgear"}
   */
  name?: string;
  /**
   * Where log lines go.
   *
   * @default {consoleLogger}
   */
  logger?: Logger;
  /**
   * Least severe level written.
   *
   * @default {"warn"}
   */
  logLevel?: LogLevel;
  /**
   * How the system supervises top-level actors. Escalation past it stops the
   * failing top-level actor.
   *
   * @default {oneForOne({ maxRestarts: 10, withinMs: 10_000 })}
   */
  supervisor?: SupervisorStrategy;
}

/**
 * Runs actors. Top-level actors are spawned here; everything stops with
 * {@linkcode ActorSystem.shutdown} (or `await using`), children before parents.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ActorRef } from "./actor_ref.ts";
 * import { ActorSystem } from "./actor_system.ts";
 *
 * type PrinterMessage =
 *   | { type: "Print"; text: string }
 *   | { type: "Flush"; replyTo: ActorRef<string[]> };
 *
 * await using system = new ActorSystem({ name: "demo", logLevel: "error" });
 * const printer = system.spawn<PrinterMessage>("printer", {
 *   create: () => {
 *     const lines: string[] = [];
 *     return {
 *       receive(message) {
 *         if (message.type === "Print") lines.push(message.text);
 *         else message.replyTo.tell(lines);
 *       },
 *     };
 *   },
 * });
 * await printer.tell({ type: "Print", text: "hello" });
 * const printed = await printer.ask<string[]>((replyTo) => ({ type: "Flush", replyTo }));
 * assert.deepEqual(printed, ["hello"]);
 * // A stop drops what is still queued; later messages are dead letters, never errors.
 * await system.stop(printer);
 * await printer.tell({ type: "Print", text: "too late" });
 * assert.equal(system.deadLetters.count, 1);
 * ```
 */
export class ActorSystem implements SystemView, AsyncDisposable {
  /** The system's name. */
  readonly name: string;
  #runtime: Runtime;
  #guardian: Guardian;
  #shutdown: Promise<void> | undefined;
  #deadLetters: { readonly count: number };

  /**
   * Creates an empty system.
   *
   * @param options See {@linkcode ActorSystemOptions}.
   * @throws {TypeError} `logLevel` is not a {@linkcode LogLevel}.
   */
  constructor(options: ActorSystemOptions = {}) {
    const {
      name = "actorgear",
      logger = consoleLogger,
      logLevel = "warn",
      supervisor = oneForOne(),
    } = options;
    this.name = name;
    this.#runtime = new Runtime(name, logger, levelRank(logLevel));
    this.#guardian = new Guardian(this.#runtime, supervisor);
    this.#runtime.system = this;
    const runtime = this.#runtime;
    this.#deadLetters = Object.freeze({
      get count(): number {
        return runtime.deadLetterCount;
      },
    });
  }

  /**
   * Messages sent to stopped actors so far. Each address is logged (warn) the
   * first time only; a dead letter never throws at the sender.
   */
  get deadLetters(): { readonly count: number } {
    return this.#deadLetters;
  }

  /**
   * Spawns a top-level actor at path `"/" + name`.
   *
   * @param name Unique among live top-level actors; no `/`, not starting with `$`.
   * @param props How to create it.
   * @returns Its ref; it starts in a microtask, before handling any message.
   * @throws {TypeError} Invalid or duplicate name, or invalid props.
   * @throws {RangeError} Invalid mailbox capacity.
   * @throws {ActorStoppedError} The system is shut down.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * await using system = new ActorSystem();
   * const ref = system.spawn("worker", { create: () => ({ receive() {} }) });
   * assert.ok(ref.path === "/worker");
   * ```
   */
  spawn<M>(name: string, props: Props<M>): ActorRef<M> {
    const guardian = this.#guardian;
    if (guardian.closed) {
      throw new ActorStoppedError(
        "/",
        `the actor system is shut down, so it cannot spawn ${JSON.stringify(name)}`,
      );
    }
    return guardian.children.spawn(name, props, 0);
  }

  /**
   * Stops an actor: its children first, then its `stopped` hook. Its pending
   * messages become dead letters. Stopping a stopped actor is a no-op.
   *
   * @param ref The actor.
   * @param options See {@linkcode StopOptions}.
   * @returns Resolves after the `stopped` hooks ran.
   * @throws {unknown} `options.signal.reason` if aborted first (the stop still completes).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * await using system = new ActorSystem();
   * const ref = system.spawn("worker", { create: () => ({ receive() {} }) });
   * await system.stop(ref);
   * assert.ok(system.stats(ref)?.state === "stopped");
   * ```
   */
  stop(ref: ActorRef<unknown>, options: StopOptions = {}): Promise<void> {
    const cell = this.#runtime.cellOf(ref);
    if (cell === undefined) return abortable(Promise.resolve(), options.signal);
    return abortable(cell.requestStop(), options.signal);
  }

  /**
   * Stops every actor, children before parents, then rejects asks still
   * waiting with {@linkcode ActorStoppedError}. Idempotent: later calls return
   * the same completion.
   *
   * @param options See {@linkcode StopOptions}.
   * @returns Resolves when everything stopped; no timers are left running.
   * @throws {unknown} `options.signal.reason` if aborted first (the shutdown still completes).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * const system = new ActorSystem();
   * system.spawn("worker", { create: () => ({ receive() {} }) });
   * await system.shutdown();
   * assert.ok(system.alive().length === 0);
   * ```
   */
  shutdown(options: StopOptions = {}): Promise<void> {
    if (this.#shutdown === undefined) {
      const runtime = this.#runtime;
      this.#guardian.closed = true;
      runtime.shuttingDown = true;
      this.#shutdown = this.#guardian.children.stopAll().then(() => runtime.asks.rejectAll());
    }
    return abortable(this.#shutdown, options.signal);
  }

  /**
   * Same as {@linkcode ActorSystem.shutdown}; safe to call twice.
   *
   * @returns Resolves when everything stopped.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * const system = new ActorSystem({ logLevel: "silent" });
   * system.spawn("worker", { create: () => ({ receive() {} }) });
   * await system.close();
   * await system.close(); // a second close is a no-op
   * assert.deepEqual(system.alive(), []);
   * ```
   */
  close(): Promise<void> {
    return this.shutdown();
  }

  /** Shuts the system down at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /**
   * Listens to supervision decisions and dead letters. Listeners run
   * synchronously; a throw is logged and ignored.
   *
   * @param listener Called with each event.
   * @returns A function that unsubscribes.
   * @throws {TypeError} `listener` is not a function.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * import type { SystemEvent } from "./events.ts";
   * await using system = new ActorSystem({ logLevel: "silent" });
   * const events: SystemEvent[] = [];
   * const unsubscribe = system.subscribe((event) => events.push(event));
   * const ref = system.spawn("worker", { create: () => ({ receive() {} }) });
   * await system.stop(ref);
   * await ref.tell("lost");
   * unsubscribe();
   * assert.ok(events[0].type === "DeadLetter");
   * ```
   */
  subscribe(listener: (event: SystemEvent) => void): () => void {
    return this.#runtime.subscribe(listener);
  }

  /**
   * Counters of an actor, including a stopped one.
   *
   * @param ref The actor.
   * @returns A snapshot, or `undefined` if `ref` is not an actor of this system.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * await using system = new ActorSystem();
   * const handled = Promise.withResolvers<void>();
   * const ref = system.spawn<number>("worker", {
   *   create: () => ({ receive: () => handled.resolve() }),
   * });
   * await ref.tell(1);
   * await handled.promise;
   * const stats = system.stats(ref)!;
   * assert.equal(stats.received, 1);
   * assert.equal(stats.processed, 1);
   * ```
   */
  stats(ref: ActorRef<unknown>): ActorStats | undefined {
    return this.#runtime.cellOf(ref)?.stats();
  }

  /**
   * Finds a live actor by path.
   *
   * @param path E.g. `"/client/conn-5566"`.
   * @returns Its ref, or `undefined`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * await using system = new ActorSystem();
   * system.spawn("worker", { create: () => ({ receive() {} }) });
   * assert.ok(system.lookup("/worker")?.path === "/worker");
   * ```
   */
  lookup<M>(path: string): ActorRef<M> | undefined {
    return this.#runtime.registry.get(path)?.ref as ActorRef<M> | undefined;
  }

  /**
   * Paths of the actors not yet stopped (stopping ones included), in spawn
   * order, so a parent comes before its children.
   *
   * @returns The paths.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * await using system = new ActorSystem();
   * system.spawn("worker", { create: () => ({ receive() {} }) });
   * assert.ok(system.alive().includes("/worker"));
   * ```
   */
  alive(): string[] {
    return Array.from(this.#runtime.registry.keys());
  }
}
