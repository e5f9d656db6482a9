import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { NetGear } from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";

/** When (Date.now()) each port's heartbeat count went up, sampled every 10 ms for `ms`. */
async function heartbeatTimes(
  stats: () => Promise<{ port: number; heartbeats: number }[]>,
  ms: number,
): Promise<Map<number, number[]>> {
  const times = new Map<number, number[]>();
  const last = new Map<number, number>();
  const until = Date.now() + ms;
  while (Date.now() < until) {
    for (const { port, heartbeats } of await stats()) {
      if (last.has(port) && heartbeats > last.get(port)!) {
        times.set(port, [...times.get(port) ?? [], Date.now()]);
      }
      last.set(port, heartbeats);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return times;
}

Deno.test("idle NetGear servers started apart heartbeat in step, about once an interval", async () => {
  // The client serves heartbeats that arrive together in one wake-up: servers
  // tick on the wall clock's grid, so these two fall into step although the
  // second starts 100 ms after the first (a quarter interval, half the old
  // ticks' period: on per-server clocks they stayed that far apart).
  const heartbeatInterval = 400;
  const ports = freePorts(2);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
    pattern: 1,
    heartbeatInterval,
  });
  const options = { multiserverMode: true, pattern: 1, heartbeatInterval } as const;
  await using first = await NetGear.open({ ...options, port: ports[0] });
  const hello = first.send(undefined, { message: "first" });
  // A phase offset between the two servers' starts (not a synchronisation).
  await new Promise((resolve) => setTimeout(resolve, 100));
  await using second = await NetGear.open({ ...options, port: ports[1] });
  const hello2 = second.send(undefined, { message: "second" });
  // REQ/REP: each reply waits for the user's recv.
  for (let i = 0; i < 2; i++) assert.notEqual(await client.recv(), null);
  await Promise.all([hello, hello2]);

  const times = await heartbeatTimes(() => client.stats(), 2600);
  const [a, b] = ports.map((port) => times.get(port) ?? []);
  assert.ok(a.length >= 4 && b.length >= 4, `heartbeats seen: ${a.length} and ${b.length}`);
  for (const series of [a, b]) {
    for (let i = 1; i < series.length; i++) {
      const gap = series[i] - series[i - 1];
      // About an interval (sampling adds up to ~20 ms either way); the
      // idle gap stays within 1.25 intervals.
      assert.ok(gap > 300 && gap < 520, `gap of ${gap} ms between heartbeats (interval 400)`);
    }
  }
  for (const at of b) {
    const nearest = Math.min(...a.map((other) => Math.abs(other - at)));
    assert.ok(nearest < 60, `the second server's heartbeat came ${nearest} ms from the first's`);
  }
});
