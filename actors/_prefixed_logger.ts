// A Logger view that filters by level and prefixes each line, so sinks stay
// dumb and every line names the actor it came from.
import type { Logger, LogLevel } from "./logger.ts";
import { LOG_LEVELS } from "./logger.ts";

/** Numeric rank of a level (debug 0 ... silent 4); throws TypeError for an unknown one. */
export function levelRank(level: LogLevel): number {
  const rank = LOG_LEVELS.indexOf(level);
  if (rank < 0) {
    throw new TypeError(
      `Cannot create the actor system: logLevel is ${JSON.stringify(level)}; valid choices are ${
        LOG_LEVELS.map((l) => `"${l}"`).join(", ")
      }`,
    );
  }
  return rank;
}

export class PrefixedLogger implements Logger {
  #sink: Logger;
  #rank: number;
  #prefix: string;

  constructor(sink: Logger, rank: number, prefix: string) {
    this.#sink = sink;
    this.#rank = rank;
    this.#prefix = prefix;
  }

  debug(message: string, data?: unknown): void {
    if (this.#rank <= 0) this.#write("debug", message, data);
  }

  info(message: string, data?: unknown): void {
    if (this.#rank <= 1) this.#write("info", message, data);
  }

  warn(message: string, data?: unknown): void {
    if (this.#rank <= 2) this.#write("warn", message, data);
  }

  error(message: string, data?: unknown): void {
    if (this.#rank <= 3) this.#write("error", message, data);
  }

  #write(level: keyof Logger, message: string, data: unknown): void {
    const line = `${this.#prefix} ${message}`;
    // A throwing sink must not break the actor that logged.
    try {
      if (data === undefined) this.#sink[level](line);
      else this.#sink[level](line, data);
    } catch {
      // Nothing sensible to do: the sink is where we would report it.
    }
  }
}
