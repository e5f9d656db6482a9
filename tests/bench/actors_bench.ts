// Throughput of the actor runtime against a bare queue-and-microtask loop.
// Run: deno bench tests/bench/actors_bench.ts
// Rates: tells/s = 100_000 / (time per iteration); asks/s = 10_000 / (time per iteration).
import { type ActorRef, ActorSystem } from "../../actors/mod.ts";

type CounterMessage =
  | { type: "Increment" }
  | { type: "Count"; replyTo: ActorRef<number> };

const TELLS = 100_000;
const ASKS = 10_000;
// One message object reused: in-process delivery passes it by reference, so
// the benchmark measures the runtime, not the allocator.
const INCREMENT: CounterMessage = Object.freeze({ type: "Increment" });
const makeCount = (replyTo: ActorRef<number>): CounterMessage => ({
  type: "Count",
  replyTo,
});

const system = new ActorSystem({ name: "bench", logLevel: "error" });

function counterProps(capacity: number) {
  let count = 0;
  return {
    create: () => ({
      receive(message: CounterMessage): void {
        if (message.type === "Increment") count++;
        else message.replyTo.tell(count);
      },
    }),
    mailbox: { capacity },
  };
}

// Default mailbox (capacity 1000, backpressure): the producer awaits each tell.
const bounded = system.spawn<CounterMessage>("bounded", counterProps(1000));
// Large enough for a whole burst: the producer never waits.
const roomy = system.spawn<CounterMessage>("roomy", counterProps(TELLS));
const ponger = system.spawn<CounterMessage>("ponger", counterProps(1000));

Deno.bench({
  name: "actor: 100k awaited tells (backpressure, capacity 1000) + final ask",
  group: "tell",
  async fn(): Promise<void> {
    for (let i = 0; i < TELLS; i++) await bounded.tell(INCREMENT);
    await bounded.ask(makeCount);
  },
});

Deno.bench({
  name: "actor: 100k fire-and-forget tells (capacity 100k) + final ask",
  group: "tell",
  async fn(): Promise<void> {
    for (let i = 0; i < TELLS; i++) void roomy.tell(INCREMENT);
    await roomy.ask(makeCount);
  },
});

Deno.bench({
  name: "actor: 10k sequential asks",
  group: "ask",
  async fn(): Promise<void> {
    for (let i = 0; i < ASKS; i++) await ponger.ask(makeCount);
  },
});

// --- baseline: the least a mailbox can do --------------------------------

class BareMailbox<M> {
  #queue: M[] = [];
  #head = 0;
  #scheduled = false;
  #handle: (message: M) => void;

  constructor(handle: (message: M) => void) {
    this.#handle = handle;
  }

  push(message: M): void {
    this.#queue.push(message);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
  }

  #drain = (): void => {
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const message = queue[this.#head];
      queue[this.#head++] = undefined as M;
      this.#handle(message);
    }
    queue.length = 0;
    this.#head = 0;
    this.#scheduled = false;
  };
}

type BareMessage = { type: "Increment" } | {
  type: "Count";
  reply: (count: number) => void;
};
let bareCount = 0;
const bare = new BareMailbox<BareMessage>((message) => {
  if (message.type === "Increment") bareCount++;
  else message.reply(bareCount);
});
const BARE_INCREMENT: BareMessage = { type: "Increment" };
const bareAsk = (): Promise<number> => new Promise((reply) => bare.push({ type: "Count", reply }));

Deno.bench({
  name: "baseline: 100k pushes to a bare queue + microtask drain + final reply",
  group: "tell",
  baseline: true,
  async fn(): Promise<void> {
    for (let i = 0; i < TELLS; i++) bare.push(BARE_INCREMENT);
    await bareAsk();
  },
});

Deno.bench({
  name: "baseline: 100k awaited pushes to a bare queue + final reply",
  group: "tell",
  async fn(): Promise<void> {
    const done = Promise.resolve();
    for (let i = 0; i < TELLS; i++) {
      bare.push(BARE_INCREMENT);
      await done;
    }
    await bareAsk();
  },
});

Deno.bench({
  name: "baseline: 10k promise round trips through a bare queue",
  group: "ask",
  baseline: true,
  async fn(): Promise<void> {
    for (let i = 0; i < ASKS; i++) await bareAsk();
  },
});
