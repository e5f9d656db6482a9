// The parent of the top-level actors, held by the ActorSystem. Past its
// strategy's budget, escalation stops the failing top-level actor.
import type { SupervisorStrategy } from "./supervision.ts";
import { createCell } from "./_actor_cell.ts";
import type { Cell, ParentNode, RuntimeHost } from "./_cell_types.ts";
import { Children } from "./_children.ts";

export class Guardian implements ParentNode {
  readonly path = "";
  readonly ref: undefined = undefined;
  readonly children: Children;
  closed = false;

  constructor(runtime: RuntimeHost, strategy: SupervisorStrategy) {
    this.children = new Children(runtime, this, strategy, createCell, (child, reason) => {
      runtime.publish({ type: "ActorStopped", path: child.path, reason });
      child.log.error("stopping: its failure reached the root", reason);
      void child.requestStop(reason);
    });
  }

  childFailed(child: Cell, reason: unknown): void {
    this.children.handleFailure(child, reason);
  }

  childStopped(child: Cell): void {
    this.children.remove(child);
  }
}
