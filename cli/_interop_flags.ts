/**
 * The flags for NetGear's vidgear interop options, shared by `client` and
 * `server`: the wire format and the protocol (both ends), and the SSH
 * tunnel (servers only: they open it). Each flag's value is checked here,
 * naming the flag; how the options combine (a wire "vidgear" outside
 * multi-server mode, a tunnel over ipc...) is NetGear's to refuse, with
 * the option names.
 *
 * @module
 */

import type { NetGearOptions } from "../actors/netgear/mod.ts";
import type { FlagSpec } from "./_flags.ts";
import { UsageError } from "./errors.ts";

type Values = Record<string, string | boolean | undefined>;

/** `--wire` and `--protocol`, for client and server. */
export const WIRE_FLAGS: FlagSpec = {
  wire: { type: "string" },
  protocol: { type: "string" },
};

/** The SSH tunnel's flags, for servers. */
export const SSH_TUNNEL_FLAGS: FlagSpec = {
  "ssh-tunnel-mode": { type: "string" },
  "ssh-tunnel-pwd": { type: "string" },
  "ssh-tunnel-keyfile": { type: "string" },
  "ssh-tunnel-known-hosts": { type: "string" },
  "ssh-tunnel-strict-host-key": { type: "string" },
};

/** `--help` rows: a flag, then its description's lines. */
type HelpRows = readonly (readonly [string, ...string[]])[];

const WIRE_ROWS: HelpRows = [
  [
    "--wire FORMAT",
    "cbor = ActorGear's own (default); vidgear = vidgear 0.3.5's",
    "NetGear format, to talk to Python vidgear (multi-server mode)",
  ],
  [
    "--protocol PROTO",
    "tcp (default), or ipc: Unix sockets on one machine; --address",
    "is then a path or a name in /tmp, each port a file <path>:<port>",
  ],
];

const SSH_TUNNEL_ROWS: HelpRows = [
  [
    "--ssh-tunnel-mode USER@HOST[:PORT]",
    "reach the client through this SSH server (ssh -N -L;",
    "multi-server mode, tcp): --address is the client's address as",
    "the SSH server sees it",
  ],
  ["--ssh-tunnel-keyfile PATH", "private key to log in with (default: ssh's own keys)"],
  [
    "--ssh-tunnel-pwd PASSWORD",
    "log in with a password; other users can read it in the process",
    "list: prefer a key. Needs --allow-write (a throwaway askpass)",
  ],
  ["--ssh-tunnel-known-hosts PATH", "known_hosts file (default ~/.ssh/known_hosts)"],
  [
    "--ssh-tunnel-strict-host-key yes|no|accept-new",
    "check the SSH server's host key (default yes: an unknown or",
    "changed key is refused; accept-new trusts an unknown one once)",
  ],
];

/**
 * `--help` lines for {@linkcode WIRE_FLAGS}, descriptions from `column`.
 *
 * @param column Where descriptions start, as in the rest of the help text.
 * @returns The lines, without a final line break.
 */
export function wireHelp(column: number): string {
  return helpLines(WIRE_ROWS, column);
}

/**
 * `--help` lines for {@linkcode SSH_TUNNEL_FLAGS}, descriptions from `column`.
 *
 * @param column Where descriptions start, as in the rest of the help text.
 * @returns The lines, without a final line break.
 */
export function sshTunnelHelp(column: number): string {
  return helpLines(SSH_TUNNEL_ROWS, column);
}

function helpLines(rows: HelpRows, column: number): string {
  const lines: string[] = [];
  for (const [flag, ...text] of rows) {
    const head = `  ${flag}`;
    // A flag too long for its column gets a line of its own.
    const rest = head.length < column ? text : ["", ...text];
    lines.push(rest[0] === "" ? head : head.padEnd(column) + rest[0]);
    for (const line of rest.slice(1)) lines.push(" ".repeat(column) + line);
  }
  return lines.join("\n");
}

/**
 * Reads `--wire` and `--protocol`.
 *
 * @param values The parsed flags.
 * @returns The options given (absent ones left to NetGear's defaults).
 * @throws {UsageError} When a value is not one of the choices.
 */
export function wireOptions(values: Values): Pick<NetGearOptions, "wire" | "protocol"> {
  const wire = choice(values, "wire", {
    cbor: "cbor (ActorGear's own)",
    vidgear: "vidgear (vidgear 0.3.5's NetGear format, to talk to Python vidgear)",
  });
  const protocol = choice(values, "protocol", {
    tcp: "tcp",
    ipc: "ipc (Unix domain sockets, one machine)",
  });
  return {
    ...(wire === undefined ? {} : { wire }),
    ...(protocol === undefined ? {} : { protocol }),
  };
}

/** The SSH tunnel options, as {@linkcode NetGearOptions} names them. */
export type SshTunnelFlagOptions = Pick<
  NetGearOptions,
  | "sshTunnelMode"
  | "sshTunnelPwd"
  | "sshTunnelKeyfile"
  | "sshTunnelKnownHosts"
  | "sshTunnelStrictHostKey"
>;

/**
 * Reads the `--ssh-tunnel-*` flags.
 *
 * @param values The parsed flags.
 * @returns The options given (absent ones left out).
 * @throws {UsageError} When `--ssh-tunnel-strict-host-key` is not yes, no or accept-new, or another is empty.
 */
export function sshTunnelOptions(values: Values): SshTunnelFlagOptions {
  const text = (flag: string): string | undefined => {
    const value = values[flag];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value.trim() === "") {
      const shown = flag === "ssh-tunnel-pwd" ? "(hidden)" : JSON.stringify(value);
      throw new UsageError(`Cannot use --${flag} ${shown}: expected a non-empty value`);
    }
    return value;
  };
  const strict = choice(values, "ssh-tunnel-strict-host-key", {
    yes: "yes (refuse an unknown or changed host key)",
    no: "no (accept any host key: open to man-in-the-middle attacks)",
    "accept-new": "accept-new (remember an unknown key, refuse a changed one)",
  });
  const options: SshTunnelFlagOptions = {
    sshTunnelMode: text("ssh-tunnel-mode"),
    sshTunnelPwd: text("ssh-tunnel-pwd"),
    sshTunnelKeyfile: text("ssh-tunnel-keyfile"),
    sshTunnelKnownHosts: text("ssh-tunnel-known-hosts"),
    sshTunnelStrictHostKey: strict === undefined
      ? undefined
      : strict === "accept-new"
      ? "accept-new"
      : strict === "yes",
  };
  // Absent ones left out, so that NetGear sees only what was given.
  for (const key of Object.keys(options) as (keyof SshTunnelFlagOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return options;
}

/**
 * Reads a flag that takes one of `choices` (keys; values describe them).
 *
 * @throws {UsageError} Naming the flag, the value and every choice.
 */
function choice<K extends string>(
  values: Values,
  flag: string,
  choices: Record<K, string>,
): K | undefined {
  const value = values[flag];
  if (value === undefined) return undefined;
  if (typeof value === "string" && Object.hasOwn(choices, value)) return value as K;
  const valid = Object.values<string>(choices);
  throw new UsageError(
    `Cannot use --${flag} ${JSON.stringify(value)}: expected ${valid.slice(0, -1).join(", ")} or ${
      valid.at(-1)
    }`,
  );
}
