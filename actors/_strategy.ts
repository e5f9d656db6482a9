// Pieces shared by the one-for-one and all-for-one strategies: option checks,
// the decider call, and the restart budget.
import type { ActorRef } from "./actor_ref.ts";
import {
  type Decider,
  DEFAULT_MAX_RESTARTS,
  DEFAULT_WITHIN_MS,
  type Directive,
  DIRECTIVES,
  type RestartStatistics,
  type SupervisorStrategy,
  type SupervisorStrategyOptions,
} from "./supervision.ts";

const restartAlways: Decider = () => "restart";

export function resolveStrategyOptions(
  factory: string,
  options: SupervisorStrategyOptions,
): Required<SupervisorStrategyOptions> {
  const {
    maxRestarts = DEFAULT_MAX_RESTARTS,
    withinMs = DEFAULT_WITHIN_MS,
    decider = restartAlways,
  } = options;
  if (
    typeof maxRestarts !== "number" ||
    !(maxRestarts === Infinity ||
      (Number.isInteger(maxRestarts) && maxRestarts >= 0))
  ) {
    throw new RangeError(
      `Cannot create ${factory}(): maxRestarts is ${
        String(maxRestarts)
      }; expected an integer >= 0 or Infinity`,
    );
  }
  if (typeof withinMs !== "number" || !(withinMs > 0)) {
    throw new RangeError(
      `Cannot create ${factory}(): withinMs is ${
        String(withinMs)
      }; expected a number > 0 or Infinity`,
    );
  }
  if (typeof decider !== "function") {
    throw new TypeError(
      `Cannot create ${factory}(): decider is ${typeof decider}; expected a function`,
    );
  }
  return { maxRestarts, withinMs, decider };
}

/** The decider's directive, turned into "escalate" once a restart would exceed the budget. */
export function decide(
  strategy: SupervisorStrategy,
  child: ActorRef<unknown>,
  statistics: RestartStatistics,
  reason: unknown,
): { directive: Directive; overBudget: boolean } {
  const directive = strategy.decider(reason, child);
  if (!DIRECTIVES.includes(directive)) {
    throw new TypeError(
      `Cannot supervise ${child.path}: the decider returned ${
        JSON.stringify(directive)
      }; valid directives are ${DIRECTIVES.map((d) => `"${d}"`).join(", ")}`,
    );
  }
  if (directive !== "restart") return { directive, overBudget: false };
  const now = performance.now();
  statistics.fail(now);
  if (statistics.failuresWithin(strategy.withinMs, now) > strategy.maxRestarts) {
    // A fresh budget for whatever the escalation leaves alive (e.g. a resumed parent).
    statistics.reset();
    return { directive: "escalate", overBudget: true };
  }
  return { directive, overBudget: false };
}

export function budgetText(strategy: SupervisorStrategy): string {
  return `past its restart budget (maxRestarts=${strategy.maxRestarts} within withinMs=${strategy.withinMs})`;
}

/** Failure timestamps of one child, oldest first. */
export class FailureHistory implements RestartStatistics {
  #times: number[] = [];

  get failureCount(): number {
    return this.#times.length;
  }

  fail(now: number): void {
    this.#times.push(now);
  }

  failuresWithin(withinMs: number, now: number): number {
    const times = this.#times;
    let expired = 0;
    while (expired < times.length && times[expired] <= now - withinMs) expired++;
    if (expired > 0) times.splice(0, expired);
    return times.length;
  }

  reset(): void {
    this.#times.length = 0;
  }
}
