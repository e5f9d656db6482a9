/**
 * What an actor is (behaviour with lifecycle hooks), what it can do while
 * running (its context), and how to create one (props).
 *
 * @module
 */

import type { ActorRef } from "./actor_ref.ts";
import type { ActorStats } from "./actor_stats.ts";
import type { SystemEvent } from "./events.ts";
import type { Logger } from "./logger.ts";
import type { MailboxOptions } from "./mailbox.ts";
import type { SupervisorStrategy } from "./supervision.ts";

/**
 * Behaviour of an actor handling messages of type `M`. One message at a time:
 * when `receive` returns a promise, the next message waits for it. A throw or
 * rejection goes to the parent's {@linkcode SupervisorStrategy}.
 *
 * @example An actor with state and hooks
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Actor, ActorContext } from "./actor.ts";
 * import type { ActorRef } from "./actor_ref.ts";
 * import { ActorSystem } from "./actor_system.ts";
 *
 * type TickerMessage =
 *   | { type: "Tick" }
 *   | { type: "GetTicks"; replyTo: ActorRef<number> };
 *
 * class Ticker implements Actor<TickerMessage> {
 *   #ticks = 0;
 *   started(context: ActorContext<TickerMessage>): void {
 *     context.log.info("up");
 *   }
 *   receive(message: TickerMessage): void {
 *     switch (message.type) {
 *       case "Tick":
 *         this.#ticks++;
 *         break;
 *       case "GetTicks":
 *         message.replyTo.tell(this.#ticks);
 *         break;
 *     }
 *   }
 *   stopped(context: ActorContext<TickerMessage>): void {
 *     context.log.info(`down after ${this.#ticks} ticks`);
 *   }
 * }
 *
 * await using system = new ActorSystem();
 * const ticker = system.spawn("ticker", { create: () => new Ticker() });
 * await ticker.tell({ type: "Tick" });
 * await ticker.tell({ type: "Tick" });
 * // Messages are handled in order, so the reply counts both ticks.
 * assert.equal(await ticker.ask<number>((replyTo) => ({ type: "GetTicks", replyTo })), 2);
 * ```
 */
export interface Actor<M> {
  /**
   * Handles one message. An async handler is awaited before the next
   * message. A stop does not wait for an in-flight handler: `context.signal`
   * aborts, no further message is delivered and the handler's outcome is
   * ignored. A restart waits for it, but aborts `context.signal` as soon as
   * it is decided, so a handler awaiting I/O with that signal ends promptly.
   *
   * @param message The message.
   * @param context This actor's context.
   */
  receive(message: M, context: ActorContext<M>): void | Promise<void>;
  /**
   * Runs once per incarnation before any message (after spawn, after each
   * restart). A throw is a failure, supervised like one in `receive`.
   *
   * @param context This actor's context.
   */
  started?(context: ActorContext<M>): void | Promise<void>;
  /**
   * Runs exactly once when an incarnation ends (stop or restart), after its
   * children have stopped. Errors are logged and otherwise ignored.
   *
   * @param context This actor's context.
   */
  stopped?(context: ActorContext<M>): void | Promise<void>;
  /**
   * Runs on the failed incarnation before a restart, before its children
   * stop and before `stopped`. Errors are logged and ignored.
   *
   * @param context This actor's context.
   * @param reason What the failure threw.
   */
  restarting?(context: ActorContext<M>, reason: unknown): void | Promise<void>;
  /**
   * A child of this incarnation stopped. Delivered as a system message, in
   * mailbox order, only while this actor is running. A throw is a failure.
   *
   * @param child The stopped child.
   * @param reason `undefined` when it stopped normally, else the failure its supervisor stopped it for.
   * @param context This actor's context.
   */
  childTerminated?(
    child: ActorRef<unknown>,
    reason: unknown,
    context: ActorContext<M>,
  ): void | Promise<void>;
}

/** Options for stopping actors. */
export interface StopOptions {
  /**
   * Stops waiting (rejects with `signal.reason`); the stop itself goes on.
   */
  signal?: AbortSignal;
}

/**
 * What an actor sees of the system it belongs to ({@linkcode ActorContext.system}):
 * every {@linkcode ActorSystem} member but the disposal aliases (`close()`,
 * `[Symbol.asyncDispose]()`), which belong to whoever created the system.
 * `ActorSystem` implements it; each member behaves as documented there.
 *
 * @example An actor finding another top-level actor by path
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ActorRef } from "./actor_ref.ts";
 * import { ActorSystem } from "./actor_system.ts";
 *
 * await using system = new ActorSystem();
 * system.spawn("store", { create: () => ({ receive() {} }) });
 * const finder = system.spawn<{ replyTo: ActorRef<string | undefined> }>("finder", {
 *   create: () => ({
 *     receive(message, context) {
 *       message.replyTo.tell(context.system.lookup("/store")?.path);
 *     },
 *   }),
 * });
 * assert.equal(await finder.ask((replyTo) => ({ replyTo })), "/store");
 * ```
 */
export interface SystemView {
  /** The system's name. */
  readonly name: string;
  /** Messages sent to stopped actors so far. */
  readonly deadLetters: { readonly count: number };
  /**
   * Spawns a top-level actor at path `"/" + name`.
   *
   * @param name Unique among live top-level actors; no `/`, not starting with `$`.
   * @param props How to create it.
   * @returns Its ref.
   */
  spawn<M>(name: string, props: Props<M>): ActorRef<M>;
  /**
   * Stops any actor of the system, its children first.
   *
   * @param ref The actor.
   * @param options See {@linkcode StopOptions}.
   * @returns Resolves after the `stopped` hooks ran.
   */
  stop(ref: ActorRef<unknown>, options?: StopOptions): Promise<void>;
  /**
   * Stops every actor, this one included: await it only from `receive` or
   * `childTerminated`, never from a lifecycle hook (see
   * {@linkcode ActorContext.stop}).
   *
   * @param options See {@linkcode StopOptions}.
   * @returns Resolves when everything stopped.
   */
  shutdown(options?: StopOptions): Promise<void>;
  /**
   * Listens to supervision decisions and dead letters.
   *
   * @param listener Called with each event.
   * @returns A function that unsubscribes.
   */
  subscribe(listener: (event: SystemEvent) => void): () => void;
  /**
   * Counters of an actor, including a stopped one.
   *
   * @param ref The actor.
   * @returns A snapshot, or `undefined` if `ref` is not an actor of this system.
   */
  stats(ref: ActorRef<unknown>): ActorStats | undefined;
  /**
   * Finds a live actor by path.
   *
   * @param path E.g. `"/client/conn-5566"`.
   * @returns Its ref, or `undefined`.
   */
  lookup<M>(path: string): ActorRef<M> | undefined;
  /**
   * Paths of the actors not yet stopped, in spawn order.
   *
   * @returns The paths.
   */
  alive(): string[];
}

/**
 * An actor's view of the runtime while it runs, passed to every hook.
 */
export interface ActorContext<M> {
  /** This actor's ref. */
  readonly self: ActorRef<M>;
  /** The parent's ref, `undefined` for a top-level actor. */
  readonly parent: ActorRef<unknown> | undefined;
  /** The system this actor belongs to. */
  readonly system: SystemView;
  /**
   * Aborted when this incarnation ends (stop requested or restart): pass it to
   * the I/O a handler awaits so a stop is not held up by it.
   */
  readonly signal: AbortSignal;
  /**
   * Spawns a child supervised by this actor. Its path is this path + `/` + name.
   *
   * @param name Unique among live children; no `/`, not starting with `$`.
   * @param props How to create the child.
   * @returns The child's ref.
   * @throws {TypeError} The name is invalid or used by a live child.
   * @throws {ActorStoppedError} This actor is stopping.
   */
  spawn<C>(name: string, props: Props<C>): ActorRef<C>;
  /**
   * Stops a child, or this actor when `child` is omitted (children first).
   * Pending messages become dead letters. Awaiting your own stop from
   * `receive` or `childTerminated` is fine (a stop does not wait for an
   * in-flight handler); from `started`, `restarting` or `stopped` it would
   * never resolve, since a stop waits for a running lifecycle hook.
   *
   * @param child A child of this actor, or this actor's own ref; omit for self.
   * @param options See {@linkcode StopOptions}.
   * @returns Resolves after the `stopped` hooks ran.
   * @throws {TypeError} `child` is neither this actor nor one of its children.
   */
  stop(child?: ActorRef<unknown>, options?: StopOptions): Promise<void>;
  /**
   * Live children (not stopping).
   *
   * @returns Their refs, in spawn order.
   */
  children(): ActorRef<unknown>[];
  /**
   * Finds a live child by name.
   *
   * @param name The child's name (last path segment).
   * @returns Its ref, or `undefined`.
   */
  child<C>(name: string): ActorRef<C> | undefined;
  /** Logger prefixed with this actor's path, at the system's level. */
  readonly log: Logger;
}

/**
 * How to create an actor.
 *
 * @example A frame consumer that keeps only the newest frames
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Props } from "./actor.ts";
 * import { allForOne } from "./strategy_all_for_one.ts";
 * const props: Props<{ type: "FrameReceived"; index: number }> = {
 *   create: () => ({ receive() {} }),
 *   mailbox: { capacity: 4, overflow: "drop-oldest" },
 *   supervisor: allForOne({ maxRestarts: 3, withinMs: 1000 }),
 * };
 * assert.ok(props.mailbox?.capacity === 4);
 * ```
 */
export interface Props<M> {
  /** Makes the behaviour; called again on each restart (same ref and mailbox). */
  create: () => Actor<M>;
  /**
   * The actor's mailbox.
   *
   * @default {{ capacity: 1000, overflow: "backpressure" }}
   */
  mailbox?: MailboxOptions;
  /**
   * How this actor supervises its children.
   *
   * @default {oneForOne({ maxRestarts: 10, withinMs: 10_000 })}
   */
  supervisor?: SupervisorStrategy;
}
