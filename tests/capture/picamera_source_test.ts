import assert from "node:assert/strict";
import {
  buildPiCameraCommand,
  CaptureError,
  PiCameraSource,
  ToolNotFoundError,
} from "../../capture/mod.ts";
import {
  NO_FFMPEG,
  processGone,
  referenceFrames,
  run,
  script,
  sha256,
  testDir,
} from "./_helpers.ts";

async function onPath(tool: string): Promise<boolean> {
  try {
    await new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

const HAS_RPICAM = (await onPath("rpicam-vid")) || (await onPath("libcamera-vid"));

Deno.test("buildPiCameraCommand builds rpicam-vid and ffmpeg command lines", () => {
  const command = buildPiCameraCommand();
  assert.deepEqual(command.cameraArgs, [
    "-t",
    "0",
    "-n",
    "--codec",
    "yuv420",
    "--width",
    "640",
    "--height",
    "480",
    "--framerate",
    "30",
    "-o",
    "-",
  ]);
  assert.deepEqual(command.ffmpegArgs, [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "yuv420p",
    "-video_size",
    "640x480",
    "-framerate",
    "30",
    "-i",
    "pipe:0",
    "-pix_fmt",
    "bgr24",
    "-f",
    "rawvideo",
    "pipe:1",
  ]);
  assert.equal(command.stride, 640);
});

Deno.test("buildPiCameraCommand pads the stride to 64 and crops, and passes camera options", () => {
  const command = buildPiCameraCommand({
    width: 800,
    height: 600,
    fps: 15,
    camera: 1,
    pixelFormat: "gray",
    extraArgs: ["--hflip"],
  });
  assert.equal(command.stride, 832);
  assert.deepEqual(command.cameraArgs.slice(5), [
    "--width",
    "800",
    "--height",
    "600",
    "--framerate",
    "15",
    "--camera",
    "1",
    "--hflip",
    "-o",
    "-",
  ]);
  const ff = command.ffmpegArgs;
  assert.equal(ff[ff.indexOf("-video_size") + 1], "832x600");
  assert.equal(ff[ff.indexOf("-vf") + 1], "crop=800:600:0:0");
  assert.equal(ff[ff.lastIndexOf("-pix_fmt") + 1], "gray");
});

Deno.test("PiCameraSource rejects odd sizes and bad options", () => {
  assert.throws(
    () => new PiCameraSource({ width: 641 }),
    (e) =>
      e instanceof RangeError && /"width" must be even .* got 641; use 640 or 642/.test(e.message),
  );
  assert.throws(() => buildPiCameraCommand({ height: 0 }), RangeError);
  assert.throws(
    () => new PiCameraSource({ camera: -1 }),
    /"camera" must be an integer from 0 to 63/,
  );
  assert.throws(
    () => new PiCameraSource({ extraArgs: "--hflip" } as unknown as { extraArgs: string[] }),
    /"extraArgs" must be an array of strings/,
  );
  assert.throws(
    () => new PiCameraSource({ input: "x" } as unknown as { width: number }),
    /unknown option "input"/,
  );
});

Deno.test({
  name: "PiCameraSource says how to install rpicam-apps when neither camera program exists",
  ignore: HAS_RPICAM,
  async fn() {
    const source = new PiCameraSource();
    assert.deepEqual(source.info, { width: 640, height: 480, fps: 30, pixelFormat: "bgr24" });
    try {
      await source.start();
      assert.fail("start() should fail without rpicam-vid");
    } catch (error) {
      assert.ok(error instanceof ToolNotFoundError, `got ${error}`);
      assert.equal(error.code, "tool-missing");
      assert.equal(error.tool, "rpicam-vid");
      assert.match(error.message, /Cannot run rpicam-vid: "rpicam-vid" was not found on PATH/);
      assert.match(error.message, /nor was libcamera-vid/);
      assert.match(error.message, /sudo apt install rpicam-apps/);
    }
    assert.deepEqual(source.pids, []);
    assert.equal(await source.read().catch((e) => e.code), "tool-missing");
  },
});

Deno.test("PiCameraSource reports a cameraPath that does not exist", async () => {
  const source = new PiCameraSource({ cameraPath: `${testDir()}/no-rpicam-vid` });
  await assert.rejects(
    source.start(),
    (e) => e instanceof ToolNotFoundError && /check the cameraPath option/.test(e.message),
  );
});

Deno.test({
  name: "PiCameraSource converts padded YUV 4:2:0 from the camera program into frames",
  ignore: NO_FFMPEG,
  async fn() {
    // A stand-in for rpicam-vid: records its arguments, then writes 4 frames of
    // 832-pixel rows (800 wide, padded to 64) as the Pi's ISP does.
    const argsFile = `${testDir()}/fake_rpicam_args.txt`;
    const fake = await script(
      "fake_rpicam_vid.sh",
      `echo "$@" > ${argsFile}\n` +
        "exec ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=832x240:rate=30 " +
        "-frames:v 4 -pix_fmt yuv420p -f rawvideo pipe:1",
    );
    const source = new PiCameraSource({ width: 800, height: 240, fps: 30, cameraPath: fake });
    const hashes: string[] = [];
    for await (const frame of source) {
      assert.deepEqual([frame.width, frame.height, frame.data.length], [800, 240, 800 * 240 * 3]);
      hashes.push(await sha256(frame.data));
    }
    assert.equal(hashes.length, 4);
    assert.equal(
      (await Deno.readTextFile(argsFile)).trim(),
      "-t 0 -n --codec yuv420 --width 800 --height 240 --framerate 30 -o -",
    );
    // ffmpeg's own crop of the same padded YUV.
    const lavfi = `${testDir()}/padded.yuv`;
    await run("ffmpeg", [
      "-loglevel",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=832x240:rate=30",
      "-frames:v",
      "4",
      "-pix_fmt",
      "yuv420p",
      "-f",
      "rawvideo",
      lavfi,
    ]);
    const reference = await referenceFrames(
      lavfi,
      "bgr24",
      800 * 240 * 3,
      "crop=800:240:0:0",
      ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", "832x240"],
    );
    assert.deepEqual(hashes, await Promise.all(reference.map(sha256)));
    assert.equal(source.pids.length, 2);
    for (const pid of source.pids) assert.ok(await processGone(pid));
  },
});

Deno.test({
  name: "PiCameraSource stops the camera program when ffmpeg is missing",
  ignore: NO_FFMPEG,
  async fn() {
    const endless = await script(
      "endless_rpicam_vid.sh",
      "exec ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=640x480:rate=30 " +
        "-pix_fmt yuv420p -f rawvideo pipe:1",
    );
    const source = new PiCameraSource({ cameraPath: endless, ffmpegPath: "/nonexistent/ffmpeg" });
    await assert.rejects(
      source.start(),
      (e) => e instanceof ToolNotFoundError && e.tool === "ffmpeg",
    );
    assert.equal(source.pids.length, 1);
    assert.ok(await processGone(source.pids[0]));
  },
});

Deno.test({
  name: "PiCameraSource reports a camera program that finds no camera",
  ignore: NO_FFMPEG,
  async fn() {
    const noCamera = await script(
      "no_camera_rpicam_vid.sh",
      'echo "ERROR: *** no cameras available ***" >&2\nexit 255',
    );
    const source = new PiCameraSource({ cameraPath: noCamera });
    await assert.rejects(source.start(), (e) => {
      assert.ok(e instanceof CaptureError);
      assert.equal(e.code, "device-not-found");
      assert.match(e.message, /found no camera/);
      assert.match(e.message, /rpicam-hello --list-cameras/);
      return true;
    });
  },
});
