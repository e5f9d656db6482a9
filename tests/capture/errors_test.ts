import assert from "node:assert/strict";
import { classifyFailure, type Failure } from "../../capture/_classify.ts";
import { CaptureError, ProcessExitedError, ToolNotFoundError } from "../../capture/mod.ts";

const base: Failure = {
  tool: "ffmpeg",
  kind: "camera",
  input: "/dev/video0",
  stderr: [],
  exitCode: 1,
  signal: null,
  framesRead: 0,
};

Deno.test("A busy camera gets a device-busy error that says how to find the other program", () => {
  const error = classifyFailure({
    ...base,
    stderr: [
      "[video4linux2,v4l2 @ 0x55] ioctl(VIDIOC_STREAMON): Device or resource busy",
      "/dev/video0: Device or resource busy",
    ],
  });
  assert.equal(error.code, "device-busy");
  assert.match(error.message, /Cannot open camera "\/dev\/video0": the device is busy/);
  assert.match(error.message, /fuser \/dev\/video0/);
  assert.equal(error.stderr.length, 2);
  assert.equal(error.input, "/dev/video0");
});

Deno.test("A camera ffmpeg cannot find gets device-not-found; one it may not open, permission-denied", () => {
  const missing = classifyFailure({
    ...base,
    stderr: ["/dev/video0: No such file or directory"],
  });
  assert.equal(missing.code, "device-not-found");
  assert.match(missing.message, /v4l2-ctl --list-devices/);
  const denied = classifyFailure({ ...base, stderr: ["/dev/video0: Permission denied"] });
  assert.equal(denied.code, "permission-denied");
  assert.match(denied.message, /usermod -aG video/);
});

Deno.test("A camera that rejects the requested format says how to list its formats", () => {
  const error = classifyFailure({
    ...base,
    stderr: ["[video4linux2,v4l2 @ 0x1] Cannot find a proper format for codec 'none'"],
  });
  assert.equal(error.code, "open-failed");
  assert.match(error.message, /ffmpeg -f v4l2 -list_formats all -i \/dev\/video0/);
});

Deno.test("Failures after frames have flowed are ProcessExitedErrors with the stderr tail", () => {
  const error = classifyFailure({
    ...base,
    kind: "stream",
    input: "rtsp://cam/live",
    framesRead: 120,
    exitCode: 1,
    stderr: [
      "a",
      "b",
      "c",
      "[rtsp @ 0x1] RTP: missed 40 packets",
      "rtsp://cam/live: Connection timed out",
    ],
  });
  assert.ok(error instanceof ProcessExitedError);
  assert.equal(error.framesRead, 120);
  assert.equal(error.exitCode, 1);
  assert.match(error.message, /after 120 frame/);
  assert.match(
    error.message,
    /c \| \[rtsp @ 0x1\] RTP: missed 40 packets \| rtsp:\/\/cam\/live: Connection timed out/,
  );
  assert.doesNotMatch(error.message, /\ba \| b\b/, "only the last three lines go in the message");
});

Deno.test("rpicam-vid failures get Raspberry Pi advice", () => {
  const pi = { ...base, tool: "rpicam-vid", input: "Raspberry Pi camera 0" };
  assert.equal(
    classifyFailure({ ...pi, stderr: ["ERROR: *** no cameras available ***"] }).code,
    "device-not-found",
  );
  const busy = classifyFailure({
    ...pi,
    stderr: ["ERROR: *** failed to acquire camera /base/soc/i2c0mux/i2c@1/imx708@1a ***"],
  });
  assert.equal(busy.code, "device-busy");
  const other = classifyFailure({ ...pi, stderr: ["ERROR: *** bad mode ***"] });
  assert.equal(other.code, "open-failed");
  assert.match(other.message, /rpicam-hello --list-cameras/);
});

Deno.test("Error classes carry their name, code, data and cause", () => {
  const cause = new Deno.errors.NotFound("nope");
  const missing = new ToolNotFoundError("ffmpeg", "ffmpeg", "install it", { cause });
  assert.ok(missing instanceof CaptureError);
  assert.equal(missing.name, "ToolNotFoundError");
  assert.equal(missing.code, "tool-missing");
  assert.equal(missing.cause, cause);
  assert.equal(missing.message, 'Cannot run ffmpeg: "ffmpeg" was not found on PATH; install it');
  const plain = new CaptureError("closed", "Cannot read: stopped");
  assert.equal(plain.name, "CaptureError");
  assert.deepEqual(plain.stderr, []);
  assert.ok(Object.isFrozen(plain.stderr));
});
