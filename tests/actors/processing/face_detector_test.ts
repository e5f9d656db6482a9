import assert from "node:assert/strict";
import {
  FaceDetector,
  type FaceDetectorResult,
  VisionTaskClosedError,
} from "../../../actors/processing/mod.ts";
import type { Frame } from "../../../capture/frame.ts";
import { decodeImage, imagePath, modelPath, NO_FFMPEG } from "./_image.ts";

const MODEL = modelPath("face_detector.tflite");
// The astronaut's face as MediaPipe reports it (measured with MediaPipe tasks-vision 1.1.0).
const ASTRONAUT_BOX = { x: 177, y: 82, width: 95, height: 95 };

function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} is not within ${tolerance} of ${expected}`,
  );
}

function blackFrame(width = 64, height = 48): Frame {
  return { width, height, channels: 3, data: new Uint8Array(width * height * 3) };
}

Deno.test({
  name: "FaceDetector finds exactly the astronaut's face, in pixels, with a score above 0.9",
  ignore: NO_FFMPEG,
  async fn() {
    const frame = await decodeImage(imagePath("astronaut.png"));
    await using detector = await FaceDetector.create({ model: MODEL });
    const { detections } = await detector.detect(frame);
    assert.equal(detections.length, 1);
    const [{ box, score, keypoints }] = detections;
    assert.ok(score > 0.9, `score ${score}`);
    for (const key of ["x", "y", "width", "height"] as const) {
      assertNear(box[key], ASTRONAUT_BOX[key], 5, `box.${key}`);
    }
    assert.equal(keypoints.length, 6);
    for (const { x, y } of keypoints) {
      // Pixels, not MediaPipe's 0..1: every keypoint lies on the face, ears a little outside.
      assert.ok(x > box.x - 15 && x < box.x + box.width + 15, `keypoint x=${x}`);
      assert.ok(y > box.y - 15 && y < box.y + box.height + 15, `keypoint y=${y}`);
    }
    const [rightEye, leftEye] = keypoints;
    assert.ok(rightEye.x < leftEye.x, "the person's right eye is on the image's left");
  },
});

Deno.test({
  name: "FaceDetector finds no face on coffee.png nor on chelsea.png (a cat)",
  ignore: NO_FFMPEG,
  async fn() {
    await using detector = await FaceDetector.create({ model: MODEL });
    for (const name of ["coffee.png", "chelsea.png"] as const) {
      const { detections } = await detector.detect(await decodeImage(imagePath(name)));
      assert.deepEqual(detections, [], name);
    }
  },
});

Deno.test({
  name:
    "FaceDetector gives the same result for bgr24, rgb24, rgba and differs when channels are swapped",
  ignore: NO_FFMPEG,
  async fn() {
    const path = imagePath("astronaut.png");
    const rgb = await decodeImage(path, { format: "rgb24" });
    const bgr = await decodeImage(path, { format: "bgr24" });
    const rgba = await decodeImage(path, { format: "rgba" });
    await using detector = await FaceDetector.create({ model: MODEL });
    const fromRgb = await detector.detect(rgb);
    assert.equal(fromRgb.detections.length, 1);
    assert.deepEqual(await detector.detect(bgr), fromRgb);
    assert.deepEqual(await detector.detect(rgba), fromRgb);
    // The same bytes read the wrong way round must change the score, or the
    // equalities above would prove nothing about the conversion.
    const swapped: FaceDetectorResult = await detector.detect({ ...bgr, format: "rgb24" });
    assert.notEqual(swapped.detections[0]?.score, fromRgb.detections[0].score);
  },
});

Deno.test({
  name: "FaceDetector reports boxes in pixels of non-square frames (640x480 and 480x640)",
  ignore: NO_FFMPEG,
  async fn() {
    await using detector = await FaceDetector.create({ model: MODEL });
    // 512x512 fitted into each: scaled by 480/512, centred with black bars of 80 px.
    const scale = 480 / 512;
    const centre = {
      x: (ASTRONAUT_BOX.x + ASTRONAUT_BOX.width / 2) * scale,
      y: (ASTRONAUT_BOX.y + ASTRONAUT_BOX.height / 2) * scale,
    };
    for (const [width, height] of [[640, 480], [480, 640]]) {
      const frame = await decodeImage(imagePath("astronaut.png"), { fit: { width, height } });
      const { detections } = await detector.detect(frame);
      assert.equal(detections.length, 1, `${width}x${height}`);
      const { box } = detections[0];
      // The model sees the face smaller than in the square image (it letterboxes
      // to 128x128), so allow for a few pixels more than there.
      const what = `${width}x${height} box centre`;
      assertNear(box.x + box.width / 2, centre.x + (width - 480) / 2, 10, `${what} x`);
      assertNear(box.y + box.height / 2, centre.y + (height - 480) / 2, 10, `${what} y`);
      assertNear(box.width, ASTRONAUT_BOX.width * scale, 10, `${width}x${height} box width`);
    }
  },
});

Deno.test({
  name: "FaceDetector drops faces below minDetectionConfidence",
  ignore: NO_FFMPEG,
  async fn() {
    const frame = await decodeImage(imagePath("astronaut.png"));
    await using detector = await FaceDetector.create({
      model: MODEL,
      minDetectionConfidence: 0.95,
    });
    assert.deepEqual((await detector.detect(frame)).detections, []); // its score is 0.92
  },
});

Deno.test("FaceDetector.create() rejects an out-of-range minDetectionConfidence with RangeError", async () => {
  await assert.rejects(
    FaceDetector.create({ model: MODEL, minDetectionConfidence: 1.5 }),
    (error) => error instanceof RangeError && /minDetectionConfidence=1\.5/.test(error.message),
  );
});

Deno.test("FaceDetector.close() can be called twice, and detect() afterwards rejects", async () => {
  const detector = await FaceDetector.create({ model: MODEL });
  assert.equal(detector.closed, false);
  detector.close();
  detector.close();
  await detector[Symbol.asyncDispose]();
  assert.equal(detector.closed, true);
  await assert.rejects(detector.detect(blackFrame()), VisionTaskClosedError);
});

Deno.test("FaceDetector.detect() rejects frames that disagree with themselves", async () => {
  await using detector = await FaceDetector.create({ model: MODEL });
  const frame = blackFrame();
  await assert.rejects(
    detector.detect({ ...frame, data: frame.data.subarray(1) }),
    (error) => error instanceof RangeError && /holds 9215 bytes/.test(error.message),
  );
  await assert.rejects(
    detector.detect({ ...frame, format: "yuv420p" as never }),
    (error) => error instanceof TypeError && /bgr24, rgb24, rgba, gray/.test(error.message),
  );
  await assert.rejects(detector.detect({ ...frame, format: "rgba" }), RangeError);
  // Still usable after rejecting bad input.
  assert.deepEqual((await detector.detect(frame)).detections, []);
});

Deno.test("FaceDetector.detect() rejects with the signal's reason when already aborted", async () => {
  await using detector = await FaceDetector.create({ model: MODEL });
  const reason = new Error("stop");
  await assert.rejects(
    detector.detect(blackFrame(), { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
});

Deno.test("FaceDetector sends nothing over the network, not even on close()", async () => {
  // MediaPipe 1.1.0 POSTs usage telemetry on close() unless it is switched off.
  const realFetch = globalThis.fetch;
  const fetched: string[] = [];
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith("file:")) return realFetch(input, init); // the wasm binary
    fetched.push(url);
    return Promise.reject(new TypeError("no network in this test"));
  };
  try {
    const detector = await FaceDetector.create({ model: MODEL });
    await detector.detect(blackFrame());
    detector.close();
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.deepEqual(fetched, []);
});
