/**
 * Frame bytes a client may give back to ZeroMQ early.
 *
 * npm:zeromq hands a received part over 128 bytes as a zero-copy `Buffer`
 * over ZeroMQ's message and reports its size to V8 as external memory
 * (`AdjustExternalMemory`), taken back only by the buffer's finalizer once a
 * garbage collection has found the buffer dead. V8 answers that external
 * memory with mark-compacts however young the buffers die: four REQ/REP
 * servers sending 640x480x3 frames made a client (ActorGear's, or a bare
 * `ZmqSocket` loop alike) run 20-70 mark-compacts in 3 s, 0 when each
 * frame's buffer was detached once used. Detaching the
 * buffer's `ArrayBuffer` runs its finalizer at once: the message is closed,
 * the external memory taken back, and there is nothing left to collect.
 *
 * Only a frame's own part is ever released here: the inbound side marks
 * frame (or JPEG) bytes that fill a whole received `ArrayBuffer` by
 * themselves, so releasing them touches no other value (the envelope and its
 * `message` are in another part). Bytes from anywhere else (an in-process
 * transport, a decoder's output, a one-part message) are never marked, so
 * never detached.
 *
 * @module
 */

/** npm:zeromq copies parts up to this size; larger ones are its message memory. */
const ZEROMQ_ZERO_COPY_MAX = 128;

/**
 * Set on a marked `ArrayBuffer` itself, not kept in a `WeakSet`: with one,
 * clients that never release seemed to run more mark-compacts (weak keys
 * that outlive scavenges; 6 paired runs, not conclusive), and a property
 * costs no collector work.
 */
const RELEASABLE: unique symbol = Symbol("ActorGear releasable");

type Marked = ArrayBuffer & { [RELEASABLE]?: boolean };

/**
 * Marks `bytes` as releasable if they fill a received `ArrayBuffer` of
 * ZeroMQ's alone.
 *
 * @param bytes A frame's bytes (or its JPEG) as decoded from a received part.
 */
export function markReleasable(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (
    bytes.byteLength > ZEROMQ_ZERO_COPY_MAX && bytes.byteOffset === 0 &&
    buffer instanceof ArrayBuffer && buffer.byteLength === bytes.byteLength
  ) (buffer as Marked)[RELEASABLE] = true;
}

/**
 * Gives `bytes` back to ZeroMQ now if they were marked: their `ArrayBuffer`
 * is detached (every view of it then reads as empty).
 *
 * @param bytes A frame's bytes, its JPEG, or `undefined`.
 * @returns Whether they were released.
 */
export function release(bytes: Uint8Array | undefined): boolean {
  const buffer = bytes?.buffer;
  if (!(buffer instanceof ArrayBuffer) || (buffer as Marked)[RELEASABLE] !== true) return false;
  (buffer as Marked)[RELEASABLE] = false;
  if (buffer.detached) return false;
  try {
    buffer.transfer(0);
  } catch {
    // A runtime that cannot detach it: it goes at a collection, as before.
    return false;
  }
  return true;
}
