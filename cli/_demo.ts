/**
 * The demo: one client and three servers on 127.0.0.1, each server its own
 * process streaming a synthetic pattern. The client shows live per-server
 * stats; after the duration the servers leave one by one and the client,
 * seeing every server gone, shuts itself down.
 *
 * @module
 */

import { NetGear, type NetGearClient, OpenError } from "../actors/netgear/mod.ts";
import { CLIENT_V8_FLAGS } from "../actors/netgear/mod.ts";
import type { Pattern } from "../actors/netgear/mod.ts";
import { runClient } from "./_client.ts";
import { intFlag, optionalValue, parseFlags } from "./_flags.ts";
import { freePortRun, portsInUse } from "./_free_ports.ts";
import { UsageError } from "./errors.ts";

/** `--help` text. */
export const DEMO_HELP = `actorgear demo: one client, several servers, live stats

Flags:
  --servers N        how many server processes       (default 3)
  --duration SECONDS how long they stream            (default 10)
  --pattern N        1 = REQ/REP, 2 = PUB/SUB        (default 1)
  --base-port PORT   first server's port; the others follow it
                     (default: the first free ports from 5566)
  --fps N            frames per second per server    (default 30)
  --width N --height N frame size                    (default 640x480)
  --stats-interval MS live table refresh             (default 500)
  --view [PORT]      live view in the browser on http://127.0.0.1:PORT/
                     (a free port if none given)
  --help             this text
`;

/** Where the demo's ports start by default. */
const DEFAULT_BASE_PORT = 5566;

function consecutive(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

/** `5566-5568`, or `5566` alone. */
function span(ports: readonly number[]): string {
  return ports.length === 1 ? `${ports[0]}` : `${ports[0]}-${ports.at(-1)}`;
}

/** Whether `error`, or one of its causes, is ZeroMQ's "address in use". */
function addressInUse(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === "EADDRINUSE") return true;
  }
  return false;
}

/** The error for a `--base-port` whose ports are not all free. */
function basePortInUse(
  ports: readonly number[],
  taken: readonly number[] | undefined,
  cause?: unknown,
): UsageError {
  const which = taken === undefined
    ? ports.length === 1 ? `port ${ports[0]} is` : `one of ports ${span(ports)} is`
    : `port${taken.length === 1 ? "" : "s"} ${taken.join(", ")} ${
      taken.length === 1 ? "is" : "are"
    }`;
  return new UsageError(
    `Cannot use --base-port ${
      ports[0]
    }: ${which} already in use on 127.0.0.1 (the demo needs ${ports.length} consecutive ports from it, one per server); give another --base-port, or leave it out and the demo picks free ports`,
    { cause },
  );
}

/** The command that starts this program again with other arguments. */
export function selfCommand(args: readonly string[]): { command: string; args: string[] } {
  // A `deno compile` executable carries its own entry point: call it as is.
  if (Deno.build.standalone) return { command: Deno.execPath(), args: [...args] };
  const cli = new URL("./cli.ts", import.meta.url);
  return {
    command: Deno.execPath(),
    args: [
      "run",
      `--v8-flags=${CLIENT_V8_FLAGS}`,
      "--allow-read",
      "--allow-env",
      "--allow-ffi",
      "--allow-run",
      cli.pathname,
      ...args,
    ],
  };
}

/**
 * Runs the demo.
 *
 * @param args The command line after `demo`.
 */
export async function demoMain(args: readonly string[]): Promise<void> {
  const values = parseFlags(optionalValue(args, "view", "0"), {
    servers: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    pattern: { type: "string", default: "1" },
    "base-port": { type: "string" },
    fps: { type: "string", default: "30" },
    width: { type: "string", default: "640" },
    height: { type: "string", default: "480" },
    "stats-interval": { type: "string", default: "500" },
    view: { type: "string" },
    help: { type: "boolean", default: false },
  });
  if (values.help) {
    console.log(DEMO_HELP);
    return;
  }
  const count = intFlag(values, "servers", 1, 64);
  const duration = intFlag(values, "duration", 1, 86_400);
  const pattern = intFlag(values, "pattern", 1, 2) as Pattern;
  // Given: exactly those ports, refused at once if one is taken. Otherwise
  // the first free run from 5566, so that a port already taken (another
  // demo, another program) does not end the demo with EADDRINUSE.
  const given = values["base-port"] !== undefined;
  let ports: number[];
  if (given) {
    ports = consecutive(intFlag(values, "base-port", 1, 65536 - count), count);
    const taken = portsInUse(ports);
    if (taken !== undefined && taken.length > 0) throw basePortInUse(ports, taken);
  } else {
    // Without --allow-net the demo cannot look: it tries 5566.. as they are.
    ports = freePortRun(count, DEFAULT_BASE_PORT) ?? consecutive(DEFAULT_BASE_PORT, count);
  }
  const viewer = values.view === undefined ? false : { port: intFlag(values, "view", 0, 65535) };

  let client: NetGearClient;
  try {
    client = await NetGear.open({
      address: "127.0.0.1",
      port: ports,
      pattern,
      receiveMode: true,
      multiserverMode: true,
      // The servers are our own children: if none reaches us, say so and stop.
      connectTimeout: 30_000,
      viewer,
    });
  } catch (error) {
    // A port taken after the look above, or one the demo could not look at.
    if (!(error instanceof OpenError) || !addressInUse(error)) throw error;
    if (given) throw basePortInUse(ports, undefined, error);
    throw new UsageError(
      `Cannot start the demo on ports ${
        span(ports)
      }: one is already in use on 127.0.0.1 (taken meanwhile, or unseen without --allow-net=127.0.0.1); give a free --base-port`,
      { cause: error },
    );
  }
  console.log(
    `demo: client on 127.0.0.1 ports ${ports.join(", ")} (${
      pattern === 1 ? "REQ/REP" : "PUB/SUB"
    }); ${count} servers stream for ${duration} s, then leave one by one. Ctrl+C stops early.`,
  );
  const children = ports.map((port, i) => {
    const { command, args } = selfCommand([
      "server",
      "--port",
      String(port),
      "--pattern",
      String(pattern),
      "--fps",
      String(values.fps),
      "--width",
      String(values.width),
      "--height",
      String(values.height),
      "--duration",
      String(duration + i),
      "--message",
      `I'm Server-${i + 1} at Port: {port} (frame {n})`,
      "--quiet",
    ]);
    return new Deno.Command(command, { args, stdout: "null", stderr: "inherit", stdin: "null" })
      .spawn();
  });
  try {
    await runClient(client, {
      statsIntervalMs: intFlag(values, "stats-interval", 0, 60_000),
      print: false,
    });
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
    }
    const statuses = await Promise.all(children.map((child) => child.status));
    const failed = statuses.filter((s) => !s.success && s.signal !== "SIGTERM");
    if (failed.length > 0) {
      console.error(`demo: ${failed.length} server(s) exited with an error`);
      Deno.exitCode = 1;
    }
  }
}
