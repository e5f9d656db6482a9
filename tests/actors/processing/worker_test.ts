import assert from "node:assert/strict";
import { Pipeline, serveProcessor, StageStoppedError } from "../../../actors/processing/mod.ts";
import type { Frame } from "../../../capture/frame.ts";
import { collect, itemsOf, keys } from "./_helpers.ts";

const INVERT = new URL("./_workers/invert_worker.ts", import.meta.url);
const BROKEN = new URL("./_workers/broken_worker.ts", import.meta.url);
const QUIET = { logLevel: "silent" } as const;

function detached(data: Uint8Array): boolean {
  return (data.buffer as ArrayBuffer).detached;
}

function ramp(length: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length }, (_, i) => i & 0xff);
}

function inverted(data: Uint8Array): number[] {
  return Array.from(data, (v) => 255 - v);
}

Deno.test("Worker stage transfers a frame whose bytes span their buffer: the input is detached", async () => {
  await using pipeline = new Pipeline([{ worker: INVERT, workerOptions: { tag: "w" } }], QUIET);
  await pipeline.ready();
  const data = ramp(4 * 3 * 3);
  const expected = inverted(data);
  const frame: Frame = { width: 4, height: 3, channels: 3, data };
  const out = await pipeline.process(frame, { data: { before: 1 } });
  assert.equal(detached(data), true, "transferred, not copied");
  assert.equal(data.byteLength, 0);
  assert.deepEqual(Array.from(out!.frame!.data), expected);
  assert.deepEqual(out!.data, { before: 1, inverted: true, tag: "w", seenBefore: 1 });
  const [stage] = pipeline.stats().stages;
  assert.deepEqual([stage.name, stage.mode, stage.processed], ["invert_worker", "worker", 1]);
});

Deno.test("Worker stage copies a frame that is a view into a larger buffer, once, leaving it intact", async () => {
  await using pipeline = new Pipeline([{ worker: INVERT }], QUIET);
  const message = new Uint8Array(100); // say, a received network message holding the frame
  const data = message.subarray(10, 10 + 12);
  data.set(ramp(12));
  const frame: Frame = { width: 2, height: 2, channels: 3, data };
  const out = await pipeline.process(frame);
  assert.equal(detached(message), false);
  assert.deepEqual(Array.from(data), Array.from(ramp(12)), "the input's bytes are untouched");
  assert.deepEqual(Array.from(out!.frame!.data), inverted(ramp(12)));
});

Deno.test("Worker stage with transfer: false always copies", async () => {
  await using pipeline = new Pipeline([{ worker: INVERT, transfer: false }], QUIET);
  const data = ramp(12);
  const out = await pipeline.process({ width: 2, height: 2, channels: 3, data });
  assert.equal(detached(data), false);
  assert.deepEqual(Array.from(out!.frame!.data), inverted(ramp(12)));
});

Deno.test("Worker stage processes a stream in order, between in-process stages", async () => {
  await using pipeline = new Pipeline([
    { processor: { name: "before", process: (item) => ({ data: { before: item.seq } }) } },
    { worker: INVERT },
    { processor: { name: "after", process: (item) => ({ data: { first: item.frame!.data[0] } }) } },
  ], { ...QUIET, mailbox: { capacity: 64 } });
  await pipeline.ready();
  const out = await collect(
    pipeline.run(itemsOf([1, 2], 10, (port, seq) => ({
      width: 1,
      height: 1,
      channels: 3,
      data: Uint8Array.of(seq, port, 0),
    }))),
  );
  assert.equal(out.length, 20);
  for (const item of out) {
    assert.deepEqual(Array.from(item.frame!.data), [255 - item.seq, 255 - item.port, 255]);
    assert.equal(item.data.seenBefore, item.seq, "annotations cross into the Worker");
    assert.equal(item.data.first, 255 - item.seq, "and the Worker's frame comes back out");
  }
  assert.deepEqual(
    keys(out.filter((i) => i.port === 1)),
    Array.from({ length: 10 }, (_, s) => `1/${s}`),
  );
});

Deno.test("Worker stage restarts with a new Worker after its processor throws", async () => {
  await using pipeline = new Pipeline([{ worker: INVERT }], QUIET);
  const first = await pipeline.process(undefined, { message: "ok" });
  assert.ok(first !== null);
  await assert.rejects(
    pipeline.process(undefined, { message: "throw", seq: 7 }),
    (error: Error) => {
      assert.equal(error.name, "ProcessorError");
      assert.ok(error.cause instanceof RangeError, "the Worker's error class survives the trip");
      assert.match((error.cause as Error).message, /cannot invert 7/);
      return true;
    },
  );
  const data = ramp(3);
  const after = await pipeline.process({ width: 1, height: 1, channels: 3, data });
  assert.deepEqual(Array.from(after!.frame!.data), inverted(ramp(3)));
  const [stage] = pipeline.stats().stages;
  assert.deepEqual([stage.processed, stage.failed, stage.restarts], [2, 1, 1]);
});

Deno.test("Worker stage whose module cannot load stops the pipeline past its budget", async () => {
  const pipeline = new Pipeline([{ worker: BROKEN }], { ...QUIET, maxRestarts: 1 });
  await assert.rejects(pipeline.ready(), (error) => {
    assert.ok(error instanceof StageStoppedError);
    assert.match(
      String((error.cause as Error).message),
      /Cannot run stage "broken_worker" in a Worker/,
    );
    return true;
  });
  await pipeline.close();
});

Deno.test("serveProcessor refuses to run outside a Worker", () => {
  assert.throws(
    () => serveProcessor(() => ({ name: "x", process: () => undefined })),
    /inside a Worker/,
  );
});
