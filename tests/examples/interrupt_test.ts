import assert from "node:assert/strict";
import { freePorts } from "../_helpers/ports.ts";

// Ctrl+C on the examples: a server stops at once even while a send waits
// for an absent or stuck client, closes cleanly (no uncaught SendError, no
// zeromq "Waiting for queued ZeroMQ messages" at exit), and a client says it
// was interrupted rather than that every server has gone.

const PERMISSIONS = ["--allow-read", "--allow-env", "--allow-ffi", "--allow-run"];
const decoder = new TextDecoder();
const ZMQ_WARNING = /Waiting for queued ZeroMQ messages/;

function script(name: string): string {
  return new URL(`../../examples/${name}`, import.meta.url).pathname;
}

function spawn(name: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, script(name), ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
}

/** Waits until `child`'s stdout has printed a line matching `pattern`; keeps reading it. */
function waitForLine(
  child: Deno.ChildProcess,
  pattern: RegExp,
): { seen: Promise<void>; text: () => string; done: Promise<void> } {
  let text = "";
  let resolve!: () => void;
  const seen = new Promise<void>((r) => resolve = r);
  const done = (async () => {
    for await (const chunk of child.stdout) {
      text += decoder.decode(chunk);
      if (pattern.test(text)) resolve();
    }
  })();
  return { seen, text: () => text, done };
}

/** SIGINTs `child` and returns how long it took to exit, its status and its output. */
async function interrupt(
  child: Deno.ChildProcess,
  stdout?: { text: () => string; done: Promise<void> },
): Promise<{ ms: number; code: number; stdout: string; stderr: string }> {
  const started = performance.now();
  child.kill("SIGINT");
  const stderrText = new Response(child.stderr).text();
  const status = await child.status;
  const ms = performance.now() - started;
  let out = "";
  if (stdout === undefined) out = await new Response(child.stdout).text();
  else {
    await stdout.done;
    out = stdout.text();
  }
  return { ms, code: status.code, stdout: out, stderr: await stderrText };
}

Deno.test("examples: Ctrl+C stops a REQ/REP server whose client never came, promptly and cleanly", async () => {
  const [port] = freePorts(1);
  const server = spawn("bare_minimum_reqrep/server.ts", ["--port", String(port)]);
  // Opened and waiting for the client (its first send is pending).
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const { ms, code, stdout, stderr } = await interrupt(server);
  assert.equal(code, 0, stderr);
  assert.ok(ms < 3000, `exited ${ms.toFixed(0)} ms after Ctrl+C (a send's retries take 16 s)`);
  assert.match(stdout, /^interrupted \(Ctrl\+C\) after 0 frames; server closed$/m);
  assert.doesNotMatch(stderr, /SendError/);
  assert.doesNotMatch(stderr, ZMQ_WARNING);
});

Deno.test("examples: Ctrl+C stops a PUB/SUB server whose client is stuck, without zeromq's exit warning", async () => {
  const [port] = freePorts(1);
  const client = spawn("bare_minimum_pubsub/client.ts", ["--ports", String(port)]);
  const clientOut = waitForLine(client, /client listening/);
  await clientOut.seen;
  const server = spawn("bare_minimum_pubsub/server.ts", ["--port", String(port)]);
  const serverErr = new Response(server.stderr).text();
  try {
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // The client freezes: the server's queue to it fills, its send waits.
    client.kill("SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const started = performance.now();
    server.kill("SIGINT");
    const status = await server.status;
    const ms = performance.now() - started;
    const stderr = await serverErr;
    const stdout = await new Response(server.stdout).text();
    assert.equal(status.code, 0, stderr);
    assert.ok(ms < 3000, `exited ${ms.toFixed(0)} ms after Ctrl+C`);
    assert.match(stdout, /interrupted \(Ctrl\+C\) after \d+ frames; server closed/);
    assert.doesNotMatch(stderr, ZMQ_WARNING);
    assert.doesNotMatch(stderr, /SendError/);
  } finally {
    client.kill("SIGCONT");
    client.kill("SIGINT");
    await client.status;
    await clientOut.done;
    await client.stderr.cancel();
  }
});

Deno.test("examples: a client stopped with Ctrl+C says it was interrupted, not that every server has gone", async () => {
  const [port] = freePorts(1);
  const client = spawn("bare_minimum_reqrep/client.ts", ["--ports", String(port)]);
  const clientOut = waitForLine(client, /live \(joined\)/);
  const server = spawn("bare_minimum_reqrep/server.ts", [
    "--port",
    String(port),
    "--frames",
    "100000",
  ]);
  try {
    await clientOut.seen;
    const { code, stdout, stderr } = await interrupt(client, clientOut);
    assert.equal(code, 0, stderr);
    assert.match(
      stdout,
      new RegExp(`^interrupted \\(Ctrl\\+C\\); last frames from ports ${port}$`, "m"),
    );
    assert.doesNotMatch(stdout, /every server has gone/);
    assert.doesNotMatch(stderr, ZMQ_WARNING);
  } finally {
    const { code, stderr } = await interrupt(server);
    assert.equal(code, 0, stderr);
  }
});
