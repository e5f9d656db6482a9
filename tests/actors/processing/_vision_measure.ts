// Measures detect() time per 640x480 frame (the astronaut fitted and padded
// with ffmpeg, bgr24 like a camera frame): 10 warm-up calls, then the median
// and 90th percentile of 50.
//
//   deno run --allow-read --allow-env --allow-run tests/actors/processing/_vision_measure.ts

import { FaceDetector, FaceLandmarker, type Frame } from "../../../actors/processing/mod.ts";
import { decodeImage, imagePath, modelPath } from "./_image.ts";

const WARM_UP = 10;
const RUNS = 50;

async function measure(name: string, detect: (frame: Frame) => Promise<unknown>, frame: Frame) {
  for (let i = 0; i < WARM_UP; i++) await detect(frame);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await detect(frame);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) =>
    times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  console.log(
    `${name}: median ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${
      times[0].toFixed(1)
    } ms (${RUNS} runs)`,
  );
}

const frame = await decodeImage(imagePath("astronaut.png"), {
  fit: { width: 640, height: 480 },
  format: "bgr24",
});
{
  await using detector = await FaceDetector.create({ model: modelPath("face_detector.tflite") });
  await measure("FaceDetector.detect 640x480 bgr24", (f) => detector.detect(f), frame);
}
{
  await using landmarker = await FaceLandmarker.create({
    model: modelPath("face_landmarker.task"),
  });
  await measure("FaceLandmarker.detect 640x480 bgr24", (f) => landmarker.detect(f), frame);
}
{
  await using landmarker = await FaceLandmarker.create({
    model: modelPath("face_landmarker.task"),
    tracking: true,
  });
  await measure(
    "FaceLandmarker.detect 640x480 bgr24, tracking",
    (f) => landmarker.detect(f),
    frame,
  );
}
