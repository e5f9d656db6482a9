import assert from "node:assert/strict";
import {
  FACE_DETECTOR_WORKER,
  FaceDetectorProcessor,
  Pipeline,
} from "../../../actors/processing/mod.ts";
import type { FaceDetection } from "../../../actors/processing/mod.ts";
import type { Frame } from "../../../capture/frame.ts";
import { decodeImage, imagePath, modelPath, NO_FFMPEG } from "./_image.ts";

const MODEL = modelPath("face_detector.tflite");
// The astronaut's face as MediaPipe reports it (measured with MediaPipe tasks-vision 1.1.0).
const ASTRONAUT_BOX = { x: 177, y: 82, width: 95, height: 95 };
const QUIET = { logLevel: "silent" } as const;

function assertAstronaut(faces: unknown): FaceDetection {
  assert.ok(Array.isArray(faces), "data.faces is an array");
  assert.equal(faces.length, 1);
  const [face] = faces as FaceDetection[];
  assert.ok(face.score > 0.9, `score ${face.score}`);
  for (const key of ["x", "y", "width", "height"] as const) {
    assert.ok(Math.abs(face.box[key] - ASTRONAUT_BOX[key]) <= 5, `box.${key} = ${face.box[key]}`);
  }
  return face;
}

function pixel(frame: Frame, x: number, y: number): number[] {
  const at = (Math.round(y) * frame.width + Math.round(x)) * frame.channels;
  return [...frame.data.subarray(at, at + frame.channels)];
}

Deno.test({
  name: "FaceDetectorProcessor attaches the astronaut's one face in data.faces",
  ignore: NO_FFMPEG,
  async fn() {
    const frame = await decodeImage(imagePath("astronaut.png"), { format: "bgr24" });
    await using pipeline = new Pipeline([new FaceDetectorProcessor({ model: MODEL })], QUIET);
    await pipeline.ready();
    const out = await pipeline.process(frame, { port: 5566, message: "hello" });
    assertAstronaut(out?.data.faces);
    assert.equal(out?.frame, frame, "without draw the frame passes as is");
    assert.equal(out?.message, "hello");
  },
});

Deno.test({
  name: "FaceDetectorProcessor draws the box on a copy and leaves the input frame untouched",
  ignore: NO_FFMPEG,
  async fn() {
    const frame = await decodeImage(imagePath("astronaut.png"), { format: "rgb24" });
    const before = frame.data.slice();
    await using pipeline = new Pipeline([
      new FaceDetectorProcessor({ model: MODEL, draw: true, color: [255, 0, 255], thickness: 2 }),
    ], QUIET);
    const out = await pipeline.process(frame);
    const face = assertAstronaut(out?.data.faces);
    assert.deepEqual(frame.data, before, "input untouched");
    const drawn = out!.frame!;
    assert.notEqual(drawn, frame);
    const { x, y, width, height } = face.box;
    // The outline runs along the box's edges, inside them.
    assert.deepEqual(pixel(drawn, x + width / 2, y + 0.5), [255, 0, 255], "top edge");
    assert.deepEqual(pixel(drawn, x + 0.5, y + height / 2), [255, 0, 255], "left edge");
    assert.notDeepEqual(pixel(drawn, x + width / 2, y + height / 2), [255, 0, 255], "not filled");
  },
});

Deno.test({
  name: "FaceDetectorProcessor in a Worker finds the same face, the frame transferred",
  ignore: NO_FFMPEG,
  async fn() {
    const frame = await decodeImage(imagePath("astronaut.png"), { format: "bgr24" });
    const reference = await decodeImage(imagePath("astronaut.png"), { format: "bgr24" });
    await using pipeline = new Pipeline([
      { worker: FACE_DETECTOR_WORKER, workerOptions: { model: MODEL } },
    ], QUIET);
    await pipeline.ready();
    const out = await pipeline.process(frame);
    assertAstronaut(out?.data.faces);
    assert.deepEqual(out?.frame?.data, reference.data, "the frame comes back intact");
    assert.equal(pipeline.stats().stages[0].mode, "worker");
  },
});

Deno.test("FaceDetectorProcessor refuses a missing model option and fails its stage on a missing file", async () => {
  assert.throws(
    () => new FaceDetectorProcessor({} as { model: string }),
    /model is undefined; expected a path or URL/,
  );
  const pipeline = new Pipeline([
    new FaceDetectorProcessor({ model: "/nonexistent/face_detector.tflite" }),
  ], { ...QUIET, maxRestarts: 0 });
  await assert.rejects(pipeline.ready(), (error: Error) => {
    assert.equal(error.name, "StageStoppedError");
    assert.equal((error.cause as Error).name, "ModelError");
    return true;
  });
  await pipeline.close();
});
