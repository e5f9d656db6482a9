import assert from "node:assert/strict";
import { ActorSystem } from "../../actors/actor_system.ts";
import type { OverflowPolicy } from "../../actors/bounded_queue.ts";
import { RingBuffer } from "../../actors/_ring_buffer.ts";
import { flushMicrotasks, Gates, test } from "./_helpers.ts";

test("RingBuffer keeps FIFO order across wrap-around and growth", () => {
  const ring = new RingBuffer<number>(2);
  const out: number[] = [];
  let next = 0;
  // Interleave pushes and shifts so the head wraps before the buffer grows.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 3; i++) ring.push(next++);
    out.push(ring.shift(), ring.shift());
  }
  while (ring.length > 0) out.push(ring.shift());
  assert.deepEqual(out, Array.from({ length: next }, (_, i) => i));
});

/** A consumer blocked on message 0, then a burst of `burst` tells. */
async function burstAgainstBlockedConsumer(
  overflow: OverflowPolicy,
  capacity: number,
  burst: number,
) {
  const system = new ActorSystem({ logLevel: "silent" });
  const gates = new Gates();
  const seen: number[] = [];
  const ref = system.spawn<number>("consumer", {
    create: () => ({
      receive(n) {
        seen.push(n);
        return gates.enter(n);
      },
    }),
    mailbox: { capacity, overflow },
  });
  await ref.tell(0);
  await gates.started(0);
  const settled: number[] = [];
  const tells = [];
  for (let n = 1; n <= burst; n++) {
    tells.push(ref.tell(n).then(() => void settled.push(n)));
  }
  await flushMicrotasks();
  return { system, gates, seen, ref, settled, tells };
}

test("drop-newest keeps the first `capacity` messages of a burst and drops the rest", async () => {
  const { system, gates, seen, ref, settled } = await burstAgainstBlockedConsumer(
    "drop-newest",
    3,
    10,
  );
  assert.deepEqual(settled, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "tell never waits");
  assert.equal(system.stats(ref)?.dropped, 7);
  assert.equal(system.stats(ref)?.queued, 3);
  for (let n = 0; n <= 3; n++) gates.open(n);
  await gates.started(3);
  assert.deepEqual(seen, [0, 1, 2, 3]);
  const stats = system.stats(ref)!;
  assert.equal(stats.received, 11);
  assert.equal(stats.processed + stats.dropped + stats.queued, stats.received);
  await system.shutdown();
});

test("drop-oldest keeps the newest `capacity` messages of a burst", async () => {
  const { system, gates, seen, ref, settled } = await burstAgainstBlockedConsumer(
    "drop-oldest",
    3,
    10,
  );
  assert.equal(settled.length, 10, "tell never waits");
  assert.equal(system.stats(ref)?.dropped, 7);
  for (const n of [0, 8, 9, 10]) gates.open(n);
  await gates.started(10);
  assert.deepEqual(seen, [0, 8, 9, 10]);
  await system.shutdown();
});

test("backpressure parks tells beyond capacity and releases them FIFO as the actor consumes", async () => {
  const { system, gates, seen, ref, settled, tells } = await burstAgainstBlockedConsumer(
    "backpressure",
    2,
    6,
  );
  assert.deepEqual(settled, [1, 2], "only the first two found room");
  assert.equal(system.stats(ref)?.queued, 6);
  assert.equal(system.stats(ref)?.dropped, 0);
  // Each message taken for processing admits exactly one waiter, oldest first.
  for (let n = 0; n < 4; n++) {
    gates.open(n);
    await gates.started(n + 1);
    await flushMicrotasks();
    assert.deepEqual(settled, Array.from({ length: n + 3 }, (_, i) => i + 1));
  }
  for (let n = 4; n <= 6; n++) gates.open(n);
  await Promise.all(tells);
  await gates.started(6);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6], "nothing lost, order kept");
  await system.shutdown();
});

test("backpressure waiters resolve when the actor stops and their messages become dead letters", async () => {
  const { system, ref, settled, tells } = await burstAgainstBlockedConsumer(
    "backpressure",
    2,
    5,
  );
  assert.deepEqual(settled, [1, 2]);
  await system.stop(ref); // abandons the blocked handler
  await Promise.all(tells);
  assert.deepEqual(settled, [1, 2, 3, 4, 5]);
  assert.equal(system.deadLetters.count, 5, "2 queued + 3 parked");
  await system.shutdown();
});

test("a parked tell rejects with signal.reason on abort and is not delivered", async () => {
  const { system, gates, seen, ref } = await burstAgainstBlockedConsumer(
    "backpressure",
    1,
    1,
  );
  const controller = new AbortController();
  const parked = ref.tell(99, { signal: controller.signal });
  const reason = new Error("gave up");
  controller.abort(reason);
  await assert.rejects(parked, (error) => error === reason);
  gates.open(0);
  gates.open(1);
  await gates.started(1);
  await flushMicrotasks();
  assert.deepEqual(seen, [0, 1]);
  assert.equal(system.stats(ref)?.dropped, 1);
  await system.shutdown();
});

test("system messages are served before queued user messages: a stop drains nothing further", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const gates = new Gates();
  const seen: number[] = [];
  const ref = system.spawn<number>("consumer", {
    create: () => ({
      async receive(n) {
        seen.push(n);
        if (n === 0) await gates.enter(0);
      },
    }),
  });
  for (let n = 0; n < 5; n++) await ref.tell(n);
  await gates.started(0);
  const stopping = system.stop(ref);
  gates.open(0);
  await stopping;
  assert.deepEqual(seen, [0]);
  assert.equal(system.deadLetters.count, 4);
});

test("invalid mailbox options are rejected at spawn with the option named", async () => {
  await using system = new ActorSystem();
  const create = () => ({ receive() {} });
  assert.throws(
    () => system.spawn("a", { create, mailbox: { capacity: 0 } }),
    (error) => error instanceof RangeError && /mailbox\.capacity is 0/.test(error.message),
  );
  assert.throws(
    () =>
      system.spawn("b", {
        create,
        mailbox: { overflow: "drop-all" as OverflowPolicy },
      }),
    (error) => error instanceof TypeError && /mailbox\.overflow.*"drop-oldest"/.test(error.message),
  );
  assert.deepEqual(system.alive(), []);
});
