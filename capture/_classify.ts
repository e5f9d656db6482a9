// Turns a failed capture process (its stderr, exit status and the kind of
// input) into a CaptureError whose message says how to fix it. Private to capture/.

import { CaptureError, ProcessExitedError, ToolNotFoundError } from "./errors.ts";

/** What an ffmpeg input is, which decides defaults and error messages. */
export type InputKind = "camera" | "file" | "stream" | "lavfi" | "other";

/** How to install ffmpeg (ffprobe ships with it). */
export const FFMPEG_INSTALL_HINT =
  "install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg; " +
  "others: https://ffmpeg.org/download.html) or pass its path in the ffmpegPath option";

/** How to install ffprobe. */
export const FFPROBE_INSTALL_HINT =
  "ffprobe ships with ffmpeg: install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; " +
  "macOS: brew install ffmpeg; others: https://ffmpeg.org/download.html) or pass its path " +
  "in the ffprobePath option; or give width, height and fps so no probe is needed";

/** Everything known about a process that ended badly. */
export interface Failure {
  /** The program, e.g. "ffmpeg". */
  tool: string;
  kind: InputKind;
  input: string;
  stderr: readonly string[];
  exitCode: number | null;
  signal: Deno.Signal | null;
  framesRead: number;
  /** A reason found by the reader itself (e.g. a partial frame), if any. */
  detail?: string;
}

const TAIL_IN_MESSAGE = 3;

function describeExit(f: Failure): string {
  return f.signal !== null ? `was killed by ${f.signal}` : `exited with code ${f.exitCode}`;
}

function lastLines(stderr: readonly string[]): string {
  const tail = stderr.slice(-TAIL_IN_MESSAGE).join(" | ");
  return tail.length > 0 ? tail : "(nothing on stderr)";
}

/** The most telling stderr line: the last one, which ffmpeg prefixes with the input name. */
function reason(stderr: readonly string[]): string {
  return stderr.at(-1) ?? "(nothing on stderr)";
}

function quoted(input: string): string {
  return JSON.stringify(input);
}

/** Builds the error for a capture process that ended badly. */
export function classifyFailure(f: Failure): CaptureError {
  const text = f.stderr.join("\n");
  const options = { input: f.input, stderr: f.stderr };
  if (f.framesRead > 0 || f.detail !== undefined) {
    const what = f.detail ?? `${f.tool} ${describeExit(f)} mid-stream`;
    return new ProcessExitedError(
      `Cannot read frames from ${quoted(f.input)}: ${what} after ${f.framesRead} frame(s); ` +
        `its last stderr lines: ${lastLines(f.stderr)}; check the input is still available ` +
        `and run the same ffmpeg command by hand to see the full log`,
      {
        tool: f.tool,
        exitCode: f.exitCode,
        signal: f.signal,
        framesRead: f.framesRead,
      },
      options,
    );
  }
  if (/rpicam|libcamera/.test(f.tool)) return piCameraFailure(f, text);
  if (/Device or resource busy/i.test(text)) {
    return new CaptureError(
      "device-busy",
      `Cannot open camera ${quoted(f.input)}: the device is busy (${reason(f.stderr)}); ` +
        `close the other program using it (find it with: fuser ${f.input}) and try again`,
      options,
    );
  }
  if (/Permission denied/i.test(text)) {
    const fix = f.kind === "camera"
      ? "add your user to the video group (sudo usermod -aG video $USER, then log in again)"
      : "check the file's permissions";
    return new CaptureError(
      "permission-denied",
      `Cannot open ${quoted(f.input)}: permission denied (${reason(f.stderr)}); ${fix}`,
      options,
    );
  }
  if (f.kind === "camera") {
    if (/No such file or directory|No such device/i.test(text)) {
      return deviceNotFound(f.input, { ...options, detail: reason(f.stderr) });
    }
    return new CaptureError(
      "open-failed",
      `Cannot open camera ${quoted(f.input)}: ${f.tool} ${describeExit(f)} before the first ` +
        `frame (${lastLines(f.stderr)}); check the size, frame rate and pixel format the camera ` +
        `supports with: ffmpeg -f v4l2 -list_formats all -i ${f.input}`,
      options,
    );
  }
  if (f.kind === "stream") {
    return new CaptureError(
      "stream-open-failed",
      `Cannot open stream ${quoted(f.input)}: ${reason(f.stderr)}; check the URL, that the ` +
        `server is running and reachable from here, and any credentials in the URL ` +
        `(for RTSP over TCP add inputOptions ["-rtsp_transport", "tcp"])`,
      options,
    );
  }
  if (f.kind === "file") {
    if (/No such file or directory/i.test(text)) {
      return fileNotFound(f.input, options);
    }
    return new CaptureError(
      "file-unreadable",
      `Cannot read file ${quoted(f.input)}: ${f.tool} cannot decode it (${reason(f.stderr)}); ` +
        `check it is a complete video file (inspect it with: ffprobe ${quoted(f.input)})`,
      options,
    );
  }
  return new CaptureError(
    "open-failed",
    `Cannot open input ${quoted(f.input)}: ${f.tool} ${describeExit(f)} before the first ` +
      `frame (${lastLines(f.stderr)}); check the input string and inputOptions, and run the ` +
      `same ffmpeg command by hand to see the full log`,
    options,
  );
}

/** How to check a Raspberry Pi camera. */
const PI_CAMERA_CHECK =
  "list cameras with: rpicam-hello --list-cameras, and check the ribbon cable and that no " +
  "other program (rpicam-*, libcamera-*, picamera2) is using the camera";

function piCameraFailure(f: Failure, text: string): CaptureError {
  const options = { input: f.input, stderr: f.stderr };
  if (/no cameras available|camera .*not (found|available)|failed to find camera/i.test(text)) {
    return new CaptureError(
      "device-not-found",
      `Cannot open ${f.input}: ${f.tool} found no camera (${reason(f.stderr)}); ${PI_CAMERA_CHECK}`,
      options,
    );
  }
  if (/busy|in use|failed to acquire/i.test(text)) {
    return new CaptureError(
      "device-busy",
      `Cannot open ${f.input}: the camera is busy (${reason(f.stderr)}); stop the other ` +
        `program using it and try again`,
      options,
    );
  }
  return new CaptureError(
    "open-failed",
    `Cannot open ${f.input}: ${f.tool} ${describeExit(f)} before the first frame ` +
      `(${lastLines(f.stderr)}); check the width, height and framerate the camera supports; ` +
      PI_CAMERA_CHECK,
    options,
  );
}

/** The error for a camera path that does not exist. */
export function deviceNotFound(
  input: string,
  options: { stderr?: readonly string[]; cause?: unknown; detail?: string } = {},
): CaptureError {
  return new CaptureError(
    "device-not-found",
    `Cannot open camera ${quoted(input)}: the device does not exist${
      options.detail ? ` (${options.detail})` : ""
    }; list cameras with: ls /dev/video* or v4l2-ctl --list-devices (apt-get install v4l-utils), ` +
      `and check the camera is plugged in`,
    { input, stderr: options.stderr, cause: options.cause },
  );
}

function workingDirectory(): string {
  try {
    return Deno.cwd();
  } catch {
    return "unknown without --allow-read";
  }
}

/** The error for a file that does not exist. */
export function fileNotFound(
  input: string,
  options: { stderr?: readonly string[]; cause?: unknown } = {},
): CaptureError {
  return new CaptureError(
    "file-not-found",
    `Cannot open file ${quoted(input)}: it does not exist; check the path (relative paths ` +
      `resolve against the working directory, ${workingDirectory()})`,
    { input, stderr: options.stderr, cause: options.cause },
  );
}

/**
 * Wraps an error thrown by `Deno.Command#spawn`: a missing program becomes a
 * {@linkcode ToolNotFoundError}, a refused permission a "permission-denied" error.
 */
export function spawnError(tool: string, path: string, hint: string, error: unknown): unknown {
  if (error instanceof Deno.errors.NotFound) {
    return new ToolNotFoundError(tool, path, hint, { cause: error });
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new CaptureError(
      "permission-denied",
      `Cannot run ${tool} ("${path}"): ${(error as Error).message}; grant it with ` +
        `--allow-run (for example --allow-run=ffmpeg,ffprobe) or check the file is executable`,
      { cause: error },
    );
  }
  return error;
}
