/**
 * What {@linkcode ActorSystem.subscribe} listeners receive: supervision
 * decisions and dead letters.
 *
 * @example Telling the kinds of event apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { ActorSystem } from "./actor_system.ts";
 * import type { SystemEvent } from "./events.ts";
 *
 * await using system = new ActorSystem({ logLevel: "silent" });
 * const deadPaths: string[] = [];
 * system.subscribe((event: SystemEvent) => {
 *   if (event.type === "DeadLetter") deadPaths.push(event.path);
 * });
 * const ref = system.spawn("worker", { create: () => ({ receive() {} }) });
 * await system.stop(ref);
 * await ref.tell("lost");
 * assert.deepEqual(deadPaths, ["/worker"]);
 * ```
 *
 * @module
 */

import type { SupervisionEvent } from "./supervision.ts";

/** A message told to a stopped actor (or a second reply to an ask). */
export interface DeadLetterEvent {
  /** Event kind. */
  readonly type: "DeadLetter";
  /** Address it was sent to. */
  readonly path: string;
  /** The message itself. */
  readonly message: unknown;
}

/** Everything {@linkcode ActorSystem.subscribe} listeners receive. */
export type SystemEvent = SupervisionEvent | DeadLetterEvent;
