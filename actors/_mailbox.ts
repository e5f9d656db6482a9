// The queues behind one actor: bounded user messages with an overflow policy,
// FIFO backpressure waiters, and an unbounded system queue served first.
import {
  DEFAULT_MAILBOX_CAPACITY,
  type MailboxOptions,
  OVERFLOW_POLICIES,
  type OverflowPolicy,
} from "./mailbox.ts";
import { RESOLVED } from "./_resolved.ts";
import { RingBuffer } from "./_ring_buffer.ts";

/** Checks mailbox options and fills defaults; throws TypeError/RangeError naming the actor. */
export function resolveMailboxOptions(
  path: string,
  options: MailboxOptions = {},
): Required<MailboxOptions> {
  const { capacity = DEFAULT_MAILBOX_CAPACITY, overflow = "backpressure" } = options;
  if (
    typeof capacity !== "number" ||
    !(capacity === Infinity || (Number.isInteger(capacity) && capacity >= 1))
  ) {
    throw new RangeError(
      `Cannot spawn ${path}: mailbox.capacity is ${
        String(capacity)
      }; expected an integer >= 1 or Infinity`,
    );
  }
  if (!OVERFLOW_POLICIES.includes(overflow)) {
    throw new TypeError(
      `Cannot spawn ${path}: mailbox.overflow is ${JSON.stringify(overflow)}; valid choices are ${
        OVERFLOW_POLICIES.map((p) => `"${p}"`).join(", ")
      }`,
    );
  }
  return { capacity, overflow };
}

// A tell() parked on a full "backpressure" mailbox. It is its own abort
// listener (handleEvent) so waiting allocates one object, not closures.
class Waiter<M> {
  readonly message: M;
  readonly signal: AbortSignal | undefined;
  cancelled = false;
  #mailbox: Mailbox<M, unknown>;
  #resolve: () => void;
  #reject: (reason: unknown) => void;

  constructor(
    mailbox: Mailbox<M, unknown>,
    message: M,
    signal: AbortSignal | undefined,
    resolve: () => void,
    reject: (reason: unknown) => void,
  ) {
    this.#mailbox = mailbox;
    this.message = message;
    this.signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    signal?.addEventListener("abort", this, { once: true });
  }

  admit(): void {
    this.signal?.removeEventListener("abort", this);
    this.#resolve();
  }

  handleEvent(): void {
    this.cancelled = true;
    this.#mailbox.waiterCancelled();
    this.#reject(this.signal!.reason);
  }
}

/** Queues of one actor. `M` is the user message type, `S` the system message type. */
export class Mailbox<M, S> {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  /** User messages discarded by a drop policy or by an aborted backpressure wait. */
  dropped = 0;
  #user: RingBuffer<M>;
  #system = new RingBuffer<S>();
  #waiters: RingBuffer<Waiter<M>> | undefined;
  #liveWaiters = 0;

  constructor(options: Required<MailboxOptions>) {
    this.capacity = options.capacity;
    this.overflow = options.overflow;
    this.#user = new RingBuffer<M>();
  }

  /** Queued user messages, not counting backpressure waiters. */
  get length(): number {
    return this.#user.length;
  }

  /** Queued user messages plus messages parked by backpressure. */
  get queued(): number {
    return this.#user.length + this.#liveWaiters;
  }

  /** Queued system messages. */
  get systemLength(): number {
    return this.#system.length;
  }

  /**
   * Queues a user message per the overflow policy. Resolves at once (the
   * shared promise) unless backpressure parks it; rejects only if `signal`
   * aborts before the message is queued (the message is then not delivered).
   */
  offer(message: M, signal?: AbortSignal): Promise<void> {
    const user = this.#user;
    if (user.length < this.capacity) {
      user.push(message);
      return RESOLVED;
    }
    switch (this.overflow) {
      case "drop-newest":
        this.dropped++;
        return RESOLVED;
      case "drop-oldest":
        user.shift();
        user.push(message);
        this.dropped++;
        return RESOLVED;
      case "backpressure":
        return this.#park(message, signal);
    }
  }

  /** Takes the oldest user message (check `length` first) and admits one waiter into the room. */
  poll(): M {
    const message = this.#user.shift();
    if (this.#liveWaiters > 0) this.#admitOne();
    return message;
  }

  /** Queues a system message. */
  pushSystem(message: S): void {
    this.#system.push(message);
  }

  /** Takes the oldest system message (check `systemLength` first). */
  pollSystem(): S {
    return this.#system.shift();
  }

  /** Forgets every queued system message. */
  clearSystem(): void {
    this.#system.drain(ignore);
  }

  /**
   * Empties the user queue and releases every waiter, passing each message
   * (queued first, then parked) to `each`; waiters' tell() promises resolve.
   */
  drainUser(each: (message: M) => void): void {
    this.#user.drain(each);
    const waiters = this.#waiters;
    if (waiters === undefined) return;
    while (waiters.length > 0) {
      const waiter = waiters.shift();
      if (waiter.cancelled) continue;
      this.#liveWaiters--;
      each(waiter.message);
      waiter.admit();
    }
  }

  /** Called by a waiter whose signal aborted: its message counts as dropped. */
  waiterCancelled(): void {
    this.#liveWaiters--;
    this.dropped++;
  }

  #park(message: M, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiters ??= new RingBuffer<Waiter<M>>();
    this.#waiters.push(
      new Waiter(
        this as Mailbox<M, unknown>,
        message,
        signal,
        resolve,
        reject,
      ),
    );
    this.#liveWaiters++;
    return promise;
  }

  #admitOne(): void {
    const waiters = this.#waiters!;
    while (waiters.length > 0) {
      const waiter = waiters.shift();
      if (waiter.cancelled) continue;
      this.#liveWaiters--;
      this.#user.push(waiter.message);
      waiter.admit();
      return;
    }
  }
}

function ignore(): void {}
