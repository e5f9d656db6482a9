/**
 * Face and motion detection on every stream of a multi-server client: a
 * pipeline of processing actors between the NetGear client and the loop,
 * printing events as they happen.
 *
 *     deno run --allow-read --allow-env --allow-ffi examples/face_motion/client.ts --ports 5566,5567
 *
 * Prints lines such as `face at port 5566, score 0.92` and
 * `motion at port 5567: 3 regions`, then the pipeline's figures when every
 * server has gone (or on Ctrl+C).
 *
 * Flags:
 * - `--address` (127.0.0.1), `--ports` (5566,5567): where servers connect.
 * - `--model PATH`: the face detector model; default
 *   `assets/models/face_detector.tflite` in this repository
 *   (resolved from this file, so the example runs from any directory). A
 *   relative path given here is read from the working directory.
 * - `--in-process`: detect faces on the main thread instead of in a Worker
 *   (the transport then waits while each frame is detected).
 * - `--min-score` (0.5): smallest face score reported.
 * - `--threshold` (25): gray-level change that counts as motion.
 * - `--interval MS` (1000): least time between two identical kinds of
 *   event for one port; 0 prints every frame's events.
 * - `--view PORT`: serve the live montage on http://127.0.0.1:PORT/, with
 *   the face boxes and motion regions drawn in (needs `--allow-net=127.0.0.1`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { NetGear, type Received, Viewer } from "../../mod.ts";
import {
  FACE_DETECTOR_WORKER,
  FaceDetectorProcessor,
  type FaceDetectorProcessorOptions,
  type Motion,
  MotionDetector,
  Pipeline,
  type PipelineStage,
} from "../../actors/processing/mod.ts";
import type { FaceDetection } from "../../actors/processing/mod.ts";
import { ctrlC, endedBecause } from "../_interrupt.ts";

const DEFAULT_MODEL = new URL("../../assets/models/face_detector.tflite", import.meta.url);

const flags = parseArgs({
  args: Deno.args,
  options: {
    address: { type: "string", default: "127.0.0.1" },
    ports: { type: "string", default: "5566,5567" },
    model: { type: "string" },
    "in-process": { type: "boolean", default: false },
    "min-score": { type: "string", default: "0.5" },
    threshold: { type: "string", default: "25" },
    interval: { type: "string", default: "1000" },
    view: { type: "string" },
  },
}).values;
const intervalMs = Number(flags.interval);

const viewing = flags.view !== undefined;
const faceOptions: FaceDetectorProcessorOptions = {
  draw: viewing,
  // A Worker gets its options structured-cloned: pass the model as a string.
  model: flags.model ?? DEFAULT_MODEL.href,
  minDetectionConfidence: Number(flags["min-score"]),
};
const faces: PipelineStage = flags["in-process"]
  ? new FaceDetectorProcessor(faceOptions)
  : { worker: FACE_DETECTOR_WORKER, workerOptions: faceOptions, name: "faces" };

await using pipeline = new Pipeline([
  new MotionDetector({ threshold: Number(flags.threshold), draw: viewing }),
  faces,
]);
await pipeline.ready(); // the model is loaded before the first frame arrives
const client = await NetGear.open({
  address: flags.address,
  port: flags.ports.split(",").map(Number),
  pattern: 1,
  receiveMode: true,
  multiserverMode: true,
});
// The viewer shows the processed frames (boxes drawn in), so it is fed from
// the pipeline's output rather than tapping the client directly.
const taps = new Set<(received: Received) => void>();
const viewer = viewing
  ? await Viewer.start({
    onFrame: (listener) => (taps.add(listener), () => void taps.delete(listener)),
    stats: () => client.stats(),
    servers: () => client.servers(),
    get shutdownReason() {
      return client.shutdownReason;
    },
    addEventListener: client.addEventListener.bind(client),
    removeEventListener: client.removeEventListener.bind(client),
  }, { port: Number(flags.view) })
  : undefined;
if (viewer) console.log(`live view: ${viewer.url}`);
using interrupt = ctrlC();
interrupt.signal.addEventListener("abort", () => void client.close());

// Per port and kind of event, when it was last printed.
const lastPrinted = new Map<string, number>();
function report(port: number, kind: string, line: string): void {
  const key = `${port}/${kind}`;
  const now = performance.now();
  if (now - (lastPrinted.get(key) ?? -Infinity) < intervalMs) return;
  lastPrinted.set(key, now);
  console.log(line);
}

for await (const item of pipeline.run(client)) {
  const { port, data } = item;
  if (taps.size > 0) {
    const shown: Received = { ...item, jpeg: undefined };
    for (const tap of taps) tap(shown);
  }
  for (const { score } of (data.faces ?? []) as FaceDetection[]) {
    report(port, "face", `face at port ${port}, score ${score.toFixed(2)}`);
  }
  const motion = data.motion as Motion | undefined;
  if (motion !== undefined && motion.regions.length > 0) {
    const count = motion.regions.length;
    report(port, "motion", `motion at port ${port}: ${count} region${count === 1 ? "" : "s"}`);
  }
}

await client.close();
await viewer?.close();
console.log(`${endedBecause(client.shutdownReason)}`);
const stats = pipeline.stats();
console.log(`frames: ${stats.entered} in, ${stats.completed} out`);
for (const stage of stats.stages) {
  console.log(
    `stage ${stage.name} (${stage.mode}): ${stage.processed} processed, ${stage.dropped} dropped, ` +
      `${stage.failed} failed, ${stage.restarts} restarts, ${stage.meanMs.toFixed(1)} ms mean`,
  );
}
