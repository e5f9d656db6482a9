/**
 * The one-line progress display of `deno task bench`, on stderr so stdout
 * keeps only the report.
 *
 * @module
 */

/**
 * Rewrites one status line in a terminal; elsewhere (a log, CI) prints each
 * status on its own line.
 *
 * @example
 * ```ts ignore
 * const progress = new Progress();
 * progress.update("netgear 1/36: PUB/SUB, 1 server");
 * progress.clear();
 * ```
 */
export class Progress {
  readonly #terminal = Deno.stderr.isTerminal();
  readonly #encoder = new TextEncoder();
  readonly #started = performance.now();
  #shown = false;

  /**
   * Shows `text`, prefixed with the time since the bench started.
   *
   * @param text The status.
   */
  update(text: string): void {
    const elapsed = ((performance.now() - this.#started) / 1000).toFixed(0).padStart(4);
    const line = `[${elapsed} s] ${text}`;
    if (this.#terminal) {
      const width = Deno.consoleSize?.().columns ?? 100;
      Deno.stderr.writeSync(this.#encoder.encode(`\r\x1b[K${line.slice(0, width - 1)}`));
      this.#shown = true;
    } else {
      Deno.stderr.writeSync(this.#encoder.encode(`${line}\n`));
    }
  }

  /** Removes the status line (terminal only). */
  clear(): void {
    if (this.#terminal && this.#shown) Deno.stderr.writeSync(this.#encoder.encode("\r\x1b[K"));
    this.#shown = false;
  }
}
