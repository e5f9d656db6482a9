/**
 * CurveZMQ security modes, numbered as vidgear numbers them.
 *
 * @module
 */

/** CurveZMQ security: 0 = off, 1 = stonehouse, 2 = ironhouse (vidgear's numbering). */
export type SecureMode = 0 | 1 | 2;

/**
 * Each secure mode's name, for messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SECURE_MODE_NAMES } from "./secure_mode.ts";
 * assert.equal(SECURE_MODE_NAMES[2], "2 (ironhouse)");
 * ```
 */
export const SECURE_MODE_NAMES: Readonly<Record<SecureMode, string>> = Object.freeze({
  0: "0 (off)",
  1: "1 (stonehouse)",
  2: "2 (ironhouse)",
});
