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

/** Measurements of one implementation, each with the round it was taken in. */
export interface RoundValues {
  /** The round of each value (a failed run leaves its round out). */
  readonly rounds: readonly number[];
  /** The values, in the order of `rounds`. */
  readonly values: readonly number[];
}

/**
 * Paired ratios: each of `a`'s values over `b`'s value of the same round.
 * Runs of one round were taken minutes apart at most, so a slow spell of
 * the machine weighs on both sides of a ratio; the ratios' spread is then
 * the comparison's own noise. Rounds either side lacks, and ratios that are
 * not finite numbers (a NaN run, a zero), are left out.
 *
 * @param a The numerators.
 * @param b The denominators.
 * @returns One ratio per round both measured, in `a`'s order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pairedRatios } from "./_stats.ts";
 * const ratios = pairedRatios(
 *   { rounds: [1, 2, 3], values: [10, 20, 30] },
 *   { rounds: [1, 3], values: [5, 60] },
 * );
 * assert.deepEqual(ratios, [2, 0.5]);
 * ```
 */
export function pairedRatios(a: RoundValues, b: RoundValues): number[] {
  return a.values.flatMap((value, i) => {
    const at = b.rounds.indexOf(a.rounds[i]);
    const ratio = at < 0 ? NaN : value / b.values[at];
    return Number.isFinite(ratio) ? [ratio] : [];
  });
}

/**
 * Formats a spread of ratios: `percent` as `93 (85–101)` (%), `times` as
 * `1.52x (1.31–1.80)`.
 *
 * @param s The ratios' spread.
 * @param style How to write them.
 * @returns The text; empty when there is no ratio.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatRatio, spread } from "./_stats.ts";
 * assert.equal(formatRatio(spread([0.85, 0.93, 1.01]), "percent"), "93 (85–101)");
 * assert.equal(formatRatio(spread([1.5]), "times"), "1.50x");
 * ```
 */
export function formatRatio(s: Spread, style: "percent" | "times"): string {
  if (s.n === 0) return "";
  const f = style === "percent"
    ? (v: number): string => (100 * v).toFixed(0)
    : (v: number): string => v.toFixed(2);
  const unit = style === "times" ? "x" : "";
  return s.n === 1 ? `${f(s.median)}${unit}` : `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})`;
}
