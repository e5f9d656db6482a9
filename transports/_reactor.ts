/**
 * One `poll(2)` at a time over the ZMQ_FDs of every socket that has a pending
 * wait, plus a wake-up descriptor: N idle sockets cost one blocked worker
 * thread and no CPU.
 *
 * Why: Deno 2.9's libuv shim stops a `uv_poll` handle after its first
 * callback (denoland/deno#36317), so zeromq's own `await receive()` may never
 * resolve. ZeroMQ signals every state change of a socket by making its ZMQ_FD
 * readable, edge-triggered: whoever is woken must re-check the socket's
 * `readable`/`writable` (which also consumes the signal).
 *
 * Rules the reactor keeps:
 * - while no entry is registered, no FFI call is pending (Deno's op sanitizer
 *   and the process's exit both depend on it);
 * - a descriptor being closed is never inside a pending poll: `remove(entry,
 *   true)` resolves only once the poll that held it has returned.
 *
 * @module
 */

import { type Libc, libc, POLLFD_SIZE, POLLIN, POLLNVAL } from "./_libc.ts";

/** A registration: a descriptor and what to do when it may be ready. */
export interface ReactorEntry {
  /** The descriptor to wait on (a socket's ZMQ_FD). */
  readonly fd: number;
  /**
   * Called after the descriptor was reported readable. The entry stays
   * registered: the callee removes it once it has nothing left to wait for.
   *
   * @param invalid The descriptor is no longer open (POLLNVAL); the entry
   * was removed before the call.
   */
  onReady(invalid: boolean): void;
  /** Called if polling itself fails; the entry was removed before the call. */
  onError(error: Error): void;
}

/** Multiplexes waits on many descriptors onto one nonblocking FFI `poll`. */
export class Reactor {
  #libc: Libc;
  #entries = new Set<ReactorEntry>();
  #running = false;
  /** Descriptors inside the pending poll; `null` when none is pending. */
  #inFlight: Set<number> | null = null;
  /** Resolves when the pending poll returns. */
  #returned: PromiseWithResolvers<void> | null = null;
  #woken = false;

  /**
   * Makes a reactor over the given libc binding.
   *
   * @param bindings The libc calls to use.
   */
  constructor(bindings: Libc) {
    this.#libc = bindings;
  }

  /** Number of registered entries (for tests and diagnostics). */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether an FFI poll is pending right now. */
  get polling(): boolean {
    return this.#inFlight !== null;
  }

  /**
   * Registers an entry; the poll is restarted if it does not already cover
   * the entry's descriptor.
   *
   * @param entry The entry to register; adding it twice is a no-op.
   */
  add(entry: ReactorEntry): void {
    if (this.#entries.has(entry)) return;
    this.#entries.add(entry);
    if (!this.#running) {
      this.#running = true;
      void this.#run();
    } else if (this.#inFlight !== null && !this.#inFlight.has(entry.fd)) {
      this.#wake();
    }
  }

  /**
   * Unregisters an entry.
   *
   * Removal is lazy while other entries remain: a pending poll may keep the
   * descriptor until it next returns (a spurious wake at worst), which spares
   * a restart each time a busy socket finishes one wait and starts the next.
   *
   * @param entry The entry to remove; removing an absent entry is allowed.
   * @param release Also make sure no pending poll still holds the entry's
   * descriptor (required before closing it).
   * @returns Resolves when no poll is pending if none is needed any more, or
   * (with `release`) when no pending poll holds the descriptor.
   */
  remove(entry: ReactorEntry, release = false): Promise<void> {
    this.#entries.delete(entry);
    const inFlight = this.#inFlight;
    if (inFlight === null) return Promise.resolve();
    if (this.#entries.size === 0 || (release && inFlight.has(entry.fd))) {
      this.#wake();
      return this.#returned!.promise;
    }
    return Promise.resolve();
  }

  #wake(): void {
    if (this.#woken) return;
    this.#woken = true;
    this.#libc.wake();
  }

  async #run(): Promise<void> {
    try {
      while (this.#entries.size > 0) {
        const entries = [...this.#entries];
        const fds = [...new Set(entries.map((entry) => entry.fd))];
        const count = fds.length + 1;
        const buffer = new Uint8Array(count * POLLFD_SIZE);
        const view = new DataView(buffer.buffer);
        view.setInt32(0, this.#libc.wakeFd, true);
        view.setInt16(4, POLLIN, true);
        for (let i = 0; i < fds.length; i++) {
          view.setInt32((i + 1) * POLLFD_SIZE, fds[i], true);
          view.setInt16((i + 1) * POLLFD_SIZE + 4, POLLIN, true);
        }
        this.#inFlight = new Set(fds);
        this.#returned = Promise.withResolvers();
        this.#woken = false;
        let result: number;
        try {
          result = await this.#libc.poll(buffer, count, -1);
        } finally {
          this.#inFlight = null;
          this.#returned.resolve();
        }
        if (result < 0) {
          const errno = this.#libc.errno();
          if (this.#libc.isInterrupted(errno)) continue;
          throw new Error(`Cannot wait on ZeroMQ sockets: poll() failed with errno ${errno}`);
        }
        if (view.getInt16(6, true) !== 0) this.#libc.drain();
        for (let i = 0; i < fds.length; i++) {
          const revents = view.getInt16((i + 1) * POLLFD_SIZE + 6, true);
          if (revents === 0) continue;
          const invalid = (revents & POLLNVAL) !== 0;
          // Snapshot: callbacks add and remove entries while we iterate.
          for (const entry of [...this.#entries]) {
            if (entry.fd !== fds[i]) continue;
            if (invalid) this.#entries.delete(entry);
            try {
              entry.onReady(invalid);
            } catch (error) {
              this.#entries.delete(entry);
              entry.onError(toError(error));
            }
          }
        }
      }
    } catch (error) {
      const failed = [...this.#entries];
      this.#entries.clear();
      for (const entry of failed) entry.onError(toError(error));
    } finally {
      this.#running = false;
    }
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

let shared: Reactor | undefined;

/**
 * Returns the process-wide reactor, creating it (and binding libc) on first use.
 *
 * @returns The shared reactor.
 * @throws {TransportUnsupportedError} Where libc `poll` cannot be reached.
 */
export function sharedReactor(): Reactor {
  return shared ??= new Reactor(libc());
}
