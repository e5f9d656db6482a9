/**
 * The Python peer the interop tests run: Debian's /usr/bin/python3 with
 * python3-zmq and python3-cbor2. Tests skip with a reason when it is
 * missing, except under CI=true, where they run and fail, naming what to
 * install.
 *
 * @module
 */

/** The interpreter the interop tests run (Debian's, where python3-zmq installs). */
export const PYTHON = "/usr/bin/python3";

/** The Python modules the peers import. */
const MODULES = ["zmq", "cbor2"] as const;

async function missingModules(): Promise<string[] | undefined> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args: [
        "-c",
        `import importlib.util as u; print(",".join(m for m in ${
          JSON.stringify(MODULES)
        } if u.find_spec(m) is None))`,
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return undefined;
    return new TextDecoder().decode(out.stdout).trim().split(",").filter((m) => m !== "");
  } catch {
    return undefined; // no interpreter at all
  }
}

const missing = await missingModules();

/** What is missing for the interop tests, as an install hint; empty when all is here. */
export const PYTHON_MISSING: string = missing === undefined
  ? `${PYTHON} (apt-get install -y python3 python3-zmq python3-cbor2)`
  : missing.length > 0
  ? `Python modules ${missing.join(", ")} (apt-get install -y ${
    missing.map((m) => `python3-${m}`).join(" ")
  })`
  : "";

/**
 * `ignore:` value for tests that need the Python peer: true only when it is
 * missing outside CI. Under CI=true they run, and {@linkcode requirePython}
 * fails them with the install hint.
 */
export const NO_PYTHON: boolean = PYTHON_MISSING !== "" && Deno.env.get("CI") !== "true";

if (NO_PYTHON) {
  console.warn(
    `%cPython interop tests skipped: missing ${PYTHON_MISSING}; with CI=true they fail instead`,
    "color: yellow",
  );
}

/**
 * Throws, naming what to install, when the Python peer is missing: the first
 * line of every interop test, so that under CI a missing tool is a failure.
 *
 * @throws {Error} If python3 or one of its modules is missing.
 */
export function requirePython(): void {
  if (PYTHON_MISSING !== "") {
    throw new Error(`Cannot run the Python interop test: missing ${PYTHON_MISSING}`);
  }
}
