// Shared fixtures for the capture tests: whether ffmpeg is here, clips made by
// ffmpeg in a temp dir, ffmpeg's own decoding of them, and process checks.

/** True when `ffmpeg -version` runs. */
async function ffmpegRuns(): Promise<boolean> {
  try {
    const out = await new Deno.Command("ffmpeg", {
      args: ["-version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

const HAVE_FFMPEG = await ffmpegRuns();
const IN_CI = Deno.env.get("CI") === "true";

/**
 * `ignore:` value for tests that need ffmpeg: skip when it is missing, except
 * in CI (CI=true), where a missing ffmpeg must fail the run.
 */
export const NO_FFMPEG: boolean = !HAVE_FFMPEG && !IN_CI;

if (NO_FFMPEG) {
  console.warn(
    "capture tests: ffmpeg not found on PATH, so the tests that need it are ignored " +
      "(install it with: sudo apt-get install ffmpeg; with CI=true they fail instead)",
  );
}

let tempDir: string | undefined;

/** A temp dir for this test process, removed when it exits. */
export function testDir(): string {
  if (tempDir === undefined) {
    tempDir = Deno.makeTempDirSync({ prefix: "capture_test_" });
    const dir = tempDir;
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // Already gone.
      }
    });
  }
  return tempDir;
}

/** Runs a command to completion; throws with its stderr on failure. */
export async function run(cmd: string, args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

/** How a test clip is made. */
export interface ClipSpec {
  width: number;
  height: number;
  frames: number;
  fps?: number;
  codec?: string;
  ext?: string;
}

const clips = new Map<string, Promise<string>>();

/** A testsrc2 clip of exactly `spec.frames` frames, made once per spec. */
export function clip(spec: ClipSpec): Promise<string> {
  const { width, height, frames, fps = 30, codec = "ffv1", ext = "mkv" } = spec;
  const key = `${width}x${height}_${frames}_${fps}_${codec}.${ext}`;
  let made = clips.get(key);
  if (made === undefined) {
    const path = `${testDir()}/clip_${key}`;
    made = run("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${width}x${height}:rate=${fps}`,
      "-frames:v",
      String(frames),
      "-c:v",
      codec,
      path,
    ]).then(() => path);
    clips.set(key, made);
  }
  return made;
}

/**
 * ffmpeg's own decoding of `file` (`ffmpeg [inputOptions] -i file [-vf ...] -f rawvideo
 * -pix_fmt <fmt> -`), split into frames of `frameBytes`.
 */
export async function referenceFrames(
  file: string,
  pixFmt: string,
  frameBytes: number,
  filter?: string,
  inputOptions: string[] = [],
): Promise<Uint8Array[]> {
  const raw = await run("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    ...inputOptions,
    "-i",
    file,
    ...(filter === undefined ? [] : ["-vf", filter]),
    "-f",
    "rawvideo",
    "-pix_fmt",
    pixFmt,
    "-",
  ]);
  if (raw.length % frameBytes !== 0) {
    throw new Error(`reference output ${raw.length} bytes is not whole ${frameBytes}-byte frames`);
  }
  const frames: Uint8Array[] = [];
  for (let at = 0; at < raw.length; at += frameBytes) {
    frames.push(raw.subarray(at, at + frameBytes));
  }
  return frames;
}

/** Hex SHA-256 of `data`. */
export async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * True when process `pid` no longer exists. `kill -0` succeeds for a zombie
 * (exited but not reaped), so one counts as still there. (Deno itself needs
 * -A to read /proc, and `ps` is missing from minimal images.)
 */
export async function processGone(pid: number): Promise<boolean> {
  const out = await new Deno.Command("sh", {
    args: ["-c", 'kill -0 "$1" 2>/dev/null', "sh", String(pid)],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  return !out.success;
}

/** Writes an executable shell script into the test dir and returns its path. */
export async function script(name: string, body: string): Promise<string> {
  const path = `${testDir()}/${name}`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}
