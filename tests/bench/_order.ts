/**
 * The order in which a round of the bench runs its implementations
 * (ActorGear, Node, pyzmq, ...): the one that runs first in a round meets
 * a machine in another state (caches, the CPU's clock, the load other work
 * leaves) than the one that runs last, so a fixed order would bias every
 * paired ratio the same way. Each case gets a seeded shuffle, rotated by one
 * place every round: over as many rounds as implementations, each takes
 * each place once, and the seed printed with the report replays the order.
 *
 * @module
 */

/**
 * A seeded pseudo-random generator (mulberry32): the same seed, the same
 * sequence, on every runtime and machine.
 *
 * @param seed Any integer (taken modulo 2^32).
 * @returns A function giving numbers in [0, 1).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededRandom } from "./_order.ts";
 * const a = seededRandom(7);
 * const b = seededRandom(7);
 * assert.equal(a(), b());
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A shuffled copy (Fisher–Yates).
 *
 * @param items What to shuffle (left as it is).
 * @param random Numbers in [0, 1), such as `seededRandom(seed)`.
 * @returns The items in a new order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededRandom, shuffled } from "./_order.ts";
 * assert.deepEqual(shuffled([1, 2, 3], seededRandom(1)).sort(), [1, 2, 3]);
 * ```
 */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * The order of round `round` (from 1): the case's base order rotated left
 * by `round - 1` places.
 *
 * @param base The case's order in round 1.
 * @param round The round, from 1.
 * @returns The order to run in that round.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roundOrder } from "./_order.ts";
 * assert.deepEqual(roundOrder(["a", "b", "c"], 2), ["b", "c", "a"]);
 * ```
 */
export function roundOrder<T>(base: readonly T[], round: number): T[] {
  if (base.length === 0) return [];
  const by = (round - 1) % base.length;
  return [...base.slice(by), ...base.slice(0, by)];
}
