// The queues behind one actor: its user messages in a BoundedQueue (bounded,
// with an overflow policy and FIFO backpressure waiters), and an unbounded
// system queue served first.
import { BoundedQueue, resolveQueueOptions } from "./bounded_queue.ts";
import { DEFAULT_MAILBOX_CAPACITY, type MailboxOptions } from "./mailbox.ts";
import { RingBuffer } from "./_ring_buffer.ts";

const DEFAULTS = { capacity: DEFAULT_MAILBOX_CAPACITY, overflow: "backpressure" } as const;

/** Checks mailbox options and fills defaults; throws TypeError/RangeError naming the actor. */
export function resolveMailboxOptions(
  path: string,
  options: MailboxOptions | undefined,
): Required<MailboxOptions> {
  return resolveQueueOptions(options, DEFAULTS, `spawn ${path}`, "mailbox");
}

/**
 * Queues of one actor. `M` is the user message type, `S` the system message
 * type. The mailbox is its user queue (so the hot path, offer and poll, is
 * one call), plus the system queue. `dropped` counts user messages discarded
 * by a drop policy or by an aborted backpressure wait.
 */
export class Mailbox<M, S> extends BoundedQueue<M> {
  #system = new RingBuffer<S>();

  /** Queued system messages. */
  get systemLength(): number {
    return this.#system.length;
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
}

function ignore(): void {}
