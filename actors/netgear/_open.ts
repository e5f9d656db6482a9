/**
 * What opening a client and a server have in common: the log level, the
 * endpoints named in messages, and waiting for the transport to be ready.
 *
 * @module
 */

import type { ActorSystem } from "../actor_system.ts";
import { zmqEndpoint } from "../../transports/endpoint.ts";
import type { ResolvedNetGearOptions } from "./_resolve_options.ts";
import { OpenError } from "./errors.ts";

/** The actor system's log level for these options. */
export function logLevel(resolved: ResolvedNetGearOptions): "info" | "warn" {
  return resolved.logging ? "info" : "warn";
}

/** Every endpoint, for messages. */
export function endpointOf(resolved: ResolvedNetGearOptions): string {
  const endpoints = resolved.ports.map((port) =>
    zmqEndpoint(resolved.protocol, resolved.address, port)
  ).join(", ");
  const tunnel = resolved.sshTunnel?.destination;
  return tunnel === undefined ? endpoints : `${endpoints} through SSH via ${tunnel}`;
}

/**
 * Waits until the transport told `ready`; on an error or an abort, shuts
 * the system down and throws.
 *
 * @throws {OpenError} With the transport's error as `cause`.
 * @throws The signal's reason when aborted meanwhile.
 */
export async function awaitReady(
  ready: Promise<unknown>,
  system: ActorSystem,
  resolved: ResolvedNetGearOptions,
): Promise<void> {
  const error = await ready;
  if (error !== undefined) {
    await system.shutdown();
    throw new OpenError(
      `Cannot open NetGear on ${endpointOf(resolved)}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  if (resolved.signal?.aborted) {
    await system.shutdown();
    throw resolved.signal.reason;
  }
}
