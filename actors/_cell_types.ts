// What the runtime's parts see of one another, as types only: the Runtime, a
// parent's Children and an actor's context each depend on these interfaces
// rather than on the ActorCell class, so no two of their files import each
// other. Nothing here exists at run time.
import type { Props, SystemView } from "./actor.ts";
import type { ActorRef } from "./actor_ref.ts";
import type { ActorStats } from "./actor_stats.ts";
import type { SystemEvent } from "./events.ts";
import type { Logger } from "./logger.ts";
import type { RestartStatistics } from "./supervision.ts";
import type { AskRegistry } from "./_ask.ts";

/** What a cell needs from whatever spawned it: an actor's cell, or the guardian. */
export interface ParentNode {
  /** `""` for the guardian, so children's paths are `parent.path + "/" + name`. */
  readonly path: string;
  readonly ref: ActorRef<unknown> | undefined;
  childFailed(child: Cell, reason: unknown): void;
  childStopped(child: Cell, reason: unknown): void;
}

/** What an actor's context sees of the cell's children. */
export interface CellChildren {
  /** Refs of the live (not stopping) children, in spawn order. */
  children(): ActorRef<unknown>[];
  /** A live (not stopping) child by name. */
  byName(name: string): Cell | undefined;
}

/** Messages the runtime sends a cell, served before its user messages. */
export type SystemMessage =
  | { readonly type: "start" }
  | { readonly type: "restart"; readonly reason: unknown }
  | { readonly type: "resume"; readonly reason: unknown }
  | {
    readonly type: "terminated";
    readonly child: Cell;
    readonly reason: unknown;
  };

/** What the Runtime, a parent's Children and an actor's context use of one actor's cell. */
export interface Cell<M = unknown> extends ParentNode {
  readonly name: string;
  readonly ref: ActorRef<M>;
  readonly runtime: RuntimeHost;
  readonly parent: ParentNode;
  /** Incarnation of the parent that spawned this cell. */
  readonly parentIncarnation: number;
  /** Failure history the parent's strategy budgets restarts with. */
  readonly history: RestartStatistics;
  readonly children: CellChildren;
  /** Failed and waiting for its supervisor's directive. */
  readonly suspended: boolean;
  /** Stop requested (or done): takes no more messages. */
  readonly isStopping: boolean;
  /** Aborted when the current incarnation ends. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  stats(): ActorStats;
  sendSystem(message: SystemMessage): void;
  spawnChild<C>(name: string, props: Props<C>): ActorRef<C>;
  requestRestart(reason: unknown): void;
  requestStop(reason?: unknown): Promise<void>;
}

/** What cells and children use of the Runtime shared by one system's actors. */
export interface RuntimeHost {
  readonly asks: AskRegistry;
  readonly system: SystemView;
  loggerFor(path: string): Logger;
  register(cell: Cell): void;
  unregister(cell: Cell): void;
  cellOf(ref: ActorRef<unknown> | undefined): Cell | undefined;
  /** Counts a message that cannot be delivered; `atStop` for one still queued at its actor's stop. */
  deadLetter(path: string, message: unknown, atStop?: boolean): void;
  publish(event: SystemEvent): void;
}

/** Makes a child's cell: how Children spawns without importing the ActorCell class. */
export type CellFactory = <C>(
  runtime: RuntimeHost,
  parent: ParentNode,
  name: string,
  props: Props<C>,
  parentIncarnation: number,
) => Cell<C>;
