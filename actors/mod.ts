/**
 * ActorGear's actor runtime: actors with bounded mailboxes, supervision trees
 * (one-for-one, all-for-one, restart budgets, escalation), request-reply with
 * timeouts, dead letters and lifecycle hooks. In-process only: messages are
 * passed by reference, never copied or encoded. NetGear's actors, built on
 * this API, will live in `actors/netgear/`.
 *
 * @example A parent supervising a worker
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ActorRef, ActorSystem, oneForOne } from "./mod.ts";
 *
 * type WorkerMessage =
 *   | { type: "Work"; input: number }
 *   | { type: "Total"; replyTo: ActorRef<number> };
 * type ParentMessage = {
 *   type: "GetWorker";
 *   replyTo: ActorRef<ActorRef<WorkerMessage>>;
 * };
 *
 * await using system = new ActorSystem({ logLevel: "silent" });
 * const parent = system.spawn<ParentMessage>("parent", {
 *   supervisor: oneForOne({ maxRestarts: 3, withinMs: 1_000 }),
 *   create: () => {
 *     let worker: ActorRef<WorkerMessage>;
 *     return {
 *       started(context) {
 *         worker = context.spawn<WorkerMessage>("worker", {
 *           create: () => {
 *             let total = 0; // state lives in the instance: a restart resets it
 *             return {
 *               receive(message) {
 *                 switch (message.type) {
 *                   case "Work":
 *                     if (message.input < 0) throw new RangeError("negative input");
 *                     total += message.input;
 *                     break;
 *                   case "Total":
 *                     message.replyTo.tell(total);
 *                     break;
 *                 }
 *               },
 *             };
 *           },
 *         });
 *       },
 *       receive: (message) => message.replyTo.tell(worker),
 *     };
 *   },
 * });
 *
 * const worker = await parent.ask<ActorRef<WorkerMessage>>((replyTo) => ({
 *   type: "GetWorker",
 *   replyTo,
 * }));
 * await worker.tell({ type: "Work", input: 2 });
 * await worker.tell({ type: "Work", input: -1 }); // throws: restarted, same address
 * await worker.tell({ type: "Work", input: 3 });
 * const total = await worker.ask<number>((replyTo) => ({ type: "Total", replyTo }));
 * assert.equal(total, 3);
 * assert.equal(worker.path, "/parent/worker");
 * ```
 *
 * @module
 */

export * from "./actor.ts";
export { ActorRef, type AskOptions, type TellOptions } from "./actor_ref.ts";
export * from "./actor_stats.ts";
export * from "./actor_system.ts";
export * from "./bounded_queue.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./logger.ts";
export * from "./mailbox.ts";
export * from "./strategy_all_for_one.ts";
export * from "./strategy_one_for_one.ts";
export * from "./supervision.ts";
