import assert from "node:assert/strict";
import {
  BoundedQueue,
  type OverflowPolicy,
  resolveQueueOptions,
} from "../../actors/bounded_queue.ts";
import { flushMicrotasks } from "./_helpers.ts";

Deno.test("BoundedQueue keeps FIFO order across wrap-around and growth", () => {
  const queue = new BoundedQueue<number>({ capacity: Infinity });
  const out: number[] = [];
  let next = 0;
  // Interleave pushes and polls so the ring's head wraps before it grows.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 3; i++) assert.equal(queue.push(next++), undefined);
    out.push(queue.poll()!, queue.poll()!);
  }
  while (queue.length > 0) out.push(queue.poll()!);
  assert.deepEqual(out, Array.from({ length: next }, (_, i) => i));
  assert.equal(queue.poll(), undefined, "an empty queue polls undefined");
});

Deno.test("drop-oldest: push returns the item it discarded, offer never waits", async () => {
  const queue = new BoundedQueue<number>({ capacity: 2, overflow: "drop-oldest" });
  assert.equal(queue.push(1), undefined);
  assert.equal(queue.push(2), undefined);
  assert.equal(queue.push(3), 1);
  assert.equal(queue.offer(4), undefined);
  assert.equal(queue.dropped, 2);
  assert.equal(queue.length, 2);
  assert.equal(await queue.take(), 3);
  assert.equal(await queue.take(), 4);
});

Deno.test("drop-newest: the new item is discarded and counted", () => {
  const queue = new BoundedQueue<string>({ capacity: 1, overflow: "drop-newest" });
  queue.push("a");
  assert.equal(queue.push("b"), "b");
  assert.equal(queue.offer("c"), undefined);
  assert.equal(queue.dropped, 2);
  assert.equal(queue.poll(), "a");
  assert.equal(queue.length, 0);
});

Deno.test("backpressure: offers wait in FIFO order and each poll lets one in", async () => {
  const queue = new BoundedQueue<number>({ capacity: 2 });
  const admitted: number[] = [];
  for (let n = 1; n <= 5; n++) {
    const waiting = queue.offer(n);
    if (waiting === undefined) admitted.push(n);
    else void waiting.then(() => admitted.push(n));
  }
  assert.deepEqual(admitted, [1, 2]);
  assert.equal(queue.length, 2);
  assert.equal(queue.queued, 5);
  assert.equal(queue.poll(), 1);
  await flushMicrotasks();
  assert.deepEqual(admitted, [1, 2, 3]);
  const seen: number[] = [];
  while (queue.length > 0) seen.push(queue.poll()!);
  await flushMicrotasks();
  assert.deepEqual(seen, [2, 3, 4, 5]);
  assert.deepEqual(admitted, [1, 2, 3, 4, 5]);
  assert.equal(queue.dropped, 0);
});

Deno.test("backpressure: an aborted offer is skipped, counted as dropped, and rejects with the reason", async () => {
  const queue = new BoundedQueue<string>({ capacity: 1 });
  queue.offer("a");
  const controller = new AbortController();
  const aborted = queue.offer("b", controller.signal)!;
  const kept = queue.offer("c")!;
  assert.equal(queue.queued, 3);
  const reason = new Error("gave up");
  controller.abort(reason);
  await assert.rejects(aborted, (error) => error === reason);
  assert.equal(queue.queued, 2);
  assert.equal(queue.dropped, 1);
  assert.equal(queue.poll(), "a");
  await kept;
  assert.equal(queue.poll(), "c");
  assert.equal(queue.offer("d", AbortSignal.abort(reason)), undefined);
  assert.equal(queue.length, 1, "an already aborted signal does not matter while there is room");
  await assert.rejects(queue.offer("e", AbortSignal.abort(reason))!, (error) => error === reason);
});

Deno.test("push on a full backpressure queue is refused, uncounted; room() waits for a slot", async () => {
  const queue = new BoundedQueue<number>({ capacity: 1 });
  queue.push(1);
  assert.equal(queue.push(2), 2, "a full backpressure queue hands the item back");
  assert.equal(queue.dropped, 0);
  let woke = false;
  const room = queue.room()!;
  assert.equal(queue.room(), room, "one promise per wait");
  void room.then(() => woke = true);
  await flushMicrotasks();
  assert.equal(woke, false);
  assert.equal(await queue.take(), 1);
  await room;
  assert.equal(queue.room(), undefined);
});

Deno.test("room() stays pending while a waiting producer takes the freed slot", async () => {
  const queue = new BoundedQueue<number>({ capacity: 1 });
  queue.push(1);
  const parked = queue.offer(2)!;
  let roomy = false;
  void queue.room()!.then(() => roomy = true);
  queue.poll();
  await parked;
  await flushMicrotasks();
  assert.equal(roomy, false, "the waiting producer got the slot");
  queue.poll();
  await flushMicrotasks();
  assert.equal(roomy, true);
});

Deno.test("take() waits for an item; pushes go to waiting consumers first, in order", async () => {
  const queue = new BoundedQueue<string>({ capacity: 1 });
  const first = queue.take();
  const second = queue.take();
  queue.push("a");
  queue.push("b");
  assert.equal(queue.length, 0, "handed over, not queued");
  assert.deepEqual([await first, await second], ["a", "b"]);
});

Deno.test("an aborted take() rejects with the reason and is forgotten", async () => {
  const queue = new BoundedQueue<number>({ capacity: 2, overflow: "drop-oldest" });
  const controller = new AbortController();
  const pending = queue.take(controller.signal);
  const reason = new Error("gave up");
  controller.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
  queue.push(7);
  assert.equal(queue.length, 1, "the aborted consumer did not take the item");
  assert.equal(await queue.take(), 7);
  await assert.rejects(queue.take(AbortSignal.abort(reason)), (error) => error === reason);
});

Deno.test("finish(): queued and waiting items come out past capacity, then null; later items are turned away", async () => {
  const queue = new BoundedQueue<number>({ capacity: 1 });
  queue.push(1);
  const late = queue.offer(2)!;
  queue.finish();
  await late;
  assert.ok(queue.finished);
  assert.equal(queue.push(3), 3);
  assert.equal(queue.offer(4), undefined);
  assert.equal(queue.room(), undefined);
  assert.deepEqual(
    [await queue.take(), await queue.take(), await queue.take(), await queue.take()],
    [1, 2, null, null],
  );
  const waiting = new BoundedQueue<number>({ capacity: 1 });
  const pending = waiting.take();
  waiting.finish();
  assert.equal(await pending, null);
});

Deno.test("fail(): queued items first, then the error every time; a second end is ignored", async () => {
  const queue = new BoundedQueue<number>({ capacity: 4 });
  const boom = new Error("boom");
  queue.push(1);
  queue.fail(boom);
  queue.fail(new Error("later"));
  queue.finish();
  assert.equal(await queue.take(), 1);
  await assert.rejects(queue.take(), (error) => error === boom);
  await assert.rejects(queue.take(), (error) => error === boom);
  const waiting = new BoundedQueue<number>({ capacity: 1 });
  const pending = waiting.take();
  waiting.fail(boom);
  await assert.rejects(pending, (error) => error === boom);
});

Deno.test("clear(): discards and returns everything, ends waits with null, forgets the error", async () => {
  const queue = new BoundedQueue<number>({ capacity: 1 });
  queue.push(1);
  const parked = queue.offer(2)!;
  const room = queue.room()!;
  assert.deepEqual(queue.clear(), [1, 2]);
  await parked;
  await room;
  assert.equal(await queue.take(), null);
  assert.equal(queue.push(5), 5, "a cleared queue takes nothing");

  const failed = new BoundedQueue<number>({ capacity: 2 });
  failed.push(1);
  failed.fail(new Error("boom"));
  assert.deepEqual(failed.clear(), [1]);
  assert.equal(await failed.take(), null);

  const waiting = new BoundedQueue<number>({ capacity: 1, overflow: "drop-oldest" });
  const pending = waiting.take();
  waiting.clear();
  assert.equal(await pending, null);
});

Deno.test("drain(): hands over queued then waiting items and leaves the queue open", async () => {
  const queue = new BoundedQueue<number>({ capacity: 1 });
  queue.push(1);
  const parked = queue.offer(2)!;
  const drained: number[] = [];
  queue.drain((n) => drained.push(n));
  await parked;
  assert.deepEqual(drained, [1, 2]);
  assert.equal(queue.queued, 0);
  assert.equal(queue.finished, false);
  assert.equal(queue.push(3), undefined);
});

Deno.test("invalid options name the option, the value and the valid choices", () => {
  assert.throws(() => new BoundedQueue({ capacity: 1.5 }), {
    name: "RangeError",
    message: "Cannot create a BoundedQueue: capacity is 1.5; expected an integer >= 1 or Infinity",
  });
  assert.throws(() => new BoundedQueue({ capacity: "4" as unknown as number }), {
    name: "TypeError",
    message: /capacity is "4"/,
  });
  assert.throws(
    () => new BoundedQueue({ capacity: 1, overflow: "drop-all" as OverflowPolicy }),
    {
      name: "TypeError",
      message:
        'Cannot create a BoundedQueue: overflow is "drop-all"; valid choices are "backpressure", "drop-oldest", "drop-newest"',
    },
  );
  const defaults = { capacity: 8, overflow: "drop-oldest" } as const;
  assert.deepEqual(resolveQueueOptions(undefined, defaults, "x", "output"), defaults);
  assert.deepEqual(resolveQueueOptions({ overflow: "backpressure" }, defaults, "x", "output"), {
    capacity: 8,
    overflow: "backpressure",
  });
  assert.throws(() => resolveQueueOptions(5, defaults, "create a pipeline", "output"), {
    name: "TypeError",
    message: "Cannot create a pipeline: output is 5; expected { capacity, overflow }",
  });
  assert.throws(() => resolveQueueOptions({ capacity: -1 }, defaults, "spawn /a", "mailbox"), {
    name: "RangeError",
    message: /^Cannot spawn \/a: mailbox\.capacity is -1;/,
  });
});

Deno.test("waits given up again and again do not pile up while one stays", async () => {
  const queue = new BoundedQueue<number>({ capacity: 1 });
  const first = queue.take();
  for (let i = 0; i < 1000; i++) {
    const controller = new AbortController();
    const pending = queue.take(controller.signal);
    controller.abort();
    await pending.catch(() => {});
  }
  queue.push(1);
  queue.push(2);
  assert.equal(await first, 1, "the live consumer kept its place");
  assert.equal(queue.length, 1, "no aborted consumer took an item");
  const parked = queue.offer(3)!;
  for (let i = 0; i < 1000; i++) {
    const controller = new AbortController();
    const pending = queue.offer(i, controller.signal)!;
    controller.abort();
    await pending.catch(() => {});
  }
  assert.equal(queue.dropped, 1000);
  assert.equal(queue.queued, 2);
  assert.equal(queue.poll(), 2);
  await parked;
  assert.equal(queue.poll(), 3);
});
