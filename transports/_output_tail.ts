/**
 * A child process's output, read as it comes, keeping its last characters:
 * for waiting on a line a tool prints when ready (ssh's "Local forwarding
 * listening", sshd's "Server listening") and for quoting its last words in
 * an error, without holding an unbounded log.
 *
 * @module
 */

/** How many characters of output are kept by default. */
const DEFAULT_LIMIT = 64 * 1024;

/** Each wait turn is one chunk of output or its end; this bounds them. */
const MAX_TURNS = 1_000_000;

/** The last characters of a stream, with a wait for a pattern in them. */
export class OutputTail {
  #text = "";
  #ended = false;
  readonly #wakers = new Set<() => void>();
  readonly #reader: ReadableStreamDefaultReader<string>;
  readonly #done: Promise<void>;
  readonly #limit: number;

  /**
   * Starts reading `stream`.
   *
   * @param stream The child's stdout or stderr.
   * @param limit How many of the last characters to keep.
   */
  constructor(stream: ReadableStream<Uint8Array>, limit: number = DEFAULT_LIMIT) {
    this.#limit = limit;
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    this.#done = this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      for (let chunk = await this.#reader.read(); !chunk.done; chunk = await this.#reader.read()) {
        this.#text = (this.#text + chunk.value).slice(-this.#limit);
        for (const wake of this.#wakers) wake();
      }
    } catch {
      // Cancelled by finish(), or the pipe broke: what was read is all there is.
    } finally {
      this.#ended = true;
      for (const wake of this.#wakers) wake();
    }
  }

  /** What was read so far (its last characters, up to the limit). */
  get text(): string {
    return this.#text;
  }

  /**
   * Whether `pattern` shows up before the stream ends.
   *
   * @param pattern What to look for in the text kept.
   * @param signal Stops the wait.
   * @returns `true` as soon as it is read, `false` if the stream ends first.
   * @throws The `signal`'s reason if it aborts first.
   */
  async waitFor(pattern: RegExp, signal: AbortSignal): Promise<boolean> {
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      if (pattern.test(this.#text)) return true;
      if (this.#ended) return false;
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.#wakers.delete(wake);
          reject(signal.reason);
        };
        const wake = () => {
          this.#wakers.delete(wake);
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        this.#wakers.add(wake);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
    throw new Error(`no match for ${pattern} after ${MAX_TURNS} chunks of output`);
  }

  /**
   * Waits up to `graceMs` for the stream to end (a child of the process,
   * such as sshd's per-connection children or ssh's ProxyCommand, may still
   * hold the pipe), then stops reading.
   *
   * @param graceMs How long to wait for the end, in ms.
   */
  async finish(graceMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) =>
      timer = setTimeout(() => resolve("late"), graceMs)
    );
    const outcome = await Promise.race([this.#done, late]);
    clearTimeout(timer);
    if (outcome === "late") await this.#reader.cancel().catch(() => {});
    await this.#done;
  }
}
