import assert from "node:assert/strict";
import { freePorts } from "../_helpers/ports.ts";

import { cli } from "./_cli.ts";
const decoder = new TextDecoder();

Deno.test("CLI server and client take --pattern 0 (PAIR) with --no-multiserver", async () => {
  const [port] = freePorts(1);
  const plain = ["--pattern", "0", "--no-multiserver"];
  // Plain mode: the server binds, the client connects.
  const server = cli([
    "server",
    "--port",
    String(port),
    ...plain,
    "--frames",
    "3",
    "--fps",
    "10",
    "--width",
    "16",
    "--height",
    "16",
  ]);
  const client = cli(["client", "--ports", String(port), ...plain, "--stats-interval", "0"]);
  const [serverOut, clientOut] = await Promise.all([server.output(), client.output()]);
  assert.equal(serverOut.code, 0, decoder.decode(serverOut.stderr));
  assert.equal(clientOut.code, 0, decoder.decode(clientOut.stderr));
  assert.match(decoder.decode(serverOut.stdout), /sent 3 frames/);
  assert.match(decoder.decode(clientOut.stdout), /client shut down \(all-gone\): 3 frames/);
});

Deno.test("CLI server still refuses --pattern 0 in multi-server mode, saying why", async () => {
  const output = await cli(["server", "--port", "5566", "--pattern", "0"]).output();
  assert.equal(output.code, 2);
  assert.match(
    decoder.decode(output.stderr),
    /option "pattern" is 0; expected 1 \(REQ\/REP\) or 2 \(PUB\/SUB\) in multi-server mode/,
  );
});
