// Shared test helpers: a logger that records lines, event waiting, gates.
import type { Logger } from "../../actors/logger.ts";
import type { ActorSystem } from "../../actors/actor_system.ts";
import type { SystemEvent } from "../../actors/events.ts";

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  data: unknown;
}

/** A Logger that keeps every line it is given. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine["level"]) => (message: string, data?: unknown) =>
    void lines.push({ level, message, data });
  return {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}

/** Records every system event and resolves waits on them. */
export function recordEvents(system: ActorSystem): {
  events: SystemEvent[];
  next(predicate: (event: SystemEvent) => boolean): Promise<SystemEvent>;
} {
  const events: SystemEvent[] = [];
  const waiters: {
    predicate: (event: SystemEvent) => boolean;
    resolve: (event: SystemEvent) => void;
  }[] = [];
  system.subscribe((event) => {
    events.push(event);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].predicate(event)) {
        waiters[i].resolve(event);
        waiters.splice(i, 1);
      }
    }
  });
  return {
    events,
    next(predicate) {
      const { promise, resolve } = Promise.withResolvers<SystemEvent>();
      waiters.push({ predicate, resolve });
      return promise;
    },
  };
}

/** Lets one microtask-and-promise round pass (for settling already-queued reactions). */
export async function flushMicrotasks(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/**
 * Holds a consumer inside `receive` until the test opens the gate for that
 * message, and tells the test when each message started.
 */
export class Gates {
  #open = new Map<number, PromiseWithResolvers<void>>();
  #started = new Map<number, PromiseWithResolvers<void>>();

  #get(map: Map<number, PromiseWithResolvers<void>>, key: number) {
    let entry = map.get(key);
    if (entry === undefined) {
      entry = Promise.withResolvers<void>();
      map.set(key, entry);
    }
    return entry;
  }

  /** Called by the actor: marks `key` as started and returns its gate. */
  enter(key: number): Promise<void> {
    this.#get(this.#started, key).resolve();
    return this.#get(this.#open, key).promise;
  }

  /** Resolves once the actor has started handling `key`. */
  started(key: number): Promise<void> {
    return this.#get(this.#started, key).promise;
  }

  /** Lets the actor finish `key`. */
  open(key: number): void {
    this.#get(this.#open, key).resolve();
  }
}

/** An append-only list of lines whose arrival can be awaited. */
export class Journal {
  readonly lines: string[] = [];
  #waiters = new Map<string, (() => void)[]>();

  push(line: string): void {
    this.lines.push(line);
    const waiters = this.#waiters.get(line);
    if (waiters === undefined) return;
    this.#waiters.delete(line);
    for (const resolve of waiters) resolve();
  }

  /** Resolves once `line` has been pushed (at once if it already was). */
  when(line: string): Promise<void> {
    if (this.lines.includes(line)) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    const waiters = this.#waiters.get(line) ?? [];
    waiters.push(resolve);
    this.#waiters.set(line, waiters);
    return promise;
  }
}

/**
 * Deno.test with the ops and resources sanitizers on. Deno 2.9.6 leaves them
 * off unless asked (per test, or with --sanitize-ops --sanitize-resources),
 * and these tests rely on them to catch leaked timers.
 */
export function test(name: string, fn: () => void | Promise<void>): void {
  Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true });
}
