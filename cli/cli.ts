/**
 * The ActorGear command line: `client`, `server` and `demo`. The same entry
 * point is what `deno task compile` builds into an executable.
 *
 * @example
 * ```sh
 * deno task demo
 * deno task client --ports 5566,5567
 * deno task server --port 5566 --message "I'm Server-1"
 * ```
 *
 * @module
 */

import { CLIENT_HELP, clientMain } from "./_client.ts";
import { DEMO_HELP, demoMain } from "./_demo.ts";
import { SERVER_HELP, serverMain } from "./_server.ts";
import { KEYS_HELP, keysMain } from "./_keys.ts";
import { UsageError } from "./errors.ts";
import { flagOf } from "./_option_flags.ts";
import { describeError } from "../actors/describe.ts";
import { ConfigurationError } from "../actors/netgear/mod.ts";

const HELP = `actorgear: stream frames from many servers to one client

Usage:
  actorgear demo   [flags]   one client + three servers on 127.0.0.1, live stats
  actorgear client [flags]   receive from every server's port
  actorgear server [flags]   stream frames to a client
  actorgear keys generate    make CurveZMQ keys for secure mode
  actorgear <command> --help

${DEMO_HELP}
${CLIENT_HELP}
${SERVER_HELP}
${KEYS_HELP}`;

/**
 * Runs one command.
 *
 * @param args The command line.
 * @returns The exit code.
 */
export async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "demo":
        await demoMain(rest);
        return Deno.exitCode;
      case "client":
        await clientMain(rest);
        return 0;
      case "server":
        await serverMain(rest);
        return 0;
      case "keys":
        await keysMain(rest);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(
          `Cannot run "${command}": unknown command; expected demo, client, server or keys (see --help)`,
        );
    }
  } catch (error) {
    if (error instanceof ConfigurationError) {
      // NetGear names its option; say which flag that is.
      const flag = command === undefined ? undefined : flagOf(command, error.option);
      console.error(`actorgear: ${error.message}${flag === undefined ? "" : ` (flag ${flag})`}`);
      return 2;
    }
    if (error instanceof UsageError) {
      console.error(`actorgear: ${error.message}`);
      return 2;
    }
    console.error(`actorgear: ${describeError(error)}`);
    return 1;
  }
}

if (import.meta.main) {
  // Not Deno.exit(): that ends the process before ZeroMQ's I/O thread has
  // written what a closed socket left to linger over (a PAIR or PUB server's
  // last frame and goodbye, queued microseconds before). Ending the event
  // loop instead lets zeromq's context termination flush them, within each
  // socket's linger (1 s at most; 0 where the client is not taking them).
  Deno.exitCode = await main(Deno.args);
}
