import assert from "node:assert/strict";
import { pathToFileURL as toFileUrl } from "node:url";
import { FaceDetector, FaceLandmarker, ModelError } from "../../../actors/processing/mod.ts";
import { FACE_DETECTOR_SHA256, imagePath, modelPath } from "./_image.ts";

const MODEL = modelPath("face_detector.tflite");
const WRONG_SHA256 = "0".repeat(64);

function isModelError(code: ModelError["code"]): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ModelError, `expected a ModelError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

/** Serves the detector model on 127.0.0.1 and counts requests per path. */
function serveModel(): { url(path: string): string; hits: Map<string, number> } & AsyncDisposable {
  const hits = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const { pathname } = new URL(request.url);
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
    if (pathname !== "/models/face_detector.tflite") return new Response("nope", { status: 404 });
    return new Response(await Deno.readFile(MODEL));
  });
  return {
    url: (path) => `http://127.0.0.1:${server.addr.port}${path}`,
    hits,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "vision_model_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FaceDetector.create() rejects a missing model path with ModelError not-found", async () => {
  await assert.rejects(
    FaceDetector.create({ model: "./no/such/face_detector.tflite" }),
    (error) => {
      isModelError("not-found")(error);
      assert.match((error as Error).message, /no\/such\/face_detector\.tflite is not a file/);
      assert.equal((error as ModelError).model, "./no/such/face_detector.tflite");
      return true;
    },
  );
});

Deno.test("FaceDetector.create() accepts a file: URL whose sha256 matches", async () => {
  await using detector = await FaceDetector.create({
    model: toFileUrl(MODEL),
    sha256: FACE_DETECTOR_SHA256.toUpperCase(),
  });
  assert.equal(detector.closed, false);
});

Deno.test("FaceDetector.create() rejects a file: URL with a wrong sha256 as checksum-mismatch", async () => {
  await assert.rejects(
    FaceDetector.create({ model: toFileUrl(MODEL).href, sha256: WRONG_SHA256 }),
    (error) => {
      isModelError("checksum-mismatch")(error);
      assert.equal((error as ModelError).expectedSha256, WRONG_SHA256);
      assert.equal((error as ModelError).actualSha256, FACE_DETECTOR_SHA256);
      return true;
    },
  );
});

Deno.test("FaceDetector.create() rejects a malformed sha256 or scheme with TypeError", async () => {
  await assert.rejects(
    FaceDetector.create({ model: MODEL, sha256: "abc" }),
    (error) =>
      error instanceof TypeError && /sha256="abc" is not 64 hex digits/.test(error.message),
  );
  await assert.rejects(
    FaceDetector.create({ model: "ftp://127.0.0.1/model.tflite" }),
    (error) => error instanceof TypeError && /scheme "ftp:" is not supported/.test(error.message),
  );
});

Deno.test("FaceDetector.create() downloads an http model once into cacheDir, then reads the cache", async () => {
  await withTempDir(async (cacheDir) => {
    await using server = serveModel();
    const model = server.url("/models/face_detector.tflite");
    const first = await FaceDetector.create({ model, cacheDir, sha256: FACE_DETECTOR_SHA256 });
    first.close();
    const second = await FaceDetector.create({ model, cacheDir, sha256: FACE_DETECTOR_SHA256 });
    second.close();
    assert.equal(server.hits.get("/models/face_detector.tflite"), 1);
    const cached = [...Deno.readDirSync(cacheDir)].map((entry) => entry.name);
    assert.equal(cached.length, 1);
    assert.match(cached[0], /^[0-9a-f]{16}-face_detector\.tflite$/);
  });
});

Deno.test("FaceDetector.create() rejects a downloaded model with a wrong sha256 and caches nothing", async () => {
  await withTempDir(async (cacheDir) => {
    await using server = serveModel();
    await assert.rejects(
      FaceDetector.create({
        model: server.url("/models/face_detector.tflite"),
        cacheDir,
        sha256: WRONG_SHA256,
      }),
      isModelError("checksum-mismatch"),
    );
    assert.deepEqual([...Deno.readDirSync(cacheDir)], []);
  });
});

Deno.test("FaceDetector.create() re-downloads a cached model that fails its sha256", async () => {
  await withTempDir(async (cacheDir) => {
    await using server = serveModel();
    const model = server.url("/models/face_detector.tflite");
    (await FaceDetector.create({ model, cacheDir })).close();
    const [{ name }] = [...Deno.readDirSync(cacheDir)];
    await Deno.writeFile(`${cacheDir}/${name}`, new Uint8Array([1, 2, 3])); // a torn file
    (await FaceDetector.create({ model, cacheDir, sha256: FACE_DETECTOR_SHA256 })).close();
    assert.equal(server.hits.get("/models/face_detector.tflite"), 2);
    assert.equal((await Deno.stat(`${cacheDir}/${name}`)).size, 229_746);
  });
});

Deno.test("FaceDetector.create() reports an HTTP 404 as download-failed with its status", async () => {
  await withTempDir(async (cacheDir) => {
    await using server = serveModel();
    await assert.rejects(
      FaceDetector.create({ model: server.url("/models/missing.tflite"), cacheDir }),
      (error) => {
        isModelError("download-failed")(error);
        assert.equal((error as ModelError).status, 404);
        return true;
      },
    );
  });
});

Deno.test("create() rejects files that are not a model for the task as invalid-model", async () => {
  await assert.rejects(
    FaceDetector.create({ model: imagePath("astronaut.png") }),
    (error) => isModelError("invalid-model")(error) && /a PNG image/.test((error as Error).message),
  );
  await assert.rejects(
    FaceDetector.create({ model: modelPath("face_landmarker.task") }),
    isModelError("invalid-model"),
  );
  await assert.rejects(
    FaceLandmarker.create({ model: MODEL }),
    isModelError("invalid-model"),
  );
});

Deno.test("FaceDetector.create() rejects with the signal's reason when already aborted", async () => {
  const reason = new Error("not now");
  await assert.rejects(
    FaceDetector.create({ model: MODEL, signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
});
