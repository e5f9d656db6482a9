/**
 * Waiting under an {@linkcode AbortSignal}: {@linkcode abortable} stops
 * waiting for a promise, {@linkcode delay} sleeps. Both follow the Deno
 * standard library's `@std/async`: an already aborted signal rejects at once,
 * and an abort rejects with `signal.reason` and removes every listener and
 * timer it set, so nothing outlives the wait.
 *
 * Here rather than imported from `@std/async` because the actor runtime
 * imports nothing outside the project; every layer above uses these.
 *
 * @module
 */

/**
 * Lets a caller stop waiting for `promise` when `signal` aborts. The
 * operation behind the promise keeps going (a stop, a shutdown); only the
 * wait ends.
 *
 * @param promise What to wait for.
 * @param signal Ends the wait; `undefined` waits for `promise` as is (and
 * returns it, allocating nothing).
 * @returns A promise settled like `promise`, or rejected with `signal.reason`
 * if the signal aborts first (at once if it already has).
 * @throws {unknown} `signal.reason` when the signal aborts first; else what
 * `promise` rejects with. (The returned promise rejects; nothing throws.)
 * @example Stop waiting for something that never settles
 * ```ts
 * import assert from "node:assert/strict";
 * import { abortable } from "./abort.ts";
 * const never = new Promise<void>(() => {});
 * const controller = new AbortController();
 * const waiting = abortable(never, controller.signal);
 * controller.abort(new Error("gave up"));
 * await assert.rejects(waiting, { message: "gave up" });
 * assert.equal(await abortable(Promise.resolve(7), undefined), 7);
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Options of {@linkcode delay}. */
export interface DelayOptions {
  /**
   * Cuts the delay short: the promise rejects with `signal.reason` and the
   * timer is cleared.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @param ms How long to wait, in milliseconds (as `setTimeout` takes it).
 * @param options `signal`: cuts the wait short.
 * @returns A promise resolved after `ms`, or rejected with `signal.reason`
 * when the signal aborts first (at once if it already has).
 * @throws {unknown} `signal.reason` when the signal aborts first. (The
 * returned promise rejects; nothing throws.)
 * @example Sleep, and cancel a sleep
 * ```ts
 * import assert from "node:assert/strict";
 * import { delay } from "./abort.ts";
 * const start = performance.now();
 * await delay(5);
 * assert.ok(performance.now() - start >= 4);
 * const controller = new AbortController();
 * const sleeping = delay(60_000, { signal: controller.signal });
 * controller.abort(new Error("woken"));
 * await assert.rejects(sleeping, { message: "woken" });
 * ```
 */
export function delay(ms: number, options: DelayOptions = {}): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
