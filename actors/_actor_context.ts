// The ActorContext handed to an actor's hooks: a thin view over its cell, made
// once per actor.
import type { ActorContext, Props, StopOptions, SystemView } from "./actor.ts";
import type { ActorRef } from "./actor_ref.ts";
import type { Logger } from "./logger.ts";
import { abortable } from "./abort.ts";
import type { Cell } from "./_cell_types.ts";

export class CellContext<M> implements ActorContext<M> {
  #cell: Cell<M>;
  #log: Logger | undefined;

  constructor(cell: Cell<M>) {
    this.#cell = cell;
  }

  get self(): ActorRef<M> {
    return this.#cell.ref;
  }

  get parent(): ActorRef<unknown> | undefined {
    return this.#cell.parent.ref;
  }

  get system(): SystemView {
    return this.#cell.runtime.system;
  }

  get signal(): AbortSignal {
    return this.#cell.signal;
  }

  get log(): Logger {
    return this.#log ??= this.#cell.runtime.loggerFor(this.#cell.path);
  }

  spawn<C>(name: string, props: Props<C>): ActorRef<C> {
    return this.#cell.spawnChild(name, props);
  }

  stop(child?: ActorRef<unknown>, options: StopOptions = {}): Promise<void> {
    const cell = this.#cell;
    if (child === undefined) return abortable(cell.requestStop(), options.signal);
    const target = cell.runtime.cellOf(child);
    if (
      target === undefined ||
      (target !== (cell as Cell) && target.parent !== cell)
    ) {
      return Promise.reject(
        new TypeError(
          `Cannot stop ${child.path} from ${cell.path}: it is neither this actor nor one of its children (use system.stop())`,
        ),
      );
    }
    return abortable(target.requestStop(), options.signal);
  }

  children(): ActorRef<unknown>[] {
    return this.#cell.children.children();
  }

  child<C>(name: string): ActorRef<C> | undefined {
    return this.#cell.children.byName(name)?.ref as ActorRef<C> | undefined;
  }
}
