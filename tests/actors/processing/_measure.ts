// Measures the processing pipeline (not a test):
//
// 1. Face detection per 640x480 bgr24 frame (the astronaut fitted and padded
//    with ffmpeg): FaceDetector.detect alone, then one pipeline stage
//    in-process and in a Worker (frame transferred both ways, or copied),
//    each call awaited: 10 warm-up calls, then the median and p90 of 60.
// 2. Two servers streaming 640x480 synthetic frames as fast as possible
//    (each its own process, REQ/REP) into one client: frames per second
//    read off the transport and processed, with no pipeline, with motion
//    detection, with face detection in-process and in a Worker.
//
//   deno run --allow-read --allow-env --allow-ffi --allow-run --allow-net=127.0.0.1 tests/actors/processing/_measure.ts

import "../../_helpers/preload_native.ts";
import {
  FACE_DETECTOR_WORKER,
  FaceDetectorProcessor,
  MotionDetector,
  Pipeline,
  type PipelineStage,
} from "../../../actors/processing/mod.ts";
import { FaceDetector, type Frame } from "../../../actors/processing/mod.ts";
import { NetGear } from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { decodeImage, imagePath, modelPath } from "./_image.ts";

const MODEL = modelPath("face_detector.tflite");
const WARM_UP = 10;
const RUNS = 60;
const STREAM_WARM_UP_MS = 2_000;
const STREAM_MS = 6_000;

function summary(times: number[]): string {
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return `median ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms`;
}

async function perFrame(name: string, once: () => Promise<void>): Promise<void> {
  for (let i = 0; i < WARM_UP; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await once();
    times.push(performance.now() - start);
  }
  console.log(`${name.padEnd(44)} ${summary(times)}`);
}

const astronaut = await decodeImage(imagePath("astronaut.png"), {
  fit: { width: 640, height: 480 },
  format: "bgr24",
});
console.log("Face detection, one 640x480 bgr24 frame at a time:");
{
  await using detector = await FaceDetector.create({ model: MODEL });
  await perFrame(
    "FaceDetector.detect (no pipeline)",
    async () => void await detector.detect(astronaut),
  );
}
{
  await using pipeline = new Pipeline([new FaceDetectorProcessor({ model: MODEL })]);
  await pipeline.ready();
  await perFrame("pipeline stage, in-process", async () => void await pipeline.process(astronaut));
}
for (const transfer of [true, false]) {
  await using pipeline = new Pipeline([
    { worker: FACE_DETECTOR_WORKER, workerOptions: { model: MODEL }, transfer },
  ]);
  await pipeline.ready();
  // With transfer the frame's buffer travels there and back: reuse what came back.
  let frame: Frame = { ...astronaut, data: new Uint8Array(astronaut.data) };
  await perFrame(`pipeline stage, Worker (${transfer ? "transferred" : "copied"})`, async () => {
    frame = (await pipeline.process(frame))!.frame!;
  });
}

async function streamRate(label: string, stages: PipelineStage[] | undefined): Promise<void> {
  const ports = freePorts(2);
  const pipeline = stages && new Pipeline(stages);
  await pipeline?.ready();
  const client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
    pattern: 1,
    livenessTimeout: 60_000,
  });
  const servers = ports.map((port) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-ffi",
        "--allow-run",
        new URL("../../../examples/face_motion/server.ts", import.meta.url).pathname,
        "--port",
        String(port),
        "--fps",
        "0",
        "--frames",
        "0",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn()
  );
  let received = 0;
  const consuming = (async () => {
    if (pipeline === undefined) { for await (const _ of client) received++; }
    else for await (const _ of pipeline.run(client)) received++;
  })();
  const counters = () => {
    const stats = pipeline?.stats();
    return {
      entered: stats?.entered ?? received,
      processed: stats?.stages.at(-1)?.processed ?? received,
      received,
    };
  };
  // Wait for the first frames, then a warm-up, then count over a window.
  while (received === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, STREAM_WARM_UP_MS));
  const before = counters();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, STREAM_MS));
  const after = counters();
  const seconds = (performance.now() - start) / 1000;
  const rate = (key: "entered" | "processed" | "received") =>
    ((after[key] - before[key]) / seconds).toFixed(0).padStart(4);
  console.log(
    `${label.padEnd(34)} transport ${rate("entered")} fps, last stage processed ${
      rate("processed")
    } fps, delivered ${rate("received")} fps`,
  );
  for (const server of servers) server.kill("SIGKILL");
  await Promise.all(servers.map((server) => server.status));
  await client.close();
  await consuming;
  await pipeline?.close();
}

console.log("\nTwo servers, 640x480 synthetic frames as fast as possible, into one client:");
await streamRate("no pipeline", undefined);
await streamRate("motion detection (in-process)", [new MotionDetector()]);
await streamRate("face detection (in-process)", [new FaceDetectorProcessor({ model: MODEL })]);
await streamRate("face detection (Worker)", [
  { worker: FACE_DETECTOR_WORKER, workerOptions: { model: MODEL }, name: "faces" },
]);
