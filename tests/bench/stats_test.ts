import assert from "node:assert/strict";
import { formatRatio, pairedRatios, spread } from "./_stats.ts";

Deno.test("pairedRatios() pairs runs by round and drops rounds either side lacks", () => {
  const actorgear = { rounds: [1, 2, 4], values: [90, 80, 70] };
  const node = { rounds: [1, 3, 4], values: [100, 50, 140] };
  assert.deepEqual(pairedRatios(actorgear, node), [0.9, 0.5]);
  assert.deepEqual(pairedRatios(node, actorgear), [100 / 90, 2]);
  assert.deepEqual(pairedRatios(actorgear, { rounds: [], values: [] }), []);
});

Deno.test("pairedRatios() leaves out ratios that are not finite numbers", () => {
  const a = { rounds: [1, 2, 3], values: [NaN, 5, 6] };
  const b = { rounds: [1, 2, 3], values: [1, 0, 3] };
  assert.deepEqual(pairedRatios(a, b), [2], "NaN / 1 and 5 / 0 are no ratios");
});

Deno.test("formatRatio() writes percentages and multiples with their spread", () => {
  assert.equal(formatRatio(spread([0.85, 0.93, 1.01]), "percent"), "93 (85–101)");
  assert.equal(formatRatio(spread([0.934]), "percent"), "93");
  assert.equal(formatRatio(spread([1.31, 1.52, 1.8]), "times"), "1.52x (1.31–1.80)");
  assert.equal(formatRatio(spread([]), "times"), "");
});
