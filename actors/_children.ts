// The children of one supervisor (an actor, or the system guardian) and the
// Supervisor side of supervision: applying directives, publishing and logging
// each decision.
import type { Props } from "./actor.ts";
import type { ActorRef } from "./actor_ref.ts";
import type { SupervisionEventType, Supervisor, SupervisorStrategy } from "./supervision.ts";
import { ActorCell } from "./_actor_cell.ts";
import { RESOLVED } from "./_resolved.ts";
import type { Runtime } from "./_runtime.ts";

/** What a cell needs from whatever spawned it. */
export interface ParentNode {
  /** `""` for the guardian, so children's paths are `parent.path + "/" + name`. */
  readonly path: string;
  readonly ref: ActorRef<unknown> | undefined;
  childFailed(child: ActorCell<unknown>, reason: unknown): void;
  childStopped(child: ActorCell<unknown>, reason: unknown): void;
}

export function validateName(parentPath: string, name: unknown): void {
  if (
    typeof name !== "string" || name.length === 0 || name.includes("/") ||
    name.startsWith("$")
  ) {
    throw new TypeError(
      `Cannot spawn ${JSON.stringify(name)} under ${
        parentPath || "/"
      }: a name must be a non-empty string without "/" that does not start with "$"`,
    );
  }
}

function ignore(): void {}

export class Children implements Supervisor {
  #runtime: Runtime;
  #owner: ParentNode;
  #strategy: SupervisorStrategy;
  #escalate: (child: ActorCell<unknown>, reason: unknown) => void;
  #byName = new Map<string, ActorCell<unknown>>();

  constructor(
    runtime: Runtime,
    owner: ParentNode,
    strategy: SupervisorStrategy,
    escalate: (child: ActorCell<unknown>, reason: unknown) => void,
  ) {
    this.#runtime = runtime;
    this.#owner = owner;
    this.#strategy = strategy;
    this.#escalate = escalate;
  }

  get size(): number {
    return this.#byName.size;
  }

  spawn<C>(name: string, props: Props<C>, incarnation: number): ActorRef<C> {
    validateName(this.#owner.path, name);
    if (this.#byName.has(name)) {
      throw new TypeError(
        `Cannot spawn ${this.#owner.path}/${name}: a live actor already has that path ` +
          `(pick another name, or await its stop() first)`,
      );
    }
    const cell = new ActorCell<C>(
      this.#runtime,
      this.#owner,
      name,
      props,
      incarnation,
    );
    this.#byName.set(name, cell as ActorCell<unknown>);
    this.#runtime.register(cell as ActorCell<unknown>);
    return cell.ref;
  }

  /** A live (not stopping) child by name. */
  byName(name: string): ActorCell<unknown> | undefined {
    const cell = this.#byName.get(name);
    return cell === undefined || cell.isStopping ? undefined : cell;
  }

  remove(cell: ActorCell<unknown>): void {
    if (this.#byName.get(cell.name) === cell) this.#byName.delete(cell.name);
  }

  live(): ActorCell<unknown>[] {
    const cells: ActorCell<unknown>[] = [];
    for (const cell of this.#byName.values()) {
      if (!cell.isStopping) cells.push(cell);
    }
    return cells;
  }

  /** Stops every child in parallel; each stops its own children first. */
  stopAll(): Promise<void> {
    if (this.#byName.size === 0) return RESOLVED;
    return Promise.all(
      Array.from(this.#byName.values(), (cell) => cell.requestStop()),
    ).then(ignore);
  }

  handleFailure(child: ActorCell<unknown>, reason: unknown): void {
    if (child.isStopping || this.#byName.get(child.name) !== child) return;
    try {
      this.#strategy.handleFailure(this, child.ref, child.history, reason);
    } catch (error) {
      child.log.error("the supervisor strategy threw; escalating", error);
      this.escalateFailure(child.ref, reason, "the supervisor strategy threw");
    }
  }

  // --- Supervisor ------------------------------------------------------------

  children(): ActorRef<unknown>[] {
    return this.live().map((cell) => cell.ref);
  }

  resumeChildren(children: readonly ActorRef<unknown>[], reason: unknown): void {
    for (const cell of this.#cells(children)) {
      this.#decided("ActorResumed", cell, reason, "resuming after failure");
      cell.sendSystem({ type: "resume", reason });
    }
  }

  restartChildren(
    children: readonly ActorRef<unknown>[],
    reason: unknown,
  ): void {
    for (const cell of this.#cells(children)) {
      this.#decided("ActorRestarted", cell, reason, "restarting after failure");
      cell.requestRestart(reason);
    }
  }

  stopChildren(children: readonly ActorRef<unknown>[], reason: unknown): void {
    for (const cell of this.#cells(children)) {
      this.#decided("ActorStopped", cell, reason, "stopping after failure");
      void cell.requestStop(reason);
    }
  }

  escalateFailure(
    child: ActorRef<unknown>,
    reason: unknown,
    why = "escalated",
  ): void {
    const [cell] = this.#cells([child]);
    if (cell === undefined) return;
    this.#runtime.publish({ type: "FailureEscalated", path: cell.path, reason });
    cell.log.error(
      `failure escalated to ${this.#owner.path || "the root"}: ${why}`,
      reason,
    );
    this.#escalate(cell, reason);
  }

  #cells(refs: readonly ActorRef<unknown>[]): ActorCell<unknown>[] {
    const cells: ActorCell<unknown>[] = [];
    for (const ref of refs) {
      const cell = this.#runtime.cellOf(ref);
      if (
        cell !== undefined && !cell.isStopping &&
        this.#byName.get(cell.name) === cell
      ) {
        cells.push(cell);
      }
    }
    return cells;
  }

  #decided(
    type: SupervisionEventType,
    cell: ActorCell<unknown>,
    reason: unknown,
    what: string,
  ): void {
    this.#runtime.publish({ type, path: cell.path, reason });
    cell.log.warn(what, reason);
  }
}
