/**
 * Free ports for the demo: the first run of consecutive ports at or above a
 * start that nothing listens on, found by binding each on 127.0.0.1 (where
 * the demo's client binds) and letting go again.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/** How far above `from` the demo looks for free ports. */
const SEARCH_SPAN = 1000;

/**
 * The first `count` consecutive ports at or above `from` that are free on
 * 127.0.0.1 now (another process may still take one before the caller binds
 * it).
 *
 * @param count How many.
 * @param from The lowest port to try.
 * @returns The ports, or `undefined` without permission to bind (`--allow-net=127.0.0.1`).
 * @throws {UsageError} When no such run is found within 1000 ports.
 */
export function freePortRun(count: number, from: number): number[] | undefined {
  const last = Math.min(65535, from + SEARCH_SPAN);
  let start = from;
  while (start + count - 1 <= last) {
    let free = 0;
    while (free < count) {
      const taken = inUse(start + free);
      if (taken === undefined) return undefined;
      if (taken) break;
      free++;
    }
    if (free === count) return Array.from({ length: count }, (_, i) => start + i);
    start += free + 1;
  }
  throw new UsageError(
    `Cannot pick ports for the demo: no ${count} consecutive free ports from ${from} to ${last} on 127.0.0.1; give --base-port`,
  );
}

/**
 * Those of `ports` that something holds on 127.0.0.1 now.
 *
 * @param ports The ports to look at.
 * @returns The ones in use, or `undefined` without permission to find out.
 */
export function portsInUse(ports: readonly number[]): number[] | undefined {
  const taken: number[] = [];
  for (const port of ports) {
    const held = inUse(port);
    if (held === undefined) return undefined;
    if (held) taken.push(port);
  }
  return taken;
}

/** Whether something holds `port` on 127.0.0.1; `undefined` without permission to find out. */
function inUse(port: number): boolean | undefined {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return true;
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    // Anything else (the port reserved, say): not usable either.
    return true;
  }
}
