/**
 * A server for the face and motion example: streams a camera, a file, an
 * image (repeated) or a synthetic moving pattern.
 *
 *     deno run --allow-read --allow-env --allow-ffi --allow-run examples/face_motion/server.ts --port 5566 --input assets/images/astronaut.png
 *     deno run --allow-read --allow-env --allow-ffi --allow-run examples/face_motion/server.ts --port 5567
 *
 * Flags: `--address` (127.0.0.1), `--port` (5566), `--input` (an ffmpeg
 * input; a .png/.jpg/.bmp image is repeated; default: synthetic pattern),
 * `--fps` (30; 0 = as fast as the client takes frames), `--frames` (300;
 * 0 = endless).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FfmpegSource, type FrameSource, NetGear, SyntheticSource } from "../../mod.ts";
import { ctrlC } from "../_interrupt.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    address: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "5566" },
    input: { type: "string" },
    fps: { type: "string", default: "30" },
    frames: { type: "string", default: "300" },
  },
}).values;
const port = Number(flags.port);
const fps = Number(flags.fps);
const frames = Number(flags.frames) || Infinity;

function sourceOf(input: string | undefined): FrameSource {
  if (input === undefined) {
    return new SyntheticSource({ width: 640, height: 480, fps, name: `server ${port}` });
  }
  // A still image becomes an endless stream of itself.
  const image = /\.(png|jpe?g|bmp)$/i.test(input);
  return new FfmpegSource({
    input,
    inputOptions: image ? ["-loop", "1"] : [],
    width: 640,
    height: 480,
    fps: fps || undefined,
    realtime: image ? fps > 0 : undefined,
  });
}

await using source = sourceOf(flags.input);
await source.start();
const server = await NetGear.open({
  address: flags.address,
  port,
  pattern: 1,
  multiserverMode: true,
});
// Ctrl+C stops the send waiting for the client too, so the goodbye leaves at once.
using interrupt = ctrlC();
try {
  for (let n = 0; n < frames && !interrupt.signal.aborted; n++) {
    const frame = await source.read();
    if (frame === null) break;
    await server.send(frame, { message: `I'm Server at Port: ${port}`, signal: interrupt.signal });
  }
} catch (error) {
  if (!interrupt.signal.aborted) throw error;
} finally {
  await server.close();
}
if (interrupt.signal.aborted) console.log("interrupted (Ctrl+C); server closed");
