import assert from "node:assert/strict";
import { DeadlineQueue, type Expiring } from "../../actors/_deadline_queue.ts";
import { ActorSystem } from "../../actors/actor_system.ts";
import type { ActorRef } from "../../actors/actor_ref.ts";
import { flushMicrotasks, test } from "./_helpers.ts";

function entry(inMs: number): Expiring & { settled: boolean; expired: boolean } {
  return {
    deadline: performance.now() + inMs,
    settled: false,
    expired: false,
    expire() {
      this.expired = true;
    },
  };
}

function settle(queue: DeadlineQueue, e: { settled: boolean }): void {
  e.settled = true;
  queue.settled();
}

test("DeadlineQueue keeps its timer for an entry added a few microtasks after the last settled", async () => {
  const queue = new DeadlineQueue();
  const first = entry(10_000);
  queue.add(first);
  assert.equal(queue.arms, 1);
  settle(queue, first);
  await flushMicrotasks(4); // a caller's async functions returning, then asking again
  assert.ok(queue.armed, "still armed a few turns after going idle");
  const second = entry(10_001);
  queue.add(second);
  assert.equal(queue.arms, 1, "a later deadline reuses the armed timer");
  settle(queue, second);
  await flushMicrotasks(20);
  assert.equal(queue.armed, false, "dropped once idle for longer");
  assert.equal(queue.live, 0);
});

test("DeadlineQueue re-arms for an earlier deadline and expires it on time", async () => {
  const queue = new DeadlineQueue();
  const late = entry(10_000);
  queue.add(late);
  const soon = entry(20);
  const expired = new Promise<void>((resolve) => {
    soon.expire = () => {
      soon.expired = true;
      resolve();
    };
  });
  queue.add(soon);
  assert.equal(queue.arms, 2);
  await expired;
  assert.equal(late.expired, false);
  settle(queue, soon);
  settle(queue, late);
  await flushMicrotasks(20);
  assert.equal(queue.armed, false);
});

test("a loop of nested asks, each sent right after the last reply, arms two timers in all", async () => {
  type Echo = { type: "Echo"; n: number; replyTo: ActorRef<number> };
  const system = new ActorSystem({ logLevel: "silent" });
  const echo = system.spawn<Echo>("echo", {
    create: () => ({ receive: (message) => void message.replyTo.tell(message.n) }),
  });
  // Nested asks, as NetGear's server does: the caller asks an actor that asks another.
  type Relay = { type: "Relay"; n: number; replyTo: ActorRef<number> };
  const relay = system.spawn<Relay>("relay", {
    create: () => ({
      async receive(message) {
        const n = await echo.ask<number>((replyTo) => ({ type: "Echo", n: message.n, replyTo }), {
          timeoutMs: 1000,
        });
        message.replyTo.tell(n);
      },
    }),
  });
  const send = async (n: number): Promise<number> =>
    await relay.ask<number>((replyTo) => ({ type: "Relay", n, replyTo }), { timeoutMs: 5000 });
  // Count the timers armed.
  const realSetTimeout = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    timers++;
    return realSetTimeout(...args);
  }) as typeof setTimeout;
  try {
    for (let n = 0; n < 200; n++) assert.equal(await send(n), n);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  // The first outer ask arms, its inner one (an earlier deadline) re-arms; the
  // 398 asks after them reuse that timer.
  assert.equal(timers, 2, "400 asks, two timers");
  await system.shutdown();
});
