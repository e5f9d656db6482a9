/**
 * A real OpenSSH server on 127.0.0.1 for tests, and SSH tunnels through it:
 * `await using sshd = await startSshd()` runs Debian's /usr/sbin/sshd as the
 * current user (root included) on a free port, in a temporary directory with
 * throwaway host and user keys, public-key authentication only;
 * `await using tunnel = await openSshTunnel(sshd, port)` forwards a local
 * port to 127.0.0.1:`port` through it with `ssh -N -L`.
 *
 * Tests skip with a reason when sshd, ssh or ssh-keygen is missing, except
 * under CI=true, where they run and fail, naming what to install
 * (openssh-server, openssh-client).
 *
 * @module
 */

import { userInfo } from "node:os";
import { freePorts } from "./ports.ts";
import { OutputTail } from "../../transports/_output_tail.ts";

/** Debian's OpenSSH server; sshd re-executes itself, so it must be run by absolute path. */
export const SSHD = "/usr/sbin/sshd";
/** The address everything listens on. */
const HOST = "127.0.0.1";
/** Bound on starting sshd or a tunnel, and on each stop. */
const DEFAULT_TIMEOUT_MS = 15_000;
/** Attempts with a new port when the free port was taken meanwhile. */
const PORT_ATTEMPTS = 3;

/** `name` found in PATH (or /usr/bin), as an absolute path. */
async function which(name: string): Promise<string | undefined> {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== ""), "/usr/bin"];
  for (const dir of dirs) {
    const path = `${dir}/${name}`;
    try {
      const info = await Deno.stat(path);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return path;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

async function executable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

const SSH = await which("ssh");
const SSH_KEYGEN = await which("ssh-keygen");
const HAS_SSHD = await executable(SSHD);

/** What is missing for the SSH tests, as an install hint; empty when all is here. */
export const SSHD_MISSING: string = [
  HAS_SSHD ? "" : `${SSHD} (apt-get install -y openssh-server)`,
  SSH && SSH_KEYGEN ? "" : "ssh and ssh-keygen (apt-get install -y openssh-client)",
].filter((m) => m !== "").join(", ");

/**
 * `ignore:` value for tests that need sshd: true only when it is missing
 * outside CI. Under CI=true they run, and {@linkcode requireSshd} fails them
 * with the install hint.
 */
export const NO_SSHD: boolean = SSHD_MISSING !== "" && Deno.env.get("CI") !== "true";

if (NO_SSHD) {
  console.warn(
    `%cSSH tests skipped: missing ${SSHD_MISSING}; with CI=true they fail instead`,
    "color: yellow",
  );
}

/**
 * Throws, naming what to install, when OpenSSH is missing: the first line of
 * every SSH test, so that under CI a missing tool is a failure.
 *
 * @throws {Error} If sshd, ssh or ssh-keygen is missing.
 */
export function requireSshd(): void {
  if (SSHD_MISSING !== "") throw new Error(`Cannot run the SSH test: missing ${SSHD_MISSING}`);
}

/** Stops a child: SIGTERM, then SIGKILL if it is still there after `ms`. */
async function stop(child: Deno.ChildProcess, ms: number): Promise<Deno.CommandStatus> {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), ms));
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

async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdin: "null" }).output();
  const decoder = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${out.code}): ${decoder.decode(out.stderr)}`,
    );
  }
  return decoder.decode(out.stdout);
}

/**
 * Makes a private key `sshd` does not accept (not in its authorized_keys),
 * in its directory.
 *
 * @param sshd The running sshd.
 * @returns The key's path.
 */
export async function strangerKey(sshd: Sshd): Promise<string> {
  const path = `${sshd.dir}/stranger_ed25519`;
  await run(SSH_KEYGEN!, ["-q", "-t", "ed25519", "-N", "", "-f", path]);
  return path;
}

/** A running sshd; see {@linkcode startSshd}. */
export interface Sshd extends AsyncDisposable {
  /** The address it listens on: 127.0.0.1. */
  readonly host: string;
  /** Its port. */
  readonly port: number;
  /** The user it lets in: the one running the tests. */
  readonly user: string;
  /** `user@127.0.0.1`, for ssh's command line. */
  readonly destination: string;
  /** The private key it accepts (in authorized_keys, restricted to port forwarding). */
  readonly identityFile: string;
  /** A known_hosts file holding its host key, for `StrictHostKeyChecking=yes`. */
  readonly knownHostsFile: string;
  /** Its host key's fingerprint, as `ssh-keygen -l` prints it: `SHA256:...`. */
  readonly hostKeyFingerprint: string;
  /** Its temporary directory (config, keys); removed by `close()`. */
  readonly dir: string;
  /**
   * ssh options to reach it: no user config, this port, identity and
   * known_hosts, strict host key checking, no prompts.
   */
  readonly clientOptions: readonly string[];
  /** What sshd logged so far (its last 64 KiB), for error messages. */
  log(): string;
  /** Stops sshd and removes its directory; safe to call more than once. */
  close(): Promise<void>;
}

/** Options of {@linkcode startSshd}. */
export interface StartSshdOptions {
  /**
   * Bound on starting it, in ms.
   *
   * @default {15000}
   */
  timeoutMs?: number;
}

class SshdServer implements Sshd {
  readonly host = HOST;
  readonly destination: string;
  readonly clientOptions: readonly string[];
  #closing: Promise<void> | undefined;

  constructor(
    readonly port: number,
    readonly user: string,
    readonly identityFile: string,
    readonly knownHostsFile: string,
    readonly hostKeyFingerprint: string,
    readonly dir: string,
    readonly child: Deno.ChildProcess,
    readonly pump: OutputTail,
  ) {
    this.destination = `${user}@${HOST}`;
    this.clientOptions = clientOptions(port, identityFile, knownHostsFile);
  }

  log(): string {
    return this.pump.text;
  }

  close(): Promise<void> {
    return this.#closing ??= (async () => {
      try {
        await stop(this.child, 5000);
        await this.pump.finish(2000);
      } finally {
        await Deno.remove(this.dir, { recursive: true });
      }
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function clientOptions(port: number, identityFile: string, knownHostsFile: string): string[] {
  return [
    "-F",
    "none",
    "-p",
    String(port),
    "-i",
    identityFile,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "IdentityAgent=none",
    "-o",
    "BatchMode=yes",
    "-o",
    `UserKnownHostsFile=${knownHostsFile}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "UpdateHostKeys=no",
    "-o",
    "CheckHostIP=no",
    "-o",
    "ConnectTimeout=10",
  ];
}

function sshdConfig(dir: string, port: number, user: string): string {
  return [
    `Port ${port}`,
    `ListenAddress ${HOST}`,
    `HostKey ${dir}/host_ed25519`,
    "PidFile none",
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    // The temp dir and keys belong to the user running the tests, wherever that is.
    "StrictModes no",
    "UsePAM no",
    "PubkeyAuthentication yes",
    "AuthenticationMethods publickey",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "HostbasedAuthentication no",
    // Root may log in with a key only (the sandbox runs tests as root).
    "PermitRootLogin prohibit-password",
    `AllowUsers ${user}`,
    "AllowTcpForwarding local",
    "AllowStreamLocalForwarding no",
    "AllowAgentForwarding no",
    "X11Forwarding no",
    "PermitTunnel no",
    "PermitTTY no",
    "PermitUserEnvironment no",
    "UseDNS no",
    "PrintMotd no",
    "LogLevel INFO",
    "",
  ].join("\n");
}

/**
 * Starts a throwaway OpenSSH server on 127.0.0.1 as the current user: host
 * and user keys made by ssh-keygen in a new temporary directory, the user's
 * key in authorized_keys (`restrict,port-forwarding`), public-key login only.
 * Resolves once sshd logs that it listens. As root, creates /run/sshd (sshd's
 * privilege separation directory) if it is missing.
 *
 * @throws {Error} If OpenSSH is missing (with the install hint), or sshd
 * does not start within `timeoutMs` (with its log).
 */
export async function startSshd(options: StartSshdOptions = {}): Promise<Sshd> {
  requireSshd();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const dir = await Deno.makeTempDir({ prefix: "actorgear-sshd-" });
  try {
    const user = userInfo().username;
    const hostKey = `${dir}/host_ed25519`;
    const identityFile = `${dir}/user_ed25519`;
    await Promise.all([
      run(SSH_KEYGEN!, [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "actorgear-test-host",
        "-f",
        hostKey,
      ]),
      run(SSH_KEYGEN!, [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "actorgear-test-user",
        "-f",
        identityFile,
      ]),
    ]);
    const userKey = (await Deno.readTextFile(`${identityFile}.pub`)).trim();
    await Deno.writeTextFile(`${dir}/authorized_keys`, `restrict,port-forwarding ${userKey}\n`);
    const [hostType, hostBlob] = (await Deno.readTextFile(`${hostKey}.pub`)).trim().split(/\s+/);
    const fingerprint = (await run(SSH_KEYGEN!, ["-l", "-f", `${hostKey}.pub`])).split(/\s+/)[1];
    if (Deno.uid() === 0) await Deno.mkdir("/run/sshd", { recursive: true, mode: 0o755 });

    const signal = AbortSignal.timeout(timeoutMs);
    const config = `${dir}/sshd_config`;
    for (let attempt = 1;; attempt++) {
      const [port] = freePorts(1);
      await Deno.writeTextFile(config, sshdConfig(dir, port, user));
      const child = new Deno.Command(SSHD, {
        args: ["-D", "-e", "-f", config],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const pump = new OutputTail(child.stderr);
      let listening;
      try {
        listening = await pump.waitFor(
          new RegExp(`Server listening on ${HOST.replaceAll(".", "\\.")} port ${port}\\.`),
          signal,
        );
      } catch (error) {
        await stop(child, 5000);
        await pump.finish(2000);
        throw new Error(`sshd did not start within ${timeoutMs} ms: ${pump.text}`, {
          cause: error,
        });
      }
      if (listening) {
        const server = new SshdServer(
          port,
          user,
          identityFile,
          `${dir}/known_hosts`,
          fingerprint,
          dir,
          child,
          pump,
        );
        try {
          await Deno.writeTextFile(
            server.knownHostsFile,
            `[${HOST}]:${port} ${hostType} ${hostBlob}\n`,
          );
        } catch (error) {
          await server.close();
          throw error;
        }
        return server;
      }
      const status = await stop(child, 5000);
      await pump.finish(2000);
      if (!/Address already in use/.test(pump.text) || attempt >= PORT_ATTEMPTS) {
        throw new Error(`sshd exited (${status.code}) before listening: ${pump.text}`);
      }
    }
  } catch (error) {
    // Already gone if the server was closed above; the first error is the one to report.
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** A running `ssh -N -L`; see {@linkcode openSshTunnel}. */
export interface SshTunnel extends AsyncDisposable {
  /** The local port (on 127.0.0.1) that leads through the tunnel. */
  readonly localPort: number;
  /** The port on the server's side (127.0.0.1) it leads to. */
  readonly remotePort: number;
  /** What ssh logged so far (debug level, its last 64 KiB). */
  log(): string;
  /** Stops ssh; safe to call more than once. */
  close(): Promise<void>;
}

/** Options of {@linkcode openSshTunnel}. */
export interface SshTunnelOptions {
  /**
   * Bound on opening it, in ms.
   *
   * @default {15000}
   */
  timeoutMs?: number;
  /**
   * known_hosts to check the server's key against.
   *
   * @default {sshd.knownHostsFile}
   */
  knownHostsFile?: string;
  /**
   * Private key to log in with.
   *
   * @default {sshd.identityFile}
   */
  identityFile?: string;
}

class Tunnel implements SshTunnel {
  #closing: Promise<void> | undefined;

  constructor(
    readonly localPort: number,
    readonly remotePort: number,
    readonly child: Deno.ChildProcess,
    readonly pump: OutputTail,
  ) {}

  log(): string {
    return this.pump.text;
  }

  close(): Promise<void> {
    return this.#closing ??= (async () => {
      await stop(this.child, 5000);
      await this.pump.finish(2000);
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Opens `ssh -N -L 127.0.0.1:<local>:127.0.0.1:<remotePort>` through `sshd`
 * (strict host key checking, ExitOnForwardFailure), on a free local port.
 * Resolves once ssh logs that the forward listens, after authentication,
 * so connections to `localPort` go through.
 *
 * @throws {Error} If ssh exits first (a host key mismatch, a refused key;
 * the message holds ssh's and sshd's logs) or does not get there within
 * `timeoutMs`.
 */
export async function openSshTunnel(
  sshd: Sshd,
  remotePort: number,
  options: SshTunnelOptions = {},
): Promise<SshTunnel> {
  requireSshd();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  for (let attempt = 1;; attempt++) {
    const [localPort] = freePorts(1);
    const child = new Deno.Command(SSH!, {
      args: [
        "-v",
        "-N",
        "-L",
        `${HOST}:${localPort}:${HOST}:${remotePort}`,
        ...clientOptions(
          sshd.port,
          options.identityFile ?? sshd.identityFile,
          options.knownHostsFile ?? sshd.knownHostsFile,
        ),
        "-o",
        "ExitOnForwardFailure=yes",
        sshd.destination,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const pump = new OutputTail(child.stderr);
    let listening;
    try {
      listening = await pump.waitFor(
        new RegExp(
          `Local forwarding listening on ${HOST.replaceAll(".", "\\.")} port ${localPort}\\.`,
        ),
        signal,
      );
    } catch (error) {
      await stop(child, 5000);
      await pump.finish(2000);
      throw new Error(
        `ssh tunnel not open within ${timeoutMs} ms: ${pump.text}\n--- sshd ---\n${sshd.log()}`,
        { cause: error },
      );
    }
    if (listening) return new Tunnel(localPort, remotePort, child, pump);
    const status = await stop(child, 5000);
    await pump.finish(2000);
    const taken = /Address already in use|cannot listen to port/.test(pump.text);
    if (!taken || attempt >= PORT_ATTEMPTS) {
      throw new Error(
        `ssh exited (${status.code}) before its forward listened: ${
          pump.text.split("\n").filter((line) => !line.startsWith("debug")).join("\n")
        }\n--- sshd ---\n${sshd.log()}`,
      );
    }
  }
}
