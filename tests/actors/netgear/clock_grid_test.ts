import assert from "node:assert/strict";
import { delayToNextTick, GridTicker } from "../../../actors/netgear/_clock_grid.ts";

Deno.test("delayToNextTick: the time to the next multiple of the period, in (0, period]", () => {
  assert.equal(delayToNextTick(1000, 500), 500);
  assert.equal(delayToNextTick(1001, 500), 499);
  assert.equal(delayToNextTick(1499, 500), 1);
  assert.equal(delayToNextTick(1_733_000_000_123, 1000), 877);
  // Before the epoch (a clock set wrong) still lands on the grid.
  assert.equal(delayToNextTick(-1, 500), 1);
  assert.equal(delayToNextTick(0.25, 0.5), 0.25);
});

Deno.test("GridTicker refuses a period that is not a finite number above 0, naming it", () => {
  for (const period of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => new GridTicker(period, () => {}), (error: Error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /period must be a finite number of ms above 0, got /);
      return true;
    });
  }
});

/** Ticks of a ticker started `delayMs` late, as Date.now() values, until `count`. */
async function ticksOf(periodMs: number, delayMs: number, count: number): Promise<number[]> {
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const ticks: number[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();
  const ticker = new GridTicker(periodMs, () => {
    ticks.push(Date.now());
    if (ticks.length === count) resolve();
  });
  const bound = setTimeout(resolve, periodMs * (count + 4));
  ticker.start();
  try {
    await promise;
  } finally {
    ticker.stop();
    clearTimeout(bound);
  }
  return ticks;
}

Deno.test("GridTickers started at different times tick together, on the wall clock's grid", async () => {
  const period = 200;
  const [early, late] = await Promise.all([ticksOf(period, 0, 4), ticksOf(period, 130, 3)]);
  assert.equal(early.length, 4);
  assert.equal(late.length, 3);
  // Each tick is at (a little after, never long after) a multiple of the period.
  for (const at of [...early, ...late]) {
    assert.ok(at % period < 60, `tick ${at % period} ms past the grid`);
  }
  // The late one's ticks coincide with the early one's (not 130 ms apart).
  for (const at of late) {
    const nearest = Math.min(...early.map((other) => Math.abs(other - at)));
    assert.ok(nearest < 60, `a late tick is ${nearest} ms from every early tick`);
  }
});

Deno.test("GridTicker does not tick twice for a grid point its timer reached a hair early", async () => {
  // A clock that reads 1 ms before each grid point whenever the timer fires:
  // without the guard, the next tick would be due 1 ms later.
  let calls = 0;
  let ticks = 0;
  const now = () => calls++ === 0 ? 0 : ticks * 100 - 1;
  const ticker = new GridTicker(100, () => ticks++, now);
  ticker.start();
  await new Promise((resolve) => setTimeout(resolve, 350));
  ticker.stop();
  assert.ok(ticks >= 2 && ticks <= 4, `${ticks} ticks in 350 ms at a 100 ms period`);
});

Deno.test("GridTicker stops: no tick after stop(), also from inside a tick", async () => {
  let ticks = 0;
  const ticker = new GridTicker(20, () => {
    ticks++;
    ticker.stop();
  });
  ticker.start();
  ticker.start(); // a second start while running is a no-op
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(ticks, 1);
});
