/**
 * Issue 14, server side: nothing a caller gives `send()` and nothing a
 * client does (refuse the handshake, vanish) takes a NetGear server down or
 * leaves it reporting frames as sent that went nowhere.
 *
 * @module
 */

import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import {
  NetGear,
  type NetGearClient,
  type NetGearServer,
  type Received,
  SendError,
  type ServerStateEvent,
} from "../../../actors/netgear/mod.ts";
import type { Frame } from "../../../capture/frame.ts";
import type { NetGearOptions } from "../../../actors/netgear/mod.ts";
import { generateKeys } from "../../../transports/security/curve_keys.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { testFrame } from "../../_helpers/frames.ts";

/** Collects what goes to the console while `body` runs (restart traces, refusal logs). */
async function capturingConsole<T>(
  body: (lines: string[]) => Promise<T>,
): Promise<T> {
  const lines: string[] = [];
  const original = { error: console.error, warn: console.warn, info: console.info };
  const keep = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  console.error = keep;
  console.warn = keep;
  console.info = keep;
  try {
    return await body(lines);
  } finally {
    Object.assign(console, original);
  }
}

/**
 * Waits for `condition`, checking it every `everyMs`. For figures that
 * change without an event (a server's heartbeat count); bounded in time.
 */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Opens a client on a port another client just closed. ZeroMQ releases a
 * closed socket's port on its own thread, a moment later, and says nothing
 * when it has: wait (bounded) until the port can be bound, then open. (Not
 * by retrying NetGear.open: in some runs, an open that failed on the taken
 * port was followed by "descriptor closed underneath" errors on the next
 * client's socket; not investigated here.)
 */
async function reopenClient(
  options: NetGearOptions & { receiveMode: true },
): Promise<NetGearClient> {
  const ports = Array.isArray(options.port) ? options.port : [options.port];
  const deadline = performance.now() + 5000;
  for (const port of ports as number[]) {
    for (;;) {
      try {
        Deno.listen({ hostname: "127.0.0.1", port }).close();
        break;
      } catch (error) {
        if (!(error instanceof Deno.errors.AddrInUse) || performance.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }
  return await NetGear.open(options);
}

/** Records a client's state changes per port. */
function stateLog(client: NetGearClient): ServerStateEvent[] {
  const events: ServerStateEvent[] = [];
  client.addEventListener("serverstate", (e) => {
    events.push(e.detail);
  });
  return events;
}

type Bad = {
  readonly name: string;
  readonly frame: unknown;
  readonly options?: unknown;
  readonly error: typeof TypeError | typeof RangeError;
  /** What the message must name. */
  readonly names: RegExp;
};

function badInputs(port: number): Bad[] {
  const good = testFrame(port, 0);
  const cyclic: Record<string, unknown> = { camera: "hall" };
  cyclic.self = cyclic;
  return [
    {
      name: "width 0",
      frame: { ...good, width: 0 },
      error: RangeError,
      names: /frame\.width is 0/,
    },
    {
      name: "width 1.5",
      frame: { ...good, width: 1.5 },
      error: RangeError,
      names: /frame\.width is 1\.5.*integer from 1 to 65535/,
    },
    {
      name: "width 70000",
      frame: { ...good, width: 70000 },
      error: RangeError,
      names: /frame\.width is 70000/,
    },
    {
      name: "channels 2 with bgr24",
      frame: { ...good, channels: 2 },
      error: RangeError,
      names: /frame\.channels is 2; valid: 3 for format "bgr24"/,
    },
    {
      name: "neither frame nor message",
      frame: undefined,
      error: TypeError,
      names: /neither a frame nor options\.message/,
    },
    {
      name: "a function as message",
      frame: good,
      options: { message: () => 1 },
      error: TypeError,
      names: /options\.message is a function, which CBOR cannot carry/,
    },
    {
      name: "a cyclic object as message",
      frame: good,
      options: { message: cyclic },
      error: TypeError,
      names: /options\.message .* CBOR cannot carry \(it holds a cycle/,
    },
    {
      name: "a Symbol as message",
      frame: undefined,
      options: { message: Symbol("hi") },
      error: TypeError,
      names: /options\.message is a symbol/,
    },
    {
      name: "a 100 MB frame",
      frame: { width: 5000, height: 6667, channels: 3, data: new Uint8Array(5000 * 6667 * 3) },
      error: RangeError,
      names: /100005000 bytes, more than option "maxMessageSize" \(67108864\)/,
    },
    {
      name: "frame: null",
      frame: null,
      error: TypeError,
      names: /frame must be a Frame object/,
    },
    {
      name: "data of the wrong size",
      frame: { ...good, data: new Uint8Array(5) },
      error: RangeError,
      names: /frame\.data has 5 bytes/,
    },
    {
      name: "options: null",
      frame: good,
      options: null,
      error: TypeError,
      names: /options is null/,
    },
  ];
}

for (const pattern of [1, 2] as const) {
  Deno.test(
    `a ${
      pattern === 1 ? "REQ" : "PUB"
    } server refuses every invalid send() at once and carries on: no restart, no stale client`,
    async () => {
      await capturingConsole(async (lines) => {
        const [port] = freePorts(1);
        await using client = await NetGear.open({
          receiveMode: true,
          multiserverMode: true,
          port: [port],
          pattern,
          heartbeatInterval: 50,
          livenessTimeout: 2000,
        });
        const states = stateLog(client);
        await using server = await NetGear.open({
          multiserverMode: true,
          port,
          pattern,
          heartbeatInterval: 50,
          requestTimeout: 500,
          maxRetries: 1,
        });
        let n = 0;
        const roundTrip = async () => {
          const message = `good ${n++}`;
          const sent = server.send(testFrame(port, n), { message });
          const received = await client.recv();
          await sent;
          assert.equal(received?.message, message, "the good send after a bad one arrives");
        };
        await roundTrip();
        for (const bad of badInputs(port)) {
          const startedAt = performance.now();
          await assert.rejects(
            server.send(bad.frame as Frame, bad.options as undefined),
            (error: unknown) => {
              assert.ok(
                error instanceof bad.error,
                `${bad.name}: expected ${bad.error.name}, got ${String(error)}`,
              );
              assert.match((error as Error).message, /^Cannot send/, bad.name);
              assert.match((error as Error).message, bad.names, bad.name);
              return true;
            },
          );
          const tookMs = performance.now() - startedAt;
          assert.ok(tookMs < 250, `${bad.name}: rejected after ${tookMs.toFixed(0)} ms`);
          await roundTrip();
        }
        // Heartbeats kept flowing: a few more go out over several times the
        // 100 ms after which the client would call the server stale.
        const heartbeats = server.stats().heartbeats;
        await until(() => server.stats().heartbeats >= heartbeats + 5, "5 more heartbeats");
        await roundTrip();
        assert.deepEqual(
          states.map((e) => e.state),
          ["live"],
          `the client never marked the server stale: ${JSON.stringify(states)}`,
        );
        assert.deepEqual(
          lines.filter((line) => /restart|failure|Uncaught/i.test(line)),
          [],
          "no actor restarted",
        );
        assert.equal(server.stats().sent, n, "every good frame is counted as sent, no bad one");
      });
    },
  );
}

Deno.test("a frame whose buffer is detached after send() fails that send only (code invalid), without a restart", async () => {
  await capturingConsole(async (lines) => {
    const [port] = freePorts(1);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: [port],
    });
    await using server = await NetGear.open({ multiserverMode: true, port, requestTimeout: 500 });
    const frame = testFrame(port, 0);
    // Valid when send() checks it; detached before the transport encodes it.
    const sending = server.send(frame);
    (frame.data.buffer as ArrayBuffer).transfer();
    await assert.rejects(sending, (error: unknown) => {
      assert.ok(error instanceof SendError, String(error));
      assert.equal(error.code, "invalid");
      assert.match(error.message, /frame\.data/);
      return true;
    });
    const sent = server.send(testFrame(port, 1), { message: "after" });
    assert.equal((await client.recv())?.message, "after");
    await sent;
    assert.deepEqual(lines.filter((line) => /restart/i.test(line)), [], "no actor restarted");
  });
});

/** A client key dir, and a server key dir whose server key the client does not know. */
async function strangerKeys(): Promise<
  { trusted: string; stranger: string; cleanup(): Promise<void> }
> {
  const trusted = await Deno.makeTempDir({ prefix: "actorgear-keys-" });
  const stranger = await Deno.makeTempDir({ prefix: "actorgear-keys-" });
  await generateKeys(trusted);
  await generateKeys(stranger);
  // The stranger knows the client's public key; the client does not know its key.
  await Deno.copyFile(`${trusted}/public_keys/client.key`, `${stranger}/public_keys/client.key`);
  return {
    trusted,
    stranger,
    cleanup: async () => {
      await Deno.remove(trusted, { recursive: true });
      await Deno.remove(stranger, { recursive: true });
    },
  };
}

/** Sends until one send is answered (each attempt refused or answered); bounded. */
async function sendUntilAnswered(
  server: NetGearServer,
  client: NetGearClient,
  port: number,
): Promise<Received> {
  // REQ/REP: the client answers a frame once it is taken, so take it meanwhile.
  const receiving = client.recv();
  const deadline = performance.now() + 10_000;
  for (let attempt = 0;; attempt++) {
    try {
      await server.send(testFrame(port, attempt), { message: `attempt ${attempt}` });
    } catch (error) {
      // Refused until the fresh socket's retry delay has passed.
      assert.ok(error instanceof SendError && error.code === "refused", String(error));
      if (performance.now() > deadline) throw new Error("no send was answered within 10 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    const received = await receiving;
    assert.ok(received !== null);
    return received;
  }
}

Deno.test("an ironhouse REQ server whose key the client refuses gets SendError refused at once, and streams once the client allows it", async () => {
  const keys = await strangerKeys();
  try {
    await capturingConsole(async (lines) => {
      const [port] = freePorts(1);
      const clientOptions = {
        receiveMode: true,
        multiserverMode: true,
        port: [port],
        secureMode: 2,
        keysDir: keys.trusted,
      } as const;
      const first = await NetGear.open(clientOptions);
      await using server = await NetGear.open({
        multiserverMode: true,
        port,
        secureMode: 2,
        keysDir: keys.stranger,
        requestTimeout: 300,
        maxRetries: 3,
      });
      // Before the fix: no outcome for 4 x 300 ms, then a timeout, and the
      // server stayed broken for good.
      for (let attempt = 0; attempt < 3; attempt++) {
        const startedAt = performance.now();
        await assert.rejects(server.send(testFrame(port, attempt)), (error: unknown) => {
          assert.ok(error instanceof SendError, String(error));
          assert.equal(error.code, "refused");
          assert.match(error.message, /secureMode 2 \(ironhouse\)/);
          assert.match(error.message, /public_keys/);
          return true;
        });
        const tookMs = performance.now() - startedAt;
        assert.ok(tookMs < 300, `refused after ${tookMs.toFixed(0)} ms, within one requestTimeout`);
        // Past the retry delay, so the next attempt is a fresh handshake.
        await new Promise((resolve) => setTimeout(resolve, 320));
      }
      assert.ok(server.stats().refused >= 3, JSON.stringify(server.stats()));
      assert.ok(server.stats().reconnects >= 2, JSON.stringify(server.stats()));
      const zapLines = lines.filter((line) => line.includes("[zap] refused"));
      assert.equal(zapLines.length, 1, `the client logs the refused key once: ${zapLines}`);
      assert.match(zapLines[0], /127\.0\.0\.1/);
      await first.close();

      // The client restarts, now holding the server's key.
      await Deno.copyFile(
        `${keys.stranger}/public_keys/server.key`,
        `${keys.trusted}/public_keys/stranger.key`,
      );
      await using second = await reopenClient(clientOptions);
      const firstAnswered = await sendUntilAnswered(server, second, port);
      assert.equal(firstAnswered.port, port);
      for (let n = 0; n < 8; n++) {
        const sent = server.send(testFrame(port, n), { message: n });
        assert.equal((await second.recv())?.message, n, `send ${n} of 8 arrives`);
        await sent;
      }
    });
  } finally {
    await keys.cleanup();
  }
});

Deno.test("a stonehouse REQ server facing a plain client gets SendError refused, not no-reply, and streams once the client uses CURVE", async () => {
  const keys = await strangerKeys();
  try {
    await capturingConsole(async () => {
      const [port] = freePorts(1);
      const plainClient = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: [port],
      });
      await using server = await NetGear.open({
        multiserverMode: true,
        port,
        secureMode: 1,
        keysDir: keys.trusted,
        requestTimeout: 300,
        maxRetries: 5,
      });
      const startedAt = performance.now();
      await assert.rejects(server.send(testFrame(port, 0)), (error: unknown) => {
        assert.ok(error instanceof SendError && error.code === "refused", String(error));
        assert.match(error.message, /secureMode 1 \(stonehouse\)/);
        return true;
      });
      // At once, or after an attempt or two where libzmq kept the
      // connection a while (measured: 7 to 915 ms); never after all six
      // attempts, as for a missing client (1800 ms).
      const tookMs = performance.now() - startedAt;
      assert.ok(tookMs < 1500, `refused after ${tookMs.toFixed(0)} ms`);
      assert.deepEqual(plainClient.servers(), [], "the plain client never saw the server");
      await plainClient.close();

      await using curveClient = await reopenClient({
        receiveMode: true,
        multiserverMode: true,
        port: [port],
        secureMode: 1,
        keysDir: keys.trusted,
      });
      await sendUntilAnswered(server, curveClient, port);
      for (let n = 0; n < 8; n++) {
        const sent = server.send(testFrame(port, n), { message: n });
        assert.equal((await curveClient.recv())?.message, n, `send ${n} of 8 arrives`);
        await sent;
      }
    });
  } finally {
    await keys.cleanup();
  }
});

Deno.test("a plain REQ server facing a CURVE client is not stuck: it fails naming secureMode, then streams once the client is plain", async () => {
  const keys = await strangerKeys();
  try {
    await capturingConsole(async () => {
      const [port] = freePorts(1);
      const curveClient = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: [port],
        secureMode: 1,
        keysDir: keys.trusted,
      });
      await using server = await NetGear.open({
        multiserverMode: true,
        port,
        requestTimeout: 200,
        maxRetries: 1,
      });
      // libzmq drops this socket's connection for good (so the server may
      // say "refused") or keeps its queue (only the timeouts tell).
      await assert.rejects(server.send(testFrame(port, 0)), (error: unknown) => {
        assert.ok(error instanceof SendError, String(error));
        assert.ok(["refused", "no-reply"].includes(error.code), String(error));
        assert.match(
          error.message,
          /secureMode 0 \(off\)|secureMode 1 or 2, this server needs the same/,
        );
        return true;
      });
      await curveClient.close();
      await using plainClient = await reopenClient({
        receiveMode: true,
        multiserverMode: true,
        port: [port],
      });
      // Before the fix the socket stayed broken: 0 of 8 arrived.
      await sendUntilAnswered(server, plainClient, port);
      for (let n = 0; n < 8; n++) {
        const sent = server.send(testFrame(port, n), { message: n });
        assert.equal((await plainClient.recv())?.message, n, `send ${n} of 8 arrives`);
        await sent;
      }
    });
  } finally {
    await keys.cleanup();
  }
});

const PERMISSIONS = ["--allow-read", "--allow-env", "--allow-ffi"];
const RECORDER = new URL("../../_helpers/recording_client.ts", import.meta.url).pathname;

/** A PUB/SUB client in its own process, to kill; resolves once it has a frame. */
async function startKillableClient(port: number): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, RECORDER, "2", String(port)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Its first frame line says it is subscribed and reading.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes('"seq"')) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the client process ended before its first frame");
    text += value;
  }
  // Keep draining, so the child never blocks on a full pipe.
  void (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return child;
}

Deno.test("a PUB server whose client was killed drops and counts frames (whenNoSubscriber drop), and a new client gets a fresh frame first", async () => {
  const [port] = freePorts(1);
  await using server = await NetGear.open({
    multiserverMode: true,
    port,
    pattern: 2,
    whenNoSubscriber: "drop",
    subscriberTimeout: 100,
  });
  let stop = false;
  let sent = 0;
  // A 30 fps camera: the pace of a source, not a synchronisation.
  const streaming = (async () => {
    while (!stop) {
      await server.send(testFrame(port, sent, 160, 120), { message: sent });
      sent++;
      await new Promise((resolve) => setTimeout(resolve, 33));
    }
  })();
  const first = await startKillableClient(port);
  first.kill("SIGKILL");
  await first.status;
  await until(() => server.stats().subscribed === false, "the server to see its client gone");
  const goneAt = performance.now();
  // Keep sending for a second with nobody there: each send resolves.
  await until(() => performance.now() - goneAt > 1000, "a second without a client", 3000);
  const dropped = server.stats().dropped.noSubscriber;
  assert.ok(dropped >= 10, `frames sent while the client was gone are counted: ${dropped}`);
  const sentBeforeRestart = sent;

  await using second = await reopenClient({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
    pattern: 2,
  });
  const received = await second.recv();
  assert.ok(received !== null);
  const ageMs = received.receivedAt - received.sentAt;
  assert.ok(ageMs < 300, `the first frame is fresh: ${ageMs.toFixed(0)} ms old`);
  assert.ok(
    received.seq >= sentBeforeRestart - 1,
    `no backlog from before the restart: frame ${received.seq}, ${sentBeforeRestart} sent before`,
  );
  stop = true;
  await streaming;
  const stats = server.stats();
  assert.equal(stats.subscribed, true);
  assert.equal(
    stats.sent + stats.dropped.total,
    sent,
    `every frame is sent or dropped: ${JSON.stringify(stats)}`,
  );
});

Deno.test("a PUB server whose client closed rejects sends with SendError no-subscriber after subscriberTimeout, at once after that, and resumes with a new client", async () => {
  const [port] = freePorts(1);
  const clientOptions = {
    receiveMode: true,
    multiserverMode: true,
    port: [port],
    pattern: 2,
  } as const;
  const first = await NetGear.open(clientOptions);
  await using server = await NetGear.open({
    multiserverMode: true,
    port,
    pattern: 2,
    subscriberTimeout: 300,
  });
  const sending = server.send(testFrame(port, 0), { message: "hello" });
  assert.equal((await first.recv())?.message, "hello");
  await sending;
  await first.close();
  await until(() => server.stats().subscribed === false, "the server to see its client gone");

  const noSubscriber = (error: unknown) => {
    assert.ok(error instanceof SendError && error.code === "no-subscriber", String(error));
    assert.match(error.message, /subscriberTimeout/);
    return true;
  };
  let startedAt = performance.now();
  await assert.rejects(server.send(testFrame(port, 1)), noSubscriber);
  const waitedMs = performance.now() - startedAt;
  assert.ok(waitedMs >= 280 && waitedMs < 1500, `waited ${waitedMs.toFixed(0)} ms for a client`);
  startedAt = performance.now();
  await assert.rejects(server.send(testFrame(port, 2)), noSubscriber);
  const quickMs = performance.now() - startedAt;
  assert.ok(quickMs < 100, `the next send rejects at once: ${quickMs.toFixed(0)} ms`);
  assert.equal(server.stats().dropped.noSubscriber, 2);
  assert.equal(server.stats().sent, 1);

  await using second = await reopenClient(clientOptions);
  // Until the new client's subscription is in, sends still fail at once.
  const receiving = second.recv();
  const deadline = performance.now() + 5000;
  for (let n = 3;; n++) {
    try {
      await server.send(testFrame(port, n), { message: "again" });
      break;
    } catch (error) {
      noSubscriber(error);
      assert.ok(performance.now() < deadline, "the new client subscribed within 5 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  assert.equal((await receiving)?.message, "again");
  assert.equal(server.stats().subscribed, true);
});

Deno.test("a PUB server whose client stopped reading rejects with queue-full after requestTimeout, then at once, and counts both", async () => {
  const [port] = freePorts(1);
  // A subscriber that takes one message and then never reads again: a
  // client frozen with its connection up.
  const { ZmqSocket } = await import("../../../transports/zmq/zmq_socket.ts");
  await using stuck = new ZmqSocket("sub", { receiveHighWaterMark: 1 });
  await stuck.bind(`tcp://127.0.0.1:${port}`);
  stuck.subscribe();
  const firstMessage = stuck.receive({ signal: AbortSignal.timeout(5000) });
  await using server = await NetGear.open({
    multiserverMode: true,
    port,
    pattern: 2,
    requestTimeout: 300,
  });
  const big = () => testFrame(port, 0, 640, 480);
  await server.send(big());
  await firstMessage;
  // TCP buffers and ZeroMQ's queues fill up within a few dozen frames.
  let outcome: unknown;
  let sends = 0;
  const startedAt = performance.now();
  while (outcome === undefined && sends < 500) {
    sends++;
    await server.send(big()).catch((error) => outcome = error);
  }
  const expiredMs = performance.now() - startedAt;
  assert.ok(outcome instanceof SendError && outcome.code === "queue-full", String(outcome));
  assert.match(outcome.message, /stayed full for 300 ms/);
  assert.ok(expiredMs >= 280, `gave up after requestTimeout: ${expiredMs.toFixed(0)} ms`);
  const quickAt = performance.now();
  await assert.rejects(server.send(big()), (error: unknown) => {
    assert.ok(error instanceof SendError && error.code === "queue-full", String(error));
    assert.match(error.message, /still full/);
    return true;
  });
  assert.ok(performance.now() - quickAt < 100, "the next one rejects at once");
  const { dropped, sent } = server.stats();
  assert.deepEqual(
    { expired: dropped.expired, queueFull: dropped.queueFull },
    { expired: 1, queueFull: 1 },
  );
  assert.equal(sent, sends, "every frame before the full queue was sent");
  // Close the server before the stuck socket, which it could not reach.
  await server.close();
});
