/**
 * Cancelling sends a server transport has been given: the caller of a send
 * stops waiting (its signal aborted), and the transport should not keep
 * retrying a frame nobody waits for, holding up the goodbye behind it. And
 * once the server is closing, its heartbeats are pointless: the goodbye
 * follows.
 *
 * Shared between a server and its transport actor (made once, like the
 * transport's figures): a transport handles one send at a time, so a cancel
 * either finds that send in flight and cuts its waits short, or is kept
 * until the send comes up and is then answered without being sent. Sends
 * are numbered in the order they are handed over, so a kept cancel for a
 * number the transport has passed is stale and dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SendCancels } from "./send_cancels.ts";
 * const cancels = new SendCancels();
 * let cut = 0;
 * assert.ok(cancels.begin(1, () => cut++));
 * cancels.cancel(1); // in flight: its waits are cut short
 * cancels.end();
 * cancels.cancel(2); // not started yet: skipped when it comes up
 * assert.equal(cancels.begin(2, () => cut++), false);
 * assert.equal(cut, 1);
 * ```
 *
 * @module
 */

/** Sends cancelled by their owner, by number. */
export class SendCancels {
  /** Cancelled before they came up. */
  readonly #pending = new Set<number>();
  /** The send in flight: a frame's number, or `undefined` for a heartbeat. */
  #current: number | undefined;
  #onCancel: (() => void) | undefined;
  #closing = false;

  /** Whether the owner is closing (see {@linkcode SendCancels.close}). */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Cancels send `id`: cuts its waits short if it is in flight, else skips
   * it when it comes up.
   *
   * @param id The send's number.
   */
  cancel(id: number): void {
    if (id === this.#current && this.#onCancel !== undefined) {
      this.#cut();
      return;
    }
    this.#pending.add(id);
  }

  /**
   * The owner is closing: a heartbeat in flight is cut short, and later
   * ones are skipped. Frames are left alone: each is cancelled only by its
   * own caller.
   */
  close(): void {
    this.#closing = true;
    if (this.#current === undefined) this.#cut();
  }

  /**
   * A transport starts a frame's send (`id`), or a heartbeat's (`undefined`).
   *
   * @param id The frame's send number, or `undefined` for a heartbeat.
   * @param onCancel Cuts the send's waits short; called at most once.
   * @returns `false` when the send is cancelled already (a heartbeat: the
   * owner is closing): answer it without sending.
   */
  begin(id: number | undefined, onCancel: () => void): boolean {
    if (id === undefined) {
      if (this.#closing) return false;
    } else {
      for (const stale of this.#pending) if (stale < id) this.#pending.delete(stale);
      if (this.#pending.delete(id)) return false;
    }
    this.#current = id;
    this.#onCancel = onCancel;
    return true;
  }

  /** A transport is done with the send it began. */
  end(): void {
    this.#current = undefined;
    this.#onCancel = undefined;
  }

  #cut(): void {
    const onCancel = this.#onCancel;
    this.#onCancel = undefined;
    onCancel?.();
  }
}
