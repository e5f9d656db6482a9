import assert from "node:assert/strict";
import { machineName, machineWindow, parseCpuLine, parseCpuModel, readCpu } from "./_machine.ts";

Deno.test("parseCpuLine() adds busy fields, keeps steal apart and refuses other lines", () => {
  const s = parseCpuLine("cpu  100 1 50 800 9 2 4 6 3 0", 7)!;
  assert.deepEqual(s, { at: 7, busy: 100 + 1 + 50 + 2 + 4, steal: 6, total: 972 });
  assert.equal(parseCpuLine("cpu0 100 1 50 800 9 2 4 6 0 0", 0), undefined, "a single CPU");
  assert.equal(parseCpuLine("cpu  1 2 3", 0), undefined, "too few fields");
  assert.equal(parseCpuLine("cpu  a b c d e f g h", 0), undefined, "not numbers");
});

Deno.test("machineWindow() gives busy time and shares between two samples", () => {
  const a = parseCpuLine("cpu  100 0 50 800 0 0 0 0 0 0", 0)!;
  const b = parseCpuLine("cpu  200 0 100 900 0 0 0 50 0 0", 2000)!;
  const w = machineWindow(a, b);
  assert.equal(w.busyMs, 1500, "150 ticks of 10 ms");
  assert.equal(w.busyPct, 50);
  assert.ok(Math.abs(w.stealPct - 100 / 6) < 1e-9);
  assert.equal(w.ms, 2000);
  assert.ok(Number.isNaN(machineWindow(a, a).busyPct), "no tick, no share");
});

Deno.test({
  name: "readCpu() reads this machine's counters, which only grow",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const first = await readCpu();
    assert.ok(first, "Linux has /proc/stat");
    // No event marks a tick of /proc/stat: let 30 ms pass (3 ticks per CPU).
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = (await readCpu())!;
    assert.ok(second.total > first.total, "time passed");
    assert.ok(second.busy >= first.busy && second.steal >= first.steal);
  },
});

Deno.test("parseCpuModel() takes the first model name and nothing else", () => {
  const text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13  \n" +
    "processor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
  assert.equal(parseCpuModel(text), "AMD EPYC 7B13");
  assert.equal(parseCpuModel("processor\t: 0\nCPU part\t: 0xd0c\n"), undefined, "arm64 has none");
  assert.equal(parseCpuModel("model name\t:\n"), undefined, "empty");
});

Deno.test({
  name: "machineName() names the host and counts the CPUs",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const name = await machineName();
    assert.match(name, new RegExp(`${navigator.hardwareConcurrency} CPUs$`));
    assert.ok(name.startsWith(Deno.hostname()), name);
  },
});
