/**
 * Ctrl+C for the examples: a signal that SIGINT aborts, to pass to
 * `send()` (so a send waiting for an absent client stops at once, and the
 * server can say goodbye) or to close a client; and the line a client
 * prints at the end, which says why it ended.
 *
 * @module
 */

import type { ShutdownReason } from "../mod.ts";

/** An AbortSignal that Ctrl+C (SIGINT) aborts, until disposed. */
export interface Interrupt extends Disposable {
  /** Aborted by Ctrl+C. */
  readonly signal: AbortSignal;
}

/**
 * Listens for Ctrl+C until disposed (`using interrupt = ctrlC()`).
 *
 * @returns The interrupt's signal.
 */
export function ctrlC(): Interrupt {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted (Ctrl+C)"));
  Deno.addSignalListener("SIGINT", onSignal);
  return {
    signal: controller.signal,
    [Symbol.dispose]: () => Deno.removeSignalListener("SIGINT", onSignal),
  };
}

/**
 * Why a client ended, for its last line.
 *
 * @param reason The client's `shutdownReason`.
 * @returns A short phrase.
 */
export function endedBecause(reason: ShutdownReason | undefined): string {
  switch (reason) {
    case "all-gone":
      return "every server has gone";
    case "closed":
      return "interrupted (Ctrl+C)";
    case "connect-timeout":
      return "no server connected in time";
    case "transport-lost":
      return "the client lost its sockets";
    default:
      return "the client stopped";
  }
}
