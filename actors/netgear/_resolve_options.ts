/**
 * Every NetGear option checked, with its default filled in: what the client
 * and server run on. Private to the folder: users give {@linkcode NetGearOptions}.
 *
 * @module
 */

import type { PixelFormat } from "../../capture/frame.ts";
import {
  JPEG_COMPRESSION_CHOICES,
  type JpegLayout,
  resolveJpegCompression,
} from "../../transports/codecs/jpeg.ts";
import { defaultKeysDir } from "../../transports/security/curve_keys.ts";
import { IPC_DEFAULT_ADDRESS, ipcAddressProblem } from "../../transports/endpoint.ts";
import type { ServerSshTunnelOptions, WireFormat } from "../../transports/zmq_transport_options.ts";
import { ConfigurationError } from "./errors.ts";
import type { NetGearOptions, Pattern, SecureMode } from "./options.ts";
import { milliseconds, resolveLiveness } from "./_timing_options.ts";

/** Every option with its value decided: what NetGear runs on. */
export interface ResolvedNetGearOptions {
  readonly address: string;
  readonly ports: readonly number[];
  readonly protocol: "tcp" | "ipc";
  readonly pattern: Pattern;
  readonly receiveMode: boolean;
  readonly logging: boolean;
  readonly multiserverMode: boolean;
  /** One server, many clients: a client binds one port, the server connects to every listed one. */
  readonly multiclientMode: boolean;
  readonly bidirectionalMode: boolean;
  readonly requestTimeout: number;
  readonly maxRetries: number;
  readonly heartbeatInterval: number;
  readonly livenessTimeout: number;
  /** Client: the longest wait for a first server, in ms; `undefined` for ever. */
  readonly connectTimeout: number | undefined;
  /** PUB server: the longest wait for a subscriber, in ms (see the option). */
  readonly subscriberTimeout: number;
  /** PUB server: what `send` does with a frame no client takes. */
  readonly whenNoSubscriber: "reject" | "drop";
  readonly maxMessageSize: number;
  readonly queueSize: number;
  /** JPEG settings; `compress` is `undefined` when compression is off. */
  readonly jpeg: {
    /** `layout`: frames without a format are in a byte layout no format names (BGRA...). */
    readonly compress:
      | { readonly format: PixelFormat | undefined; readonly layout?: JpegLayout }
      | undefined;
    readonly quality: number;
    readonly fastDct: boolean;
    readonly fastUpsample: boolean;
    readonly decode: boolean;
  };
  readonly secureMode: SecureMode;
  /** The keys directory; `undefined` when `secureMode` is 0. */
  readonly keysDir: string | undefined;
  /** Where the live viewer listens, or `undefined` without one. */
  readonly viewer: { readonly hostname: string; readonly port: number } | undefined;
  readonly signal: AbortSignal | undefined;
  // vidgear interop
  /** The wire format. */
  readonly wire: WireFormat;
  /** Server: the SSH tunnel to reach the client through; `undefined` without one. */
  readonly sshTunnel: ServerSshTunnelOptions | undefined;
}

const DEFAULTS = {
  address: "127.0.0.1",
  port: 5555,
  protocol: "tcp",
  pattern: 1,
  receiveMode: false,
  logging: false,
  multiserverMode: false,
  multiclientMode: false,
  bidirectionalMode: false,
  requestTimeout: 4000,
  maxRetries: 3,
  subscriberTimeout: undefined,
  whenNoSubscriber: undefined,
  // Each follows from the other when only one is given (_timing_options.ts).
  heartbeatInterval: undefined,
  livenessTimeout: undefined,
  connectTimeout: undefined,
  maxMessageSize: 64 * 1024 * 1024,
  queueSize: 4,
  jpegCompression: false,
  jpegCompressionQuality: 90,
  jpegCompressionFastdct: true,
  jpegCompressionFastupsample: false,
  jpegDecode: true,
  secureMode: 0,
  keysDir: undefined,
  viewer: false,
  signal: undefined,
  // vidgear interop
  wire: "cbor",
  sshTunnelMode: undefined,
  sshTunnelPwd: undefined,
  sshTunnelKeyfile: undefined,
  sshTunnelKnownHosts: undefined,
  sshTunnelStrictHostKey: undefined,
} as const;

/** The names of every option `NetGear.open` accepts. */
export const OPTION_NAMES: readonly string[] = Object.freeze(
  Object.keys(DEFAULTS),
);

/**
 * Checks every option and fills in the defaults.
 *
 * @param options What the caller gave.
 * @returns The options NetGear runs on.
 * @throws {ConfigurationError} When an option is unknown, of the wrong type,
 * out of range, or combined with one it cannot go with.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveOptions } from "./_resolve_options.ts";
 * const resolved = resolveOptions({ receiveMode: true, multiserverMode: true, port: [5566, 5567] });
 * assert.ok(resolved.ports.length === 2 && resolved.pattern === 1);
 * ```
 */
export function resolveOptions(options: NetGearOptions): ResolvedNetGearOptions {
  if (options === null || typeof options !== "object") {
    throw new ConfigurationError(
      "options",
      options,
      `Cannot open NetGear: options must be an object, got ${describe(options)}`,
    );
  }
  for (const name of Object.keys(options)) {
    if (!(name in DEFAULTS)) {
      const suggestion = closestName(name, OPTION_NAMES);
      throw new ConfigurationError(
        name,
        (options as Record<string, unknown>)[name],
        `Cannot open NetGear: unknown option "${name}"` +
          (suggestion ? `; did you mean "${suggestion}"?` : "") +
          ` Valid options: ${OPTION_NAMES.join(", ")}`,
      );
    }
  }
  const o: Record<string, unknown> = { ...DEFAULTS, ...stripUndefined(options) };

  if (o.protocol !== "tcp" && o.protocol !== "ipc") {
    fail("protocol", o.protocol, '"tcp", or "ipc" (Unix domain sockets, one machine)');
  }
  const protocol = o.protocol as "tcp" | "ipc";
  const address = resolveAddress(protocol, options.address);
  const receiveMode = bool("receiveMode", o.receiveMode);
  const logging = bool("logging", o.logging);
  const multiserverMode = bool("multiserverMode", o.multiserverMode);
  const multiclientMode = bool("multiclientMode", o.multiclientMode);
  const bidirectionalMode = bool("bidirectionalMode", o.bidirectionalMode);

  if (multiserverMode && multiclientMode) {
    throw new ConfigurationError(
      "multiclientMode",
      true,
      "Cannot open NetGear: multiserverMode and multiclientMode cannot be enabled together; enable one of them",
    );
  }

  const pattern = o.pattern;
  const validPatterns = multiserverMode || multiclientMode ? [1, 2] : [0, 1, 2];
  if (!validPatterns.includes(pattern as number)) {
    fail(
      "pattern",
      pattern,
      multiserverMode || multiclientMode
        ? `1 (REQ/REP) or 2 (PUB/SUB) in ${multiserverMode ? "multi-server" : "multi-client"} mode`
        : "0 (PAIR), 1 (REQ/REP) or 2 (PUB/SUB)",
    );
  }
  if (bidirectionalMode && pattern !== 1) {
    fail(
      "bidirectionalMode",
      true,
      `false with pattern ${pattern}: bidirectional mode needs pattern 1 (REQ/REP)`,
    );
  }

  if (multiserverMode && !receiveMode && options.port === undefined) {
    // The port is a multi-server server's identity: no default can be
    // right, and vidgear raises too.
    fail(
      "port",
      undefined,
      "this server's own port in multi-server mode, such as 5566: the client tells servers apart by port, so each needs its own (vidgear raises too)",
    );
  }
  const ports = multiclientMode
    ? resolveMultiClientPorts(o.port, receiveMode)
    : resolvePorts(o.port, multiserverMode && receiveMode);

  const requestTimeout = milliseconds("requestTimeout", o.requestTimeout);
  const maxRetries = integer("maxRetries", o.maxRetries, 0, 1000);
  const liveness = resolveLiveness(options, receiveMode, pattern);
  const { heartbeatInterval, livenessTimeout } = liveness;
  // A server waits for a subscriber as long as a REQ server retries, unless told.
  // (Capped at a day, the option's own limit, which keeps timers in range.)
  const subscriberTimeout = receiveMode || options.subscriberTimeout === undefined
    ? Math.min(requestTimeout * (maxRetries + 1), 86_400_000)
    : milliseconds("subscriberTimeout", options.subscriberTimeout, { zero: "never wait" });
  const whenNoSubscriber = resolveWhenNoSubscriber(o.whenNoSubscriber, receiveMode, pattern);
  const connectTimeout = resolveConnectTimeout(options.connectTimeout, receiveMode);
  const maxMessageSize = integer("maxMessageSize", o.maxMessageSize, 1024, 2 ** 31 - 1);
  const queueSize = integer("queueSize", o.queueSize, 1, 100_000);
  const jpeg = {
    compress: resolveCompression(o.jpegCompression),
    quality: integer("jpegCompressionQuality", o.jpegCompressionQuality, 10, 100),
    fastDct: bool("jpegCompressionFastdct", o.jpegCompressionFastdct),
    fastUpsample: bool("jpegCompressionFastupsample", o.jpegCompressionFastupsample),
    decode: bool("jpegDecode", o.jpegDecode),
  };
  const signal = o.signal as AbortSignal | undefined;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    fail("signal", signal, "an AbortSignal");
  }
  const secureMode = o.secureMode;
  if (secureMode !== 0 && secureMode !== 1 && secureMode !== 2) {
    fail(
      "secureMode",
      secureMode,
      "0 (off), 1 (stonehouse: encrypted) or 2 (ironhouse: encrypted, servers authenticated)",
    );
  }
  const keysDir = resolveKeysDir(o.keysDir, secureMode as SecureMode);
  const viewer = resolveViewer(o.viewer, receiveMode);
  const { wire, sshTunnel } = resolveVidgearInterop(o, {
    receiveMode,
    multiserverMode,
    multiclientMode,
    protocol,
  });

  return {
    address,
    ports,
    protocol,
    pattern: pattern as Pattern,
    receiveMode,
    logging,
    multiserverMode,
    multiclientMode,
    bidirectionalMode,
    requestTimeout,
    maxRetries,
    heartbeatInterval,
    livenessTimeout,
    connectTimeout,
    subscriberTimeout,
    whenNoSubscriber,
    maxMessageSize,
    queueSize,
    jpeg,
    secureMode: secureMode as SecureMode,
    keysDir,
    viewer,
    signal,
    wire,
    sshTunnel,
  };
}

function resolveConnectTimeout(value: unknown, receiveMode: boolean): number | undefined {
  if (value === undefined) return undefined;
  const ms = milliseconds("connectTimeout", value);
  if (!receiveMode) {
    fail(
      "connectTimeout",
      value,
      "unset on a server: its send() already gives up after requestTimeout x (maxRetries + 1), or subscriberTimeout (PUB/SUB)",
    );
  }
  return ms;
}

function resolveAddress(protocol: "tcp" | "ipc", given: unknown): string {
  if (protocol === "ipc") {
    if (given === undefined) return IPC_DEFAULT_ADDRESS;
    const problem = typeof given === "string" ? ipcAddressProblem(given) : "a string";
    if (problem !== undefined) fail("address", given, `with protocol "ipc", ${problem}`);
    return given as string;
  }
  const address = given ?? DEFAULTS.address;
  if (typeof address !== "string" || address.trim() === "" || /[\s/]/.test(address)) {
    fail("address", address, 'a host name or IP address such as "127.0.0.1"');
  }
  return address as string;
}

// ------------------------------------------------ vidgear interop: wire format, SSH tunnels

/** `user@host`, `user@host:port`, an IPv6 host in brackets; ssh itself checks the rest. */
const SSH_DESTINATION =
  /^(?:[A-Za-z0-9_][A-Za-z0-9._-]*@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_][A-Za-z0-9._-]*)(?::[0-9]{1,5})?$/;

function resolveVidgearInterop(
  o: Record<string, unknown>,
  mode: {
    receiveMode: boolean;
    multiserverMode: boolean;
    multiclientMode: boolean;
    protocol: "tcp" | "ipc";
  },
): { wire: WireFormat; sshTunnel: ServerSshTunnelOptions | undefined } {
  const wire = o.wire;
  if (wire !== "cbor" && wire !== "vidgear") {
    fail("wire", wire, '"cbor" (ActorGear\'s own) or "vidgear" (vidgear 0.3.5\'s NetGear format)');
  }
  if (wire === "vidgear" && !mode.multiserverMode) {
    fail(
      "wire",
      wire,
      mode.multiclientMode
        ? '"cbor" in multi-client mode: wire "vidgear" speaks vidgear\'s multi-server mode only'
        : '"cbor" outside multi-server mode: wire "vidgear" speaks vidgear\'s multi-server mode (in vidgear\'s plain mode its server connects and its client binds, the reverse of ActorGear\'s)',
    );
  }
  const ssh = {
    sshTunnelPwd: o.sshTunnelPwd,
    sshTunnelKeyfile: o.sshTunnelKeyfile,
    sshTunnelKnownHosts: o.sshTunnelKnownHosts,
    sshTunnelStrictHostKey: o.sshTunnelStrictHostKey,
  };
  const destination = o.sshTunnelMode;
  if (destination === undefined) {
    for (const [name, value] of Object.entries(ssh)) {
      if (value === undefined) continue;
      // A password is never shown, not even one given by mistake.
      fail(name, name === "sshTunnelPwd" ? "(hidden)" : value, "unset unless sshTunnelMode is set");
    }
    return { wire: wire as WireFormat, sshTunnel: undefined };
  }
  if (typeof destination !== "string" || !SSH_DESTINATION.test(destination)) {
    fail("sshTunnelMode", destination, 'the SSH server as "user@host" or "user@host:port"');
  }
  if (mode.receiveMode) {
    fail(
      "sshTunnelMode",
      destination,
      "unset on a client: servers open the tunnel to reach a client behind SSH (as in vidgear)",
    );
  }
  if (mode.multiclientMode) {
    fail(
      "sshTunnelMode",
      destination,
      "unset in multi-client mode: a tunnel reaches one client port, and vidgear refuses SSH tunnels in this mode too",
    );
  }
  if (!mode.multiserverMode) {
    fail(
      "sshTunnelMode",
      destination,
      "unset outside multi-server mode: an ActorGear server in plain mode binds and its client connects, so the server has nothing to tunnel; use multiserverMode, where servers connect to the client",
    );
  }
  if (mode.protocol !== "tcp") {
    fail("sshTunnelMode", destination, 'unset with protocol "ipc": SSH forwards TCP ports');
  }
  const password = ssh.sshTunnelPwd;
  if (password !== undefined) {
    if (typeof password !== "string" || password === "" || /[\n\r\0]/.test(password)) {
      fail("sshTunnelPwd", "(hidden)", "a non-empty string without line breaks");
    }
  }
  for (const name of ["sshTunnelKeyfile", "sshTunnelKnownHosts"] as const) {
    const value = ssh[name];
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      fail(name, value, 'a file path such as "~/.ssh/id_ed25519"');
    }
  }
  const strict = ssh.sshTunnelStrictHostKey;
  if (strict !== undefined && strict !== true && strict !== false && strict !== "accept-new") {
    fail("sshTunnelStrictHostKey", strict, 'true, false or "accept-new"');
  }
  const tunnel: ServerSshTunnelOptions = {
    destination: destination as string,
    ...(password === undefined ? {} : { password: password as string }),
    ...(ssh.sshTunnelKeyfile === undefined ? {} : { keyFile: ssh.sshTunnelKeyfile as string }),
    ...(ssh.sshTunnelKnownHosts === undefined
      ? {}
      : { knownHostsFile: ssh.sshTunnelKnownHosts as string }),
    ...(strict === undefined ? {} : { strictHostKeyChecking: strict as boolean | "accept-new" }),
  };
  return { wire: wire as WireFormat, sshTunnel: tunnel };
}

function resolveWhenNoSubscriber(
  value: unknown,
  receiveMode: boolean,
  pattern: unknown,
): "reject" | "drop" {
  if (value === undefined) return "reject";
  if (value !== "reject" && value !== "drop") fail("whenNoSubscriber", value, '"reject" or "drop"');
  // Refused rather than ignored, as bidirectionalMode is: it would do nothing.
  if (receiveMode) {
    fail("whenNoSubscriber", value, "unset on a client: it tells a PUB server what to do");
  }
  if (pattern !== 2) {
    fail(
      "whenNoSubscriber",
      value,
      `unset with pattern ${pattern}: only a PUB/SUB server (pattern 2) has subscribers`,
    );
  }
  return value as "reject" | "drop";
}

function resolveViewer(
  value: unknown,
  receiveMode: boolean,
): { hostname: string; port: number } | undefined {
  const valid = "true, false or { port, hostname } such as { port: 8080 }";
  if (value === false) return undefined;
  if (value !== true && (value === null || typeof value !== "object" || Array.isArray(value))) {
    fail("viewer", value, valid);
  }
  if (!receiveMode) {
    fail(
      "viewer",
      value,
      "false on a server: the live viewer runs beside the client (receiveMode: true)",
    );
  }
  const given = (value === true ? {} : value) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== "port" && key !== "hostname") fail("viewer", value, valid);
  }
  const hostname = given.hostname ?? "127.0.0.1";
  if (typeof hostname !== "string" || hostname.trim() === "" || /[\s/]/.test(hostname)) {
    fail("viewer", value, 'a hostname such as "127.0.0.1" in viewer.hostname');
  }
  return {
    hostname: hostname as string,
    port: integer("viewer.port", given.port ?? 0, 0, 65535),
  };
}

function resolveKeysDir(value: unknown, secureMode: SecureMode): string | undefined {
  if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
    fail("keysDir", value, 'a directory path such as "./keys"');
  }
  if (secureMode === 0) {
    // Keys given without secure mode would leave the link silently in clear.
    if (value !== undefined) fail("keysDir", value, "unset unless secureMode is 1 or 2");
    return undefined;
  }
  if (value !== undefined) return value as string;
  try {
    return defaultKeysDir();
  } catch {
    return fail(
      "keysDir",
      value,
      "a directory path: neither HOME nor USERPROFILE is set, so ~/.actorgear/keys is unknown",
    );
  }
}

function resolveCompression(
  value: unknown,
): { format: PixelFormat | undefined; layout?: JpegLayout } | undefined {
  if (typeof value !== "boolean" && typeof value !== "string") {
    fail("jpegCompression", value, JPEG_COMPRESSION_CHOICES);
  }
  try {
    const resolved = resolveJpegCompression(value as boolean | string);
    if (!resolved.enabled) return undefined;
    return resolved.layout === undefined
      ? { format: resolved.format }
      : { format: resolved.format, layout: resolved.layout };
  } catch {
    return fail("jpegCompression", value, JPEG_COMPRESSION_CHOICES);
  }
}

function resolvePorts(value: unknown, expectList: boolean): number[] {
  if (expectList) {
    if (!Array.isArray(value)) {
      fail(
        "port",
        value,
        "a non-empty list of every server's distinct port, such as [5566, 5567], for a multi-server client",
      );
    }
    const list = value as unknown[];
    if (list.length === 0) {
      fail("port", value, "a non-empty list of distinct ports, such as [5566, 5567]");
    }
    const seen = new Set<number>();
    for (const port of list) {
      const checked = checkPort(port, value);
      if (seen.has(checked)) {
        fail("port", value, `distinct ports: ${checked} appears more than once`);
      }
      seen.add(checked);
    }
    return [...seen];
  }
  if (Array.isArray(value)) {
    fail(
      "port",
      value,
      "one port for a server (or a plain-mode client); only a multi-server client (or a multi-client server) takes a list",
    );
  }
  return [checkPort(value, value)];
}

// ---------------------------------------------------------------- multi-client mode

/**
 * Multi-client mode's ports: a client binds exactly one; the server takes
 * the non-empty list of every client's distinct port.
 */
function resolveMultiClientPorts(value: unknown, receiveMode: boolean): number[] {
  if (receiveMode) {
    if (Array.isArray(value)) {
      fail(
        "port",
        value,
        "one port for a multi-client client, such as 5566: each client binds its own port, and only the server takes the list of every client's port",
      );
    }
    return [checkPort(value, value)];
  }
  if (!Array.isArray(value) || value.length === 0) {
    fail(
      "port",
      value,
      "a non-empty list of every client's distinct port, such as [5566, 5567], for a multi-client server (it connects to each client)",
    );
  }
  const seen = new Set<number>();
  for (const port of value as unknown[]) {
    const checked = checkPort(port, value);
    if (seen.has(checked)) {
      fail("port", value, `distinct client ports: ${checked} appears more than once`);
    }
    seen.add(checked);
  }
  return [...seen];
}

function checkPort(port: unknown, whole: unknown): number {
  const number = typeof port === "string" && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 1 || number > 65535) {
    fail("port", whole, `ports that are integers from 1 to 65535 (got ${describe(port)})`);
  }
  return number as number;
}

function bool(option: string, value: unknown): boolean {
  if (typeof value !== "boolean") fail(option, value, "true or false");
  return value as boolean;
}

function integer(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(option, value, `an integer from ${min} to ${max}`);
  }
  return value as number;
}

function fail(option: string, value: unknown, valid: string): never {
  throw new ConfigurationError(
    option,
    value,
    `Cannot open NetGear: option "${option}" is ${describe(value)}; expected ${valid}`,
  );
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(", ")}]`;
  if (value === null || typeof value !== "object") return String(value);
  return Object.prototype.toString.call(value);
}

function stripUndefined(options: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out;
}

/** The valid name nearest to `name` (ignoring case and `_`), if it is close enough. */
function closestName(name: string, names: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replaceAll("_", "").replaceAll("-", "");
  const target = norm(name);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of names) {
    const d = editDistance(target, norm(candidate));
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(target.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
