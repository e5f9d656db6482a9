/**
 * Keeps busy sockets from starving the event loop.
 *
 * zeromq hands over a waiting message or takes one to send with an already
 * settled promise, so a loop that always finds its socket ready runs on
 * microtasks alone: timers, the reactor's poll results and every other
 * socket wait (zeromq never defers a ready operation: ZmqSocket sets its
 * timeouts to 0, and before that it deferred one in 513). With slow work per
 * message (a 1080p JPEG decode takes ~20 ms) that is seconds: measured,
 * four JPEG servers into one client left a fourth server never subscribed
 * and a live one declared gone. A socket's fast path therefore asks
 * {@linkcode mayContinue} first, and waits for the next turn when the event
 * loop has not turned for {@linkcode TURN_EVERY_MS}.
 *
 * @module
 */

import { setImmediate } from "node:timers";

/** The longest a socket's fast path may keep the event loop from turning, in ms. */
export const TURN_EVERY_MS = 10;

let lastTurnAt = performance.now();

/**
 * Notes that the event loop has just turned: called by the reactor when a
 * poll returns (a task of its own) and after every {@linkcode afterTurn}.
 */
export function noteTurn(): void {
  lastTurnAt = performance.now();
}

/**
 * Whether a fast-path operation may go on without letting the event loop
 * turn.
 *
 * @returns `false` once no turn was noted for {@linkcode TURN_EVERY_MS}.
 */
export function mayContinue(): boolean {
  return performance.now() - lastTurnAt < TURN_EVERY_MS;
}

/**
 * Calls `callback` after the event loop's next turn (and notes the turn).
 *
 * @param callback What to run.
 */
export function afterTurn(callback: () => void): void {
  setImmediate(() => {
    noteTurn();
    callback();
  });
}
