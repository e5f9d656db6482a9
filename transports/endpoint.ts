/**
 * Where a port's socket binds or connects: a ZeroMQ endpoint from NetGear's
 * `protocol`, `address` and port, one endpoint per port either way.
 *
 * - `"tcp"`: `tcp://<address>:<port>`.
 * - `"ipc"` (same machine, a Unix domain socket): `ipc://<path>:<port>`,
 *   where `<path>` is `address` when it is an absolute path (vidgear's own
 *   rule, `protocol + "://" + address + ":" + port`, so a vidgear peer given
 *   the same address and port meets the same file), or {@linkcode IPC_DIR}
 *   + `/` + `address` when it is a bare name. The client binds the file and
 *   every server connects to it; the directory must exist. So
 *   `{ protocol: "ipc", address: "cams", port: 5566 }` is
 *   `ipc:///tmp/cams:5566`, and `address: "/run/netgear/cams"` is
 *   `ipc:///run/netgear/cams:5566`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zmqEndpoint } from "./endpoint.ts";
 * assert.equal(zmqEndpoint("tcp", "127.0.0.1", 5566), "tcp://127.0.0.1:5566");
 * assert.equal(zmqEndpoint("ipc", "cams", 5566), "ipc:///tmp/cams:5566");
 * assert.equal(zmqEndpoint("ipc", "/run/netgear/cams", 5567), "ipc:///run/netgear/cams:5567");
 * ```
 *
 * @module
 */

/** The transport protocols NetGear speaks: TCP, or Unix domain sockets for one machine. */
export type TransportProtocol = "tcp" | "ipc";

/** Every {@linkcode TransportProtocol}, in a stable order (for error messages). */
export const TRANSPORT_PROTOCOLS: readonly TransportProtocol[] = Object.freeze(["tcp", "ipc"]);

/** Where the socket file of an ipc `address` that is a bare name goes. */
export const IPC_DIR = "/tmp";

/** The address an ipc client and its servers use when given none: `/tmp/actorgear:<port>`. */
export const IPC_DEFAULT_ADDRESS = "actorgear";

/**
 * The longest socket file path, in bytes: a Unix domain socket's
 * `sun_path` holds 108 bytes with the final NUL on Linux (104 on macOS,
 * where the same rule is 103).
 */
export const MAX_IPC_PATH_BYTES = 107;

const BARE_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * The socket file of `port` for an ipc `address` (see the module notes).
 *
 * @param address An absolute path, or a bare name (letters, digits, `.`, `_`, `-`).
 * @param port The port, 1..65535: part of the file name.
 * @returns The path.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipcPath } from "./endpoint.ts";
 * assert.equal(ipcPath("actorgear", 5566), "/tmp/actorgear:5566");
 * ```
 */
export function ipcPath(address: string, port: number): string {
  return `${address.startsWith("/") ? address : `${IPC_DIR}/${address}`}:${port}`;
}

/**
 * The ZeroMQ endpoint of `port`.
 *
 * @param protocol `"tcp"` or `"ipc"`.
 * @param address A host (tcp), or an absolute path or bare name (ipc).
 * @param port The port.
 * @returns `tcp://address:port` or `ipc://<path>:port`.
 */
export function zmqEndpoint(protocol: TransportProtocol, address: string, port: number): string {
  return protocol === "ipc" ? `ipc://${ipcPath(address, port)}` : `tcp://${address}:${port}`;
}

/**
 * Why `address` cannot name ipc socket files, or `undefined` when it can:
 * it must be a bare name or an absolute path without NUL or a trailing
 * `/`, and the path of the largest port must fit {@linkcode MAX_IPC_PATH_BYTES}.
 *
 * @param address What the caller gave.
 * @returns The reason, in words that complete "expected ...", or `undefined`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipcAddressProblem } from "./endpoint.ts";
 * assert.equal(ipcAddressProblem("cams"), undefined);
 * assert.match(ipcAddressProblem("cams/left") ?? "", /or a bare name/);
 * ```
 */
export function ipcAddressProblem(address: string): string | undefined {
  const shape =
    'an absolute path such as "/tmp/netgear" or a bare name such as "cams" (letters, digits, ".", "_", "-"; placed in /tmp)';
  if (address.includes("\0") || address.endsWith("/")) return shape;
  if (!address.startsWith("/") && !BARE_NAME.test(address)) return shape;
  const longest = new TextEncoder().encode(ipcPath(address, 65535)).byteLength;
  if (longest > MAX_IPC_PATH_BYTES) {
    return `a shorter path: ${
      ipcPath(address, 65535)
    } has ${longest} bytes, and a Unix domain socket's path holds at most ${MAX_IPC_PATH_BYTES}`;
  }
  return undefined;
}

/**
 * Removes the socket file a bound ipc endpoint left behind (ZeroMQ keeps
 * it after closing). Only a socket is removed, never a regular file of that
 * name; nothing happens without Deno's write permission for it (no prompt:
 * the file stays, harmless, and the next bind replaces it).
 *
 * @param endpoint The endpoint as bound; anything but `ipc://` is ignored.
 * @returns Whether a file was removed.
 */
export async function removeIpcFile(endpoint: string): Promise<boolean> {
  if (!endpoint.startsWith("ipc://")) return false;
  const path = endpoint.slice("ipc://".length);
  try {
    if (Deno.permissions.querySync({ name: "write", path }).state !== "granted") return false;
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return false;
    if (!(await Deno.lstat(path)).isSocket) return false;
    await Deno.remove(path);
    return true;
  } catch {
    // Gone already, or not ours to remove: either way nothing is left to do.
    return false;
  }
}
