/**
 * One-for-one supervision: a decision applies to the failed child only.
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

class OneForOneStrategy implements SupervisorStrategy {
  readonly kind = "one-for-one" as const;
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
        return supervisor.resumeChildren([child], reason);
      case "restart":
        return supervisor.restartChildren([child], reason);
      case "stop":
        return supervisor.stopChildren([child], reason);
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
 * A strategy that applies each decision to the failed child alone. Restarts
 * are budgeted: more than `maxRestarts` failures within `withinMs` escalate.
 *
 * @param options See {@linkcode SupervisorStrategyOptions}.
 * @returns The strategy, for {@linkcode Props.supervisor}.
 * @throws {RangeError} `maxRestarts` or `withinMs` is out of range.
 * @throws {TypeError} `decider` is not a function.
 *
 * @example Restart on errors, stop on bad input
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneForOne } from "./strategy_one_for_one.ts";
 * const strategy = oneForOne({
 *   maxRestarts: 3,
 *   withinMs: 1_000,
 *   decider: (reason) => reason instanceof TypeError ? "stop" : "restart",
 * });
 * assert.ok(strategy.kind === "one-for-one");
 * ```
 */
export function oneForOne(
  options: SupervisorStrategyOptions = {},
): SupervisorStrategy {
  return new OneForOneStrategy(resolveStrategyOptions("oneForOne", options));
}
