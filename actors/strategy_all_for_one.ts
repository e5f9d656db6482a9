/**
 * All-for-one supervision: a restart or stop applies to every child of the
 * supervisor, for children that only make sense together.
 *
 * @module
 */

import type { ActorRef } from "./actor_ref.ts";
import {
  type Decider,
  type RestartStatistics,
  type Supervisor,
  type SupervisorStrategy,
  type SupervisorStrategyOptions,
} from "./supervision.ts";
import { budgetText, decide, resolveStrategyOptions } from "./_strategy.ts";

class AllForOneStrategy implements SupervisorStrategy {
  readonly kind = "all-for-one" as const;
  readonly maxRestarts: number;
  readonly withinMs: number;
  readonly decider: Decider;

  constructor(options: Required<SupervisorStrategyOptions>) {
    this.maxRestarts = options.maxRestarts;
    this.withinMs = options.withinMs;
    this.decider = options.decider;
  }

  handleFailure(
    supervisor: Supervisor,
    child: ActorRef<unknown>,
    statistics: RestartStatistics,
    reason: unknown,
  ): void {
    const { directive, overBudget } = decide(this, child, statistics, reason);
    switch (directive) {
      case "resume":
        // Siblings did not fail; there is nothing to resume them from.
        return supervisor.resumeChildren([child], reason);
      case "restart":
        return supervisor.restartChildren(supervisor.children(), reason);
      case "stop":
        return supervisor.stopChildren(supervisor.children(), reason);
      case "escalate":
        return supervisor.escalateFailure(
          child,
          reason,
          overBudget ? budgetText(this) : "the decider chose escalate",
        );
    }
  }
}

/**
 * A strategy that restarts (or stops) all children when one fails. "Resume"
 * applies to the failed child only. The budget counts the failed child's
 * failures: more than `maxRestarts` within `withinMs` escalate.
 *
 * @param options See {@linkcode SupervisorStrategyOptions}.
 * @returns The strategy, for {@linkcode Props.supervisor}.
 * @throws {RangeError} `maxRestarts` or `withinMs` is out of range.
 * @throws {TypeError} `decider` is not a function.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allForOne } from "./strategy_all_for_one.ts";
 * const strategy = allForOne({ maxRestarts: 5, withinMs: 60_000 });
 * assert.ok(strategy.kind === "all-for-one");
 * ```
 */
export function allForOne(
  options: SupervisorStrategyOptions = {},
): SupervisorStrategy {
  return new AllForOneStrategy(resolveStrategyOptions("allForOne", options));
}
