import assert from "node:assert/strict";
import { FaceLandmarker, VisionTaskClosedError } from "../../../actors/processing/mod.ts";
import { decodeImage, imagePath, modelPath, NO_FFMPEG } from "./_image.ts";

const MODEL = modelPath("face_landmarker.task");
// The astronaut's face box from the face detector (measured with MediaPipe tasks-vision 1.1.0).
const FACE = { x: 177, y: 82, width: 95, height: 95 };

Deno.test({
  name: "FaceLandmarker returns 478 points in pixels on the astronaut's face",
  ignore: NO_FFMPEG,
  async fn() {
    const frame = await decodeImage(imagePath("astronaut.png"), { format: "bgr24" });
    await using landmarker = await FaceLandmarker.create({ model: MODEL });
    const { faces } = await landmarker.detect(frame);
    assert.equal(faces.length, 1);
    const { landmarks } = faces[0];
    assert.equal(landmarks.length, 478);
    // In pixels: the mesh's centre lies inside the detector's box, and it spans most of it.
    const xs = landmarks.map((p) => p.x);
    const ys = landmarks.map((p) => p.y);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(mean(xs) > FACE.x && mean(xs) < FACE.x + FACE.width, `mean x ${mean(xs)}`);
    assert.ok(mean(ys) > FACE.y && mean(ys) < FACE.y + FACE.height, `mean y ${mean(ys)}`);
    assert.ok(Math.max(...xs) - Math.min(...xs) > FACE.width / 2, "mesh width");
    // Point 1 is the nose tip: closer to the camera than the face's outline (point 234).
    assert.ok(landmarks[1].z < landmarks[234].z);
  },
});

Deno.test({
  name: "FaceLandmarker finds no face on coffee.png nor on chelsea.png (a cat)",
  ignore: NO_FFMPEG,
  async fn() {
    await using landmarker = await FaceLandmarker.create({ model: MODEL });
    for (const name of ["coffee.png", "chelsea.png"] as const) {
      assert.deepEqual(
        (await landmarker.detect(await decodeImage(imagePath(name)))).faces,
        [],
        name,
      );
    }
  },
});

Deno.test({
  name: "FaceLandmarker with tracking follows the face across frames like image mode",
  ignore: NO_FFMPEG,
  async fn() {
    const frame = await decodeImage(imagePath("astronaut.png"), { format: "rgb24" });
    await using still = await FaceLandmarker.create({ model: MODEL });
    await using tracking = await FaceLandmarker.create({ model: MODEL, tracking: true });
    const expected = (await still.detect(frame)).faces[0].landmarks;
    for (let i = 0; i < 3; i++) {
      const { faces } = await tracking.detect(frame);
      assert.equal(faces.length, 1, `frame ${i}`);
      let error = 0;
      faces[0].landmarks.forEach((p, j) =>
        error += Math.hypot(p.x - expected[j].x, p.y - expected[j].y)
      );
      assert.ok(error / 478 < 3, `frame ${i}: mean distance ${error / 478} px`);
    }
  },
});

Deno.test("FaceLandmarker.close() can be called twice, and detect() afterwards rejects", async () => {
  const landmarker = await FaceLandmarker.create({ model: MODEL });
  landmarker.close();
  landmarker[Symbol.dispose]();
  assert.equal(landmarker.closed, true);
  await assert.rejects(
    landmarker.detect({
      width: 2,
      height: 2,
      channels: 1,
      format: "gray",
      data: new Uint8Array(4),
    }),
    VisionTaskClosedError,
  );
});

Deno.test("FaceLandmarker.create() rejects numFaces outside 1..16 with RangeError", async () => {
  await assert.rejects(FaceLandmarker.create({ model: MODEL, numFaces: 0 }), RangeError);
  await assert.rejects(FaceLandmarker.create({ model: MODEL, numFaces: 1.5 }), RangeError);
});
