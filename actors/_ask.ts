// Request-reply over tell: a temporary ref whose target settles a promise, a
// shared deadline queue for timeouts, and a registry so asks whose message is
// dead-lettered (or that outlive the system) reject at once instead of
// waiting for the timeout.
import { type ActorRef, type AskOptions, type MessageTarget, newActorRef } from "./actor_ref.ts";
import { ActorStoppedError, AskTimeoutError } from "./errors.ts";
import { DeadlineQueue, type Expiring } from "./_deadline_queue.ts";
import { RESOLVED } from "./_resolved.ts";

export const DEFAULT_ASK_TIMEOUT_MS = 5000;
// setTimeout fires at once for delays past 2^31-1 ms; longer waits get no deadline.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The type-erased face of a pending ask, for bookkeeping. */
interface Outstanding {
  readonly targetPath: string;
  readonly timeoutMs: number;
  message: unknown;
  fail(reason: unknown): void;
}

export class AskRegistry {
  #pending = new Set<Outstanding>();
  // Keyed by the message object that carries replyTo, to find the ask when
  // that message turns into a dead letter.
  #byMessage = new Map<unknown, Outstanding>();
  #nextId = 0;
  readonly deadlines: DeadlineQueue = new DeadlineQueue();
  readonly deadLetter: (path: string, message: unknown) => void;

  constructor(deadLetter: (path: string, message: unknown) => void) {
    this.deadLetter = deadLetter;
  }

  nextPath(): string {
    return `/$temp/${++this.#nextId}`;
  }

  add(ask: Outstanding, message: unknown): void {
    this.#pending.add(ask);
    if (
      typeof message === "object" && message !== null &&
      !this.#byMessage.has(message)
    ) {
      this.#byMessage.set(message, ask);
      ask.message = message;
    }
  }

  remove(ask: Outstanding): void {
    this.#pending.delete(ask);
    if (ask.message !== undefined) this.#byMessage.delete(ask.message);
  }

  /** The message sent to `path` was dead-lettered: its ask can never be answered. */
  deadLettered(message: unknown, path: string): void {
    if (this.#byMessage.size === 0) return;
    this.#byMessage.get(message)?.fail(
      new ActorStoppedError(path, "it stopped before handling the ask"),
    );
  }

  /** Rejects every pending ask (the system shut down) and drops the timer. */
  rejectAll(): void {
    for (const ask of [...this.#pending]) {
      ask.fail(
        new ActorStoppedError(
          ask.targetPath,
          "the actor system shut down before a reply arrived",
        ),
      );
    }
    this.deadlines.clear();
  }
}

/** Target of a temporary reply ref: the first reply fulfils the ask. */
export class PendingAsk<R> implements MessageTarget<R>, Outstanding, Expiring {
  readonly path: string;
  readonly targetPath: string;
  readonly timeoutMs: number;
  readonly promise: Promise<R>;
  readonly deadline: number;
  message: unknown = undefined;
  settled = false;
  #registry: AskRegistry;
  #signal: AbortSignal | undefined;
  #resolve: (value: R) => void;
  #reject: (reason: unknown) => void;

  constructor(
    registry: AskRegistry,
    targetPath: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ) {
    this.#registry = registry;
    this.path = registry.nextPath();
    this.targetPath = targetPath;
    this.timeoutMs = timeoutMs;
    const { promise, resolve, reject } = Promise.withResolvers<R>();
    this.promise = promise;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    signal?.addEventListener("abort", this, { once: true });
    if (timeoutMs <= MAX_TIMER_MS) {
      this.deadline = performance.now() + timeoutMs;
      registry.deadlines.add(this);
    } else {
      this.deadline = Infinity;
    }
  }

  tell(reply: R): Promise<void> {
    if (this.settled) {
      this.#registry.deadLetter(this.path, reply);
      return RESOLVED;
    }
    // Settle first so the caller's continuation is queued before the
    // deadline queue's idle check (see DeadlineQueue.settled).
    this.#resolve(reply);
    this.#finish();
    return RESOLVED;
  }

  ask<Q>(
    ref: ActorRef<R>,
    make: (replyTo: ActorRef<Q>) => R,
    options: AskOptions,
  ): Promise<Q> {
    return runAsk(this.#registry, ref, this, make, options);
  }

  fail(reason: unknown): void {
    if (this.settled) return;
    this.#reject(reason);
    this.#finish();
  }

  expire(): void {
    this.fail(new AskTimeoutError(this.targetPath, this.timeoutMs));
  }

  handleEvent(): void {
    this.fail(this.#signal!.reason);
  }

  #finish(): void {
    this.settled = true;
    if (this.deadline !== Infinity) this.#registry.deadlines.settled();
    this.#signal?.removeEventListener("abort", this);
    this.#registry.remove(this);
  }
}

/** Runs one ask of `ref` (delivering to `target`). */
export function runAsk<M, R>(
  registry: AskRegistry,
  ref: ActorRef<M>,
  target: MessageTarget<M>,
  make: (replyTo: ActorRef<R>) => M,
  options: AskOptions,
): Promise<R> {
  const { timeoutMs = DEFAULT_ASK_TIMEOUT_MS, signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) {
    return Promise.reject(
      new RangeError(
        `Cannot ask ${ref.path}: timeoutMs is ${
          String(timeoutMs)
        }; expected a number >= 0 or Infinity`,
      ),
    );
  }
  const ask = new PendingAsk<R>(registry, ref.path, timeoutMs, signal);
  let message: M;
  try {
    message = make(newActorRef<R>(ask.path, ask));
  } catch (error) {
    ask.fail(error);
    return ask.promise;
  }
  registry.add(ask, message);
  // Never rejects without a signal; under backpressure the ask's own timeout
  // covers the wait for room.
  void target.tell(message, undefined);
  return ask.promise;
}
