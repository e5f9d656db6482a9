/**
 * Plain-text tables for the benchmark report.
 *
 * @module
 */

/**
 * Lays out rows under a header as a Markdown-compatible table: the first
 * column left-aligned, the others right-aligned.
 *
 * @param header Column titles.
 * @param rows Cells, one array per row, as many as the header.
 * @returns The table, lines joined by `\n`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTable } from "./_table.ts";
 * assert.equal(formatTable(["a", "b"], [["x", "1"]]), "| a | b |\n|---|---|\n| x | 1 |");
 * ```
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    "| " +
    widths.map((w, i) => i === 0 ? (cells[i] ?? "").padEnd(w) : (cells[i] ?? "").padStart(w))
      .join(" | ") +
    " |";
  return [
    line(header),
    "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|",
    ...rows.map(line),
  ]
    .join("\n");
}
