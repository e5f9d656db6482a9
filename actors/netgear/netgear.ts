/**
 * NetGear: vidgear's network gear for Deno. In multi-server mode many
 * servers stream frames and data to one client, which tells them apart by
 * port, tracks each one's state and shuts itself down when all are gone.
 * {@linkcode NetGear.open} opens either end.
 *
 * @module
 */

import { resolveOptions } from "./_resolve_options.ts";
import { type NetGearClient, openClient } from "./client.ts";
import type { NetGearOptions } from "./options.ts";
import { type NetGearServer, openServer } from "./server.ts";

/**
 * Opens NetGear clients and servers.
 *
 * @example Two servers, one client, over REQ/REP on loopback
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetGear } from "./netgear.ts";
 * const client = await NetGear.open({
 *   receiveMode: true, multiserverMode: true, port: [5766, 5767], pattern: 1,
 * });
 * const server = await NetGear.open({ multiserverMode: true, port: 5766, pattern: 1 });
 * const frame = { width: 2, height: 1, channels: 3, data: new Uint8Array(6) };
 * const sent = server.send(frame, { message: "hello" });
 * const got = await client.recv();
 * assert.ok(got?.port === 5766 && got.message === "hello");
 * await sent;
 * await server.close();
 * await client.close();
 * ```
 */
export class NetGear {
  private constructor() {}

  /**
   * Opens a client: `receiveMode: true`.
   *
   * @param options Vidgear's options in camelCase; see {@linkcode NetGearOptions}.
   * @returns The open client.
   * @throws {ConfigurationError} When an option is wrong (name, value and valid choices in the message).
   * @throws {OpenError} When a socket cannot open (for example a port already in use).
   * @throws {ViewerError} When the client's `viewer` cannot listen (the client is closed again).
   */
  static open(options: NetGearOptions & { receiveMode: true }): Promise<NetGearClient>;
  /**
   * Opens a server: `receiveMode` false or not given.
   *
   * @param options Vidgear's options in camelCase; see {@linkcode NetGearOptions}.
   * @returns The open server.
   * @throws {ConfigurationError} When an option is wrong (name, value and valid choices in the message).
   * @throws {OpenError} When the socket cannot open (for example a bad address).
   */
  static open(options?: NetGearOptions & { receiveMode?: false }): Promise<NetGearServer>;
  /**
   * Opens a client (`receiveMode: true`) or a server.
   *
   * @param options Vidgear's options in camelCase; see {@linkcode NetGearOptions}.
   * @returns The open client or server.
   * @throws {ConfigurationError} When an option is wrong (name, value and valid choices in the message).
   * @throws {OpenError} When a socket cannot open (for example a port already in use).
   * @throws {ViewerError} When the client's `viewer` cannot listen (the client is closed again).
   */
  static open(options?: NetGearOptions): Promise<NetGearClient | NetGearServer>;
  static async open(options: NetGearOptions = {}): Promise<NetGearClient | NetGearServer> {
    const resolved = resolveOptions(options);
    resolved.signal?.throwIfAborted();
    return resolved.receiveMode ? await openClient(resolved) : await openServer(resolved);
  }
}
