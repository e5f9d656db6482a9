import assert from "node:assert/strict";
import {
  buildFfmpegArgs,
  detectInputKind,
  type FfmpegPlan,
  ffprobeBesides,
} from "../../capture/_ffmpeg_args.ts";

const plan: FfmpegPlan = {
  input: "clip.mkv",
  inputOptions: [],
  kind: "file",
  width: 320,
  height: 240,
  fps: undefined,
  cameraWidth: undefined,
  cameraHeight: undefined,
  cameraFps: undefined,
  pixelFormat: "bgr24",
  loop: false,
  realtime: false,
};

Deno.test("buildFfmpegArgs reads a file into fixed-size raw frames on stdout", () => {
  assert.deepEqual(buildFfmpegArgs(plan), [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-i",
    "clip.mkv",
    "-map",
    "0:v:0",
    "-an",
    "-sn",
    "-dn",
    "-vf",
    "scale=320:240",
    "-pix_fmt",
    "bgr24",
    "-f",
    "rawvideo",
    "pipe:1",
  ]);
});

Deno.test("buildFfmpegArgs puts -re, -stream_loop and input options before -i, and fps before scale", () => {
  const args = buildFfmpegArgs({
    ...plan,
    realtime: true,
    loop: true,
    fps: 15,
    inputOptions: ["-ss", "5"],
    pixelFormat: "gray",
  });
  const input = args.indexOf("-i");
  for (const option of ["-re", "-stream_loop", "-ss"]) {
    assert.ok(args.indexOf(option) < input, `${option} is an input option`);
  }
  assert.equal(args[args.indexOf("-stream_loop") + 1], "-1");
  assert.equal(args[args.indexOf("-vf") + 1], "fps=15,scale=320:240");
  assert.equal(args[args.indexOf("-pix_fmt") + 1], "gray");
});

Deno.test("buildFfmpegArgs asks a v4l2 camera for its size and rate instead of resampling", () => {
  const args = buildFfmpegArgs({
    ...plan,
    input: "/dev/video2",
    kind: "camera",
    fps: 30,
    cameraWidth: 1280,
    cameraHeight: 720,
    cameraFps: 30,
    width: 1280,
    height: 720,
  });
  assert.deepEqual(args.slice(4, args.indexOf("-map")), [
    "-f",
    "v4l2",
    "-video_size",
    "1280x720",
    "-framerate",
    "30",
    "-i",
    "/dev/video2",
  ]);
  assert.equal(args[args.indexOf("-vf") + 1], "scale=1280:720");
  // A caller's own -f wins over the v4l2 default.
  const mjpeg = buildFfmpegArgs({
    ...plan,
    input: "/dev/video0",
    kind: "camera",
    inputOptions: ["-f", "video4linux2", "-input_format", "mjpeg"],
  });
  assert.equal(mjpeg.filter((a) => a === "-f").length, 2, "one input -f and the rawvideo -f");
});

Deno.test("detectInputKind tells cameras, files, streams and lavfi apart", () => {
  assert.equal(detectInputKind("/dev/video0", []), "camera");
  assert.equal(detectInputKind(":0.0", ["-f", "x11grab"]), "camera");
  assert.equal(detectInputKind("testsrc2", ["-f", "lavfi"]), "lavfi");
  assert.equal(detectInputKind("rtsp://10.0.0.5:554/h264", []), "stream");
  assert.equal(detectInputKind("HTTP://example.com/a.mp4", []), "stream");
  assert.equal(detectInputKind("file:///tmp/a.mp4", []), "file");
  assert.equal(detectInputKind("videos/a.mp4", []), "file");
  assert.equal(detectInputKind("C:/videos/a.mp4", []), "file");
  assert.equal(detectInputKind("pipe:0", []), "other");
  assert.equal(detectInputKind("list.txt", ["-f", "concat"]), "other");
});

Deno.test("ffprobeBesides finds ffprobe next to ffmpeg", () => {
  assert.equal(ffprobeBesides("ffmpeg"), "ffprobe");
  assert.equal(ffprobeBesides("/opt/ffmpeg-6/bin/ffmpeg"), "/opt/ffmpeg-6/bin/ffprobe");
  assert.equal(ffprobeBesides("/usr/local/bin/ffmpeg7"), "/usr/local/bin/ffprobe7");
  assert.equal(ffprobeBesides("/tmp/wrapper.sh"), "/tmp/ffprobe");
});
