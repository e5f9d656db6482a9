/**
 * A live per-server table for the terminal, redrawn in place on a TTY and
 * printed as plain lines otherwise (logs, CI).
 *
 * @module
 */

import type { ServerStats } from "../transports/netgear.ts";
import { previewValue } from "../transports/preview.ts";

const encoder = new TextEncoder();

/** Longest last message shown in a row, in characters. */
const MESSAGE_COLUMN = 40;

/** Formats the table: one row per server. */
export function formatStats(stats: readonly ServerStats[]): string {
  const header = "port   state  frames      fps     MB total  dropped  last message";
  const rows = stats.map((s) =>
    [
      String(s.port).padEnd(6),
      s.state.padEnd(6),
      String(s.frames).padStart(7),
      s.fps.toFixed(1).padStart(8),
      (s.bytes / 1e6).toFixed(1).padStart(12),
      String(s.dropped).padStart(8),
      // Any CBOR a server sent: previewValue copes with bigints and cycles
      // and escapes what would move the terminal's cursor.
      " " + (s.lastMessage === undefined
        ? ""
        : previewValue(s.lastMessage, { maxLength: MESSAGE_COLUMN, maxDepth: 3 })),
    ].join(" ")
  );
  return [header, ...rows].join("\n");
}

/** Redraws a block of lines in place (TTY) or appends it (pipes). */
export class LiveBlock {
  #lines = 0;
  readonly #tty = Deno.stdout.isTerminal();

  /** Replaces the previous block with `text`. */
  draw(text: string): void {
    if (!this.#tty) {
      console.log(text);
      return;
    }
    const up = this.#lines > 0 ? `\x1b[${this.#lines}F\x1b[0J` : "";
    Deno.stdout.writeSync(encoder.encode(up + text + "\n"));
    this.#lines = text.split("\n").length;
  }

  /** Prints a line above the block, keeping the block below it. */
  note(text: string): void {
    if (this.#tty && this.#lines > 0) {
      Deno.stdout.writeSync(encoder.encode(`\x1b[${this.#lines}F\x1b[0J`));
      this.#lines = 0;
    }
    console.log(text);
  }
}
