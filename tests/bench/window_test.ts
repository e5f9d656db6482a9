import assert from "node:assert/strict";
import { now, Pacer, percentile, Window, type WindowResult } from "./_window.mjs";
import { formatSpread, spread } from "./_stats.ts";

function measure(
  feed: (window: Window) => void,
  options: { ports: number; warmupMs: number; windowMs: number },
): Promise<WindowResult> {
  return new Promise((resolve) => {
    const window = new Window({ ...options, onDone: resolve });
    feed(window);
  });
}

Deno.test("Window ignores warm-up and counts seq gaps only inside the window", async () => {
  const result = await measure((window) => {
    // Warm-up: a gap here (0 -> 5) must not count.
    window.record(0, 0, now(), 100);
    window.record(0, 5, now(), 100);
    setTimeout(() => {
      const sentAt = now() - 2;
      window.record(0, 6, sentAt, 100);
      window.record(0, 9, sentAt, 100); // 7 and 8 lost
      window.record(0, 10, sentAt, 100);
    }, 20);
  }, { ports: 1, warmupMs: 10, windowMs: 60 });
  assert.equal(result.frames, 3);
  assert.equal(result.lost, 2);
  assert.ok(Math.abs(result.lostPct - 40) < 1e-9);
  assert.ok(result.p50 >= 2 && result.p50 < 50, `p50 ${result.p50}`);
  assert.ok(Number.isNaN(result.netP50), "no receivedAt given, no transport latency");
  assert.ok(Math.abs(result.fps - 3 / result.seconds) < 1e-9);
  assert.ok(result.seconds >= 0.059, `window ${result.seconds} s`);
});

Deno.test("Window starts only once every port has delivered", async () => {
  let started = 0;
  const result = await measure((window) => {
    window.record(0, 0, now(), 1);
    // Port 1 is late: nothing may be measured before it shows up.
    setTimeout(() => {
      assert.equal(window.phase, "waiting");
      window.record(1, 0, now(), 1);
      started = now();
      // Timers fire in deadline order: these land after the warm-up's end.
      setTimeout(() => {
        window.record(0, 1, now(), 1, now());
        window.record(1, 1, now(), 1, now());
        window.record(1, 2, now(), 1, now());
      }, 20);
    }, 15);
  }, { ports: 2, warmupMs: 10, windowMs: 50 });
  assert.ok(started > 0);
  assert.deepEqual(result.perPortFps.map((fps) => Math.round(fps * result.seconds)), [1, 2]);
  assert.ok(!Number.isNaN(result.netP50));
});

Deno.test("percentile and spread pick nearest ranks and ignore NaN runs", () => {
  assert.equal(percentile(new Float64Array([1, 2, 3, 4]), 0.5), 2);
  assert.equal(percentile(new Float64Array([1, 2, 3, 4]), 0.99), 4);
  assert.ok(Number.isNaN(percentile(new Float64Array(0), 0.5)));
  assert.deepEqual(spread([4, NaN, 1, 3, 2]), { median: 2.5, min: 1, max: 4, n: 4 });
  assert.equal(formatSpread(spread([NaN]), 1), "-");
  assert.equal(formatSpread(spread([1.25]), 1), "1.3");
});

Deno.test("Pacer schedules from its start time, so late sends do not drift", () => {
  const pacer = new Pacer(10, 1000); // a slot every 100 ms from t = 1000
  assert.equal(pacer.next(1001), 1100);
  // Sent 30 ms late: the next slot stays on the grid, not 100 ms after the send.
  assert.equal(pacer.next(1130), 1200);
  assert.equal(pacer.next(1250), 1300, "less than an interval late: send at once, keep the grid");
  assert.equal(pacer.skipped, 0);
});

Deno.test("Pacer skips the slots a sender missed by a whole interval, and counts them", () => {
  const pacer = new Pacer(10, 0);
  // Slot 1 (100) went by, and slots 2 and 3 too: send now for slot 3, skip 1 and 2.
  assert.equal(pacer.next(350), 300);
  assert.equal(pacer.skipped, 2);
  assert.equal(pacer.next(351), 400);
  assert.equal(pacer.skipped, 2);
});
