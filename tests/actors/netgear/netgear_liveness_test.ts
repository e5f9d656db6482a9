import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import {
  NetGear,
  type NetGearClient,
  type NetGearClientEventMap,
  type ServerStateEvent,
} from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { testFrame } from "../../_helpers/frames.ts";

const CLI = new URL("../../../cli/cli.ts", import.meta.url).pathname;
const RUN = ["run", "--allow-read", "--allow-env", "--allow-ffi", "--allow-run"];

function stateLog(target: NetGearClient): ServerStateEvent[] {
  const log: ServerStateEvent[] = [];
  target.addEventListener("serverstate", (e) => log.push(e.detail));
  return log;
}

function nextState(target: NetGearClient, port: number, state: string): Promise<ServerStateEvent> {
  return new Promise((resolve) => {
    const listener = (e: NetGearClientEventMap["serverstate"]) => {
      const detail = e.detail;
      if (detail.port === port && detail.state === state) {
        target.removeEventListener("serverstate", listener);
        resolve(detail);
      }
    };
    target.addEventListener("serverstate", listener);
  });
}

Deno.test("NetGear client shuts itself down within a second of the last terminate", async () => {
  // In plain mode a goodbye counts once the server has stayed silent for a
  // heartbeat interval (a spoofed one must not end a streaming server):
  // short here, so that the second still holds.
  const heartbeatInterval = 200;
  for (const pattern of [1, 2] as const) {
    const ports = freePorts(2);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: ports,
      pattern,
      heartbeatInterval,
    });
    const servers = await Promise.all(
      ports.map((port) =>
        NetGear.open({ multiserverMode: true, port, pattern, heartbeatInterval })
      ),
    );
    const log = stateLog(client);
    // Make sure the client has seen both (PUB/SUB needs its subscription first).
    const joined = Promise.all(ports.map((port) => nextState(client, port, "live")));
    const pump = setInterval(
      () => servers.forEach((s) => s.send(undefined, { message: "hi" })),
      20,
    );
    const draining = (async () => {
      while (await client.recv() !== null) { /* drain */ }
    })();
    await joined;
    clearInterval(pump);
    await servers[0].close();
    await servers[1].close();
    const closedAt = performance.now();
    await draining;
    const elapsed = performance.now() - closedAt;
    assert.ok(
      elapsed < 1000,
      `pattern ${pattern}: shut down ${elapsed.toFixed(0)} ms after the last terminate`,
    );
    assert.equal(client.shutdownReason, "all-gone");
    assert.deepEqual(
      log.filter((e) => e.state === "gone").map((e) => e.reason),
      ["terminated", "terminated"],
    );
    assert.equal(await client.recv(), null, "recv keeps returning null");
  }
});

Deno.test("NetGear marks a SIGKILLed server stale then gone, keeps serving the rest, then exits", async () => {
  const [killedPort, livePort] = freePorts(2);
  const heartbeatInterval = 100;
  const livenessTimeout = 800;
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [killedPort, livePort],
    heartbeatInterval,
    livenessTimeout,
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...RUN,
      CLI,
      "server",
      "--port",
      String(killedPort),
      "--fps",
      "50",
      "--width",
      "64",
      "--height",
      "48",
      // The client judges each server by the interval it announces.
      "--heartbeat-interval",
      String(heartbeatInterval),
      "--quiet",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const live = await NetGear.open({ multiserverMode: true, port: livePort, heartbeatInterval });
  const log = stateLog(client);
  const killedJoined = nextState(client, killedPort, "live");
  const killedStale = nextState(client, killedPort, "stale");
  const killedGone = nextState(client, killedPort, "gone");

  let liveSent = 0;
  let stopLive = false;
  const liveSending = (async () => {
    while (!stopLive) await live.send(testFrame(livePort, liveSent++), { message: liveSent });
    await live.close();
  })();
  const counts = new Map<number, number>();
  let afterGone = 0;
  let gone = false;
  const receiving = (async () => {
    for await (const { port } of client) {
      counts.set(port, (counts.get(port) ?? 0) + 1);
      if (gone && port === livePort) afterGone++;
      if (afterGone >= 20) stopLive = true;
    }
  })();

  await killedJoined;
  child.kill("SIGKILL");
  const killedAt = performance.timeOrigin + performance.now();
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL");
  await child.stderr.cancel();
  const stale = await killedStale;
  const goneEvent = await killedGone;
  gone = true;
  const detectMs = goneEvent.at - killedAt;
  assert.equal(goneEvent.reason, "timeout");
  assert.ok(stale.at < goneEvent.at, "stale comes before gone");
  assert.ok(
    detectMs <= livenessTimeout + 2 * heartbeatInterval + 200,
    `marked gone ${detectMs.toFixed(0)} ms after SIGKILL (timeout ${livenessTimeout} ms)`,
  );
  await receiving;
  await liveSending;
  assert.ok(afterGone >= 20, "frames from the live server keep coming after the other died");
  assert.ok((counts.get(killedPort) ?? 0) > 0, "the killed server had been streaming");
  assert.equal(client.shutdownReason, "all-gone");
  const liveEvents = log.filter((e) => e.port === livePort).map((e) => e.state);
  assert.deepEqual(liveEvents, ["live", "gone"], "the live server was never marked stale");
});

Deno.test("a client given only livenessTimeout judges each server by the heartbeat interval it announces", async () => {
  const [port] = freePorts(1);
  const livenessTimeout = 600;
  // The client's own interval would be 120 ms (a fifth): a server
  // heartbeating every 250 ms would look stale between its heartbeats.
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
    livenessTimeout,
  });
  const serverInterval = 250;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...RUN,
      CLI,
      "server",
      "--port",
      String(port),
      "--fps",
      "2",
      "--width",
      "16",
      "--height",
      "16",
      "--heartbeat-interval",
      String(serverInterval),
      "--quiet",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = stateLog(client);
  const joined = nextState(client, port, "live");
  const gone = nextState(client, port, "gone");
  const draining = (async () => {
    while (await client.recv() !== null) { /* drain */ }
  })();
  await joined;
  // Two frames a second, heartbeats in between: never silent for 2 x 250 ms.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.deepEqual(log.map((e) => e.state), ["live"], "never stale while heartbeating");
  child.kill("SIGKILL");
  const killedAt = performance.timeOrigin + performance.now();
  await child.status;
  await child.stderr.cancel();
  const goneEvent = await gone;
  const stale = log.find((e) => e.state === "stale");
  assert.ok(stale !== undefined, "stale before gone");
  const staleMs = stale.at - killedAt;
  const goneMs = goneEvent.at - killedAt;
  // Stale after 2 of the server's intervals; gone after 3 of them (750 ms),
  // which is longer than livenessTimeout (600 ms). The client checks every 60 ms.
  assert.ok(
    staleMs >= 2 * serverInterval - 400 && staleMs <= 2 * serverInterval + 200,
    `stale after ${staleMs.toFixed(0)} ms`,
  );
  assert.ok(
    goneMs >= 3 * serverInterval - 400 && goneMs <= 3 * serverInterval + 300,
    `gone after ${goneMs.toFixed(0)} ms`,
  );
  assert.equal(goneEvent.reason, "timeout");
  await draining;
  assert.equal(client.shutdownReason, "all-gone");
});

Deno.test("NetGear.open refuses a port already in use with an OpenError naming it", async () => {
  const [port] = freePorts(1);
  await using first = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
  });
  await assert.rejects(
    NetGear.open({ receiveMode: true, multiserverMode: true, port: [port] }),
    (error: unknown) => {
      assert.ok(error instanceof Error && error.name === "OpenError", String(error));
      assert.match(
        error.message,
        new RegExp(`Cannot open NetGear on tcp://127\\.0\\.0\\.1:${port}`),
      );
      return true;
    },
  );
  assert.equal(first.shutdownReason, undefined, "the first client is unaffected");
});

Deno.test("NetGear.open rejects configuration errors before opening anything", async () => {
  await assert.rejects(
    NetGear.open({ receiveMode: true, multiserverMode: true, port: [5566], pattern: 0 }),
    /option "pattern" is 0; expected 1 \(REQ\/REP\) or 2 \(PUB\/SUB\) in multi-server mode/,
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    NetGear.open({ receiveMode: true, multiserver_mode: true, port: [5566] } as any),
    /did you mean "multiserverMode"/,
  );
});

Deno.test("the demo runs to completion and names every server", async () => {
  const ports = freePorts(3);
  const base = 20000 + Math.floor(Math.random() * 20000);
  void ports;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      ...RUN,
      CLI,
      "demo",
      "--duration",
      "2",
      "--base-port",
      String(base),
      "--fps",
      "20",
      "--width",
      "160",
      "--height",
      "120",
      "--stats-interval",
      "300",
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr) + text);
  for (const port of [base, base + 1, base + 2]) {
    assert.match(text, new RegExp(`server on port ${port}: live \\(joined\\)`));
    assert.match(text, new RegExp(`server on port ${port}: gone \\(terminated\\)`));
  }
  assert.match(text, /client shut down \(all-gone\): \d+ frames from 3 servers/);
});

Deno.test("a REQ server whose client never answered can send again once the client is up", async () => {
  const [port] = freePorts(1);
  const server = await NetGear.open({
    multiserverMode: true,
    port,
    requestTimeout: 500,
    maxRetries: 1,
  });
  await assert.rejects(
    server.send(testFrame(port, 0)),
    (error: unknown) => {
      assert.ok(error instanceof Error && error.name === "SendError");
      assert.match(error.message, /no reply after 2 attempts of 500 ms/);
      return true;
    },
  );
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
  });
  const sent = server.send(testFrame(port, 1), { message: "second try" });
  const received = await client.recv();
  await sent;
  assert.equal(received?.message, "second try");
  await server.close();
});

Deno.test("a server whose client is away fails send() with a SendError, not behind a pile of heartbeats", async () => {
  const [port] = freePorts(1);
  const server = await NetGear.open({
    multiserverMode: true,
    port,
    heartbeatInterval: 20,
    livenessTimeout: 100,
    requestTimeout: 150,
    maxRetries: 1,
  });
  const warn = console.warn;
  console.warn = () => {}; // heartbeats to nobody warn; not what this test is about
  try {
    // Let heartbeat ticks come due while nobody answers.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    await assert.rejects(server.send(testFrame(port, 0)), (error: unknown) => {
      assert.ok(error instanceof Error && error.name === "SendError", String(error));
      return true;
    });
    const elapsed = performance.now() - started;
    // At most one heartbeat attempt (150 ms) ahead of the frame's two (300 ms).
    assert.ok(elapsed < 1000, `send() took ${elapsed.toFixed(0)} ms to fail`);
  } finally {
    console.warn = warn;
    await server.close();
  }
});
