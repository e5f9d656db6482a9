import assert from "node:assert/strict";
import {
  Pipeline,
  PipelineClosedError,
  type Processor,
  ProcessorError,
  StageStoppedError,
} from "../../../actors/processing/mod.ts";
import { collect, Gate, grayFrame, itemsOf, keys, Recorder } from "./_helpers.ts";

const QUIET = { logLevel: "silent" } as const;

Deno.test("Pipeline passes every item through its stages in order, merging data and frames", async () => {
  const replacement = grayFrame(2, 2, 9);
  await using pipeline = new Pipeline([
    new Recorder("first", (item) => ({ data: { first: item.seq } })),
    new Recorder("second", (item) => {
      // Later stages see earlier annotations.
      assert.equal(item.data.first, item.seq);
      item.data.direct = true;
      return item.seq === 1 ? { frame: replacement, message: "replaced" } : item;
    }),
  ], { ...QUIET, mailbox: { capacity: 16 } }); // room for every item: this test is not about drops
  const out = await collect(pipeline.run(itemsOf([5566, 5567], 3, () => grayFrame(2, 2))));
  assert.deepEqual(keys(out), ["5566/0", "5567/0", "5566/1", "5567/1", "5566/2", "5567/2"]);
  for (const item of out) {
    assert.deepEqual(item.data, { first: item.seq, direct: true });
    assert.equal(item.message, item.seq === 1 ? "replaced" : `${item.port}/${item.seq}`);
    assert.equal(item.frame === replacement, item.seq === 1);
  }
  const stats = pipeline.stats();
  assert.equal(stats.entered, 6);
  assert.equal(stats.completed, 6);
  assert.deepEqual(stats.stages.map((s) => [s.name, s.processed, s.dropped, s.failed]), [
    ["first", 6, 0, 0],
    ["second", 6, 0, 0],
  ]);
});

Deno.test("Pipeline leaves items from ports outside `ports` untouched", async () => {
  const recorder = new Recorder("tag", () => ({ data: { tagged: true } }));
  await using pipeline = new Pipeline([recorder], {
    ...QUIET,
    ports: [5566],
    mailbox: { capacity: 16 },
  });
  const frames = new Map<string, unknown>();
  const out = await collect(
    pipeline.run(itemsOf([5566, 5567], 3, (port, seq) => {
      const frame = grayFrame(2, 2, seq);
      frames.set(`${port}/${seq}`, frame);
      return frame;
    })),
  );
  assert.deepEqual(recorder.seen, ["5566/0", "5566/1", "5566/2"]);
  for (const item of out) {
    assert.deepEqual(item.data, item.port === 5566 ? { tagged: true } : {});
    assert.equal(
      item.frame,
      frames.get(`${item.port}/${item.seq}`),
      "the frame object passes as is",
    );
    assert.equal(item.message, `${item.port}/${item.seq}`);
  }
  assert.deepEqual(keys(out.filter((i) => i.port === 5567)), ["5567/0", "5567/1", "5567/2"]);
  assert.equal(pipeline.stats().bypassed, 3);
  // On the server side too: process() returns the input for another port.
  const direct = await pipeline.process(undefined, { port: 5599, message: "m" });
  assert.deepEqual(direct?.data, {});
});

Deno.test("Pipeline drops the oldest items at a busy stage, counts them, and never blocks the input", async () => {
  const gate = new Gate();
  const exhausted = Promise.withResolvers<void>();
  async function* source() {
    for (let seq = 0; seq < 20; seq++) yield { port: 1, seq };
    // Reached only once the pipeline asked for more after admitting item 19.
    exhausted.resolve();
  }
  const slow = new Recorder("slow", async (item) => {
    if (item.seq === 0) await gate.wait();
  });
  await using pipeline = new Pipeline([slow], { ...QUIET, mailbox: { capacity: 4 } });
  const output = collect(pipeline.run(source()));
  await gate.entered;
  // The source is read to its end while the stage is stuck on item 0.
  await exhausted.promise;
  assert.equal(pipeline.stats().entered, 20);
  const blocked = pipeline.stats().stages[0];
  assert.equal(blocked.processed, 0);
  assert.equal(blocked.queued, 4);
  assert.equal(blocked.dropped, 15, "20 items: 1 in hand, the newest 4 queued, 15 dropped");
  gate.open();
  const out = await output;
  assert.deepEqual(keys(out), ["1/0", "1/16", "1/17", "1/18", "1/19"], "the newest kept, in order");
  const stage = pipeline.stats().stages[0];
  assert.equal(stage.processed + stage.dropped + stage.failed, 20);
});

Deno.test("Pipeline with a backpressure mailbox loses nothing: the input waits for the stage", async () => {
  const seen: number[] = [];
  await using pipeline = new Pipeline([
    new Recorder("slow", async (item) => {
      seen.push(item.seq);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }),
  ], { ...QUIET, mailbox: { capacity: 1, overflow: "backpressure" } });
  const out = await collect(pipeline.run(itemsOf([1], 15)));
  assert.equal(out.length, 15);
  assert.deepEqual(seen, Array.from({ length: 15 }, (_, i) => i));
  assert.equal(pipeline.stats().stages[0].dropped, 0);
});

Deno.test("Pipeline restarts a stage whose processor throws; the failing item alone is dropped", async () => {
  let instances = 0;
  const closed: number[] = [];
  const factory = (): Processor => {
    const instance = ++instances;
    return {
      name: "flaky",
      process(item) {
        if (item.seq === 3) throw new Error("cannot handle 3");
        return { data: { instance } };
      },
      close: () => void closed.push(instance),
    };
  };
  const pipeline = new Pipeline([{ processor: factory, name: "flaky" }], {
    logLevel: "silent",
    mailbox: { capacity: 64 },
  });
  const out = await collect(pipeline.run(itemsOf([1], 8)));
  assert.deepEqual(out.map((i) => i.seq), [0, 1, 2, 4, 5, 6, 7]);
  assert.deepEqual(
    out.map((i) => i.data.instance),
    [1, 1, 1, 2, 2, 2, 2],
    "a fresh processor after the restart",
  );
  const [stage] = pipeline.stats().stages;
  assert.deepEqual([stage.processed, stage.failed, stage.restarts, stage.dropped], [7, 1, 1, 0]);
  assert.deepEqual(closed, [1], "the failed instance was closed");
  await pipeline.close();
  assert.deepEqual(closed, [1, 2], "the last instance closes with the pipeline");
});

Deno.test("Pipeline.process rejects with ProcessorError for the failing item and serves the next", async () => {
  const processor: Processor = {
    name: "picky",
    process: (item) => {
      if (item.message === "bad") throw new TypeError("bad message");
      return { data: { ok: true } };
    },
  };
  await using pipeline = new Pipeline([processor], QUIET);
  await assert.rejects(
    pipeline.process(undefined, { message: "bad", port: 7, seq: 41 }),
    (error) => {
      assert.ok(error instanceof ProcessorError);
      assert.equal(error.stage, "picky");
      assert.equal(error.port, 7);
      assert.equal(error.seq, 41);
      assert.ok(error.cause instanceof TypeError);
      return true;
    },
  );
  const next = await pipeline.process(undefined, { message: "good" });
  assert.deepEqual(next?.data, { ok: true });
  assert.equal(next?.seq, 42, "seq counts on from the last one given");
  assert.equal(pipeline.stats().stages[0].restarts, 1);
});

Deno.test("Pipeline.process resolves null for an item a full mailbox dropped", async () => {
  const gate = new Gate();
  await using pipeline = new Pipeline([
    new Recorder("slow", async (item) => {
      if (item.seq === 0) await gate.wait();
      return { data: { done: item.seq } };
    }),
  ], { ...QUIET, mailbox: { capacity: 1 } });
  const first = pipeline.process(undefined, { seq: 0 });
  await gate.entered;
  // The stage is busy with item 0: its one-slot mailbox keeps only the newest of 1, 2, 3.
  const calls = [first, ...[1, 2, 3].map((seq) => pipeline.process(undefined, { seq }))];
  gate.open();
  const results = await Promise.all(calls);
  assert.deepEqual(results.map((r) => r?.data.done ?? null), [0, null, null, 3]);
});

Deno.test("Pipeline stops with StageStoppedError once a stage exceeds its restart budget", async () => {
  const pipeline = new Pipeline([{
    name: "always-fails",
    processor: { name: "x", process: () => Promise.reject(new RangeError("broken")) },
  }], { logLevel: "silent", maxRestarts: 2, withinMs: 60_000, mailbox: { capacity: 64 } });
  const iterate = collect(pipeline.run(itemsOf([1], 10)));
  await assert.rejects(iterate, (error) => {
    assert.ok(error instanceof StageStoppedError);
    assert.equal(error.stage, "always-fails");
    assert.ok(error.cause instanceof RangeError);
    return true;
  });
  await assert.rejects(pipeline.process(undefined), StageStoppedError);
  await assert.rejects(pipeline.ready(), StageStoppedError);
  await pipeline.close();
});

Deno.test("Pipeline.ready waits for slow starts and rejects when a stage can never start", async () => {
  const started = Promise.withResolvers<void>();
  let release!: () => void;
  const pipeline = new Pipeline([{
    name: "loader",
    processor: {
      name: "loader",
      start: () => new Promise<void>((resolve) => (release = resolve, started.resolve())),
      process: () => undefined,
    },
  }], QUIET);
  let ready = false;
  const waiting = pipeline.ready().then(() => ready = true);
  await started.promise;
  assert.equal(ready, false);
  release();
  await waiting;
  assert.equal(ready, true);
  await pipeline.close();

  const broken = new Pipeline([{
    name: "missing-model",
    processor: {
      name: "m",
      start: () => Promise.reject(new Error("no model")),
      process: () => undefined,
    },
  }], { logLevel: "silent", maxRestarts: 1 });
  await assert.rejects(broken.ready(), StageStoppedError);
  await broken.close();
});

Deno.test("Pipeline.close ends run iterators, rejects waiting process calls, closes processors; twice is safe", async () => {
  const gate = new Gate();
  let closes = 0;
  const pipeline = new Pipeline([{
    name: "stuck",
    processor: { name: "stuck", process: () => gate.wait(), close: () => void closes++ },
  }], QUIET);
  const pending = pipeline.process(undefined);
  await gate.entered;
  await pipeline.close();
  await pipeline.close();
  await assert.rejects(pending, PipelineClosedError);
  await assert.rejects(pipeline.process(undefined), PipelineClosedError);
  assert.deepEqual(await collect(pipeline.run(itemsOf([1], 3))), []);
  assert.equal(closes, 1);
  gate.open();
});

Deno.test("Pipeline drawing stages copy a frame once per item and never touch the input", async () => {
  const writable: boolean[] = [];
  const draw = (name: string, value: number): Processor => ({
    name,
    process(item, context) {
      const frame = context.writableFrame(item.frame!);
      writable.push(frame === item.frame);
      frame.data[0] = value;
      return { frame };
    },
  });
  await using pipeline = new Pipeline([draw("a", 1), draw("b", 2)], QUIET);
  const input = grayFrame(2, 2, 0);
  const out = await pipeline.process(input);
  assert.deepEqual(
    writable,
    [false, true],
    "the first stage copies, the second draws on that copy",
  );
  assert.equal(out?.frame?.data[0], 2);
  assert.equal(input.data[0], 0, "the input frame is untouched");
});

Deno.test("Pipeline rejects bad stages and options with messages naming them", () => {
  assert.throws(() => new Pipeline([{}]), /needs exactly one of processor or worker/);
  assert.throws(
    () => new Pipeline([{ processor: { name: "x" } as unknown as Processor }]),
    /has no process\(\) method/,
  );
  assert.throws(() => new Pipeline([{ worker: "./relative.ts" }]), /expected an absolute URL/);
  assert.throws(() => new Pipeline([], { mailbox: { capacity: 0 } }), RangeError);
  assert.throws(
    () => new Pipeline([], { output: { overflow: "drop-all" as "drop-oldest" } }),
    /valid choices are "backpressure", "drop-oldest", "drop-newest"/,
  );
  assert.throws(() => new Pipeline([], { ports: [-1] }), /ports is \[-1\]/);
});

Deno.test("Pipeline names stages uniquely in stats", async () => {
  const noop = (): Processor => ({ name: "same", process: () => undefined });
  await using pipeline = new Pipeline([noop(), noop(), { processor: noop }], QUIET);
  assert.deepEqual(pipeline.stats().stages.map((s) => s.name), ["same", "same-2", "stage-2"]);
});
