import assert from "node:assert/strict";
import { Pacer } from "./_window.mjs";
import { PYTHON_CANDIDATES } from "./_python.ts";

const CEILING = new URL("./zmq_ceiling/", import.meta.url).pathname;

/** The first candidate Python that runs, or undefined (the tests are then skipped). */
async function findPython(): Promise<string | undefined> {
  for (const python of PYTHON_CANDIDATES) {
    try {
      const out = await new Deno.Command(python, { args: ["-c", "pass"], stderr: "null" }).output();
      if (out.success) return python;
    } catch {
      // Not there: try the next.
    }
  }
  return undefined;
}
const python = await findPython();

/** Runs Python code with zmq_ceiling/ on its path; returns its stdout parsed as JSON. */
async function runPython(code: string): Promise<unknown> {
  const out = await new Deno.Command(python!, {
    args: ["-B", "-c", `import sys; sys.path.insert(0, ${JSON.stringify(CEILING)})\n${code}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name: "_py_window.py's Pacer gives the same slots and skips as _window.mjs's",
  ignore: python === undefined,
  async fn() {
    const times = [1001, 1130, 1250, 1720, 1721, 1900];
    const pacer = new Pacer(10, 1000);
    const expected = times.map((t) => [pacer.next(t), pacer.skipped]);
    const got = await runPython(
      "import json\nfrom _py_window import Pacer\np = Pacer(10, 1000)\n" +
        `print(json.dumps([[p.next(t), p.skipped] for t in ${JSON.stringify(times)}]))`,
    );
    assert.deepEqual(got, expected);
  },
});

Deno.test({
  name: "_py_window.py's Window reports the fields of _window.mjs, NaN as null",
  ignore: python === undefined,
  async fn() {
    const got = await runPython(`
import io, json, contextlib
from _py_window import Window, emit, now_ms, percentile
w = Window(1, 0, 0)
w.record(0, 0, now_ms(), 10)  # every port delivered: warm-up of 0 ms
assert w.advance() == "window"
w.record(0, 1, now_ms() - 2, 10)
w.record(0, 4, now_ms() - 2, 10)  # 2 and 3 lost
result = w.advance()
out = io.StringIO()
with contextlib.redirect_stdout(out):
    emit({"event": "result", **result})
print(json.dumps({"line": out.getvalue(), "p": [percentile([1, 2, 3, 4], 0.5), percentile([1, 2, 3, 4], 0.99)]}))
`) as { line: string; p: number[] };
    const line = JSON.parse(got.line);
    assert.deepEqual(Object.keys(line).sort(), [
      "cpuPct",
      "event",
      "fps",
      "frames",
      "lost",
      "lostPct",
      "max",
      "mbps",
      "netP50",
      "netP99",
      "p50",
      "p99",
      "perPortFps",
      "rssMB",
      "seconds",
    ]);
    assert.equal(line.frames, 2);
    assert.equal(line.lost, 2);
    assert.equal(line.lostPct, 50);
    assert.equal(line.netP50, null, "NaN goes out as null: JSON.parse rejects NaN");
    assert.ok(line.p50 >= 2 && line.p50 < 100, `p50 ${line.p50}`);
    assert.deepEqual(got.p, [2, 4], "nearest rank, as percentile() in _window.mjs");
  },
});
