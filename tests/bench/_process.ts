/**
 * Child processes for the benchmarks: each bench server and client runs in
 * its own process and speaks JSON lines on stdout; this reads them as they
 * come, waits for a given one, and makes sure nothing outlives a run.
 *
 * @module
 */

/** One JSON line a bench process printed, with the time the bench read it. */
export interface BenchLine {
  /** The line's `event` field (`ready`, `result`, `state`, `server`, …). */
  readonly event: string;
  /** The other fields. */
  readonly [field: string]: unknown;
}

/** A bench process ended or went quiet before printing what was awaited. */
export class BenchProcessError extends Error {
  /** The process's label (for example `netgear server 5701`). */
  readonly label: string;
  /** The end of what it wrote on stderr. */
  readonly stderr: string;
  /**
   * @param label The process's label.
   * @param message What went wrong.
   * @param stderr The end of its stderr.
   */
  constructor(label: string, message: string, stderr: string) {
    super(`${label}: ${message}${stderr ? `\n--- stderr ---\n${stderr}` : ""}`);
    this.name = "BenchProcessError";
    this.label = label;
    this.stderr = stderr;
  }
}

const STDERR_KEPT = 4000;

/**
 * A running bench process: its JSON lines as they arrive, its stderr tail,
 * its exit.
 *
 * @example
 * ```ts ignore
 * const child = BenchProcess.spawn("node", ["node_multi_client.mjs"], "ceiling client");
 * await child.waitFor((line) => line.event === "ready", 5000);
 * await child.stop();
 * ```
 */
export class BenchProcess {
  /** Every JSON line read so far, in order. */
  readonly lines: BenchLine[] = [];
  /** What it is, for messages. */
  readonly label: string;
  readonly #child: Deno.ChildProcess;
  readonly #status: Promise<Deno.CommandStatus>;
  readonly #pumps: Promise<void>;
  #stderr = "";
  #exited: Deno.CommandStatus | undefined;
  #listeners: (() => void)[] = [];

  private constructor(child: Deno.ChildProcess, label: string) {
    this.#child = child;
    this.label = label;
    this.#status = child.status.then((status) => {
      this.#exited = status;
      this.#notify();
      return status;
    });
    this.#pumps = Promise.all([this.#readLines(), this.#readStderr()]).then(() => {});
  }

  /**
   * Starts a process with stdout and stderr piped.
   *
   * @param command The program (`deno`, `node`).
   * @param args Its arguments.
   * @param label What it is, for messages.
   * @returns The running process.
   */
  static spawn(command: string, args: readonly string[], label: string): BenchProcess {
    const child = new Deno.Command(command, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new BenchProcess(child, label);
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Its exit status once it has exited. */
  get exited(): Deno.CommandStatus | undefined {
    return this.#exited;
  }

  /** The end of what it wrote on stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Waits for the first line (already read or to come) that `match` accepts.
   *
   * @param match Which line.
   * @param timeoutMs How long to wait.
   * @returns The line.
   * @throws {BenchProcessError} When the process exits or the time runs out first.
   */
  waitFor(match: (line: BenchLine) => boolean, timeoutMs: number): Promise<BenchLine> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      const check = (): boolean => {
        const found = this.lines.find(match);
        if (found) {
          done();
          resolve(found);
          return true;
        }
        if (this.#exited) {
          done();
          // Let the pumps flush what the process wrote last.
          this.#pumps.finally(() => {
            const late = this.lines.find(match);
            if (late) resolve(late);
            else {
              reject(
                new BenchProcessError(
                  this.label,
                  `exited with code ${this.#exited!.code} before the awaited line`,
                  this.#stderr,
                ),
              );
            }
          });
          return true;
        }
        return false;
      };
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners = this.#listeners.filter((listener) => listener !== onChange);
      };
      const onChange = (): void => void check();
      if (check()) return;
      this.#listeners.push(onChange);
      timer = setTimeout(() => {
        done();
        reject(
          new BenchProcessError(this.label, `no such line within ${timeoutMs} ms`, this.#stderr),
        );
      }, timeoutMs);
    });
  }

  /**
   * Sends a signal, unless it has already exited.
   *
   * @param signal The signal.
   */
  kill(signal: Deno.Signal): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch {
      // It exited between the check and the kill.
    }
  }

  /**
   * Waits for it to exit, sending SIGKILL after `graceMs`.
   *
   * @param graceMs How long it may take to exit by itself.
   * @returns Its exit status.
   */
  async stop(graceMs = 0): Promise<Deno.CommandStatus> {
    if (!this.#exited && graceMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      await Promise.race([
        this.#status,
        new Promise((resolve) => timer = setTimeout(resolve, graceMs)),
      ]);
      clearTimeout(timer);
    }
    this.kill("SIGKILL");
    const status = await this.#status;
    await this.#pumps;
    return status;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  async #readLines(): Promise<void> {
    const lines = this.#child.stdout.pipeThrough(new TextDecoderStream());
    let pending = "";
    for await (const chunk of lines) {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const text = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (!text.startsWith("{")) continue;
        try {
          this.lines.push(JSON.parse(text) as BenchLine);
        } catch {
          continue;
        }
        this.#notify();
      }
    }
  }

  async #readStderr(): Promise<void> {
    for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEPT);
    }
  }
}
