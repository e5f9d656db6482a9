/**
 * vidgear's `ssh_tunnel_mode`: a server reaches a client behind SSH through
 * OpenSSH's client, `ssh -N -L 127.0.0.1:<local>:<remoteHost>:<remotePort>`.
 * Connecting a ZeroMQ socket to {@linkcode SshTunnel.endpoint} then reaches
 * `<remoteHost>:<remotePort>` as seen from the SSH server.
 *
 * ssh never prompts: without a password it runs in `BatchMode`. OpenSSH
 * reads a password (vidgear's `ssh_tunnel_pwd`) only from a terminal or an
 * `SSH_ASKPASS` program, so with one ssh runs with
 * `SSH_ASKPASS_REQUIRE=force` (never the terminal, even if there is one)
 * and a throwaway askpass script: mode 0700 in a 0700 temporary directory,
 * removed when the tunnel closes or fails to open. The script holds no
 * secret; it prints the password from an environment variable of the ssh
 * process, and only for a password prompt (a host key question, a key
 * passphrase or a new-password prompt gets no answer). So the password is
 * never on a command line (`ps`) nor on disk; like any environment, it is
 * readable by the same user and root (`/proc/<pid>/environ`), by no one
 * else. Keys are still the better choice. Host keys are checked strictly
 * unless asked otherwise.
 *
 * Needs OpenSSH's `ssh` (8.4 or newer with a password), `--allow-run` for
 * it, `--allow-net=127.0.0.1` to pick a free local port, `--allow-env`,
 * and with a password `--allow-read --allow-write` for the askpass script.
 * Not for Windows.
 *
 * @example Tunnel a ZeroMQ connection (needs a reachable sshd)
 * ```ts ignore
 * import { SshTunnel } from "./ssh_tunnel.ts";
 * import { ZmqSocket } from "./zmq/zmq_socket.ts";
 *
 * await using tunnel = await SshTunnel.open({
 *   destination: "camera@203.0.113.7:22",
 *   remotePort: 5566,
 *   keyFile: "/home/camera/.ssh/id_ed25519",
 * });
 * await using req = new ZmqSocket("req");
 * req.connect(tunnel.endpoint); // reaches 127.0.0.1:5566 on 203.0.113.7
 * ```
 *
 * @module
 */

import { describeError, describeValue } from "../actors/describe.ts";
import { TransportError } from "./errors.ts";
import { OutputTail } from "./_output_tail.ts";

/**
 * Why an {@linkcode SshTunnel} could not open, or stopped.
 *
 * - `"ssh-not-found"`: the ssh program is not there (or not executable).
 * - `"auth-failed"`: the server refused the key or password.
 * - `"host-key"`: the server's host key is unknown or not the known one.
 * - `"forward-failed"`: ssh could not listen on the local port.
 * - `"timeout"`: the forward was not listening within `timeoutMs`.
 * - `"exited"`: ssh exited for another reason (the server is unreachable,
 *   or the connection dropped after opening).
 * - `"unsupported"`: password authentication needs OpenSSH 8.4 or newer
 *   (`SSH_ASKPASS_REQUIRE`), and this ssh is older or not OpenSSH.
 */
export type SshTunnelErrorCode =
  | "ssh-not-found"
  | "auth-failed"
  | "host-key"
  | "forward-failed"
  | "timeout"
  | "exited"
  | "unsupported";

/**
 * An SSH tunnel could not open, or its ssh exited. `stderr` holds ssh's
 * last lines (its debug lines left out) to tell why.
 *
 * @example Tell a refused key from an unknown host
 * ```ts
 * import assert from "node:assert/strict";
 * import { SshTunnelError } from "./ssh_tunnel.ts";
 *
 * const error = new SshTunnelError("auth-failed", "Cannot open SSH tunnel: refused", [
 *   "user@host: Permission denied (publickey).",
 * ]);
 * assert.equal(error.code, "auth-failed");
 * assert.match(error.stderr[0], /Permission denied/);
 * ```
 */
export class SshTunnelError extends TransportError {
  /** Why. */
  readonly code: SshTunnelErrorCode;
  /** ssh's last lines on stderr, debug lines left out; empty when it printed none. */
  readonly stderr: readonly string[];

  /**
   * Makes the error.
   *
   * @param code Why.
   * @param message What failed and what to do about it.
   * @param stderr ssh's last lines.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(
    code: SshTunnelErrorCode,
    message: string,
    stderr: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "SshTunnelError";
    this.code = code;
    this.stderr = Object.freeze([...stderr]);
  }
}

/** Options of {@linkcode SshTunnel.open}. */
export interface SshTunnelOptions {
  /**
   * The SSH server, `"user@host"` or `"user@host:port"` (vidgear's
   * `ssh_tunnel_mode`); an IPv6 host in brackets, `"user@[::1]:2222"`. The
   * user may be left out (ssh's default). Without a port, ssh's default
   * (22, or the config's).
   */
  destination: string;
  /** The port to reach on the server's side: the client's port. */
  remotePort: number;
  /**
   * The host to reach, as the SSH server sees it (vidgear's `address`).
   *
   * @default {"127.0.0.1"}
   */
  remoteHost?: string;
  /**
   * The local port to listen on, on 127.0.0.1; 0 picks a free one.
   *
   * @default {0}
   */
  localPort?: number;
  /**
   * The private key to log in with (vidgear's `ssh_tunnel_keyfile`); only
   * that key is offered (`IdentitiesOnly`).
   *
   * @default {undefined} ssh's own keys and agent
   */
  keyFile?: string;
  /**
   * The password to log in with (vidgear's `ssh_tunnel_pwd`). Given to ssh
   * through `SSH_ASKPASS` only: see the module documentation. Prefer a key.
   *
   * @default {undefined} no password: ssh runs in BatchMode
   */
  password?: string;
  /**
   * The known_hosts file to check the server's host key against.
   *
   * @default {undefined} ssh's own (~/.ssh/known_hosts)
   */
  knownHostsFile?: string;
  /**
   * `true` refuses a server whose host key is not in known_hosts;
   * `"accept-new"` adds an unknown server's key (trust on first use) but
   * refuses a changed one; `false` accepts any key (open to
   * man-in-the-middle attacks: tests only).
   *
   * @default {true}
   */
  strictHostKeyChecking?: boolean | "accept-new";
  /**
   * ssh's configuration file (`ssh -F`); `"none"` ignores ~/.ssh/config.
   *
   * @default {undefined} ssh's own
   */
  configFile?: string;
  /**
   * The ssh program.
   *
   * @default {"ssh"} (found in PATH)
   */
  sshPath?: string;
  /**
   * Seconds between keep-alive probes through the connection; after 3
   * unanswered ones ssh exits and {@linkcode SshTunnel.exited} says so. 0
   * turns them off.
   *
   * @default {15}
   */
  serverAliveInterval?: number;
  /**
   * Bound on opening, in milliseconds: connecting, authenticating and
   * listening.
   *
   * @default {15000}
   */
  timeoutMs?: number;
  /**
   * Aborts opening (the promise rejects with its reason); once open,
   * aborting closes the tunnel.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

const HOST = "127.0.0.1";
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_ALIVE_INTERVAL = 15;
/** Tries with a new free port when another process took the one picked meanwhile. */
const PORT_ATTEMPTS = 3;
/** How much of ssh's stderr is kept. */
const LOG_LIMIT = 64 * 1024;
/** How many of ssh's last non-debug lines an error carries. */
const ERROR_LINES = 20;
/** How long a stopping ssh gets between SIGTERM and SIGKILL, in ms. */
const STOP_GRACE_MS = 2000;
const PASSWORD_VARIABLE = "ACTORGEAR_SSH_TUNNEL_PASSWORD";
/** OpenSSH 8.4 added SSH_ASKPASS_REQUIRE=force (askpass without a display, even with a terminal). */
const ASKPASS_MIN_VERSION = [8, 4] as const;

/**
 * The askpass program: answers a password prompt with the password from its
 * environment, and refuses any other prompt (a host key confirmation, a key
 * passphrase, a new password), so the password goes nowhere else.
 */
const ASKPASS_SCRIPT = `#!/bin/sh
# ActorGear's SSH tunnel: answers ssh's password prompt, and nothing else.
case "$1" in
  *[Nn][Ee][Ww]*) exit 1 ;;
  *[Pp]assword:*) printf '%s\\n' "$${PASSWORD_VARIABLE}" ;;
  *) exit 1 ;;
esac
`;

/** An OpenSSH client's tunnel: `ssh -N -L`. Open with {@linkcode SshTunnel.open}. */
export class SshTunnel implements AsyncDisposable {
  /** The local port that leads through the tunnel, on 127.0.0.1. */
  readonly localPort: number;
  /** `tcp://127.0.0.1:<localPort>`: connect a ZeroMQ socket here. */
  readonly endpoint: string;
  /** The host reached, as the server sees it. */
  readonly remoteHost: string;
  /** The port reached on the server's side. */
  readonly remotePort: number;
  /** The SSH server, as given. */
  readonly destination: string;
  /** ssh's process id. */
  readonly pid: number;
  /**
   * Settles once ssh has exited: with `undefined` after
   * {@linkcode SshTunnel.close}, with an {@linkcode SshTunnelError} (code
   * `"exited"`) when it exited by itself (the connection dropped). Never
   * rejects.
   */
  readonly exited: Promise<SshTunnelError | undefined>;
  readonly #run: SshRun;
  readonly #removeAbort: () => void;
  #closing: Promise<void> | undefined;

  private constructor(run: SshRun, options: ParsedOptions, localPort: number) {
    this.#run = run;
    this.localPort = localPort;
    this.endpoint = `tcp://${HOST}:${localPort}`;
    this.remoteHost = options.remoteHost;
    this.remotePort = options.remotePort;
    this.destination = options.destination;
    this.pid = run.child.pid;
    this.exited = run.child.status.then((status) =>
      this.#closing !== undefined ? undefined : new SshTunnelError(
        "exited",
        `SSH tunnel to ${this.destination} closed: ssh exited (${describeStatus(status)})`,
        lastLines(run.log),
      )
    );
    const signal = options.signal;
    const onAbort = () => void this.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#removeAbort = () => signal?.removeEventListener("abort", onAbort);
    if (signal?.aborted) onAbort();
    // ssh gone by itself: nothing more to keep. (A failure to remove the
    // askpass directory is reported by close(), which awaits the same work.)
    void run.child.status.then(() => {
      this.#removeAbort();
      return run.cleanUp();
    }).catch(() => {});
  }

  /**
   * Starts ssh and resolves once its forward listens, after the server
   * accepted the host key and the login. ssh forwards lazily: whether
   * `remoteHost:remotePort` accepts connections is only known when one is
   * made (a refused one is closed at once; the tunnel stays open).
   *
   * @param options Where to, how to log in, bounds.
   * @returns The open tunnel; close it (or `await using`) to stop ssh.
   * @throws {SshTunnelError} If ssh is missing, the host key or the login is
   *   refused, the local port cannot be listened on, ssh exits, or it takes
   *   longer than `timeoutMs`; ssh is stopped and everything removed first.
   * @throws {TypeError} If an option has the wrong type or `destination` is
   *   malformed.
   * @throws {RangeError} If a port or bound is out of range.
   * @throws The `signal`'s reason if it aborts first.
   * @example Refused when ssh is missing
   * ```ts
   * import assert from "node:assert/strict";
   * import { SshTunnel, SshTunnelError } from "./ssh_tunnel.ts";
   *
   * await assert.rejects(
   *   SshTunnel.open({ destination: "me@127.0.0.1", remotePort: 5566, localPort: 40022, sshPath: "/nowhere/ssh" }),
   *   (error) => error instanceof SshTunnelError && error.code === "ssh-not-found",
   * );
   * ```
   */
  static async open(options: SshTunnelOptions): Promise<SshTunnel> {
    const parsed = parseOptions(options);
    const { signal } = parsed;
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(parsed.timeoutMs);
    const bound = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    let askpass: Askpass | undefined;
    try {
      if (parsed.password !== undefined) {
        await checkAskpassSupport(parsed.sshPath, bound);
        askpass = await Askpass.create();
      }
      for (let attempt = 1;; attempt++) {
        const localPort = parsed.localPort || freeLocalPort();
        const run = spawnSsh(parsed, localPort, askpass);
        let listening: boolean;
        try {
          // ssh -v logs "Local forwarding listening" before it binds; it
          // enters the session only once every forward listens (with
          // ExitOnForwardFailure a failed one ends it first).
          listening = await run.log.waitFor(
            new RegExp(
              `Local forwarding listening on 127\\.0\\.0\\.1 port ${localPort}\\.[\\s\\S]*Entering interactive session`,
            ),
            bound,
          );
        } catch (error) {
          await run.stop();
          if (signal?.aborted) throw signal.reason;
          throw new SshTunnelError(
            "timeout",
            `Cannot open SSH tunnel to ${parsed.destination}: its forward was not listening within ${parsed.timeoutMs} ms (option "timeoutMs"); is ${parsed.destination} an SSH server?`,
            lastLines(run.log),
            { cause: error },
          );
        }
        if (listening) {
          const tunnel = new SshTunnel(run, parsed, localPort);
          // The askpass script now belongs to the tunnel.
          askpass = undefined;
          return tunnel;
        }
        const status = await run.stop();
        const lines = lastLines(run.log);
        const code = classify(run.log.text);
        const portTaken = code === "forward-failed" && /Address already in use/.test(run.log.text);
        if (portTaken && parsed.localPort === 0 && attempt < PORT_ATTEMPTS) continue;
        throw new SshTunnelError(
          code,
          `Cannot open SSH tunnel to ${parsed.destination}: ${
            explain(code, parsed, localPort)
          } (ssh exited: ${describeStatus(status)}${lines.length > 0 ? `; ${lines.at(-1)}` : ""})`,
          lines,
        );
      }
    } catch (error) {
      await askpass?.remove();
      if (error instanceof SshTunnelError) throw error;
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw new SshTunnelError(
          "timeout",
          `${ACTION} to ${parsed.destination}: not open within ${parsed.timeoutMs} ms (option "timeoutMs")`,
          [],
          { cause: error },
        );
      }
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
        throw new SshTunnelError(
          "ssh-not-found",
          `Cannot open SSH tunnel to ${parsed.destination}: cannot run ${
            JSON.stringify(parsed.sshPath)
          } (${
            describeError(error)
          }); install OpenSSH's client (apt-get install -y openssh-client) or set option "sshPath"`,
          [],
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * What ssh wrote on stderr so far (its last 64 KiB, debug lines
   * included: `ssh -v`), to diagnose a tunnel.
   *
   * @returns The text.
   */
  log(): string {
    return this.#run.log.text;
  }

  /**
   * Stops ssh (SIGTERM, then SIGKILL if it lingers), waits for it to exit,
   * and removes the askpass script. Connections through the tunnel end.
   * Safe to call more than once.
   *
   * @returns Resolves once ssh has exited and everything is removed.
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      this.#removeAbort();
      await this.#run.stop();
    })();
  }

  /**
   * Same as {@linkcode SshTunnel.close}, for `await using`.
   *
   * @returns Resolves once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// ------------------------------------------------------------------ options

interface ParsedOptions {
  destination: string;
  user: string | undefined;
  host: string;
  port: number | undefined;
  remoteHost: string;
  remotePort: number;
  localPort: number;
  keyFile: string | undefined;
  password: string | undefined;
  knownHostsFile: string | undefined;
  strictHostKeyChecking: "yes" | "no" | "accept-new";
  configFile: string | undefined;
  sshPath: string;
  serverAliveInterval: number;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

const ACTION = "Cannot open SSH tunnel";
/** A host name, an IPv4 address, or (in brackets) an IPv6 address: nothing ssh could take for an option. */
const HOST_NAME = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?|\[[0-9A-Fa-f:.%A-Za-z]+\])$/;
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function parseOptions(options: SshTunnelOptions): ParsedOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${ACTION}: expected an options object, got ${describeValue(options)}`);
  }
  const { destination } = options;
  if (typeof destination !== "string") {
    throw new TypeError(
      `${ACTION}: option "destination" must be a string "user@host[:port]", got ${
        describeValue(destination)
      }`,
    );
  }
  const match = /^(?:([^@]*)@)?(\[[^\]]*\]|[^:@]*)(?::([0-9]{1,5}))?$/.exec(destination);
  const user = match?.[1];
  const host = match?.[2] ?? "";
  if (
    match === null || !HOST_NAME.test(host) || (user !== undefined && !USER_NAME.test(user))
  ) {
    throw new TypeError(
      `${ACTION}: option "destination" must be "user@host" or "user@host:port" (an IPv6 host in brackets), got ${
        describeValue(destination)
      }`,
    );
  }
  const port = match[3] === undefined
    ? undefined
    : checkPort("destination's port", Number(match[3]), 1);
  const remoteHost = options.remoteHost ?? HOST;
  if (typeof remoteHost !== "string" || !HOST_NAME.test(remoteHost) && !isBareIpv6(remoteHost)) {
    throw new TypeError(
      `${ACTION}: option "remoteHost" must be a host name or address, got ${
        describeValue(remoteHost)
      }`,
    );
  }
  const strict = options.strictHostKeyChecking ?? true;
  if (strict !== true && strict !== false && strict !== "accept-new") {
    throw new TypeError(
      `${ACTION}: option "strictHostKeyChecking" must be true, false or "accept-new", got ${
        describeValue(strict)
      }`,
    );
  }
  const password = options.password;
  if (password !== undefined) {
    if (typeof password !== "string" || password === "" || /[\n\r\0]/.test(password)) {
      throw new TypeError(
        `${ACTION}: option "password" must be a non-empty string without line breaks or NUL`,
      );
    }
  }
  for (const name of ["keyFile", "knownHostsFile", "configFile", "sshPath"] as const) {
    const value = options[name];
    if (
      value !== undefined && (typeof value !== "string" || value === "" || value.includes("\0"))
    ) {
      throw new TypeError(
        `${ACTION}: option "${name}" must be a non-empty path, got ${describeValue(value)}`,
      );
    }
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `${ACTION}: option "signal" must be an AbortSignal, got ${describeValue(signal)}`,
    );
  }
  return {
    destination,
    user,
    host: host.startsWith("[") ? host.slice(1, -1) : host,
    port,
    remoteHost,
    remotePort: checkPort("remotePort", options.remotePort, 1),
    localPort: checkPort("localPort", options.localPort ?? 0, 0),
    keyFile: options.keyFile,
    password,
    knownHostsFile: options.knownHostsFile,
    strictHostKeyChecking: strict === true ? "yes" : strict === false ? "no" : "accept-new",
    configFile: options.configFile,
    sshPath: options.sshPath ?? "ssh",
    serverAliveInterval: checkInteger(
      "serverAliveInterval",
      options.serverAliveInterval ?? DEFAULT_ALIVE_INTERVAL,
      0,
      86_400,
    ),
    timeoutMs: checkInteger("timeoutMs", options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 2 ** 31 - 1),
    signal,
  };
}

function isBareIpv6(text: string): boolean {
  return /^[0-9A-Fa-f:.]+$/.test(text) && text.includes(":");
}

function checkPort(name: string, value: unknown, min: number): number {
  return checkInteger(name, value, min, 65535);
}

function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${ACTION}: option "${name}" must be an integer ${min}..${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A free TCP port on 127.0.0.1 now; ssh may still lose it to another process (then it retries). */
function freeLocalPort(): number {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  try {
    return (listener.addr as Deno.NetAddr).port;
  } finally {
    listener.close();
  }
}

// ------------------------------------------------------------------ running ssh

/** One ssh process: its stderr, and how to stop it and clean up after it. */
interface SshRun {
  child: Deno.ChildProcess;
  log: OutputTail;
  /** Stops ssh (once), reads the rest of its stderr, removes the askpass script. */
  stop(): Promise<Deno.CommandStatus>;
  /** Reads the rest of its stderr and removes the askpass script, once ssh has exited. */
  cleanUp(): Promise<void>;
}

function sshArguments(options: ParsedOptions, localPort: number, askpass: boolean): string[] {
  const remote = options.remoteHost.includes(":") && !options.remoteHost.startsWith("[")
    ? `[${options.remoteHost}]`
    : options.remoteHost;
  const args = [
    "-v",
    "-N",
    ...(options.configFile === undefined ? [] : ["-F", options.configFile]),
    "-L",
    `${HOST}:${localPort}:${remote}:${options.remotePort}`,
    "-o",
    "ExitOnForwardFailure=yes",
    "-o",
    // With a password, prompts go to the askpass script; BatchMode would forbid them all.
    `BatchMode=${askpass ? "no" : "yes"}`,
    "-o",
    `StrictHostKeyChecking=${options.strictHostKeyChecking}`,
    // Never join (or become) a shared connection, whose forwards outlive this process.
    "-o",
    "ControlMaster=no",
    "-o",
    "ControlPath=none",
    "-o",
    `ServerAliveInterval=${options.serverAliveInterval}`,
    "-o",
    "ServerAliveCountMax=3",
    "-o",
    `ConnectTimeout=${Math.max(1, Math.ceil(options.timeoutMs / 1000))}`,
  ];
  if (askpass) args.push("-o", "NumberOfPasswordPrompts=1");
  if (options.keyFile !== undefined) {
    args.push("-i", options.keyFile, "-o", "IdentitiesOnly=yes");
  }
  if (options.knownHostsFile !== undefined) {
    args.push("-o", `UserKnownHostsFile=${options.knownHostsFile}`);
  }
  if (options.port !== undefined) args.push("-p", String(options.port));
  // "--": whatever the destination holds, ssh reads it as the destination.
  args.push("--", options.user === undefined ? options.host : `${options.user}@${options.host}`);
  return args;
}

function spawnSsh(options: ParsedOptions, localPort: number, askpass: Askpass | undefined): SshRun {
  const env: Record<string, string> = askpass === undefined ? {} : {
    SSH_ASKPASS: askpass.path,
    SSH_ASKPASS_REQUIRE: "force",
    [PASSWORD_VARIABLE]: options.password!,
  };
  const child = new Deno.Command(options.sshPath, {
    args: sshArguments(options, localPort, askpass !== undefined),
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = new OutputTail(child.stderr, LOG_LIMIT);
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    cleaning ??= (async () => {
      await log.finish(STOP_GRACE_MS);
      await askpass?.remove();
    })();
  let stopping: Promise<Deno.CommandStatus> | undefined;
  return {
    child,
    log,
    cleanUp,
    stop: () =>
      stopping ??= (async () => {
        const status = await stopChild(child);
        await cleanUp();
        return status;
      })(),
  };
}

/** SIGTERM, then SIGKILL if the child is still there after {@linkcode STOP_GRACE_MS}. */
async function stopChild(child: Deno.ChildProcess): Promise<Deno.CommandStatus> {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), STOP_GRACE_MS);
  });
  const outcome = await Promise.race([child.status, late]);
  clearTimeout(timer);
  if (outcome === "late") {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }
  return await child.status;
}

function describeStatus(status: Deno.CommandStatus): string {
  return status.signal !== null ? `signal ${status.signal}` : `code ${status.code}`;
}

/** Which failure ssh's stderr tells of. */
function classify(text: string): SshTunnelErrorCode {
  if (
    /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key is known for|Host key for .* has changed/
      .test(text)
  ) {
    return "host-key";
  }
  if (
    /Permission denied \(|Too many authentication failures|No more authentication methods|Authentication failed/
      .test(text)
  ) {
    return "auth-failed";
  }
  if (
    /Could not request local forwarding|cannot listen to port|Address already in use/.test(text)
  ) {
    return "forward-failed";
  }
  return "exited";
}

function explain(code: SshTunnelErrorCode, options: ParsedOptions, localPort: number): string {
  switch (code) {
    case "host-key":
      return `the server's host key is not in known_hosts${
        options.knownHostsFile === undefined ? "" : ` (${options.knownHostsFile})`
      } or differs from the one there; check its fingerprint and add it (ssh-keyscan), or set option "knownHostsFile" or "strictHostKeyChecking": "accept-new"`;
    case "auth-failed":
      return `the server refused the login${
        options.password !== undefined
          ? " (key or password)"
          : options.keyFile !== undefined
          ? ` with key ${options.keyFile}`
          : ""
      }; check option "keyFile" or "password" and the server's authorized_keys`;
    case "forward-failed":
      return `ssh could not listen on ${HOST}:${localPort}`;
    default:
      return "ssh exited before its forward listened";
  }
}

// ------------------------------------------------------------------ password

/** Whether this ssh reads passwords from SSH_ASKPASS without a terminal: OpenSSH 8.4+. */
async function checkAskpassSupport(sshPath: string, signal: AbortSignal): Promise<void> {
  const out = await new Deno.Command(sshPath, {
    args: ["-V"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  const version = /OpenSSH_(\d+)\.(\d+)/.exec(text);
  const [major, minor] = version === null ? [0, 0] : [Number(version[1]), Number(version[2])];
  const [needMajor, needMinor] = ASKPASS_MIN_VERSION;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return;
  throw new SshTunnelError(
    "unsupported",
    `${ACTION}: option "password" needs OpenSSH ${needMajor}.${needMinor} or newer (SSH_ASKPASS_REQUIRE), and ${sshPath} is ${
      version === null ? "not OpenSSH" : `OpenSSH ${major}.${minor}`
    }; use option "keyFile" instead`,
    text.trim() === "" ? [] : [text.trim()],
  );
}

/** The askpass script, in a directory of its own that only this user can enter. */
class Askpass {
  #removing: Promise<void> | undefined;

  private constructor(readonly dir: string, readonly path: string) {}

  static async create(): Promise<Askpass> {
    const dir = await Deno.makeTempDir({ prefix: "actorgear-ssh-askpass-" });
    try {
      await Deno.chmod(dir, 0o700);
      const path = `${dir}/askpass`;
      await Deno.writeTextFile(path, ASKPASS_SCRIPT, { mode: 0o700, createNew: true });
      await Deno.chmod(path, 0o700);
      return new Askpass(dir, path);
    } catch (error) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  remove(): Promise<void> {
    return this.#removing ??= Deno.remove(this.dir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

// ------------------------------------------------------------------ stderr

/** ssh's last lines that are not debug output, for an error. */
function lastLines(log: OutputTail): string[] {
  return log.text.split(/\r?\n/).filter((line) => line.trim() !== "" && !line.startsWith("debug"))
    .slice(-ERROR_LINES);
}
