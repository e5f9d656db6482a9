import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { NetGear, type ServerStateEvent } from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { testFrame } from "../../_helpers/frames.ts";

const PERMISSIONS = ["--allow-read", "--allow-env", "--allow-ffi", "--allow-run"];
const CLI = new URL("../../../cli/cli.ts", import.meta.url).pathname;
const RECORDER = new URL("../../_helpers/recording_client.ts", import.meta.url).pathname;

/** Reads a child's stdout as JSON lines, calling `onLine` for each. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: Record<string, unknown>) => void,
): Promise<void> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      onLine(JSON.parse(buffered.slice(0, newline)));
      buffered = buffered.slice(newline + 1);
    }
  }
}

function startRecorder(ports: number[], seen: Map<number, number[]>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, RECORDER, "1", ports.join(",")],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => listening = resolve);
  const firstFrom = new Map<number, number>();
  const done = readLines(child.stdout, (line) => {
    if (line.listening) listening();
    if (typeof line.port === "number") {
      if (!firstFrom.has(line.port)) firstFrom.set(line.port, performance.now());
      seen.get(line.port)!.push(line.seq as number);
    }
  });
  return { child, ready, done, firstFrom };
}

function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  // Polls a condition fed by another process's output: there is no event to
  // wait on across the process boundary other than its lines.
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) return resolve();
      if (performance.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 10);
    };
    check();
  });
}

Deno.test("REQ/REP servers resume after the client is killed and restarted, losing no frame", async () => {
  const ports = freePorts(2);
  const seen = new Map<number, number[]>(ports.map((p) => [p, []]));
  const first = startRecorder(ports, seen);
  await first.ready;
  const servers = await Promise.all(
    ports.map((port) =>
      NetGear.open({ multiserverMode: true, port, requestTimeout: 300, maxRetries: 30 })
    ),
  );
  let stop = false;
  const sent = new Map<number, number>(ports.map((p) => [p, 0]));
  const sending = servers.map(async (server, i) => {
    const port = ports[i];
    while (!stop) {
      await server.send(testFrame(port, sent.get(port)!));
      sent.set(port, sent.get(port)! + 1);
    }
    await server.close();
  });

  await waitFor(() => ports.every((p) => seen.get(p)!.length >= 20), "20 frames per server");
  first.child.kill("SIGKILL");
  await first.child.status;
  await first.done;
  const beforeRestart = new Map(ports.map((p) => [p, seen.get(p)!.length]));

  const restartedAt = performance.now();
  const second = startRecorder(ports, seen);
  await second.ready;
  await waitFor(
    () => ports.every((p) => seen.get(p)!.length >= beforeRestart.get(p)! + 20),
    "20 more frames per server after the restart",
  );
  const resumeMs = Math.max(...ports.map((p) => second.firstFrom.get(p)! - restartedAt));
  stop = true;
  await Promise.all(sending);
  await second.child.status;
  await second.done;

  for (const port of ports) {
    const seqs = seen.get(port)!;
    const split = beforeRestart.get(port)!;
    const [before, after] = [seqs.slice(0, split), seqs.slice(split)];
    for (const run of [before, after]) {
      assert.deepEqual(
        run,
        run.map((_, i) => run[0] + i),
        `port ${port}: each run is gapless and unique`,
      );
    }
    // The frame the dead client had taken but not yet acknowledged is the
    // only one that may be delivered again (at-least-once across restarts).
    const overlap = before.at(-1)! - after[0] + 1;
    assert.ok(
      overlap === 0 || overlap === 1,
      `port ${port}: ${overlap} frames delivered by both clients`,
    );
    assert.equal(after.at(-1), sent.get(port)! - 1, `port ${port}: the last frame sent arrived`);
  }
  console.log(`resumed ${resumeMs.toFixed(0)} ms after the client restarted`);
});

Deno.test("a SIGKILLed server restarted on the same port is tracked again", async () => {
  const ports = freePorts(3);
  const [victim] = ports;
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
    heartbeatInterval: 100,
    livenessTimeout: 800,
  });
  const events: ServerStateEvent[] = [];
  let changed: (() => void) | undefined;
  client.addEventListener("serverstate", (e) => {
    events.push(e.detail);
    changed?.();
  });
  // Wakes on every state change and every frame.
  const until = async (test: () => boolean) => {
    while (!test()) await new Promise<void>((resolve) => changed = resolve);
  };
  const spawnServer = (port: number) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...PERMISSIONS,
        CLI,
        "server",
        "--port",
        String(port),
        "--fps",
        "30",
        "--width",
        "32",
        "--height",
        "24",
        "--quiet",
      ],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
  const children = ports.map(spawnServer);
  const counts = new Map<number, number>();
  const receiving = (async () => {
    for await (const { port } of client) {
      counts.set(port, (counts.get(port) ?? 0) + 1);
      changed?.();
    }
  })();

  await until(() => ports.every((p) => events.some((e) => e.port === p && e.state === "live")));
  children[0].kill("SIGKILL");
  await children[0].status;
  await until(() => events.some((e) => e.port === victim && e.state === "gone"));
  const othersBefore = ports.slice(1).map((p) => counts.get(p) ?? 0);
  const victimBefore = counts.get(victim) ?? 0;

  children[0] = spawnServer(victim);
  await until(() => events.some((e) => e.port === victim && e.reason === "rejoined"));
  await until(() => (counts.get(victim) ?? 0) > victimBefore + 5);
  assert.ok(
    ports.slice(1).every((p, i) => (counts.get(p) ?? 0) > othersBefore[i]),
    "the other two kept streaming throughout",
  );
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((c) => c.status));
  await receiving;
  const victimEvents = events.filter((e) => e.port === victim);
  assert.deepEqual(
    victimEvents.slice(0, 4).map((e) => `${e.state}:${e.reason}`),
    ["live:joined", "stale:silent", "gone:timeout", "live:rejoined"],
  );
  assert.equal(victimEvents.at(-1)!.state, "gone");
  assert.equal(client.shutdownReason, "all-gone");
});
