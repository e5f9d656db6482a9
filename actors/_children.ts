// The children of one supervisor (an actor, or the system guardian) and the
// Supervisor side of supervision: applying directives, publishing and logging
// each decision.
import type { Props } from "./actor.ts";
import type { ActorRef } from "./actor_ref.ts";
import type { SupervisionEventType, Supervisor, SupervisorStrategy } from "./supervision.ts";
import type { Cell, CellChildren, CellFactory, ParentNode, RuntimeHost } from "./_cell_types.ts";
import { RESOLVED } from "./_resolved.ts";

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

export class Children implements Supervisor, CellChildren {
  #runtime: RuntimeHost;
  #owner: ParentNode;
  #strategy: SupervisorStrategy;
  #create: CellFactory;
  #escalate: (child: Cell, reason: unknown) => void;
  #byName = new Map<string, Cell>();

  constructor(
    runtime: RuntimeHost,
    owner: ParentNode,
    strategy: SupervisorStrategy,
    create: CellFactory,
    escalate: (child: Cell, reason: unknown) => void,
  ) {
    this.#runtime = runtime;
    this.#owner = owner;
    this.#strategy = strategy;
    this.#create = create;
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
    const cell = this.#create(this.#runtime, this.#owner, name, props, incarnation);
    this.#byName.set(name, cell as Cell);
    this.#runtime.register(cell as Cell);
    return cell.ref;
  }

  /** A live (not stopping) child by name. */
  byName(name: string): Cell | undefined {
    const cell = this.#byName.get(name);
    return cell === undefined || cell.isStopping ? undefined : cell;
  }

  remove(cell: Cell): void {
    if (this.#byName.get(cell.name) === cell) this.#byName.delete(cell.name);
  }

  live(): Cell[] {
    const cells: Cell[] = [];
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

  handleFailure(child: Cell, reason: unknown): void {
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

  #cells(refs: readonly ActorRef<unknown>[]): Cell[] {
    const cells: Cell[] = [];
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
    cell: Cell,
    reason: unknown,
    what: string,
  ): void {
    this.#runtime.publish({ type, path: cell.path, reason });
    cell.log.warn(what, reason);
  }
}
