/**
 * The Python peers the interop tests run: Debian's /usr/bin/python3 with the
 * Debian modules each peer imports (python3-zmq and python3-cbor2 for
 * python_server.py; python3-zmq, python3-numpy and python3-pil for
 * vidgear_peer.py). Tests skip with a reason when what they need is missing,
 * except under CI=true, where they run and fail, naming what to install.
 *
 * @module
 */

/** The interpreter the interop tests run (Debian's, where python3-zmq installs). */
export const PYTHON = "/usr/bin/python3";

/** Every Python module a peer imports, with the Debian package that provides it. */
const DEBIAN_PACKAGE_OF = {
  zmq: "python3-zmq",
  cbor2: "python3-cbor2",
  numpy: "python3-numpy",
  PIL: "python3-pil",
} as const;

/** A Python module one of the peers imports. */
export type PythonModule = keyof typeof DEBIAN_PACKAGE_OF;

const ALL_MODULES = Object.keys(DEBIAN_PACKAGE_OF) as PythonModule[];

/** Which of ALL_MODULES are missing; undefined when the interpreter itself is. */
async function missingModules(): Promise<Set<string> | undefined> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args: [
        "-c",
        `import importlib.util as u; print(",".join(m for m in ${
          JSON.stringify(ALL_MODULES)
        } if u.find_spec(m) is None))`,
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return undefined;
    return new Set(
      new TextDecoder().decode(out.stdout).trim().split(",").filter((m) => m !== ""),
    );
  } catch {
    return undefined; // no interpreter at all
  }
}

// One probe for every module, when the first test file imports this one.
const missing = await missingModules();

/** What a group of interop tests needs from Python, and whether it is here. */
export interface PythonRequirement {
  /** What is missing, with the apt-get line that installs it; empty when all is here. */
  readonly missing: string;
  /**
   * `ignore:` value for the tests: true only when something is missing
   * outside CI. Under CI=true they run, and {@linkcode PythonRequirement.require}
   * fails them with the install hint.
   */
  readonly skip: boolean;
  /**
   * Throws, naming what to install, when something is missing: the first
   * line of every test that needs it, so that under CI a missing tool is a
   * failure.
   *
   * @throws {Error} If python3 or one of the modules is missing.
   */
  require(): void;
}

/**
 * What `modules` need: /usr/bin/python3 able to import each of them. Warns
 * once (naming `what`) when the tests will be skipped.
 *
 * @param modules The modules the peer imports.
 * @param what What the tests are, for the skip warning and the error.
 */
export function pythonWith(modules: readonly PythonModule[], what: string): PythonRequirement {
  const packages = (names: readonly PythonModule[]) =>
    names.map((m) => DEBIAN_PACKAGE_OF[m]).join(" ");
  const absent = missing === undefined ? [] : modules.filter((m) => missing.has(m));
  const text = missing === undefined
    ? `${PYTHON} (apt-get install -y python3 ${packages(modules)})`
    : absent.length > 0
    ? `Python modules ${absent.join(", ")} (apt-get install -y ${packages(absent)})`
    : "";
  const skip = text !== "" && Deno.env.get("CI") !== "true";
  if (skip) {
    console.warn(
      `%c${what} skipped: missing ${text}; with CI=true they fail instead`,
      "color: yellow",
    );
  }
  return {
    missing: text,
    skip,
    require(): void {
      if (text !== "") throw new Error(`Cannot run the ${what}: missing ${text}`);
    },
  };
}

/** python_server.py's needs: the interop tests of the ActorGear protocol. */
const PROTOCOL_PEER = pythonWith(["zmq", "cbor2"], "Python interop tests");

/** What is missing for the protocol interop tests, as an install hint; empty when all is here. */
export const PYTHON_MISSING: string = PROTOCOL_PEER.missing;

/**
 * `ignore:` value for tests that need the protocol's Python peer: true only
 * when it is missing outside CI. Under CI=true they run, and
 * {@linkcode requirePython} fails them with the install hint.
 */
export const NO_PYTHON: boolean = PROTOCOL_PEER.skip;

/**
 * Throws, naming what to install, when the protocol's Python peer is
 * missing: the first line of every protocol interop test, so that under CI a
 * missing tool is a failure.
 *
 * @throws {Error} If python3 or one of its modules is missing.
 */
export function requirePython(): void {
  PROTOCOL_PEER.require();
}
