/**
 * What a client says when no server reached it within `connectTimeout`:
 * where it listened and what to check, with any refused messages (a server
 * that does reach the port but speaks another pattern or secure mode).
 * Private to the folder.
 *
 * @module
 */

import { endpointOf } from "./_open.ts";
import type { ResolvedNetGearOptions } from "./_resolve_options.ts";
import type { ServerStats } from "./stats.ts";

const PATTERN_NAME = { 0: "0 (PAIR)", 1: "1 (REQ/REP)", 2: "2 (PUB/SUB)" } as const;

/**
 * The message for a client that gave up waiting.
 *
 * @param options The client's options.
 * @param stats Its per-port figures, for refused messages.
 * @returns One paragraph, for the log.
 */
export function connectTimeoutMessage(
  options: ResolvedNetGearOptions,
  stats: readonly ServerStats[],
): string {
  const { connectTimeout, multiserverMode, pattern, secureMode, address, wire } = options;
  const where = endpointOf(options);
  const check = multiserverMode
    ? `check that each server runs with multiserverMode, pattern ${
      PATTERN_NAME[pattern]
    } and secureMode ${secureMode} like this client, connects to address "${address}" (this client's, reachable from the server) and uses one of these ports, and that this client's wire "${wire}" is theirs (${
      wire === "cbor"
        ? 'Python vidgear servers need wire "vidgear"'
        : 'ActorGear servers need wire "vidgear" too'
    })`
    : `check that the server runs in plain mode (no multiserverMode) with pattern ${
      PATTERN_NAME[pattern]
    } and secureMode ${secureMode}, and listens on ${where}`;
  const refused = stats.filter((s) => Object.keys(s.rejected).length > 0).map((s) =>
    `port ${s.port}: ${
      Object.entries(s.rejected).map(([code, count]) => `${count} x ${code}`).join(", ")
    }`
  );
  return `[netgear] Cannot receive: no server was heard from within ${connectTimeout} ms (option "connectTimeout") on ${where}; ${check}.${
    refused.length > 0
      ? ` Messages were refused (a server with other settings?): ${refused.join("; ")}.`
      : ""
  } Client shutting down.`;
}
