/**
 * `actorgear client`: receives from every server, shows live per-server
 * stats, and exits by itself when every server has gone.
 *
 * @module
 */

import { NetGear, type NetGearClient, type NetGearClientEventMap } from "../actors/netgear/mod.ts";
import type { NetGearOptions, Pattern, SecureMode } from "../actors/netgear/mod.ts";
import { formatStats, LiveBlock } from "./_stats_view.ts";
import { previewValue } from "../actors/netgear/mod.ts";
import {
  type FlagSpec,
  intFlag,
  optionalInt,
  optionalValue,
  parseFlags,
  portsFlag,
} from "./_flags.ts";
import { WIRE_FLAGS, wireHelp, wireOptions } from "./_interop_flags.ts";

/** `--help` text. */
export const CLIENT_HELP = `actorgear client: receive frames from many NetGear servers

Flags:
  --address HOST          address to listen on                (default 127.0.0.1)
                          with --protocol ipc: a path, or a name in /tmp (default actorgear)
  --ports P1,P2,...       every server's port                  (default 5566,5567)
  --pattern N             1 = REQ/REP, 2 = PUB/SUB; 0 = PAIR with --no-multiserver
                                                               (default 1)
  --bidirectional         send --return-data back with each reply (REQ/REP only)
  --return-data TEXT      data returned to servers; {port} is replaced
  --print                 print every message received, as the seed's examples do
  --stats-interval MS     live table refresh, 0 = off          (default 500)
  --liveness-timeout MS   silence after which a server is gone (default 5000)
  --connect-timeout MS    give up when no server is heard from this long;
                          0 = wait for ever                    (default 0)
  --heartbeat-interval MS heartbeat period assumed for servers that do not
                          announce theirs (default: liveness timeout / 5, at most 1000)
  --no-multiserver        plain mode: connect to one server's --ports
  --multiclient           multi-client mode: bind one port (--ports P) and take a
                          share of one server's frames (REQ/REP) or all (PUB/SUB)
  --secure-mode N         0 = off, 1 = stonehouse, 2 = ironhouse (default 0)
  --keys-dir DIR          secure mode's keys (default ~/.actorgear/keys)
${wireHelp(26)}
  --view [PORT]           live view of every server in the browser, on
                          http://127.0.0.1:PORT/ (a free port if none given)
  --logging               log connection events
  --help                  this text
`;

/** The client's flags, for `parseFlags`. */
export const CLIENT_FLAGS: FlagSpec = {
  // No default: NetGear's depends on the protocol.
  address: { type: "string" },
  ports: { type: "string", default: "5566,5567" },
  pattern: { type: "string", default: "1" },
  bidirectional: { type: "boolean", default: false },
  "return-data": { type: "string" },
  print: { type: "boolean", default: false },
  "stats-interval": { type: "string", default: "500" },
  "heartbeat-interval": { type: "string" },
  "liveness-timeout": { type: "string" },
  "connect-timeout": { type: "string", default: "0" },
  "no-multiserver": { type: "boolean", default: false },
  multiclient: { type: "boolean", default: false },
  logging: { type: "boolean", default: false },
  "secure-mode": { type: "string", default: "0" },
  "keys-dir": { type: "string" },
  view: { type: "string" },
  ...WIRE_FLAGS,
  help: { type: "boolean", default: false },
};

/**
 * The client's NetGear options, from its parsed flags.
 *
 * @param values What `parseFlags` made of the command line with {@linkcode CLIENT_FLAGS}.
 * @returns The options for `NetGear.open`.
 * @throws {UsageError} When a flag's value is malformed (the flag named).
 */
export function clientOptions(
  values: Record<string, string | boolean | undefined>,
): NetGearOptions & { receiveMode: true } {
  const ports = portsFlag(values, "ports");
  const multiclientMode = values.multiclient === true;
  const multiserverMode = !multiclientMode && !values["no-multiserver"];
  return {
    address: values.address as string | undefined,
    // A multi-client client takes one port: a list is left to NetGear to refuse.
    port: multiserverMode || (multiclientMode && ports.length > 1) ? ports : ports[0],
    // PAIR (0) exists in plain mode only; NetGear says so in the other modes.
    pattern: intFlag(values, "pattern", 0, 2) as Pattern,
    receiveMode: true,
    multiserverMode,
    multiclientMode,
    bidirectionalMode: values.bidirectional === true,
    // Unset unless given: each follows from the other (NetGear refuses
    // values too small to be milliseconds, saying so).
    heartbeatInterval: optionalInt(values, "heartbeat-interval"),
    livenessTimeout: optionalInt(values, "liveness-timeout"),
    connectTimeout: optionalInt(values, "connect-timeout") || undefined,
    logging: values.logging === true,
    secureMode: intFlag(values, "secure-mode", 0, 2) as SecureMode,
    keysDir: values["keys-dir"] as string | undefined,
    viewer: values.view === undefined ? false : { port: intFlag(values, "view", 0, 65535) },
    ...wireOptions(values),
  };
}

/**
 * Runs a client until every server has gone or Ctrl+C.
 *
 * @param args The command line after `client`.
 */
export async function clientMain(args: readonly string[]): Promise<void> {
  const values = parseFlags(optionalValue(args, "view", "0"), CLIENT_FLAGS);
  if (values.help) {
    console.log(CLIENT_HELP);
    return;
  }
  const client = await NetGear.open(clientOptions(values));
  await runClient(client, {
    statsIntervalMs: intFlag(values, "stats-interval", 0, 60_000),
    print: values.print === true,
    returnData: values["return-data"] as string | undefined,
  });
}

/** Longest message `--print` shows, in characters: one screenful at most. */
const PRINT_LENGTH = 2000;

/** How {@linkcode runClient} presents what it receives. */
export interface RunClientOptions {
  /** Live table refresh in ms; 0 = off. */
  readonly statsIntervalMs: number;
  /** Print every message. */
  readonly print: boolean;
  /** Data returned with each reply; `{port}` is replaced. */
  readonly returnData?: string;
}

/**
 * Receives until the client shuts itself down (or Ctrl+C), with a live table
 * and a line for every server state change.
 *
 * @returns Frames received per port.
 */
export async function runClient(
  client: NetGearClient,
  options: RunClientOptions,
): Promise<Map<number, number>> {
  const view = new LiveBlock();
  if (client.viewerUrl) view.note(`live view: ${client.viewerUrl}`);
  const counts = new Map<number, number>();
  const onState = (event: NetGearClientEventMap["serverstate"]) => {
    const { port, state, reason } = event.detail;
    view.note(`server on port ${port}: ${state} (${reason})`);
  };
  client.addEventListener("serverstate", onState);
  const onConflict = (event: NetGearClientEventMap["serverconflict"]) => {
    const { port, serverIds } = event.detail;
    view.note(
      `error: ${serverIds.length} servers send on port ${port} (${
        serverIds.join(", ")
      }); give each server its own port`,
    );
  };
  client.addEventListener("serverconflict", onConflict);
  const onSignal = () => void client.close();
  Deno.addSignalListener("SIGINT", onSignal);
  let drawing = false;
  const timer = options.statsIntervalMs > 0
    ? setInterval(async () => {
      if (drawing) return;
      drawing = true;
      const stats = await client.stats();
      if (stats.length > 0 && !client.shutdownReason) view.draw(formatStats(stats));
      drawing = false;
    }, options.statsIntervalMs)
    : undefined;
  try {
    for (;;) {
      const returnData = options.returnData;
      const data = await client.recv({ returnData });
      if (data === null) break;
      counts.set(data.port, (counts.get(data.port) ?? 0) + 1);
      if (options.print && data.message !== undefined) {
        view.note(`port ${data.port}: ${previewValue(data.message, { maxLength: PRINT_LENGTH })}`);
      }
    }
  } finally {
    clearInterval(timer);
    Deno.removeSignalListener("SIGINT", onSignal);
    client.removeEventListener("serverstate", onState);
    client.removeEventListener("serverconflict", onConflict);
    await client.close();
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  view.note(
    `client shut down (${client.shutdownReason}): ${total} frames from ${counts.size} servers` +
      ` (${[...counts].map(([p, n]) => `${p}: ${n}`).join(", ")})`,
  );
  return counts;
}
