import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import {
  Pipeline,
  type Processor,
  type ProcessorItem,
  TextOverlay,
} from "../../../actors/processing/mod.ts";
import { NetGear, type NetGearServer } from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { sha256, testFrame } from "../../_helpers/frames.ts";
import { Gate } from "./_helpers.ts";

const QUIET = { logLevel: "silent" } as const;

async function openAll(ports: number[]): Promise<NetGearServer[]> {
  return await Promise.all(
    ports.map((port) => NetGear.open({ multiserverMode: true, port, pattern: 1 })),
  );
}

/** Sends `count` test frames as fast as the client takes them, then leaves. */
async function stream(server: NetGearServer, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    await server.send(testFrame(server.port, n), { message: `${server.port}-${n}` });
  }
  await server.close();
}

function byteSum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i];
  return sum;
}

const checksum: Processor = {
  name: "checksum",
  process: (item) => ({ data: { sum: byteSum(item.frame!.data) } }),
};

Deno.test("Pipeline of two processors on a live stream from two NetGear servers annotates and draws every frame", async () => {
  const FRAMES = 25;
  const ports = freePorts(2);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
    pattern: 1,
  });
  await using pipeline = new Pipeline([
    checksum,
    new TextOverlay({ text: (item) => String(item.seq), x: 1, y: 1, scale: 1 }),
  ], { ...QUIET, mailbox: { capacity: 64 } }); // room for every frame: this test is not about drops
  const sending = Promise.all((await openAll(ports)).map((server) => stream(server, FRAMES)));
  const received = new Map<number, ProcessorItem[]>(ports.map((port) => [port, []]));
  for await (const item of pipeline.run(client)) received.get(item.port)!.push(item);
  await sending;

  const overlay = new TextOverlay({ text: (item) => String(item.seq), x: 1, y: 1, scale: 1 });
  for (const port of ports) {
    const items = received.get(port)!;
    assert.deepEqual(items.map((i) => i.seq), Array.from({ length: FRAMES }, (_, n) => n));
    for (const item of items) {
      const original = testFrame(port, item.seq);
      assert.equal(item.message, `${port}-${item.seq}`);
      assert.equal(item.data.sum, byteSum(original.data), "stage 1 saw the frame as sent");
      const expected = overlay.process({ ...item, frame: original }) as {
        frame: { data: Uint8Array };
      };
      assert.equal(await sha256(item.frame!.data), await sha256(expected.frame.data));
      assert.ok(
        typeof (item as { receivedAt?: number }).receivedAt === "number",
        "client fields kept",
      );
    }
  }
  const stats = pipeline.stats();
  assert.equal(stats.entered, 2 * FRAMES);
  assert.deepEqual(stats.stages.map((s) => [s.processed, s.dropped, s.failed]), [
    [2 * FRAMES, 0, 0],
    [2 * FRAMES, 0, 0],
  ]);
});

Deno.test("Pipeline restarts a processor that throws once; the client receives every later frame", async () => {
  const FRAMES = 30;
  const ports = freePorts(2);
  const [failing] = ports;
  let thrown = 0;
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
    pattern: 1,
  });
  await using pipeline = new Pipeline([{
    name: "flaky",
    processor: () => ({
      name: "flaky",
      process(item) {
        if (item.port === failing && item.seq === 5 && thrown++ === 0) {
          throw new Error("one bad frame");
        }
        return { data: { ok: true } };
      },
    }),
  }], { ...QUIET, mailbox: { capacity: 64 } });
  const sending = Promise.all((await openAll(ports)).map((server) => stream(server, FRAMES)));
  const seqs = new Map<number, number[]>(ports.map((port) => [port, []]));
  for await (const item of pipeline.run(client)) {
    assert.equal(item.data.ok, true);
    seqs.get(item.port)!.push(item.seq);
  }
  await sending;
  const all = Array.from({ length: FRAMES }, (_, n) => n);
  assert.deepEqual(
    seqs.get(failing),
    all.filter((n) => n !== 5),
    "every frame but the failing one",
  );
  assert.deepEqual(seqs.get(ports[1]), all);
  const [stage] = pipeline.stats().stages;
  assert.deepEqual([stage.failed, stage.restarts, stage.dropped], [1, 1, 0]);
});

Deno.test("Pipeline with a stuck stage drops frames while the transport delivers every frame at full speed", async () => {
  const FRAMES = 40;
  const ports = freePorts(2);
  const gate = new Gate();
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
    pattern: 1,
  });
  await using pipeline = new Pipeline([{
    name: "stuck",
    processor: {
      name: "stuck",
      process: async () => {
        await gate.wait(); // the first frame holds the stage until the test opens the gate
      },
    },
  }], QUIET);
  await pipeline.ready();
  const output = (async () => {
    const out: ProcessorItem[] = [];
    for await (const item of pipeline.run(client)) out.push(item);
    return out;
  })();
  // REQ/REP: each send completes only when the client has read the frame,
  // so both servers finishing proves the transport never waited for the stage.
  await Promise.all((await openAll(ports)).map((server) => stream(server, FRAMES)));
  const during = pipeline.stats();
  assert.equal(during.entered, 2 * FRAMES, "every frame was read off the transport");
  assert.equal(during.stages[0].processed, 0, "while the stage had not finished a single one");
  assert.equal(during.stages[0].queued, 4);
  assert.equal(during.stages[0].dropped, 2 * FRAMES - 1 - 4);
  gate.open();
  const out = await output;
  assert.equal(out.length, 5, "the first frame and the newest four");
  for (const port of ports) {
    const seqs = out.filter((i) => i.port === port).map((i) => i.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "in order per port");
  }
});

Deno.test("Pipeline with a slow stage keeps the transport's rate far above the stage's", async () => {
  const FRAMES = 60;
  const SLOW_MS = 20;
  const ports = freePorts(2);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
    pattern: 1,
  });
  await using pipeline = new Pipeline([{
    name: "slow",
    processor: {
      name: "slow",
      process: () => new Promise<void>((resolve) => setTimeout(resolve, SLOW_MS)),
    },
  }], QUIET);
  await pipeline.ready();
  const consumed = (async () => {
    let n = 0;
    for await (const _ of pipeline.run(client)) n++;
    return n;
  })();
  const start = performance.now();
  await Promise.all((await openAll(ports)).map((server) => stream(server, FRAMES)));
  const transportMs = performance.now() - start;
  const delivered = await consumed;
  const [stage] = pipeline.stats().stages;
  assert.equal(pipeline.stats().entered, 2 * FRAMES);
  assert.equal(delivered, stage.processed);
  assert.equal(
    stage.processed + stage.dropped,
    2 * FRAMES,
    "every frame processed or counted as dropped",
  );
  assert.ok(stage.dropped > 0);
  // Paced by the stage, 120 frames would take 120 x 20 ms = 2.4 s.
  assert.ok(
    transportMs < (2 * FRAMES * SLOW_MS) / 2,
    `the transport took ${transportMs.toFixed(0)} ms for ${2 * FRAMES} frames`,
  );
});
