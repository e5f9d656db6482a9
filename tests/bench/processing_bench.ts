// Cost per frame of the built-in processors (what the tests used to time).
// Run: deno bench tests/bench/processing_bench.ts
import { MotionDetector } from "../../actors/processing/mod.ts";

/** Two 640x480 BGR frames: a 100-pixel block that shifts by 50 between them. */
const frames = [0, 1].map((n) => {
  const data = new Uint8Array(640 * 480 * 3).fill(100);
  for (let y = 100; y < 200; y++) {
    data.fill(250, (y * 640 + 100 + n * 50) * 3, (y * 640 + 200 + n * 50) * 3);
  }
  return { width: 640, height: 480, channels: 3, data };
});

for (const downscale of [1, 2, 4]) {
  const detector = new MotionDetector({ downscale });
  let seq = 0;
  Deno.bench({
    name: `MotionDetector, 640x480 bgr24, downscale ${downscale}`,
    group: "motion",
    baseline: downscale === 1,
    fn(): void {
      detector.process({ port: 1, frame: frames[seq % 2], message: undefined, seq, data: {} });
      seq++;
    },
  });
}
