/**
 * The counters and lifecycle state of one actor, as
 * {@linkcode ActorSystem.stats} reports them.
 *
 * @module
 */

/** Lifecycle state of an actor. */
export type ActorState =
  | "starting"
  | "running"
  | "restarting"
  | "stopping"
  | "stopped";

/**
 * Counters of one actor. At any time
 * `received = processed + dropped + queued + (dead-lettered at its stop)`.
 */
export interface ActorStats {
  /** The actor's path. */
  readonly path: string;
  /** User messages accepted by tell() while it was alive. */
  readonly received: number;
  /** User messages handed to receive() (including ones that threw). */
  readonly processed: number;
  /** User messages discarded by a drop policy, or whose backpressure wait was aborted. */
  readonly dropped: number;
  /** User messages queued now, including ones parked by backpressure. */
  readonly queued: number;
  /** Restarts so far. */
  readonly restarts: number;
  /** Lifecycle state. */
  readonly state: ActorState;
}
