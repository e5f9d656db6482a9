/**
 * The demo: one client and three servers on 127.0.0.1, each server its own
 * process streaming a synthetic pattern. The client shows live per-server
 * stats; after the duration the servers leave one by one and the client,
 * seeing every server gone, shuts itself down.
 *
 * @module
 */

import { NetGear } from "../actors/netgear/mod.ts";
import { CLIENT_V8_FLAGS } from "../actors/netgear/mod.ts";
import type { Pattern } from "../actors/netgear/mod.ts";
import { runClient } from "./_client.ts";
import { intFlag, optionalValue, parseFlags } from "./_flags.ts";

/** `--help` text. */
export const DEMO_HELP = `actorgear demo: one client, several servers, live stats

Flags:
  --servers N        how many server processes       (default 3)
  --duration SECONDS how long they stream            (default 10)
  --pattern N        1 = REQ/REP, 2 = PUB/SUB        (default 1)
  --base-port PORT   first server's port             (default 5566)
  --fps N            frames per second per server    (default 30)
  --width N --height N frame size                    (default 640x480)
  --stats-interval MS live table refresh             (default 500)
  --view [PORT]      live view in the browser on http://127.0.0.1:PORT/
                     (a free port if none given)
  --help             this text
`;

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
    "base-port": { type: "string", default: "5566" },
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
  const basePort = intFlag(values, "base-port", 1, 65535 - count);
  const ports = Array.from({ length: count }, (_, i) => basePort + i);

  const client = await NetGear.open({
    address: "127.0.0.1",
    port: ports,
    pattern,
    receiveMode: true,
    multiserverMode: true,
    // The servers are our own children: if none reaches us, say so and stop.
    connectTimeout: 30_000,
    viewer: values.view === undefined ? false : { port: intFlag(values, "view", 0, 65535) },
  });
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
