/**
 * The address of an actor: the only way to send it messages. A ref is a
 * value: it logs as its path, compares by path and serialises (JSON, CBOR) as
 * `{ path }`.
 *
 * @module
 */

/** Options for {@linkcode ActorRef.ask}. */
export interface AskOptions {
  /**
   * Milliseconds to wait for the reply before rejecting with
   * {@linkcode AskTimeoutError}; `Infinity` waits forever.
   *
   * @default {5000}
   */
  timeoutMs?: number;
  /** Rejects the ask with `signal.reason` when aborted; a late reply becomes a dead letter. */
  signal?: AbortSignal;
}

/** Options for {@linkcode ActorRef.tell}. */
export interface TellOptions {
  /**
   * Gives up waiting for room in a full `"backpressure"` mailbox: the message
   * is then not delivered and `tell()` rejects with `signal.reason`. It has no
   * effect once the message is queued.
   */
  signal?: AbortSignal;
}

/**
 * What a ref delivers to: an actor's cell, or a pending ask. Implemented by
 * the runtime, and not exported from `mod.ts`.
 */
export interface MessageTarget<M> {
  /** Queues `message` (see {@linkcode ActorRef.tell}). */
  tell(message: M, signal: AbortSignal | undefined): Promise<void>;
  /** Runs an ask through `ref` (see {@linkcode ActorRef.ask}). */
  ask<R>(
    ref: ActorRef<M>,
    make: (replyTo: ActorRef<R>) => M,
    options: AskOptions,
  ): Promise<R>;
}

/** Set by ActorRef's static block: the only code that may build a ref. */
let makeRef: <M>(path: string, target: MessageTarget<M>) => ActorRef<M>;

/**
 * Address of an actor accepting messages of type `M`.
 *
 * Refs are made by the runtime ({@linkcode ActorSystem.spawn},
 * `context.spawn`, asks); hold and pass them around freely, including inside
 * messages.
 *
 * @example Tell and ask
 * ```ts
 * import assert from "node:assert/strict";
 * import { ActorSystem } from "./actor_system.ts";
 * import type { ActorRef } from "./actor_ref.ts";
 *
 * type CounterMessage =
 *   | { type: "Increment" }
 *   | { type: "Get"; replyTo: ActorRef<number> };
 *
 * await using system = new ActorSystem();
 * let count = 0;
 * const counter = system.spawn<CounterMessage>("counter", {
 *   create: () => ({
 *     receive(message) {
 *       switch (message.type) {
 *         case "Increment":
 *           count++;
 *           break;
 *         case "Get":
 *           message.replyTo.tell(count);
 *           break;
 *       }
 *     },
 *   }),
 * });
 * await counter.tell({ type: "Increment" });
 * const value = await counter.ask<number>((replyTo) => ({ type: "Get", replyTo }));
 * assert.ok(value === 1 && counter.path === "/counter");
 * ```
 */
export class ActorRef<M> {
  /** Where the actor lives, e.g. `"/client/conn-5566"`. */
  readonly path: string;
  #target: MessageTarget<M>;

  private constructor(path: string, target: MessageTarget<M>) {
    this.path = path;
    this.#target = target;
  }

  static {
    // The one way to make a ref, for the runtime: see newActorRef.
    makeRef = (path, target) => new ActorRef(path, target);
  }

  /**
   * Sends a message. The object itself is delivered (never copied): do not
   * mutate it afterwards.
   *
   * Resolves as soon as the message is queued: at once when there is room or
   * the mailbox drops on overflow; under `"backpressure"` with a full mailbox,
   * when the actor has consumed enough to make room (FIFO among waiters). A
   * message to a stopped actor becomes a dead letter and the promise still
   * resolves: tell never rejects except through `options.signal`. (So do not
   * await a tell to your own full backpressure mailbox from your handler: the
   * room it waits for only appears once that handler returns.)
   *
   * @param message The message.
   * @param options See {@linkcode TellOptions}.
   * @returns A promise settled when the message is queued (or dead-lettered).
   * @throws {unknown} Rejects with `options.signal.reason` if aborted before the message was queued.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "./actor_system.ts";
   * import assert from "node:assert/strict";
   * await using system = new ActorSystem();
   * const received = Promise.withResolvers<string>();
   * const printer = system.spawn<string>("printer", {
   *   create: () => ({ receive: (text) => received.resolve(text) }),
   * });
   * await printer.tell("hello"); // queued, not yet handled
   * assert.equal(await received.promise, "hello");
   * ```
   */
  tell(message: M, options?: TellOptions): Promise<void> {
    return this.#target.tell(message, options?.signal);
  }

  /**
   * Request-reply: `make` builds the message around a temporary `replyTo`
   * ref; the first message told to `replyTo` fulfils the promise. No timer is
   * left behind once it settles.
   *
   * @param make Builds the message from the temporary reply ref.
   * @param options See {@linkcode AskOptions}.
   * @returns The reply.
   * @throws {AskTimeoutError} No reply within `options.timeoutMs`.
   * @throws {ActorStoppedError} The actor was (or got) stopped before handling the message, or the system shut down.
   * @throws {RangeError} `options.timeoutMs` is negative or not a number.
   * @throws {unknown} `options.signal.reason` when aborted; whatever `make` throws.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * import type { ActorRef } from "./actor_ref.ts";
   * type Ping = { type: "Ping"; replyTo: ActorRef<"pong"> };
   * await using system = new ActorSystem();
   * const ponger = system.spawn<Ping>("ponger", {
   *   create: () => ({ receive: (ping) => void ping.replyTo.tell("pong") }),
   * });
   * const reply = await ponger.ask<"pong">((replyTo) => ({ type: "Ping", replyTo }), {
   *   timeoutMs: 1000,
   * });
   * assert.ok(reply === "pong");
   * ```
   */
  ask<R>(
    make: (replyTo: ActorRef<R>) => M,
    options: AskOptions = {},
  ): Promise<R> {
    return this.#target.ask(this, make, options);
  }

  /**
   * Compares addresses.
   *
   * @param other Another ref.
   * @returns `true` when both refs have the same path.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * await using system = new ActorSystem();
   * const worker = system.spawn("worker", { create: () => ({ receive() {} }) });
   * assert.ok(worker.equals(system.lookup("/worker")!));
   * ```
   */
  equals(other: ActorRef<unknown> | undefined): boolean {
    return other !== undefined && other !== null && other.path === this.path;
  }

  /**
   * Human-readable form for logs.
   *
   * @returns `ActorRef(<path>)`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * await using system = new ActorSystem();
   * const worker = system.spawn("worker", { create: () => ({ receive() {} }) });
   * assert.ok(`${worker}` === "ActorRef(/worker)");
   * ```
   */
  toString(): string {
    return `ActorRef(${this.path})`;
  }

  /**
   * Serialisable form, used by `JSON.stringify` (and cbor-x with `useToJSON`;
   * without it cbor-x writes the same `{ path }` from the public fields).
   *
   * @returns `{ path }`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ActorSystem } from "./actor_system.ts";
   * await using system = new ActorSystem();
   * const worker = system.spawn("worker", { create: () => ({ receive() {} }) });
   * assert.ok(JSON.stringify({ to: worker }) === '{"to":{"path":"/worker"}}');
   * ```
   */
  toJSON(): { path: string } {
    return { path: this.path };
  }

  /** Shows the path in `console.log` / `Deno.inspect`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/**
 * Binds a path to a delivery target: how the runtime makes refs. Not
 * exported from `mod.ts`: refs come from `spawn` and `ask`.
 *
 * @param path The actor's path.
 * @param target Where messages go.
 * @returns The ref.
 */
export function newActorRef<M>(path: string, target: MessageTarget<M>): ActorRef<M> {
  return makeRef(path, target);
}
