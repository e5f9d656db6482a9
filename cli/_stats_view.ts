/**
 * A live per-server table for the terminal, redrawn in place on a TTY and
 * printed as plain lines otherwise (logs, CI).
 *
 * @module
 */

import type { ServerStats } from "../actors/netgear/mod.ts";
import { previewValue } from "../actors/netgear/mod.ts";

const encoder = new TextEncoder();

/** Longest last message shown in a row, in characters. */
const MESSAGE_COLUMN = 40;
/**
 * Rows of object messages already previewed: the table is redrawn every
 * 500 ms, and an object with a million keys costs about as much to preview
 * as to decode. Weak, so a message is forgotten with the client's last
 * reference to it.
 */
const previews = new WeakMap<object, string>();

function messageText(message: unknown): string {
  if (message === undefined) return "";
  const cacheable = typeof message === "object" && message !== null;
  let text = cacheable ? previews.get(message) : undefined;
  if (text === undefined) {
    text = previewValue(message, { maxLength: MESSAGE_COLUMN, maxDepth: 3 });
    if (cacheable) previews.set(message, text);
  }
  return text;
}

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
      " " + messageText(s.lastMessage),
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
