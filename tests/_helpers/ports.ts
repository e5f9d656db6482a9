/**
 * Free loopback ports for tests: ask the kernel for ephemeral ports, then
 * release them for ZeroMQ to bind.
 *
 * @module
 */

/** `count` distinct free TCP ports on 127.0.0.1. */
export function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const listener of listeners) listener.close();
  return ports;
}
