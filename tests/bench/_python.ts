/**
 * Finds a Python that can import pyzmq, for the raw pyzmq rows of the bench
 * (zmq_ceiling/py_*.py): Debian's python3-zmq, libzmq in C, the ceiling
 * vidgear itself runs on.
 *
 * Debian installs the module for its own /usr/bin/python3, so that one is
 * tried first: a python3 earlier on PATH (pyenv, a virtualenv) often lacks it.
 *
 * @module
 */

/** How to get pyzmq on Debian or Ubuntu, as the bench prints it. */
export const PYZMQ_INSTALL = "apt-get install -y python3-zmq";

/** The Pythons tried when none is named, in order. */
export const PYTHON_CANDIDATES: readonly string[] = ["/usr/bin/python3", "python3"];

/** A Python with pyzmq. */
export interface Pyzmq {
  /** The interpreter, as it was found (a path or a name on PATH). */
  readonly python: string;
  /** pyzmq's version. */
  readonly pyzmq: string;
  /** The libzmq it was built against. */
  readonly libzmq: string;
}

/** None of the candidates could import zmq. */
export interface PyzmqMissing {
  /** One line saying what was tried and how to install it. */
  readonly missing: string;
}

/** What the probe runs: one JSON line with both versions. */
export const PYZMQ_PROBE =
  "import json, zmq; print(json.dumps({'pyzmq': zmq.__version__, 'libzmq': zmq.zmq_version()}))";

/**
 * Reads the probe's output.
 *
 * @param python The interpreter that printed it.
 * @param stdout What it printed.
 * @returns The versions, or `undefined` when the output is not the probe's line.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePyzmqProbe } from "./_python.ts";
 * assert.deepEqual(parsePyzmqProbe("python3", '{"pyzmq": "24.0.1", "libzmq": "4.3.4"}\n'), {
 *   python: "python3",
 *   pyzmq: "24.0.1",
 *   libzmq: "4.3.4",
 * });
 * ```
 */
export function parsePyzmqProbe(python: string, stdout: string): Pyzmq | undefined {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (typeof parsed.pyzmq !== "string" || typeof parsed.libzmq !== "string") return undefined;
    return { python, pyzmq: parsed.pyzmq, libzmq: parsed.libzmq };
  } catch {
    return undefined;
  }
}

/**
 * The line the bench prints when no Python has pyzmq.
 *
 * @param tried The interpreters tried.
 * @returns What was tried and the command that installs it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pyzmqMissingLine } from "./_python.ts";
 * assert.match(pyzmqMissingLine(["python3"]), /apt-get install -y python3-zmq/);
 * ```
 */
export function pyzmqMissingLine(tried: readonly string[]): string {
  return `raw pyzmq rows skipped: no Python with the zmq module (tried ${
    tried.join(", ")
  }); install it with \`${PYZMQ_INSTALL}\` (Debian/Ubuntu), or name one with --python PATH`;
}

/**
 * Tries each candidate in turn (each probe bounded to 10 s).
 *
 * @param candidates Interpreters to try.
 * @returns The first that imports zmq, or the line to print.
 * @example
 * ```ts ignore
 * const found = await findPyzmq();
 * if ("missing" in found) console.log(found.missing);
 * ```
 */
export async function findPyzmq(
  candidates: readonly string[] = PYTHON_CANDIDATES,
): Promise<Pyzmq | PyzmqMissing> {
  for (const python of candidates) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-B", "-c", PYZMQ_PROBE],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
        signal: AbortSignal.timeout(10_000),
      }).output();
      const found = out.success
        ? parsePyzmqProbe(python, new TextDecoder().decode(out.stdout))
        : undefined;
      if (found) return found;
    } catch {
      // Not installed, not runnable, or too slow: try the next.
    }
  }
  return { missing: pyzmqMissingLine(candidates) };
}
