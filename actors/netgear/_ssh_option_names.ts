/**
 * The SSH tunnel's messages in NetGear's option names: `SshTunnel` names its
 * own options (`keyFile`, `password`…), which a NetGear user sets as
 * `sshTunnelKeyfile`, `sshTunnelPwd`….
 *
 * @module
 */

/** `SshTunnel`'s option names and NetGear's. */
const NAMES: readonly (readonly [string, string])[] = [
  ['option "keyFile"', 'option "sshTunnelKeyfile"'],
  ['option "password"', 'option "sshTunnelPwd"'],
  ['option "knownHostsFile"', 'option "sshTunnelKnownHosts"'],
  ['option "strictHostKeyChecking": "accept-new"', 'option "sshTunnelStrictHostKey": "accept-new"'],
  ['option "strictHostKeyChecking"', 'option "sshTunnelStrictHostKey"'],
  ['option "destination"', 'option "sshTunnelMode"'],
];

/**
 * `error` (an error or a text) with the tunnel's option names replaced by
 * NetGear's; an error keeps its class and fields, only its message changes.
 *
 * @param error What to rename; anything else is returned as it is.
 * @returns The same value, renamed.
 */
export function sshOptionNames<T>(error: T): T {
  if (typeof error === "string") return rename(error) as T;
  if (error instanceof Error && /option "/.test(error.message)) {
    try {
      error.message = rename(error.message);
    } catch {
      // A frozen error keeps its words.
    }
  }
  return error;
}

function rename(text: string): string {
  let out = text;
  for (const [from, to] of NAMES) out = out.replaceAll(from, to);
  return out;
}
