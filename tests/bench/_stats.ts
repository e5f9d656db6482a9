/**
 * Summaries of repeated measurements: median and spread.
 *
 * @module
 */

/** The median of repeated measurements and their range. */
export interface Spread {
  /** The median (the mean of the middle two for an even count). */
  readonly median: number;
  /** The smallest. */
  readonly min: number;
  /** The largest. */
  readonly max: number;
  /** How many (NaN values are left out). */
  readonly n: number;
}

/**
 * Summarises repeated measurements, ignoring NaN (a run that measured nothing).
 *
 * @param values The measurements.
 * @returns Median, min, max and count; NaN for all three when none is a number.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spread } from "./_stats.ts";
 * assert.deepEqual(spread([3, 1, NaN, 2]), { median: 2, min: 1, max: 3, n: 3 });
 * ```
 */
export function spread(values: readonly number[]): Spread {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const middle = n >> 1;
  const median = n % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[n - 1], n };
}

/**
 * Formats a spread as `median (min–max)` with `digits` decimals.
 *
 * @param s The spread.
 * @param digits Decimals.
 * @returns The text, or `-` when nothing was measured.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSpread } from "./_stats.ts";
 * assert.equal(formatSpread({ median: 2, min: 1, max: 3, n: 3 }, 0), "2 (1–3)");
 * ```
 */
export function formatSpread(s: Spread, digits: number): string {
  if (s.n === 0) return "-";
  const f = (v: number): string => v.toFixed(digits);
  return s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}
