import assert from "node:assert/strict";
import { DeliveryQueue } from "../../../actors/netgear/delivery_queue.ts";
import type { Received } from "../../../actors/netgear/received.ts";

function delivery(port: number, seq: number): Received {
  return { port, seq, sentAt: 0, receivedAt: 0, frame: undefined, message: seq };
}

Deno.test("DeliveryQueue: a frame that follows skipped ones replaces what its server has queued", async () => {
  const queue = new DeliveryQueue(3);
  for (const seq of [0, 1, 2]) queue.push(delivery(5566, seq));
  queue.push(delivery(5567, 0));
  // Frames 3 to 6 of 5566 were dropped before the queue (the user was
  // behind): 0 to 2 are stale too, and 7 is what the user wants next.
  queue.push(delivery(5566, 7), 4);
  assert.deepEqual(queue.stats(5566), { queued: 1, dropped: 4 + 3 });
  assert.deepEqual(queue.stats(5567), { queued: 1, dropped: 0 }, "other servers untouched");
  const taken = [await queue.take(), await queue.take()].map((d) => `${d?.port}:${d?.seq}`);
  assert.deepEqual(taken.sort(), ["5566:7", "5567:0"]);
  // With the user waiting, the frame goes straight to it; the skipped ones
  // still count.
  const waiting = queue.take();
  queue.push(delivery(5566, 9), 1);
  assert.equal((await waiting)?.seq, 9);
  assert.deepEqual(queue.stats(5566), { queued: 0, dropped: 8 });
});

Deno.test("DeliveryQueue.room hands out one promise per wait, settled when the user takes a frame", async () => {
  const queue = new DeliveryQueue(1);
  assert.equal(queue.room(5566), undefined, "no ring yet: room");
  queue.push(delivery(5566, 0));
  const first = queue.room(5566);
  assert.ok(first);
  assert.equal(queue.room(5566), first, "asking again piles nothing up");
  assert.equal(queue.room(5567), undefined, "another server's ring has room");
  let settled = false;
  void first.then(() => settled = true);
  await queue.take();
  await first;
  assert.ok(settled);
  assert.equal(queue.room(5566), undefined);
  queue.push(delivery(5566, 1));
  const second = queue.room(5566);
  assert.ok(second && second !== first, "a new wait, a new promise");
  queue.finish();
  await second;
});

Deno.test("DeliveryQueue refuses a capacity below 1 when it is made, not at the first frame", () => {
  assert.throws(() => new DeliveryQueue(0), {
    name: "RangeError",
    message: "Cannot create a DeliveryQueue: capacity is 0; expected an integer >= 1 or Infinity",
  });
});

Deno.test("DeliveryQueue: replacing a full server's frames frees its room at once", async () => {
  const queue = new DeliveryQueue(1);
  queue.push(delivery(5566, 0));
  const room = queue.room(5566)!;
  queue.push(delivery(5566, 5), 4);
  await room;
  assert.deepEqual(queue.stats(5566), { queued: 1, dropped: 5 });
  assert.equal(queue.push(delivery(5566, 6))?.seq, 5, "full again: the oldest makes room");
  assert.deepEqual(queue.stats(5566), { queued: 1, dropped: 6 });
});
