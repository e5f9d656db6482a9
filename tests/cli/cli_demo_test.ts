import assert from "node:assert/strict";
import { freePortRun, portsInUse } from "../../cli/_free_ports.ts";

import { CLI, PERMISSIONS as SOCKET_PERMISSIONS } from "./_cli.ts";

const PERMISSIONS = [...SOCKET_PERMISSIONS, "--allow-run"];
const decoder = new TextDecoder();

/** Listens on whichever of `ports` is free on 127.0.0.1 (others hold the rest already). */
function occupy(ports: number[]): Deno.Listener[] {
  const held: Deno.Listener[] = [];
  for (const port of ports) {
    try {
      held.push(Deno.listen({ hostname: "127.0.0.1", port }));
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  return held;
}

/** Runs `cli.ts demo` with `args`, bounded in time; small frames, no live table. */
async function demo(
  args: string[],
  permissions: string[] = [...PERMISSIONS, "--allow-net=127.0.0.1"],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...permissions,
      CLI,
      "demo",
      "--duration",
      "1",
      "--fps",
      "10",
      "--width",
      "64",
      "--height",
      "48",
      "--stats-interval",
      "0",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("freePortRun skips ports in use and returns a free consecutive run", () => {
  const first = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (first.addr as Deno.NetAddr).port;
  const second = occupy([port + 2]);
  try {
    const run = freePortRun(2, port)!;
    assert.ok(run[0] > port, `${run} starts past the port in use`);
    assert.ok(!run.includes(port + 2), `${run} avoids ${port + 2}`);
    assert.equal(run[1], run[0] + 1);
    assert.deepEqual(portsInUse([port, run[0], run[1]]), [port]);
  } finally {
    first.close();
    for (const listener of second) listener.close();
  }
});

Deno.test("the demo picks free ports when 5566-5568 are taken and --base-port is not given", async () => {
  const held = occupy([5566, 5567, 5568]);
  try {
    const { code, stdout, stderr } = await demo([]);
    assert.equal(code, 0, stderr + stdout);
    const [, list] = stdout.match(/demo: client on 127\.0\.0\.1 ports ([\d, ]+) \(/) ?? [];
    assert.ok(list !== undefined, stdout);
    const ports = list.split(", ").map(Number);
    assert.equal(ports.length, 3);
    for (const port of ports) assert.ok(port > 5568, `port ${port} was taken`);
    // Every server streamed to the client, then left.
    assert.match(stdout, /client shut down \(all-gone\): [1-9]\d* frames from 3 servers/);
  } finally {
    for (const listener of held) listener.close();
  }
});

Deno.test("the demo refuses a --base-port in use, naming the flag and the port", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    // Looked at before binding (with --allow-net), and found when the bind
    // fails (without it, the demo cannot look).
    for (const net of [["--allow-net=127.0.0.1"], []]) {
      const { code, stdout, stderr } = await demo(
        ["--servers", "1", "--base-port", String(port)],
        [...PERMISSIONS, ...net],
      );
      assert.equal(code, 2, `${net}: ${stderr}${stdout}`);
      assert.match(
        stderr,
        new RegExp(`Cannot use --base-port ${port}: port ${port} is already in use`),
      );
      assert.match(stderr, /give another --base-port, or leave it out/);
      assert.doesNotMatch(stdout, /demo: client on/);
    }
  } finally {
    listener.close();
  }
});
