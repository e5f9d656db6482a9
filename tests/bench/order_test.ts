import assert from "node:assert/strict";
import { roundOrder, seededRandom, shuffled } from "./_order.ts";

Deno.test("seededRandom() replays its sequence for a seed and differs across seeds", () => {
  const take = (seed: number): number[] => {
    const random = seededRandom(seed);
    return Array.from({ length: 5 }, () => random());
  };
  assert.deepEqual(take(42), take(42));
  assert.notDeepEqual(take(42), take(43));
  assert.ok(take(9).every((x) => x >= 0 && x < 1));
});

Deno.test("shuffled() keeps every item, leaves its input alone and varies with the seed", () => {
  const items = ["ActorGear", "Node", "pyzmq"] as const;
  const seen = new Set<string>();
  for (let seed = 0; seed < 50; seed++) {
    const order = shuffled(items, seededRandom(seed));
    assert.deepEqual([...order].sort(), [...items].sort());
    seen.add(order.join());
  }
  assert.deepEqual(items, ["ActorGear", "Node", "pyzmq"]);
  assert.equal(seen.size, 6, "all six orders of three occur over 50 seeds");
});

Deno.test("roundOrder() puts each implementation in each place once over as many rounds", () => {
  const base = ["a", "b", "c"];
  const rounds = [1, 2, 3].map((round) => roundOrder(base, round));
  assert.deepEqual(rounds, [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]);
  for (let place = 0; place < 3; place++) {
    assert.deepEqual(rounds.map((order) => order[place]).sort(), base);
  }
  assert.deepEqual(roundOrder(base, 4), base, "round 4 starts the cycle again");
  assert.deepEqual(roundOrder([], 2), []);
});
