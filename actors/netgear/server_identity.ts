/**
 * A server's identity: random, made when a NetGear server opens and kept
 * until it closes, sent with every message (envelope key `sid`,
 * PROTOCOL.md §5.4). The port tells a client which stream a message
 * belongs to; the identity tells it which sender, so two servers given the
 * same port are found out, and a restart (a new identity once the old one
 * said goodbye or went silent) is told apart from them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newServerId } from "./server_identity.ts";
 * const id = newServerId();
 * assert.match(id, /^[0-9a-f]{16}$/);
 * assert.notEqual(id, newServerId());
 * ```
 *
 * @module
 */

/**
 * Makes a new server identity: 16 hex digits from 8 random bytes.
 *
 * @returns The identity.
 */
export function newServerId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let id = "";
  for (const byte of bytes) id += byte.toString(16).padStart(2, "0");
  return id;
}
