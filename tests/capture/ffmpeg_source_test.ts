import assert from "node:assert/strict";
import { delay } from "../../actors/abort.ts";
import {
  CaptureError,
  FfmpegSource,
  type Frame,
  type PixelFormat,
  probe,
  ProcessExitedError,
  ToolNotFoundError,
} from "../../capture/mod.ts";
import {
  clip,
  NO_FFMPEG,
  processGone,
  referenceFrames,
  run,
  script,
  sha256,
  testDir,
} from "./_helpers.ts";

const W = 320;
const H = 240;
const FRAMES = 30;
const BYTES = W * H * 3;

const ffv1 = (): Promise<string> => clip({ width: W, height: H, frames: FRAMES });

async function readAll(source: FfmpegSource): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const frame of source) frames.push(frame);
  return frames;
}

async function rejectsWith(
  promise: Promise<unknown>,
  check: (error: CaptureError) => void,
): Promise<CaptureError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CaptureError, `expected a CaptureError, got ${error}`);
    check(error);
    return error;
  }
  assert.fail("expected the promise to reject");
}

Deno.test({
  name: "FfmpegSource reads every frame of a file at its size, matching ffmpeg's own decoding",
  ignore: NO_FFMPEG,
  async fn() {
    const file = await ffv1();
    const reference = await referenceFrames(file, "bgr24", BYTES);
    assert.equal(reference.length, FRAMES);
    const source = new FfmpegSource({ input: file });
    assert.equal(source.kind, "file");
    const frames = await readAll(source);
    assert.equal(frames.length, FRAMES);
    assert.deepEqual(source.info, { width: W, height: H, fps: 30, pixelFormat: "bgr24" });
    for (const frame of frames) {
      assert.equal(frame.width, W);
      assert.equal(frame.height, H);
      assert.equal(frame.channels, 3);
      assert.equal(frame.format, "bgr24");
      assert.equal(frame.data.length, BYTES);
    }
    for (const i of [0, 1, 14, 29]) {
      assert.equal(await sha256(frames[i].data), await sha256(reference[i]), `frame ${i}`);
    }
    // Each frame owns its bytes: frame 0 is intact after all the others were read.
    assert.notEqual(frames[0].data.buffer, frames[1].data.buffer);
    const stats = source.stats();
    assert.equal(stats.framesRead, FRAMES);
    assert.equal(stats.framesDelivered, FRAMES);
    assert.equal(stats.dropped, 0);
    assert.equal(stats.queueOverflow, "backpressure");
    assert.equal(stats.state, "stopped");
  },
});

Deno.test({
  name: "FfmpegSource reads an mpeg4 .avi clip frame for frame like ffmpeg",
  ignore: NO_FFMPEG,
  async fn() {
    const file = await clip({ width: W, height: H, frames: 12, codec: "mpeg4", ext: "avi" });
    const reference = await referenceFrames(file, "bgr24", BYTES);
    const frames = await readAll(new FfmpegSource({ input: file, width: W, height: H }));
    assert.equal(frames.length, 12);
    for (let i = 0; i < frames.length; i++) {
      assert.equal(await sha256(frames[i].data), await sha256(reference[i]), `frame ${i}`);
    }
  },
});

Deno.test({
  name: "FfmpegSource with reuseBuffers recycles a frame's memory after the next read",
  ignore: NO_FFMPEG,
  async fn() {
    const file = await ffv1();
    const reference = await referenceFrames(file, "bgr24", BYTES);
    const source = new FfmpegSource({ input: file, reuseBuffers: true });
    const frames: Frame[] = [];
    for await (const frame of source) {
      // Valid until the next read: check it now.
      assert.equal(await sha256(frame.data), await sha256(reference[frames.length]));
      frames.push(frame);
    }
    assert.equal(frames.length, FRAMES);
    // A recycled buffer is handed to the next pipe read, which detaches the old view.
    assert.ok(frames.some((frame) => frame.data.byteLength === 0), "buffers were reused");
  },
});

Deno.test({
  name: "FfmpegSource reads a lavfi input as fast as it decodes when realtime is off",
  ignore: NO_FFMPEG,
  async fn() {
    const source = new FfmpegSource({
      input: "testsrc2=size=160x120:rate=5",
      inputOptions: ["-f", "lavfi"],
      realtime: false,
    });
    assert.equal(source.kind, "lavfi");
    await source.start();
    assert.deepEqual(source.info, { width: 160, height: 120, fps: 5, pixelFormat: "bgr24" });
    const hashes = new Set<string>();
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      const frame = await source.read();
      assert.ok(frame !== null);
      assert.equal(frame.data.length, 160 * 120 * 3);
      hashes.add(await sha256(frame.data));
    }
    // 20 frames of a 5 fps source would take 4 s if paced: unpaced is far
    // quicker, whatever the machine's load.
    assert.ok(performance.now() - t0 < 2000, `took ${performance.now() - t0} ms`);
    assert.ok(hashes.size > 1, "a test pattern moves");
    assert.equal(source.stats().queueOverflow, "backpressure");
    await source.stop();
    assert.ok(await processGone(source.pids[0]));
  },
});

Deno.test({
  name: "FfmpegSource paces a lavfi input at its rate by default and drops the oldest",
  ignore: NO_FFMPEG,
  async fn() {
    await using source = new FfmpegSource({
      input: "testsrc2=size=64x48:rate=40",
      inputOptions: ["-f", "lavfi"],
    });
    await source.start();
    assert.equal(source.stats().queueOverflow, "drop-oldest");
    const t0 = performance.now();
    for (let i = 0; i < 12; i++) assert.ok(await source.read() !== null);
    // 11 intervals of 25 ms after the first frame; generous bounds for a busy machine.
    const elapsed = performance.now() - t0;
    assert.ok(elapsed > 200 && elapsed < 2000, `12 paced frames took ${elapsed} ms`);
  },
});

Deno.test({
  name:
    "FfmpegSource scales to the requested size, keeping the aspect ratio when one side is given",
  ignore: NO_FFMPEG,
  async fn() {
    const file = await ffv1();
    const reference = await referenceFrames(file, "bgr24", 160 * 120 * 3, "scale=160:120");
    const both = await readAll(new FfmpegSource({ input: file, width: 160, height: 120 }));
    assert.equal(both.length, FRAMES);
    assert.equal(both[0].width, 160);
    assert.equal(both[0].height, 120);
    assert.equal(both[0].data.length, 160 * 120 * 3);
    assert.equal(await sha256(both[5].data), await sha256(reference[5]));

    const source = new FfmpegSource({ input: file, width: 160 });
    const one = await readAll(source);
    assert.equal(source.info.height, 120);
    assert.equal(one[0].data.length, 160 * 120 * 3);
  },
});

Deno.test({
  name: "FfmpegSource delivers each pixel format as ffmpeg converts it",
  ignore: NO_FFMPEG,
  async fn(t) {
    const file = await ffv1();
    const firstOf = async (pixelFormat: PixelFormat): Promise<Frame> => {
      await using source = new FfmpegSource({ input: file, pixelFormat });
      const frame = await source.read();
      assert.ok(frame !== null);
      return frame;
    };
    const cases: [PixelFormat, number, string][] = [
      ["bgr24", 3, "bgr24"],
      ["rgb24", 3, "rgb24"],
      ["rgba", 4, "rgba"],
      ["gray", 1, "gray"],
    ];
    const frames = new Map<PixelFormat, Frame>();
    for (const [format, channels, ffmpegName] of cases) {
      await t.step(format, async () => {
        const frame = await firstOf(format);
        frames.set(format, frame);
        assert.equal(frame.format, format);
        assert.equal(frame.channels, channels);
        assert.equal(frame.data.length, W * H * channels);
        const [expected] = await referenceFrames(file, ffmpegName, W * H * channels);
        assert.equal(await sha256(frame.data), await sha256(expected));
      });
    }
    await t.step("rgb24 is bgr24 with red and blue swapped; rgba adds opaque alpha", () => {
      const bgr = frames.get("bgr24")!.data;
      const rgb = frames.get("rgb24")!.data;
      const rgba = frames.get("rgba")!.data;
      for (let p = 0; p < W * H; p += 97) {
        assert.deepEqual([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]], [
          bgr[3 * p + 2],
          bgr[3 * p + 1],
          bgr[3 * p],
        ]);
        assert.deepEqual([...rgba.subarray(4 * p, 4 * p + 3)], [...rgb.subarray(3 * p, 3 * p + 3)]);
        assert.equal(rgba[4 * p + 3], 255);
      }
    });
  },
});

Deno.test({
  name: "FfmpegSource with backpressure loses no frame under a slow consumer",
  ignore: NO_FFMPEG,
  async fn() {
    const file = await ffv1();
    const reference = await referenceFrames(file, "bgr24", BYTES);
    const source = new FfmpegSource({
      input: file,
      queue: { capacity: 2, overflow: "backpressure" },
    });
    let n = 0;
    for await (const frame of source) {
      const stats = source.stats();
      // The reader stops once the queue is full: it never runs ahead by more than that.
      assert.ok(stats.queueDepth <= 2);
      assert.ok(stats.framesRead - stats.framesDelivered <= 2, JSON.stringify(stats));
      assert.equal(await sha256(frame.data), await sha256(reference[n]), `frame ${n} in order`);
      n++;
      await delay(10);
    }
    assert.equal(n, FRAMES);
    assert.equal(source.stats().dropped, 0);
  },
});

Deno.test({
  name: "FfmpegSource with drop-oldest discards the oldest frames under a slow consumer",
  ignore: NO_FFMPEG,
  async fn() {
    const file = await ffv1();
    const reference = await referenceFrames(file, "bgr24", BYTES);
    const indexOf = new Map<string, number>();
    for (let i = 0; i < reference.length; i++) indexOf.set(await sha256(reference[i]), i);
    const source = new FfmpegSource({
      input: file,
      queue: { capacity: 2, overflow: "drop-oldest" },
    });
    const seen: number[] = [];
    for await (const frame of source) {
      const index = indexOf.get(await sha256(frame.data));
      assert.ok(index !== undefined, "every delivered frame is one of the file's frames");
      seen.push(index);
      assert.ok(source.stats().queueDepth <= 2);
      // Slower than ffmpeg decodes 320x240 frames, so the queue overflows.
      await delay(40);
    }
    const stats = source.stats();
    assert.ok(stats.dropped > 0, "some frames were dropped");
    assert.equal(stats.framesRead, FRAMES);
    assert.equal(stats.framesDelivered + stats.dropped, FRAMES);
    assert.equal(seen.length, stats.framesDelivered);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], "order is kept");
    // The newest frame always survives drop-oldest.
    assert.equal(seen.at(-1), FRAMES - 1);
  },
});

Deno.test({
  name: "FfmpegSource with drop-newest keeps the queued frames and discards the new ones",
  ignore: NO_FFMPEG,
  async fn() {
    const file = await ffv1();
    const reference = await referenceFrames(file, "bgr24", BYTES);
    const indexOf = new Map<string, number>();
    for (let i = 0; i < reference.length; i++) indexOf.set(await sha256(reference[i]), i);
    const source = new FfmpegSource({
      input: file,
      queue: { capacity: 2, overflow: "drop-newest" },
    });
    const seen: number[] = [];
    for await (const frame of source) {
      const index = indexOf.get(await sha256(frame.data));
      assert.ok(index !== undefined, "every delivered frame is one of the file's frames");
      seen.push(index);
      await delay(40);
    }
    const stats = source.stats();
    assert.equal(stats.queueOverflow, "drop-newest");
    assert.ok(stats.dropped > 0, "some frames were dropped");
    assert.equal(stats.framesDelivered + stats.dropped, FRAMES);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], "order is kept");
    // The first frames always survive drop-newest.
    assert.deepEqual(seen.slice(0, 2), [0, 1]);
  },
});

Deno.test({
  name: "Leaving a for-await loop early kills ffmpeg and reaps it",
  ignore: NO_FFMPEG,
  async fn() {
    const source = new FfmpegSource({
      input: "testsrc2=size=160x120:rate=30",
      inputOptions: ["-f", "lavfi"],
      realtime: false,
    });
    let n = 0;
    for await (const _frame of source) {
      if (++n === 3) break;
    }
    assert.equal(source.pids.length, 1);
    assert.ok(await processGone(source.pids[0]), `ffmpeg ${source.pids[0]} is still there`);
    assert.equal(source.stats().state, "stopped");
    assert.equal(await source.read(), null);
  },
});

Deno.test({
  name: "stop() ends ffmpeg while it is blocked by backpressure; the source is single-use",
  ignore: NO_FFMPEG,
  async fn() {
    const file = await ffv1();
    const source = new FfmpegSource({ input: file, queue: { capacity: 1 } });
    assert.ok(await source.read() !== null);
    await source.stop();
    await source.stop();
    assert.ok(await processGone(source.pids[0]));
    assert.equal(await source.read(), null);
    await rejectsWith(source.start(), (e) => assert.equal(e.code, "closed"));
  },
});

Deno.test({
  name: "await using stops the source at the end of the block",
  ignore: NO_FFMPEG,
  async fn() {
    let pid = 0;
    {
      await using source = new FfmpegSource({ input: await ffv1() });
      await source.read();
      pid = source.pids[0];
    }
    assert.ok(pid > 0 && await processGone(pid));
  },
});

Deno.test({
  name: "A pending read resolves null when the source stops",
  ignore: NO_FFMPEG,
  async fn() {
    const source = new FfmpegSource({
      input: "testsrc2=size=64x48:rate=1",
      inputOptions: ["-f", "lavfi"],
    });
    assert.ok(await source.read() !== null);
    const pending = source.read(); // the next frame is a second away
    await source.stop();
    assert.equal(await pending, null);
    assert.ok(await processGone(source.pids[0]));
  },
});

Deno.test({
  name: "Aborting a read rejects it with the reason and leaves the source running",
  ignore: NO_FFMPEG,
  async fn() {
    await using source = new FfmpegSource({
      input: "testsrc2=size=64x48:rate=4",
      inputOptions: ["-f", "lavfi"],
    });
    assert.ok(await source.read() !== null);
    const controller = new AbortController();
    const pending = source.read({ signal: controller.signal });
    const reason = new Error("not waiting");
    controller.abort(reason);
    await assert.rejects(pending, (error) => error === reason);
    assert.equal(source.stats().state, "running");
    assert.ok(await source.read() !== null);
  },
});

Deno.test({
  name: "Aborting start() kills an ffmpeg that is stuck opening its input",
  ignore: NO_FFMPEG,
  async fn() {
    // A FIFO nobody writes to: ffmpeg opens it and then waits for data forever.
    const fifo = `${testDir()}/stuck.fifo`;
    await run("mkfifo", [fifo]);
    const source = new FfmpegSource({ input: fifo, width: 64, height: 48, fps: 30 });
    const controller = new AbortController();
    const starting = source.start({ signal: controller.signal });
    // Opening the write end completes once ffmpeg has opened the read end.
    const writer = await Deno.open(fifo, { write: true });
    const reason = new Error("gave up waiting");
    controller.abort(reason);
    await assert.rejects(starting, (e) => e === reason);
    assert.equal(source.stats().state, "failed");
    assert.ok(await processGone(source.pids[0]));
    writer.close();
  },
});

Deno.test({
  name: "FfmpegSource.info before start throws a not-started CaptureError",
  fn() {
    const source = new FfmpegSource({ input: "clip.mkv" });
    assert.throws(() => source.info, (e) => e instanceof CaptureError && e.code === "not-started");
  },
});

Deno.test({
  name: "FfmpegSource says how to install ffmpeg when it is missing",
  ignore: NO_FFMPEG,
  async fn() {
    const source = new FfmpegSource({
      input: await ffv1(),
      width: W,
      height: H,
      fps: 30,
      ffmpegPath: "/nonexistent/ffmpeg",
    });
    const error = await rejectsWith(source.start(), (e) => assert.equal(e.code, "tool-missing"));
    assert.ok(error instanceof ToolNotFoundError);
    assert.equal(error.tool, "ffmpeg");
    assert.match(error.message, /apt-get install ffmpeg/);
    assert.match(error.message, /brew install ffmpeg/);
    assert.match(error.message, /ffmpegPath/);
    assert.equal(source.stats().state, "failed");
    await rejectsWith(source.read(), (e) => assert.equal(e, error));
  },
});

Deno.test({
  name: "FfmpegSource says how to get ffprobe when it is missing and a probe is needed",
  ignore: NO_FFMPEG,
  async fn() {
    const source = new FfmpegSource({ input: await ffv1(), ffprobePath: "/nonexistent/ffprobe" });
    const error = await rejectsWith(source.start(), (e) => assert.equal(e.code, "tool-missing"));
    assert.ok(error instanceof ToolNotFoundError);
    assert.equal(error.tool, "ffprobe");
    assert.match(error.message, /give width, height and fps/);
  },
});

Deno.test({
  name: "FfmpegSource reports a camera that does not exist",
  // Without -A Deno may not stat /dev paths, so ffmpeg's own error is what gets classified.
  ignore: NO_FFMPEG,
  async fn() {
    const source = new FfmpegSource({ input: "/dev/video99", width: 640, height: 480, fps: 30 });
    assert.equal(source.kind, "camera");
    const error = await rejectsWith(
      source.start(),
      (e) => assert.equal(e.code, "device-not-found"),
    );
    assert.match(error.message, /Cannot open camera "\/dev\/video99": the device does not exist/);
    assert.match(error.message, /v4l2-ctl --list-devices/);
  },
});

Deno.test({
  name: "FfmpegSource reports a file that does not exist",
  async fn() {
    const source = new FfmpegSource({ input: `${testDir()}/missing.mkv` });
    const error = await rejectsWith(source.start(), (e) => assert.equal(e.code, "file-not-found"));
    assert.match(error.message, /missing\.mkv": it does not exist; check the path/);
  },
});

Deno.test({
  name: "FfmpegSource reports a file it cannot decode, and leaves no process behind",
  ignore: NO_FFMPEG,
  async fn(t) {
    const garbage = `${testDir()}/garbage.mkv`;
    await Deno.writeFile(garbage, crypto.getRandomValues(new Uint8Array(50_000)));
    await t.step("when ffprobe reads it", async () => {
      const source = new FfmpegSource({ input: garbage });
      const error = await rejectsWith(
        source.start(),
        (e) => assert.equal(e.code, "file-unreadable"),
      );
      assert.match(error.message, /Invalid data found when processing input/);
      assert.match(error.message, /ffprobe/);
    });
    await t.step("when ffmpeg reads it", async () => {
      const source = new FfmpegSource({ input: garbage, width: W, height: H, fps: 30 });
      const error = await rejectsWith(
        source.start(),
        (e) => assert.equal(e.code, "file-unreadable"),
      );
      assert.ok(error.stderr.some((line) => line.includes("Invalid data found")));
      assert.ok(await processGone(source.pids[0]));
    });
  },
});

Deno.test({
  name: "FfmpegSource reports a stream that fails to open",
  ignore: NO_FFMPEG,
  async fn(t) {
    // Nothing listens on port 1, so the connection is refused at once.
    for (const input of ["http://127.0.0.1:1/video.mp4", "rtsp://127.0.0.1:1/live"]) {
      await t.step(input, async () => {
        const source = new FfmpegSource({ input, width: W, height: H, fps: 30 });
        assert.equal(source.kind, "stream");
        const error = await rejectsWith(
          source.start(),
          (e) => assert.equal(e.code, "stream-open-failed"),
        );
        assert.match(error.message, /Connection refused/);
        assert.match(error.message, /check the URL/);
      });
    }
    await t.step("through ffprobe", async () => {
      const source = new FfmpegSource({ input: "http://127.0.0.1:1/video.mp4" });
      await rejectsWith(source.start(), (e) => assert.equal(e.code, "stream-open-failed"));
    });
  },
});

Deno.test({
  name: "FfmpegSource delivers the frames read, then reports ffmpeg exiting mid-stream",
  ignore: NO_FFMPEG,
  async fn() {
    // Stands in for an ffmpeg that fails after three frames.
    const failing = await script(
      "failing_ffmpeg.sh",
      "ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=64x48:rate=30 " +
        "-frames:v 3 -f rawvideo -pix_fmt bgr24 pipe:1\n" +
        'echo "[h264 @ 0x0] decode_slice_header error" >&2\n' +
        'echo "Error while decoding stream #0:0: Invalid data found when processing input" >&2\n' +
        "exit 187",
    );
    const source = new FfmpegSource({
      input: "camera-feed.mkv.part",
      inputOptions: ["-f", "matroska"],
      width: 64,
      height: 48,
      fps: 30,
      ffmpegPath: failing,
    });
    let frames = 0;
    let caught: unknown;
    try {
      for await (const _frame of source) frames++;
    } catch (error) {
      caught = error;
    }
    assert.equal(frames, 3);
    assert.ok(caught instanceof ProcessExitedError, `got ${caught}`);
    assert.equal(caught.code, "process-exited");
    assert.equal(caught.exitCode, 187);
    assert.equal(caught.framesRead, 3);
    assert.deepEqual(caught.stderr.slice(-1), [
      "Error while decoding stream #0:0: Invalid data found when processing input",
    ]);
    assert.match(caught.message, /exited with code 187 mid-stream after 3 frame/);
    assert.match(caught.message, /Error while decoding stream/);
    assert.ok(await processGone(source.pids[0]));
  },
});

Deno.test({
  name: "FfmpegSource reports ffmpeg killed mid-stream by a signal",
  ignore: NO_FFMPEG,
  async fn() {
    const source = new FfmpegSource({
      input: "testsrc2=size=64x48:rate=30",
      inputOptions: ["-f", "lavfi"],
      realtime: false,
    });
    assert.ok(await source.read() !== null);
    Deno.kill(source.pids[0], "SIGKILL");
    const error = await rejectsWith(
      (async () => {
        while (await source.read() !== null) { /* drain what was queued */ }
      })(),
      (e) => assert.equal(e.code, "process-exited"),
    );
    assert.ok(error instanceof ProcessExitedError);
    assert.equal(error.signal, "SIGKILL");
    assert.match(error.message, /was killed by SIGKILL mid-stream/);
    assert.equal(source.stats().state, "failed");
    await source.stop();
  },
});

Deno.test("FfmpegSource rejects bad options, naming the option, the value and the choices", async (t) => {
  const cases: [string, Record<string, unknown>, ErrorConstructor, RegExp][] = [
    ["no input", {}, TypeError, /option "input" is required/],
    ["empty input", { input: "" }, TypeError, /"input" must be a non-empty string, got ""/],
    [
      "zero width",
      { input: "a.mkv", width: 0 },
      RangeError,
      /"width" must be an integer from 1 to 16384, got 0/,
    ],
    [
      "string height",
      { input: "a.mkv", height: "480" },
      TypeError,
      /"height" must be a number, got "480"/,
    ],
    [
      "negative fps",
      { input: "a.mkv", fps: -5 },
      RangeError,
      /"fps" must be a number from 0.001 to 1000, got -5/,
    ],
    [
      "pixel format",
      { input: "a.mkv", pixelFormat: "yuv420p" },
      RangeError,
      /"pixelFormat" must be one of "bgr24", "rgb24", "rgba", "gray", got "yuv420p"/,
    ],
    [
      "queue overflow",
      { input: "a.mkv", queue: { overflow: "fifo" } },
      RangeError,
      /"queue.overflow" must be one of "backpressure", "drop-oldest", "drop-newest", got "fifo"/,
    ],
    [
      "queue policy, the deprecated name of overflow",
      { input: "a.mkv", queue: { policy: "fifo" } },
      RangeError,
      /"queue.policy" must be one of "backpressure", "drop-oldest", "drop-newest", got "fifo"/,
    ],
    [
      "queue overflow and policy both",
      { input: "a.mkv", queue: { overflow: "drop-oldest", policy: "drop-oldest" } },
      TypeError,
      /"queue.overflow" and "queue.policy" are both given/,
    ],
    [
      "queue capacity",
      { input: "a.mkv", queue: { capacity: 0 } },
      RangeError,
      /"queue.capacity" must be an integer from 1 to 1024, got 0/,
    ],
    [
      "unknown option",
      { input: "a.mkv", widht: 640 },
      TypeError,
      /unknown option "widht"; valid options: input, inputOptions, width/,
    ],
    [
      "input options",
      { input: "a.mkv", inputOptions: "-f lavfi" },
      TypeError,
      /"inputOptions" must be an array of strings/,
    ],
    [
      "loop on a camera",
      { input: "/dev/video0", loop: true },
      RangeError,
      /"loop" needs a file input, got a camera/,
    ],
    [
      "loop on a stream",
      { input: "rtsp://cam/live", loop: true },
      RangeError,
      /"loop" needs a file input, got a stream/,
    ],
    [
      "realtime",
      { input: "a.mkv", realtime: "yes" },
      TypeError,
      /"realtime" must be true or false, got "yes"/,
    ],
  ];
  for (const [label, options, type, message] of cases) {
    await t.step(label, () => {
      assert.throws(
        () => new FfmpegSource(options as unknown as { input: string }),
        (error) => error instanceof type && message.test((error as Error).message),
      );
    });
  }
});

Deno.test("FfmpegSource recognises the kind of input and picks the queue overflow policy from it", () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{ input: "clip.mp4" }, "file", "backpressure"],
    [{ input: "file:///tmp/clip.mp4" }, "file", "backpressure"],
    [{ input: "/dev/video0" }, "camera", "drop-oldest"],
    [{ input: "0", inputOptions: ["-f", "avfoundation"] }, "camera", "drop-oldest"],
    [{ input: "rtsp://10.0.0.2/stream" }, "stream", "drop-oldest"],
    [{ input: "https://example.com/live.m3u8" }, "stream", "drop-oldest"],
    [{ input: "testsrc2", inputOptions: ["-f", "lavfi"] }, "lavfi", "drop-oldest"],
    [
      { input: "testsrc2", inputOptions: ["-f", "lavfi"], realtime: false },
      "lavfi",
      "backpressure",
    ],
    [{ input: "clip.mp4", queue: { overflow: "drop-oldest" } }, "file", "drop-oldest"],
    [{ input: "/dev/video0", queue: { overflow: "drop-newest" } }, "camera", "drop-newest"],
    // The deprecated name still works, and so does the deprecated stat.
    [{ input: "clip.mp4", queue: { policy: "drop-oldest" } }, "file", "drop-oldest"],
  ];
  for (const [options, kind, overflow] of cases) {
    const source = new FfmpegSource(options as unknown as { input: string });
    assert.equal(source.kind, kind, JSON.stringify(options));
    assert.equal(source.stats().queueOverflow, overflow, JSON.stringify(options));
    assert.equal(source.stats().queuePolicy, overflow, JSON.stringify(options));
    assert.equal(source.stats().queueCapacity, 4);
  }
});

Deno.test({
  name: "probe() reads size and frame rate with ffprobe",
  ignore: NO_FFMPEG,
  async fn() {
    const lavfi = await probe("testsrc2=size=320x240:rate=25", { inputOptions: ["-f", "lavfi"] });
    assert.equal(lavfi.width, 320);
    assert.equal(lavfi.height, 240);
    assert.equal(lavfi.fps, 25);
    const avi = await probe(
      await clip({ width: W, height: H, frames: 12, codec: "mpeg4", ext: "avi" }),
    );
    assert.deepEqual([avi.width, avi.height, avi.fps, avi.codec, avi.frames], [
      W,
      H,
      30,
      "mpeg4",
      12,
    ]);
    const aborted = AbortSignal.abort(new Error("no"));
    await assert.rejects(probe("x.mkv", { signal: aborted }), /no/);
  },
});
