/**
 * Which command-line flag sets which NetGear option, so that an option
 * NetGear refuses (it names the option: `sshTunnelMode`) is also named as
 * the user typed it (`--ssh-tunnel-mode`).
 *
 * @module
 */

/** NetGear option → flag, for options whose flag is not simply its kebab-case name. */
const RENAMED: Record<string, Record<string, string>> = {
  client: {
    port: "--ports",
    bidirectionalMode: "--bidirectional",
    multiserverMode: "--no-multiserver",
    multiclientMode: "--multiclient",
    viewer: "--view",
    "viewer.port": "--view",
  },
  server: {
    bidirectionalMode: "--bidirectional",
    multiserverMode: "--no-multiserver",
    multiclientMode: "--multiclient",
    jpegCompression: "--jpeg",
    jpegCompressionQuality: "--jpeg",
  },
};

/** Options whose flag is their kebab-case name, per command. */
const SAME: Record<string, readonly string[]> = {
  client: [
    "address",
    "pattern",
    "heartbeatInterval",
    "livenessTimeout",
    "connectTimeout",
    "logging",
    "secureMode",
    "keysDir",
    "wire",
    "protocol",
  ],
  server: [
    "address",
    "port",
    "pattern",
    "heartbeatInterval",
    "logging",
    "secureMode",
    "keysDir",
    "wire",
    "protocol",
    "sshTunnelMode",
    "sshTunnelPwd",
    "sshTunnelKeyfile",
    "sshTunnelKnownHosts",
    "sshTunnelStrictHostKey",
  ],
};

/**
 * The flag of `command` that sets NetGear option `option`.
 *
 * @param command `client` or `server`.
 * @param option The option NetGear names, such as `"sshTunnelMode"`.
 * @returns The flag, such as `"--ssh-tunnel-mode"`, or `undefined` when no flag sets it.
 */
export function flagOf(command: string, option: string): string | undefined {
  const renamed = RENAMED[command]?.[option];
  if (renamed !== undefined) return renamed;
  if (!SAME[command]?.includes(option)) return undefined;
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
