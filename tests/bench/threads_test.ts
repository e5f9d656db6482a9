import assert from "node:assert/strict";
import { parseThreadStats, perFrame, readThreads } from "./_threads.ts";

const line = (tid: number, name: string, user: number, system: number): string =>
  `${tid} (${name}) S 1 1 1 0 -1 4194560 0 0 0 0 ${user} ${system} 0 0 20 0 9 0 1 0 0`;

Deno.test("parseThreadStats() groups threads by name, the main thread apart", () => {
  const text = [
    line(40, "node", 100, 20),
    line(41, "node", 7, 1), // Node's helper threads share the main thread's name
    line(42, "ZMQbg/IO/0", 3, 50),
    line(43, "ZMQbg/IO/1", 1, 10),
    line(44, "tokio-runtime-w", 2, 4),
    line(45, "weird (name) x", 1, 1), // a name may hold parentheses
    "garbage",
  ].join("\n");
  const times = parseThreadStats(text, 40);
  assert.deepEqual(Object.fromEntries(times), {
    main: { user: 100, system: 20 },
    node: { user: 7, system: 1 },
    "ZMQbg/IO": { user: 4, system: 60 },
    "tokio-runtime-w": { user: 2, system: 4 },
    "weird (name) x": { user: 1, system: 1 },
  });
});

Deno.test("perFrame() turns tick deltas into µs per frame, busiest first, idle threads left out", () => {
  const before = parseThreadStats([line(1, "a", 10, 0), line(2, "b", 0, 0)].join("\n"), 1);
  const after = parseThreadStats(
    [line(1, "a", 12, 1), line(2, "b", 0, 0), line(3, "c", 5, 5)].join("\n"),
    1,
  );
  assert.deepEqual(perFrame(before, after, 100), {
    c: { user: 500, system: 500 }, // a thread born in the window counts from 0
    main: { user: 200, system: 100 },
  });
});

Deno.test({
  name: "readThreads() reads this process's own threads",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const times = await readThreads(Deno.pid);
    assert.ok(times?.has("main"), `threads: ${[...times?.keys() ?? []]}`);
  },
});
