/**
 * Shared flag parsing for the examples and the CLI: strict, with errors that
 * name the flag and what it takes.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./errors.ts";
import { describeError } from "../actors/describe.ts";

/** The option table `node:util` `parseArgs` takes. */
export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `args` strictly against `spec`.
 *
 * @param args The command line (without the program).
 * @param spec Each flag's type and default.
 * @returns The values by flag name.
 * @throws {UsageError} For an unknown flag, a missing value or a stray argument.
 */
export function parseFlags(
  args: readonly string[],
  spec: FlagSpec,
): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({
      args: [...args],
      options: spec,
      strict: true,
      allowPositionals: false,
    });
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    const text = describeError(error);
    throw new UsageError(`Cannot parse the command line: ${text}. Run with --help for the flags`);
  }
}

/**
 * Lets a string flag be given without its value: `--name` not followed by a
 * value becomes `--name=<bare>`, so that `parseArgs` (which has no optional
 * values) accepts both `--view` and `--view 8080`.
 *
 * @param args The command line.
 * @param name The flag, without `--`.
 * @param bare The value it stands for when given alone.
 * @returns The command line with that flag's value spelled out.
 */
export function optionalValue(args: readonly string[], name: string, bare: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (args[i] === `--${name}` && (next === undefined || next.startsWith("-"))) {
      out.push(`--${name}=${bare}`);
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/**
 * Reads an integer flag.
 *
 * @throws {UsageError} When the value is not an integer within range.
 */
export function intFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
  min: number,
  max: number,
): number {
  const raw = values[name];
  const value = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      `Cannot use --${name} ${String(raw)}: expected an integer from ${min} to ${max}`,
    );
  }
  return value;
}

/**
 * Reads an integer flag that may be absent; its range is for NetGear's
 * options to judge.
 *
 * @returns The value, or `undefined` when the flag was not given.
 * @throws {UsageError} When the value is not a non-negative integer.
 */
export function optionalInt(
  values: Record<string, string | boolean | undefined>,
  name: string,
): number | undefined {
  return values[name] === undefined ? undefined : intFlag(values, name, 0, 2 ** 31 - 1);
}

/**
 * Reads a comma-separated list of ports.
 *
 * @throws {UsageError} When an entry is not a port number.
 */
export function portsFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
): number[] {
  const raw = String(values[name] ?? "");
  const ports = raw.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (ports.length === 0 || ports.some((p) => !/^\d+$/.test(p) || +p < 1 || +p > 65535)) {
    throw new UsageError(
      `Cannot use --${name} ${
        JSON.stringify(raw)
      }: expected ports from 1 to 65535 separated by commas, such as 5566,5567`,
    );
  }
  return ports.map(Number);
}
