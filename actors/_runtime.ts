// State shared by every actor of one system: the path registry, dead letters,
// event listeners, logging and asks.
import type { SystemView } from "./actor.ts";
import type { ActorRef } from "./actor_ref.ts";
import type { SystemEvent } from "./events.ts";
import { describeValue } from "./describe.ts";
import type { Logger } from "./logger.ts";
import { AskRegistry } from "./_ask.ts";
import type { Cell, RuntimeHost } from "./_cell_types.ts";
import { PrefixedLogger } from "./_prefixed_logger.ts";

// Past this many distinct addresses the "logged once" memory starts over, so
// churn through short-lived actors cannot grow it without bound.
const MAX_REMEMBERED_DEAD_ADDRESSES = 100_000;
const TEMP_PREFIX = "/$temp/";

export class Runtime implements RuntimeHost {
  readonly name: string;
  readonly log: Logger;
  readonly asks: AskRegistry;
  readonly registry: Map<string, Cell> = new Map();
  system!: SystemView;
  deadLetterCount = 0;
  /** The system is shutting down: dead letters are expected, not worth a warning. */
  shuttingDown = false;
  #cells = new WeakMap<ActorRef<unknown>, Cell>();
  #sink: Logger;
  #rank: number;
  #listeners = new Set<(event: SystemEvent) => void>();
  #deadAddressesLogged = new Set<string>();

  constructor(name: string, sink: Logger, rank: number) {
    this.name = name;
    this.#sink = sink;
    this.#rank = rank;
    this.log = new PrefixedLogger(sink, rank, `[${name}]`);
    this.asks = new AskRegistry((path, message) => this.deadLetter(path, message));
  }

  loggerFor(path: string): Logger {
    return new PrefixedLogger(this.#sink, this.#rank, `[${path}]`);
  }

  register(cell: Cell): void {
    this.registry.set(cell.path, cell);
    this.#cells.set(cell.ref, cell);
  }

  unregister(cell: Cell): void {
    if (this.registry.get(cell.path) === cell) this.registry.delete(cell.path);
  }

  cellOf(ref: ActorRef<unknown> | undefined): Cell | undefined {
    return ref === undefined || ref === null ? undefined : this.#cells.get(ref);
  }

  /**
   * Counts a message that cannot be delivered. `atStop` marks one still
   * queued when its actor stopped: expected during shutdown, so it is only
   * logged at debug level.
   */
  deadLetter(path: string, message: unknown, atStop = false): void {
    this.deadLetterCount++;
    this.asks.deadLettered(message, path);
    const logged = this.#deadAddressesLogged;
    // Late replies to ended asks each have their own temporary address.
    const key = path.startsWith(TEMP_PREFIX) ? TEMP_PREFIX : path;
    // While the system shuts down, actors stop at their own pace: one may
    // still tell a sibling that has already stopped. Expected too.
    if (atStop || this.shuttingDown) {
      this.log.debug(
        `message to ${path} dropped: the actor stopped before handling it`,
        logTag(message),
      );
    } else if (key === TEMP_PREFIX) {
      // The asker gave up (timeout or abort) before the answer came: counted,
      // but expected, so not worth a warning.
      this.log.debug(`late reply to ${path}: the ask had already ended`, logTag(message));
    } else if (!logged.has(key)) {
      if (logged.size >= MAX_REMEMBERED_DEAD_ADDRESSES) logged.clear();
      logged.add(key);
      this.log.warn(
        `dead letter to ${path}: the actor is stopped (further dead letters to it are counted, not logged)`,
        logTag(message),
      );
    }
    if (this.#listeners.size > 0) {
      this.publish({ type: "DeadLetter", path, message });
    }
  }

  subscribe(listener: (event: SystemEvent) => void): () => void {
    if (typeof listener !== "function") {
      throw new TypeError(
        `Cannot subscribe: listener is ${typeof listener}; expected a function`,
      );
    }
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry = (event: SystemEvent): void => listener(event);
    this.#listeners.add(entry);
    return () => void this.#listeners.delete(entry);
  }

  publish(event: SystemEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error(`an event listener threw on ${event.type}`, error);
      }
    }
  }
}

// What a log line shows of a message. Messages can hold whole frames: log the
// tag of a tagged message ({ type: "..." }, the runtime's convention), not its
// contents; anything else only as a short description.
function logTag(message: unknown): unknown {
  if (typeof message === "object" && message !== null) {
    const type = (message as { type?: unknown }).type;
    if (typeof type === "string") return { type };
  }
  return describeValue(message);
}
