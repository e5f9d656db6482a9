/**
 * Small statistics helpers for the ZeroMQ ceiling benchmark.
 *
 * @module
 */

/**
 * Returns the value at quantile `q` of sorted samples (nearest rank).
 *
 * @param sorted Samples in ascending order.
 * @param q Quantile between 0 and 1.
 * @returns The sample at that rank, or NaN if there are none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { percentile } from "./_stats.ts";
 * assert.ok(percentile(new Float64Array([1, 2, 3, 4]), 0.5) === 2);
 * ```
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Returns the median of unsorted values.
 *
 * @param values The values.
 * @returns Their median, or NaN if there are none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { median } from "./_stats.ts";
 * assert.ok(median([3, 1, 2]) === 2);
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
