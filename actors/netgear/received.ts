/**
 * What a NetGear client hands out: one frame (and its data) from one server.
 *
 * @module
 */

import type { Frame } from "../../capture/frame.ts";

/**
 * One frame (and its data) from one server, as `recv()` and the client's
 * iterator return it.
 *
 * `frame.data` (or `jpeg`) is a view of the memory ZeroMQ received it in,
 * valid as long as it is kept, unless given back with the client's
 * `release(received)`: from then on it is empty (copy first what you keep,
 * `frame.data.slice()`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Received } from "./received.ts";
 * const received: Received = {
 *   port: 5566, frame: undefined, message: "data alone", seq: 0, sentAt: 0, receivedAt: 1,
 * };
 * assert.equal(received.receivedAt - received.sentAt, 1);
 * ```
 */
export interface Received {
  /** The server's port: its identity. */
  readonly port: number;
  /**
   * The frame, or `undefined` when the server sent data alone (or sent JPEG
   * and the client was opened with `jpegDecode: false`).
   */
  readonly frame: Frame | undefined;
  /** The JPEG bytes as received, when the server compressed the frame. */
  readonly jpeg?: Uint8Array;
  /** The data the server sent with it, if any. */
  readonly message: unknown;
  /** The server's frame number, from 0. */
  readonly seq: number;
  /** When the server sent it (ms since the epoch, the server's clock). */
  readonly sentAt: number;
  /** When the client received it (ms since the epoch). */
  readonly receivedAt: number;
  /**
   * The sending server's identity (`NetGearServer.serverId`), when it sends
   * one: it tells apart two servers given the same port (see the client's
   * `serverconflict` event).
   */
  readonly serverId?: string;
}
