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
 * Parking: a socket that has just been served usually waits again a moment
 * later (a receive loop). Re-adding a descriptor the pending poll lacks costs
 * a wake-up write and a second FFI poll per message, so a served entry is
 * parked instead: it stays in the polled set without a waiter for up to
 * {@linkcode PARK_MS}. A parked descriptor that fires is dropped, not served
 * (its owner re-checks `readable`/`writable` before it waits again). A poll
 * that starts with only parked entries times out after {@linkcode PARK_MS},
 * so parked entries never keep an FFI call pending for longer than that once
 * nothing else waits. While other entries wait, the poll has no timeout: it
 * is pending for their sake anyway, and a timeout would only wake the
 * process once per served message for nothing (a receive loop has re-waited
 * long before). Should the last waiting entry leave while parked ones
 * remain, the poll is woken and restarts with the timeout.
 *
 * @module
 */

import { type Libc, libc, POLLFD_SIZE, POLLIN, POLLNVAL } from "./_libc.ts";
import { noteTurn } from "./_event_loop_turns.ts";

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

/** Polls failing in a row before the reactor gives up and fails every entry. */
export const MAX_POLL_FAILURES = 3;

/** How long a served entry stays parked in the polled set without a waiter, in ms. */
export const PARK_MS = 50;

/** Multiplexes waits on many descriptors onto one nonblocking FFI `poll`. */
export class Reactor {
  #libc: Libc;
  #entries = new Set<ReactorEntry>();
  /** Entries with no waiter that are still polled, to spare a wake-up when they wait again. */
  #parked = new Set<ReactorEntry>();
  /** Reused poll buffer and its descriptors while the polled set is unchanged. */
  #buffer = new Uint8Array(0);
  #view = new DataView(this.#buffer.buffer);
  #fds: number[] = [];
  #fdSet = new Set<number>();
  #dirty = true;
  #running = false;
  /** Descriptors inside the pending poll; `null` when none is pending. */
  #inFlight: Set<number> | null = null;
  /** Resolves when the pending poll returns. */
  #returned: PromiseWithResolvers<void> | null = null;
  #woken = false;
  /** Whether the pending poll waits without a timeout. */
  #unbounded = false;

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
    // A parked entry is still in the polled set: no restart needed.
    if (this.#parked.delete(entry)) return;
    this.#dirty = true;
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
    if (this.#entries.delete(entry) || this.#parked.delete(entry)) this.#dirty = true;
    const inFlight = this.#inFlight;
    if (inFlight === null) return Promise.resolve();
    if (
      (this.#entries.size === 0 && this.#parked.size === 0) ||
      (release && inFlight.has(entry.fd))
    ) {
      this.#wake();
      return this.#returned!.promise;
    }
    // Only parked entries left under a poll with no timeout: restart it
    // with one (see the module notes).
    if (this.#entries.size === 0 && this.#unbounded) this.#wake();
    return Promise.resolve();
  }

  /**
   * Unregisters an entry that has nobody waiting right now but will likely
   * wait again soon: it stays in the polled set (see the module notes).
   *
   * @param entry The entry to park; an entry not registered is ignored.
   */
  park(entry: ReactorEntry): void {
    if (!this.#entries.delete(entry)) return;
    this.#parked.add(entry);
  }

  #wake(): void {
    if (this.#woken) return;
    this.#woken = true;
    this.#libc.wake();
  }

  async #run(): Promise<void> {
    let failures = 0;
    try {
      while (this.#entries.size > 0 || this.#parked.size > 0) {
        if (this.#dirty) this.#rebuild();
        const fds = this.#fds;
        const view = this.#view;
        const count = fds.length + 1;
        this.#inFlight = this.#fdSet;
        this.#returned = Promise.withResolvers();
        this.#woken = false;
        // Parked entries alone bound the wait; entries with waiters do not.
        this.#unbounded = this.#entries.size > 0 || this.#parked.size === 0;
        let result: number;
        try {
          result = await this.#libc.poll(this.#buffer, count, this.#unbounded ? -1 : PARK_MS);
        } finally {
          this.#inFlight = null;
          this.#unbounded = false;
          this.#returned.resolve();
        }
        noteTurn();
        if (result < 0) {
          // The poll ran on a worker thread, whose errno this thread cannot
          // read: its own would be a wrong answer. An interrupted poll
          // (EINTR) succeeds when tried again; one that keeps failing is
          // broken (EINVAL, ENOMEM, EFAULT).
          if (++failures < MAX_POLL_FAILURES) continue;
          throw new Error(
            `Cannot wait on ZeroMQ sockets: poll() failed ${failures} times in a row (${count} descriptors)`,
          );
        }
        failures = 0;
        if (result === 0) {
          // Nothing happened for PARK_MS: parked entries stop being polled.
          if (this.#parked.size > 0) {
            this.#parked.clear();
            this.#dirty = true;
          }
          continue;
        }
        if (view.getInt16(6, true) !== 0) this.#libc.drain();
        for (let i = 0; i < fds.length; i++) {
          const revents = view.getInt16((i + 1) * POLLFD_SIZE + 6, true);
          if (revents === 0) continue;
          const invalid = (revents & POLLNVAL) !== 0;
          // Snapshot: callbacks add and remove entries while we iterate.
          for (const entry of [...this.#entries, ...this.#parked]) {
            if (entry.fd !== fds[i]) continue;
            if (this.#parked.delete(entry)) {
              // Nobody waits: left unread, its owner checks the socket
              // before waiting again. Dropped so it cannot spin the poll.
              this.#dirty = true;
              continue;
            }
            if (invalid) {
              this.#entries.delete(entry);
              this.#dirty = true;
            }
            try {
              entry.onReady(invalid);
            } catch (error) {
              this.#entries.delete(entry);
              this.#dirty = true;
              entry.onError(toError(error));
            }
          }
        }
      }
    } catch (error) {
      const failed = [...this.#entries];
      this.#entries.clear();
      this.#parked.clear();
      this.#dirty = true;
      for (const entry of failed) entry.onError(toError(error));
    } finally {
      this.#running = false;
    }
  }

  /** Lays out the pollfd array for the current set; reused until it changes. */
  #rebuild(): void {
    const fds = [...new Set([...this.#entries, ...this.#parked].map((entry) => entry.fd))];
    const size = (fds.length + 1) * POLLFD_SIZE;
    if (this.#buffer.byteLength < size) {
      this.#buffer = new Uint8Array(size);
      this.#view = new DataView(this.#buffer.buffer);
    }
    const view = this.#view;
    this.#buffer.fill(0);
    view.setInt32(0, this.#libc.wakeFd, true);
    view.setInt16(4, POLLIN, true);
    for (let i = 0; i < fds.length; i++) {
      view.setInt32((i + 1) * POLLFD_SIZE, fds[i], true);
      view.setInt16((i + 1) * POLLFD_SIZE + 4, POLLIN, true);
    }
    this.#fds = fds;
    this.#fdSet = new Set(fds);
    this.#dirty = false;
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
