/**
 * `actorgear server`: streams frames from a source to a NetGear client.
 *
 * @module
 */

import { NetGear } from "../actors/netgear/mod.ts";
import type { NetGearOptions, Pattern, SecureMode } from "../actors/netgear/mod.ts";
import { SyntheticSource } from "../capture/synthetic_source.ts";
import { FfmpegSource } from "../capture/ffmpeg_source.ts";
import type { FrameSource } from "../capture/source.ts";
import { type FlagSpec, intFlag, optionalInt, parseFlags, portsFlag } from "./_flags.ts";
import {
  SSH_TUNNEL_FLAGS,
  sshTunnelHelp,
  sshTunnelOptions,
  WIRE_FLAGS,
  wireHelp,
  wireOptions,
} from "./_interop_flags.ts";
import { type ClientReply, previewValue } from "../actors/netgear/mod.ts";

/** `--help` text. */
export const SERVER_HELP = `actorgear server: stream frames to a NetGear client

Flags:
  --address HOST        the client's address                  (default 127.0.0.1)
                        with --protocol ipc: a path, or a name in /tmp (default actorgear)
  --port PORT           this server's own port (its identity) (default 5566);
                        with --multiclient every client's port: P1,P2,...
  --pattern N           1 = REQ/REP, 2 = PUB/SUB; 0 = PAIR with --no-multiserver
                                                        (default 1)
  --bidirectional       print the data the client returns (REQ/REP only)
  --message TEXT        data sent with every frame; {port} and {n} are replaced
  --input INPUT         an ffmpeg input (camera /dev/video0, file, rtsp:// URL);
                        default: a synthetic moving test pattern
  --input-format FMT    ffmpeg input format, such as v4l2 or lavfi
  --width N --height N  frame size                            (default 640x480)
  --fps N               frames per second, 0 = as fast as possible (default 30)
  --frames N            stop after N frames                   (default: no limit)
  --duration SECONDS    stop after this long                  (default: no limit)
  --jpeg QUALITY        send JPEG at this quality (10-100); 0 = raw (default 0)
  --heartbeat-interval MS  idle heartbeat period, told to the client (default 1000)
  --no-multiserver      plain one-server-one-client mode (the server binds)
  --multiclient         one server, many clients: connect to every --port;
                        REQ/REP shares the frames out, PUB/SUB sends each to all
  --secure-mode N         0 = off, 1 = stonehouse, 2 = ironhouse (default 0)
  --keys-dir DIR          secure mode's keys (default ~/.actorgear/keys)
${wireHelp(24)}
${sshTunnelHelp(24)}
  --logging             log connection events
  --quiet               print nothing but errors
  --help                this text
`;

/** The server's flags, for `parseFlags`. */
export const SERVER_FLAGS: FlagSpec = {
  // No default: NetGear's depends on the protocol.
  address: { type: "string" },
  port: { type: "string", default: "5566" },
  pattern: { type: "string", default: "1" },
  bidirectional: { type: "boolean", default: false },
  message: { type: "string" },
  input: { type: "string" },
  "input-format": { type: "string" },
  width: { type: "string", default: "640" },
  height: { type: "string", default: "480" },
  fps: { type: "string", default: "30" },
  frames: { type: "string" },
  duration: { type: "string" },
  "no-multiserver": { type: "boolean", default: false },
  multiclient: { type: "boolean", default: false },
  jpeg: { type: "string", default: "0" },
  "heartbeat-interval": { type: "string" },
  logging: { type: "boolean", default: false },
  "secure-mode": { type: "string", default: "0" },
  "keys-dir": { type: "string" },
  quiet: { type: "boolean", default: false },
  ...WIRE_FLAGS,
  ...SSH_TUNNEL_FLAGS,
  help: { type: "boolean", default: false },
};

/** The ports of `--port`: one, or with `--multiclient` every client's. */
function serverPorts(values: Record<string, string | boolean | undefined>): number[] {
  return values.multiclient === true
    ? portsFlag(values, "port")
    : [intFlag(values, "port", 1, 65535)];
}

/**
 * The server's NetGear options, from its parsed flags.
 *
 * @param values What `parseFlags` made of the command line with {@linkcode SERVER_FLAGS}.
 * @returns The options for `NetGear.open`.
 * @throws {UsageError} When a flag's value is malformed (the flag named).
 */
export function serverOptions(
  values: Record<string, string | boolean | undefined>,
): NetGearOptions & { receiveMode?: false } {
  const multiclientMode = values.multiclient === true;
  const ports = serverPorts(values);
  const jpegQuality = values.jpeg === "0" ? 0 : intFlag(values, "jpeg", 10, 100);
  return {
    address: values.address as string | undefined,
    port: multiclientMode ? ports : ports[0],
    // PAIR (0) exists in plain mode only; NetGear says so in the other modes.
    pattern: intFlag(values, "pattern", 0, 2) as Pattern,
    multiserverMode: !multiclientMode && !values["no-multiserver"],
    multiclientMode,
    bidirectionalMode: values.bidirectional === true,
    logging: values.logging === true,
    heartbeatInterval: optionalInt(values, "heartbeat-interval"),
    secureMode: intFlag(values, "secure-mode", 0, 2) as SecureMode,
    ...(jpegQuality > 0 ? { jpegCompression: true, jpegCompressionQuality: jpegQuality } : {}),
    keysDir: values["keys-dir"] as string | undefined,
    ...wireOptions(values),
    ...sshTunnelOptions(values),
  };
}

/**
 * Runs a server until its frames, duration or Ctrl+C run out, then says goodbye.
 *
 * @param args The command line after `server`.
 */
export async function serverMain(args: readonly string[]): Promise<void> {
  const values = parseFlags(args, SERVER_FLAGS);
  if (values.help) {
    console.log(SERVER_HELP);
    return;
  }
  // Every flag checked before anything starts.
  const options = serverOptions(values);
  const multiclientMode = values.multiclient === true;
  const ports = serverPorts(values);
  const port = ports[0];
  const label = multiclientMode ? `ports ${ports.join(",")}` : `port ${port}`;
  const width = intFlag(values, "width", 1, 8192);
  const height = intFlag(values, "height", 1, 8192);
  const fps = intFlag(values, "fps", 0, 1000);
  const maxFrames = values.frames === undefined ? Infinity : intFlag(values, "frames", 0, 2 ** 31);
  const durationMs = values.duration === undefined
    ? Infinity
    : intFlag(values, "duration", 0, 86_400) * 1000;
  const quiet = values.quiet === true;
  const template = values.message as string | undefined;

  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error("interrupted"));
  Deno.addSignalListener("SIGINT", onSignal);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onSignal);
  const timer = Number.isFinite(durationMs)
    ? setTimeout(() => stop.abort(new Error("duration reached")), durationMs)
    : undefined;

  const source: FrameSource = values.input
    ? new FfmpegSource({
      input: values.input as string,
      inputOptions: values["input-format"] ? ["-f", values["input-format"] as string] : [],
      width,
      height,
      fps: fps || undefined,
    })
    : new SyntheticSource({ width, height, fps, name: label });

  const server = await NetGear.open(options);
  let sent = 0;
  try {
    await source.start();
    while (sent < maxFrames && !stop.signal.aborted) {
      const frame = await source.read();
      if (frame === null || stop.signal.aborted) break;
      const message = template?.replaceAll("{port}", ports.join(",")).replaceAll(
        "{n}",
        String(sent),
      );
      let reply: unknown;
      try {
        reply = await server.send(frame, { message, signal: stop.signal });
      } catch (error) {
        if (stop.signal.aborted) break;
        throw error;
      }
      sent++;
      // The reply is whatever CBOR the client sent: bigints and cycles included.
      if (multiclientMode) {
        // { port, data }: which client answered, and what it sent back.
        const answer = reply as ClientReply | undefined;
        if (answer?.data !== undefined && !quiet) {
          console.log(`client on port ${answer.port} says: ${previewValue(answer.data)}`);
        }
      } else if (reply !== undefined && !quiet) {
        console.log(`client says: ${previewValue(reply)}`);
      }
    }
  } finally {
    clearTimeout(timer);
    Deno.removeSignalListener("SIGINT", onSignal);
    if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGTERM", onSignal);
    await source.stop();
    await server.close();
  }
  if (!quiet) console.log(`server on ${label}: sent ${sent} frames, said goodbye`);
}
