/**
 * Supervision: when an actor's `receive` or `started` throws, its parent's
 * strategy picks a {@linkcode Directive}. Strategies are declarative objects
 * ({@linkcode oneForOne}, {@linkcode allForOne}); actors never contain restart
 * code. Every decision is published as a {@linkcode SupervisionEvent}.
 *
 * @module
 */

import type { ActorRef } from "./actor_ref.ts";

/**
 * What to do with a failed child.
 *
 * - `"resume"`: keep the instance and its state; drop the failing message.
 * - `"restart"`: fresh instance (same ref and mailbox); drop the failing message.
 * - `"stop"`: stop it; the parent's `childTerminated` gets the reason.
 * - `"escalate"`: the parent fails with the same reason, and its own supervisor decides.
 */
export type Directive = "resume" | "restart" | "stop" | "escalate";

/** Every valid {@linkcode Directive}. */
export const DIRECTIVES: readonly Directive[] = Object.freeze([
  "resume",
  "restart",
  "stop",
  "escalate",
]);

/**
 * Picks a directive for a failure.
 *
 * @param reason What the child threw (or rejected with).
 * @param child The failed child.
 * @returns The directive.
 */
export type Decider = (reason: unknown, child: ActorRef<unknown>) => Directive;

/** Restart budget used when {@linkcode SupervisorStrategyOptions.maxRestarts} is not given. */
export const DEFAULT_MAX_RESTARTS = 10;
/** Budget window used when {@linkcode SupervisorStrategyOptions.withinMs} is not given. */
export const DEFAULT_WITHIN_MS = 10_000;

/** Options shared by {@linkcode oneForOne} and {@linkcode allForOne}. */
export interface SupervisorStrategyOptions {
  /**
   * Restarts allowed within `withinMs`; one more failure in that window
   * escalates instead (an integer >= 0, or `Infinity`).
   *
   * @default {10}
   */
  maxRestarts?: number;
  /**
   * Length of the sliding window the budget counts over, in milliseconds (> 0, or `Infinity`).
   *
   * @default {10_000}
   */
  withinMs?: number;
  /**
   * Picks the directive for each failure. A throw, or a value that is not a
   * {@linkcode Directive}, is logged and treated as `"escalate"`.
   *
   * @default {() => "restart"}
   */
  decider?: Decider;
}

/** Failure history of one child, kept by the runtime for its supervisor. */
export interface RestartStatistics {
  /** Failures recorded since the last reset. */
  readonly failureCount: number;
  /**
   * Records a failure.
   *
   * @param now `performance.now()` at the failure.
   */
  fail(now: number): void;
  /**
   * Counts recent failures.
   *
   * @param withinMs Window length in milliseconds.
   * @param now `performance.now()`.
   * @returns Failures in `(now - withinMs, now]`.
   */
  failuresWithin(withinMs: number, now: number): number;
  /** Forgets every failure. */
  reset(): void;
}

/**
 * The supervising side a strategy acts on: a parent actor, or the system
 * guardian for top-level actors. Each method publishes and logs its decision.
 */
export interface Supervisor {
  /**
   * Its live children.
   *
   * @returns Their refs.
   */
  children(): ActorRef<unknown>[];
  /**
   * Resumes children, keeping their state.
   *
   * @param children Children to resume.
   * @param reason The failure.
   */
  resumeChildren(children: readonly ActorRef<unknown>[], reason: unknown): void;
  /**
   * Restarts children with fresh instances.
   *
   * @param children Children to restart.
   * @param reason The failure.
   */
  restartChildren(
    children: readonly ActorRef<unknown>[],
    reason: unknown,
  ): void;
  /**
   * Stops children.
   *
   * @param children Children to stop.
   * @param reason The failure, reported to `childTerminated`.
   */
  stopChildren(children: readonly ActorRef<unknown>[], reason: unknown): void;
  /**
   * Fails the supervisor itself with `reason` (at the root: stops `child`).
   *
   * @param child The child whose failure is escalated.
   * @param reason The failure.
   * @param why Human-readable cause for the log line.
   */
  escalateFailure(child: ActorRef<unknown>, reason: unknown, why?: string): void;
}

/**
 * How an actor supervises its children. Build one with {@linkcode oneForOne}
 * or {@linkcode allForOne}; implement it to write another.
 */
export interface SupervisorStrategy {
  /** Whether a decision applies to the failed child only, or to all its siblings. */
  readonly kind: "one-for-one" | "all-for-one";
  /** Restarts allowed within {@linkcode SupervisorStrategy.withinMs}. */
  readonly maxRestarts: number;
  /** Budget window in milliseconds. */
  readonly withinMs: number;
  /** Picks the directive. */
  readonly decider: Decider;
  /**
   * Decides and applies a directive for a failed child.
   *
   * @param supervisor The parent (or guardian) to act through.
   * @param child The failed child.
   * @param statistics The child's failure history.
   * @param reason What the child threw.
   */
  handleFailure(
    supervisor: Supervisor,
    child: ActorRef<unknown>,
    statistics: RestartStatistics,
    reason: unknown,
  ): void;
}

/** Kinds of {@linkcode SupervisionEvent}. */
export type SupervisionEventType =
  | "ActorRestarted"
  | "ActorStopped"
  | "ActorResumed"
  | "FailureEscalated";

/**
 * A supervision decision, published to {@linkcode ActorSystem.subscribe}
 * listeners. `path` is the actor the directive applies to (for
 * `"FailureEscalated"`, the child whose failure was escalated).
 */
export interface SupervisionEvent {
  /** The decision. */
  readonly type: SupervisionEventType;
  /** The actor it applies to. */
  readonly path: string;
  /** The failure. */
  readonly reason: unknown;
}
