/**
 * Deterministic test frames and their hashes.
 *
 * @module
 */

import type { Frame } from "../../capture/frame.ts";

/** A small BGR frame whose bytes depend on `port` and `n`. */
export function testFrame(port: number, n: number, width = 32, height = 24): Frame {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + port * 13 + n * 31) & 0xff;
  return { width, height, channels: 3, data, format: "bgr24" };
}

/** Hex SHA-256 of some bytes. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
