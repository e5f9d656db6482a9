import assert from "node:assert/strict";
import { FrameQueue } from "../../capture/_frame_queue.ts";

Deno.test("FrameQueue drop-oldest discards and returns the oldest item when full", async () => {
  const queue = new FrameQueue<number>(2, "drop-oldest");
  assert.equal(queue.push(1), undefined);
  assert.equal(queue.push(2), undefined);
  assert.equal(queue.push(3), 1);
  assert.equal(queue.push(4), 2);
  assert.equal(queue.dropped, 2);
  assert.equal(queue.depth, 2);
  assert.equal(await queue.shift(), 3);
  assert.equal(await queue.shift(), 4);
});

Deno.test("FrameQueue backpressure refuses a full push and wakes the producer on shift", async () => {
  const queue = new FrameQueue<number>(1, "backpressure");
  queue.push(1);
  assert.equal(queue.push(2), 2, "a full backpressure queue hands the item back");
  let woke = false;
  const space = queue.space().then(() => woke = true);
  await Promise.resolve();
  assert.equal(woke, false);
  assert.equal(await queue.shift(), 1);
  await space;
  assert.equal(woke, true);
  assert.equal(queue.dropped, 0);
});

Deno.test("FrameQueue hands a pushed item straight to a waiting consumer", async () => {
  const queue = new FrameQueue<string>(1, "backpressure");
  const waiting = queue.shift();
  queue.push("a");
  assert.equal(await waiting, "a");
  assert.equal(queue.depth, 0);
});

Deno.test("FrameQueue delivers queued items before ending with null or the end error", async () => {
  const ok = new FrameQueue<number>(4, "backpressure");
  ok.push(1);
  ok.end();
  assert.equal(await ok.shift(), 1);
  assert.equal(await ok.shift(), null);
  assert.equal(await ok.shift(), null);

  const failed = new FrameQueue<number>(4, "backpressure");
  const boom = new Error("boom");
  failed.push(1);
  failed.end(boom);
  assert.equal(await failed.shift(), 1);
  await assert.rejects(failed.shift(), (e) => e === boom);
  await assert.rejects(failed.shift(), (e) => e === boom);
});

Deno.test("FrameQueue.clear discards items, resolves waiters with null and frees the producer", async () => {
  const queue = new FrameQueue<number>(1, "backpressure");
  queue.push(1);
  const space = queue.space();
  assert.deepEqual(queue.clear(), [1]);
  await space;
  assert.equal(await queue.shift(), null);
  const waiting = new FrameQueue<number>(1, "drop-oldest");
  const pending = waiting.shift();
  waiting.clear();
  assert.equal(await pending, null);
  assert.equal(waiting.push(5), 5, "an ended queue takes nothing");
});

Deno.test("FrameQueue.shift rejects with the signal's reason and forgets the waiter", async () => {
  const queue = new FrameQueue<number>(2, "drop-oldest");
  const controller = new AbortController();
  const pending = queue.shift(controller.signal);
  const reason = new Error("gave up");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  queue.push(7);
  assert.equal(queue.depth, 1, "the aborted waiter did not take the item");
  assert.equal(await queue.shift(), 7);
});
