import assert from "node:assert/strict";
import { findPyzmq, parsePyzmqProbe, pyzmqMissingLine } from "./_python.ts";

Deno.test("parsePyzmqProbe() reads the probe's last line and refuses anything else", () => {
  assert.deepEqual(
    parsePyzmqProbe("/usr/bin/python3", 'noise\n{"pyzmq": "24.0.1", "libzmq": "4.3.4"}\n'),
    { python: "/usr/bin/python3", pyzmq: "24.0.1", libzmq: "4.3.4" },
  );
  assert.equal(parsePyzmqProbe("python3", ""), undefined);
  assert.equal(parsePyzmqProbe("python3", "Traceback (most recent call last):"), undefined);
  assert.equal(parsePyzmqProbe("python3", '{"pyzmq": 24}'), undefined, "versions are strings");
});

Deno.test("findPyzmq() says what it tried and how to install pyzmq when none has it", async () => {
  const found = await findPyzmq(["/nonexistent/python3"]);
  assert.ok("missing" in found);
  assert.equal(found.missing, pyzmqMissingLine(["/nonexistent/python3"]));
  assert.match(found.missing, /tried \/nonexistent\/python3\)/);
  assert.match(found.missing, /apt-get install -y python3-zmq/);
  assert.match(found.missing, /--python PATH/);
});
