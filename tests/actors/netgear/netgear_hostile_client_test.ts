import "../../_helpers/preload_native.ts";
/**
 * A NetGear client facing hostile peers on 127.0.0.1 (issue 14, client side):
 * messages ZeroMQ itself discards, spoofed sequence numbers and goodbyes,
 * ports that only ever send garbage, and a consumer slower than its servers.
 * Each test has a well-behaved NetGear server alongside, whose every frame
 * must still arrive.
 *
 * Needs /usr/bin/python3 with Debian's python3-zmq, and `--allow-run
 * --allow-read --allow-env --allow-ffi --allow-net=127.0.0.1`.
 */
import assert from "node:assert/strict";
import { delay } from "../../../actors/abort.ts";
import { ActorSystem } from "../../../actors/actor_system.ts";
import { CLIENT_SUPERVISION, ClientSupervisor } from "../../../actors/netgear/client_supervisor.ts";
import { DeliveryQueue } from "../../../actors/netgear/delivery_queue.ts";
import type { ClientSupervisorMessage } from "../../../actors/netgear/client_supervisor_messages.ts";
import {
  NetGear,
  type NetGearClient,
  type Received,
  type ServerStateEvent,
  type ServerStats,
} from "../../../actors/netgear/mod.ts";
import { generateKeys } from "../../../transports/security/curve_keys.ts";
import { type Envelope, ProtocolCodec } from "../../../transports/protocol/protocol.ts";
import { TransportOperationError } from "../../../transports/errors.ts";
import { RepClientTransport } from "../../../transports/rep_client_transport.ts";
import {
  type SocketKind,
  type ZmqOperationOptions,
  ZmqSocket,
  type ZmqSocketOptions,
} from "../../../transports/zmq/zmq_socket.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { testFrame } from "../../_helpers/frames.ts";
import { background, within } from "../../_helpers/async.ts";

const PYTHON = "/usr/bin/python3";
/** Python's own bound on each wait: it exits instead of hanging. */
const PYTHON_TIMEOUT_MS = 10_000;

/**
 * Pause after each bad message before the next one. libzmq's REP skips a
 * message without a delimiter silently when another is queued behind it;
 * the bug showed only when the bad message was alone when the client
 * looked. Nothing outside the client can observe that look (the message
 * is discarded inside libzmq), so there is no event to wait on: a pause
 * long enough for an idle loopback client to wake is the only way to make
 * the message arrive alone.
 */
const LOOK_MS = 50;

// ---------------------------------------------------------------- helpers

/** The log lines of the code under test, captured so a test can assert on them. */
class CapturedLogs implements Disposable {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  readonly #warn = console.warn;
  readonly #error = console.error;

  constructor() {
    console.warn = (...args: unknown[]) => void this.warnings.push(args.map(String).join(" "));
    console.error = (...args: unknown[]) => void this.errors.push(args.map(String).join(" "));
  }

  [Symbol.dispose](): void {
    console.warn = this.#warn;
    console.error = this.#error;
  }
}

function statsOf(all: ServerStats[], port: number): ServerStats {
  const stats = all.find((s) => s.port === port);
  assert.ok(stats, `the client has figures for port ${port}`);
  return stats;
}

/** Every frame a client delivers, with a way to wait for the n-th. */
class Collector {
  readonly received: Received[] = [];
  readonly done: Promise<void>;
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(client: NetGearClient) {
    this.done = background((async () => {
      for await (const item of client) {
        this.received.push(item);
        const due = this.#waiters.filter((w) => w.count <= this.received.length);
        this.#waiters = this.#waiters.filter((w) => w.count > this.received.length);
        for (const waiter of due) waiter.resolve();
      }
      for (const waiter of this.#waiters.splice(0)) waiter.resolve();
    })());
  }

  /** Resolves once `count` frames have arrived (or the client ended), within 10 s. */
  reached(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    const reached = new Promise<void>((resolve) => this.#waiters.push({ count, resolve }));
    return within(reached, 10_000, `frame ${count}`);
  }
}

const codec = new ProtocolCodec();

/** A version 1 envelope as any peer could send it. */
function envelope(
  port: number,
  kind: Envelope["kind"],
  seq: number,
  message?: unknown,
): Uint8Array {
  return codec.encode({ version: 1, kind, port, seq, sentAt: Date.now(), message });
}

/** Reads from a TCP connection until `text` has appeared (within 4 KB), or fails at `signal`. */
async function readUntilText(conn: Deno.TcpConn, text: string, signal: AbortSignal): Promise<void> {
  const decoder = new TextDecoder("latin1");
  let seen = "";
  // Bounded: each read returns at least one byte, and 4 KB is plenty.
  while (!seen.includes(text)) {
    signal.throwIfAborted();
    if (seen.length > 4096) throw new Error(`no "${text}" in ${seen.length} bytes`);
    const chunk = new Uint8Array(4096);
    const n = await conn.read(chunk);
    if (n === null) throw new Error(`connection closed after ${seen.length} bytes`);
    seen += decoder.decode(chunk.subarray(0, n));
  }
}

/**
 * Runs a pyzmq DEALER against `port`: it sends `hello` bare (no empty
 * delimiter: the REP discards it after saying it is readable), then
 * malformed shapes (an empty part alone, three parts, an empty body), then
 * one delimited garbage request as a probe. It prints how many replies it
 * got: the three well-delimited requests (three parts, empty body, probe)
 * each earn an error reply, and the probe's proves the client read
 * everything sent before it on that connection and still answers.
 */
async function pyzmqDealer(port: number): Promise<number> {
  const script = `
import sys, time, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, ${PYTHON_TIMEOUT_MS})
s.connect("tcp://127.0.0.1:${port}")
# A pause after each: see LOOK_MS.
for message in ([b"hello"], [b""], [b"", b"a", b"b", b"c"], [b"", b""], [b"", b"\\xff"]):
    s.send_multipart(message)
    time.sleep(${LOOK_MS / 1000})
replies = 0
try:
    for _ in range(3):
        parts = s.recv_multipart()
        assert parts[0] == b"" and len(parts) == 2 and len(parts[1]) > 0, parts
        replies += 1
finally:
    print(replies)
    s.close()
    ctx.term()
`;
  const output = await new Deno.Command(PYTHON, {
    args: ["-c", script],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(PYTHON_TIMEOUT_MS + 5000),
  }).output();
  const decoder = new TextDecoder();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  return Number(decoder.decode(output.stdout).trim());
}

/** ZMTP/1.0 framing: length (flags included), flags (1 = more), body. */
function zmtp1Frame(body: Uint8Array, more: boolean): Uint8Array {
  return Uint8Array.of(body.byteLength + 1, more ? 1 : 0, ...body);
}

/**
 * Raw TCP against `port`: the 5 bytes that ended a client's port (a ZMTP/1.0
 * greeting, then "x" without a delimiter), then a delimited garbage request
 * whose error reply proves the client read past them.
 */
async function rawTcpAttack(port: number): Promise<void> {
  const signal = AbortSignal.timeout(10_000);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(Uint8Array.of(0x01, 0x00, 0x02, 0x00, 0x78));
    await delay(LOOK_MS);
    await conn.write(
      Uint8Array.of(
        ...zmtp1Frame(new Uint8Array(0), true),
        ...zmtp1Frame(Uint8Array.of(0xff), false),
      ),
    );
    // Every error reply's message starts "Cannot".
    await readUntilText(conn, "Cannot", signal);
  } finally {
    conn.close();
  }
}

// ------------------------------------------------------------------ tests

Deno.test("a REQ/REP client keeps serving every port after peers send messages ZeroMQ discards", async () => {
  const [attacked, other] = freePorts(2);
  const FRAMES = 20;
  using logs = new CapturedLogs();
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [attacked, other],
    pattern: 1,
  });
  const received = new Map<number, number[]>([[attacked, []], [other, []]]);
  const receiving = background((async () => {
    for await (const { port, seq } of client) received.get(port)!.push(seq);
  })());

  // The attacks come first, and each ends with a probe the client answers:
  // once they return, the client has read every bad message.
  await rawTcpAttack(attacked);
  assert.equal(
    await pyzmqDealer(attacked),
    3,
    "every delimited request on the attacked port answered",
  );
  assert.equal(await pyzmqDealer(other), 3, "every delimited request on the other port answered");

  const servers = await Promise.all(
    [attacked, other].map((port) =>
      NetGear.open({ multiserverMode: true, port, pattern: 1, requestTimeout: 2000, maxRetries: 0 })
    ),
  );
  try {
    // maxRetries 0: a single unanswered frame is a SendError.
    await within(
      Promise.all(servers.map(async (server) => {
        for (let n = 0; n < FRAMES; n++) await server.send(testFrame(server.port, n));
      })),
      20_000,
      "both servers' frames",
    );
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
  await within(receiving, 10_000, "the client to end after both servers left");
  for (const port of [attacked, other]) {
    assert.deepEqual(
      received.get(port),
      Array.from({ length: FRAMES }, (_, n) => n),
      `port ${port}`,
    );
  }
  assert.equal(client.shutdownReason, "all-gone");
  assert.deepEqual(logs.errors, [], "no receive loop failed");
});

Deno.test("a port whose receive loop fails is reopened, at a bounded rate, and keeps serving", async () => {
  const [port] = freePorts(1);
  const FRAMES = 10;
  const withinMs = 400;
  // Receive calls (counted over every socket of the port) that fail as if
  // ZeroMQ had refused: the first three in a row, then one mid-stream.
  const failing = new Set([1, 2, 3, 10]);
  let calls = 0;
  /** When each failure happened, and when each successful bind began. */
  const failedAt: number[] = [];
  const bindStartedAt: number[] = [];
  class FaultySocket extends ZmqSocket {
    override receive(options?: ZmqOperationOptions): Promise<Uint8Array[]> {
      if (failing.has(++calls)) {
        failedAt.push(performance.now());
        return Promise.reject(
          new TransportOperationError("receive", "EFSM", `injected fault ${calls}`),
        );
      }
      return super.receive(options);
    }
    override async bind(endpoint: string, options?: ZmqOperationOptions): Promise<void> {
      const startedAt = performance.now();
      await super.bind(endpoint, options);
      bindStartedAt.push(startedAt);
    }
  }
  const lines: string[] = [];
  const record = (message: string): void => void lines.push(message);
  const system = new ActorSystem({
    logLevel: "warn",
    logger: { debug: () => {}, info: () => {}, warn: record, error: record },
  });
  await using _ = system;
  const queue = new DeliveryQueue(4);
  let onReady!: (error?: unknown) => void;
  const ready = new Promise<unknown>((resolve) => onReady = resolve);
  const supervisor = system.spawn<ClientSupervisorMessage>("client", {
    create: () =>
      new ClientSupervisor({
        requestReply: true,
        queue,
        transport: (route) => ({
          create: () =>
            new RepClientTransport({
              address: "127.0.0.1",
              ports: [port],
              role: "bind",
              maxMessageSize: 1 << 20,
              onReady,
              route,
              portRestarts: { max: 2, withinMs },
              openSocket: (kind: SocketKind, options: ZmqSocketOptions) =>
                new FaultySocket(kind, options),
            }),
        }),
        liveness: { staleAfterMs: 60_000, goneAfterMs: 120_000, tickMs: 60_000, leaveGraceMs: 0 },
        onStateChange: () => {},
        onAllGone: () => {},
        onTransportLost: () => {},
      }),
    supervisor: CLIENT_SUPERVISION,
  });
  assert.equal(await ready, undefined);

  await using server = await NetGear.open({
    multiserverMode: true,
    port,
    pattern: 1,
    requestTimeout: 300,
    maxRetries: 5,
  });
  const sending = background((async () => {
    for (let n = 0; n < FRAMES; n++) await server.send(testFrame(port, n));
  })());
  const delivered: Received[] = [];
  await within(
    (async () => {
      while (delivered.length < FRAMES) {
        const delivery = (await queue.take())!;
        delivered.push(delivery);
        supervisor.tell({ type: "Consumed", port, seq: delivery.seq, returnData: undefined });
      }
    })(),
    15_000,
    "every frame",
  );
  await within(sending, 5000, "the server's last reply");
  assert.deepEqual(delivered.map((d) => d.seq), Array.from({ length: FRAMES }, (_, n) => n));

  const failures = lines.filter((line) => line.includes(`receive loop on port ${port} failed`));
  assert.equal(failures.length, failing.size, failures.join("\n"));
  assert.ok(failures.every((line) => line.includes("EFSM")), "each names its cause");
  assert.match(failures[2], /reopening the port in \d+ ms \(2 restarts within 400 ms already\)/);
  assert.equal(
    lines.filter((line) => line.includes(`transport failed on port ${port}`)).length,
    failing.size,
    "the supervisor heard of each failure",
  );
  // One socket at start and one per failure. Two reopenings came at once;
  // the third waited until the first had left the 400 ms window.
  assert.equal(bindStartedAt.length, 1 + failing.size, lines.join("\n"));
  const delays = [0, 1, 2].map((i) => bindStartedAt[i + 1] - failedAt[i]);
  assert.ok(delays[0] < withinMs / 2 && delays[1] < withinMs / 2, `reopened after ${delays}`);
  assert.ok(
    bindStartedAt[3] - failedAt[0] >= withinMs - 5,
    `third reopening ${(bindStartedAt[3] - failedAt[0]).toFixed(0)} ms after the first failure`,
  );
});

Deno.test("a spoofed frame number costs one restart, not every later frame of the server", async (t) => {
  const SPOOF = 2 ** 53 - 1;
  for (const pattern of [1, 2] as const) {
    await t.step(pattern === 1 ? "REQ/REP" : "PUB/SUB", async () => {
      const [port] = freePorts(1);
      await using client = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: [port],
        pattern,
      });
      const collector = new Collector(client);
      await using good = await NetGear.open({ multiserverMode: true, port, pattern });
      // The attacker: a REQ (REP port), or an XPUB that can tell when the
      // client's subscription has reached it (SUB port).
      await using attacker = new ZmqSocket(pattern === 1 ? "req" : "xpub");
      attacker.connect(`tcp://127.0.0.1:${port}`);
      if (pattern === 2) {
        const [event] = await attacker.receive({ signal: AbortSignal.timeout(10_000) });
        assert.equal(event[0], 1, "the client subscribed");
      }
      for (let n = 0; n < 5; n++) await good.send(testFrame(port, n), { message: `good-${n}` });
      await collector.reached(5);
      await attacker.send(envelope(port, "frame", SPOOF, "spoof"));
      if (pattern === 1) await attacker.receive({ signal: AbortSignal.timeout(10_000) });
      await collector.reached(6);
      for (let n = 5; n < 10; n++) await good.send(testFrame(port, n), { message: `good-${n}` });
      await collector.reached(11);

      const stats = statsOf(await client.stats(), port);
      assert.deepEqual(
        collector.received.map((r) => r.message),
        [0, 1, 2, 3, 4].map((n) => `good-${n}`).concat(
          "spoof",
          [5, 6, 7, 8, 9].map((n) => `good-${n}`),
        ),
        "plain mode delivers the spoof, and every good frame after it",
      );
      assert.equal(stats.duplicates, 0, "no good frame was taken for a resend");
      assert.equal(stats.lost, 0, "the jump ahead is not counted as lost frames");
      // REQ/REP: the way back to 5; PUB/SUB: the jump ahead too.
      assert.equal(stats.restarts, pattern === 1 ? 1 : 2);
      assert.equal(stats.frames, 11);
    });
  }
});

/** Every `serverstate` event of a client. */
function stateLog(client: NetGearClient): ServerStateEvent[] {
  const log: ServerStateEvent[] = [];
  client.addEventListener("serverstate", (e) => log.push(e.detail));
  return log;
}

Deno.test("a spoofed terminate does not end a server that keeps streaming (plain mode)", async (t) => {
  const heartbeatInterval = 200;
  /** A camera's pace: the good server sends a frame every FRAME_MS. */
  const FRAME_MS = 20;
  for (const pattern of [1, 2] as const) {
    await t.step(pattern === 1 ? "REQ/REP" : "PUB/SUB", async () => {
      const [port] = freePorts(1);
      await using client = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: [port],
        pattern,
        heartbeatInterval,
      });
      const states = stateLog(client);
      const collector = new Collector(client);
      await using good = await NetGear.open({
        multiserverMode: true,
        port,
        pattern,
        heartbeatInterval,
      });
      await using attacker = new ZmqSocket(pattern === 1 ? "req" : "xpub");
      attacker.connect(`tcp://127.0.0.1:${port}`);
      if (pattern === 2) {
        const [event] = await attacker.receive({ signal: AbortSignal.timeout(10_000) });
        assert.equal(event[0], 1, "the client subscribed");
      }
      await good.send(testFrame(port, 0), { message: 0 });
      await collector.reached(1);

      await attacker.send(envelope(port, "terminate", 1));
      if (pattern === 1) await attacker.receive({ signal: AbortSignal.timeout(10_000) });
      const spoofedAt = performance.now();
      // The server streams on for three grace periods.
      let sent = 1;
      for (; performance.now() - spoofedAt < 3 * heartbeatInterval && sent < 200; sent++) {
        await good.send(testFrame(port, sent), { message: sent });
        await delay(FRAME_MS);
      }
      await collector.reached(sent);
      assert.equal(client.shutdownReason, undefined, "the client is still running");
      assert.deepEqual(
        states.map((s) => `${s.state}:${s.reason}`),
        ["live:joined"],
        "never marked gone",
      );
      const stats = statsOf(await client.stats(), port);
      assert.equal(stats.spoofedTerminates, 1);
      assert.equal(stats.state, "live");
      assert.deepEqual(
        collector.received.map((r) => r.message),
        Array.from({ length: sent }, (_, n) => n),
      );

      // The real goodbye is followed by silence: the client ends.
      await good.close();
      const closedAt = performance.now();
      await within(collector.done, 5000, "the client to end after the real goodbye");
      const elapsed = performance.now() - closedAt;
      assert.equal(client.shutdownReason, "all-gone");
      assert.ok(elapsed >= heartbeatInterval - 5, `ended ${elapsed.toFixed(0)} ms after goodbye`);
      assert.ok(elapsed < heartbeatInterval + 1000, `ended ${elapsed.toFixed(0)} ms after goodbye`);
      assert.deepEqual(states.map((s) => `${s.state}:${s.reason}`), [
        "live:joined",
        "gone:terminated",
      ]);
    });
  }
});

Deno.test("an ironhouse client believes a goodbye at once: only known servers can send one", async () => {
  const keys = await Deno.makeTempDir({ prefix: "actorgear-keys-" });
  try {
    await generateKeys(keys);
    const [port] = freePorts(1);
    // A grace period, if one applied, would be 3 s.
    const heartbeatInterval = 3000;
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: [port],
      secureMode: 2,
      keysDir: keys,
      heartbeatInterval,
      livenessTimeout: 10_000,
    });
    const collector = new Collector(client);
    const server = await NetGear.open({
      multiserverMode: true,
      port,
      secureMode: 2,
      keysDir: keys,
      heartbeatInterval,
      livenessTimeout: 10_000,
    });
    await server.send(testFrame(port, 0));
    await collector.reached(1);
    await server.close();
    const closedAt = performance.now();
    await within(collector.done, 5000, "the client to end after the goodbye");
    const elapsed = performance.now() - closedAt;
    assert.equal(client.shutdownReason, "all-gone");
    assert.ok(elapsed < 1000, `ended ${elapsed.toFixed(0)} ms after the goodbye`);
  } finally {
    await Deno.remove(keys, { recursive: true });
  }
});

Deno.test("a port that only sends refused messages is no server, and refused messages keep no server alive", async () => {
  const [serverPort, garbagePort] = freePorts(2);
  const heartbeatInterval = 100;
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [serverPort, garbagePort],
    pattern: 1,
    heartbeatInterval,
    livenessTimeout: 600,
  });
  const states = stateLog(client);
  const stale = new Promise<void>((resolve) =>
    client.addEventListener("serverstate", (e) => {
      const { port, state } = e.detail;
      if (port === serverPort && state === "stale") resolve();
    })
  );
  const collector = new Collector(client);
  using _logs = new CapturedLogs();

  // A server says one thing, then falls silent (no heartbeats: a raw REQ).
  await using server = new ZmqSocket("req");
  server.connect(`tcp://127.0.0.1:${serverPort}`);
  await server.send(envelope(serverPort, "frame", 0, "hello"));
  await server.receive({ signal: AbortSignal.timeout(10_000) });
  await collector.reached(1);

  // Meanwhile garbage keeps arriving on both ports, each piece answered
  // with an error reply, until the client has shut down (at most 10 s).
  const stop = new AbortController();
  const garbage = [serverPort, garbagePort].map((port) =>
    background((async () => {
      await using socket = new ZmqSocket("req");
      socket.connect(`tcp://127.0.0.1:${port}`);
      const until = performance.now() + 10_000;
      let answered = 0;
      while (!stop.signal.aborted && performance.now() < until) {
        await socket.send(Uint8Array.of(0xff, 0x00, port & 0xff));
        let reply: Uint8Array;
        try {
          [reply] = await socket.receive({
            signal: AbortSignal.any([stop.signal, AbortSignal.timeout(5000)]),
          });
        } catch (error) {
          // The client shut down with this request unanswered.
          if (stop.signal.aborted) break;
          throw error;
        }
        assert.equal(codec.decode(reply).error?.code, "malformed-cbor");
        answered++;
        await delay(10);
      }
      return answered;
    })())
  );

  await within(stale, 5000, "the silent server to go stale despite the garbage on its port");
  const stats = await client.stats();
  const garbageStats = statsOf(stats, garbagePort);
  assert.equal(garbageStats.state, "rejected", "a garbage-only port is not a live server");
  assert.equal(garbageStats.frames, 0);
  assert.ok((garbageStats.rejected["malformed-cbor"] ?? 0) > 0);
  assert.equal(statsOf(stats, serverPort).state, "stale");
  assert.deepEqual(client.servers().map((s) => s.port), [serverPort]);

  await within(collector.done, 5000, "the client to end once its only server is gone");
  stop.abort();
  const answered = await Promise.all(garbage);
  assert.ok(answered.every((n) => n > 0), "garbage was answered throughout");
  assert.equal(client.shutdownReason, "all-gone");
  assert.deepEqual(states.map((s) => `${s.port}:${s.state}:${s.reason}`), [
    `${serverPort}:live:joined`,
    `${serverPort}:stale:silent`,
    `${serverPort}:gone:timeout`,
  ]);
});

Deno.test("a slow PUB/SUB consumer gets recent frames from a server sending flat out", async (t) => {
  /** The consumer's pace: it takes one frame, then works this long. */
  const CONSUMER_MS = 300;
  const TAKES = 10;
  for (const jpeg of [false, true]) {
    await t.step(jpeg ? "JPEG" : "raw", async () => {
      const [port] = freePorts(1);
      using logs = new CapturedLogs();
      await using client = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: [port],
        pattern: 2,
      });
      await using server = await NetGear.open({
        multiserverMode: true,
        port,
        pattern: 2,
        jpegCompression: jpeg,
      });
      let stop = false;
      let sent = 0;
      const sending = background((async () => {
        const until = performance.now() + 20_000;
        while (!stop && performance.now() < until) {
          await server.send(testFrame(port, sent, 320, 240), { message: sent });
          sent++;
        }
      })());
      try {
        const first = await within(client.recv(), 10_000, "the first frame");
        assert.ok(first);
        const taken: { received: Received; age: number }[] = [];
        for (let i = 0; i < TAKES; i++) {
          await delay(CONSUMER_MS);
          const received = await within(client.recv(), 5000, `frame ${i}`);
          assert.ok(received);
          // Same clock: the server runs in this process.
          taken.push({ received, age: Date.now() - received.sentAt });
        }
        const seqs = taken.map(({ received }) => received.seq);
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "in order");
        for (const { received } of taken) {
          assert.ok(received.frame, "a frame to show (JPEG decoded)");
          assert.equal(received.frame.width, 320);
        }
        // What the user gets was sent about one consumer period ago at
        // most, not seconds ago from ZeroMQ's and TCP's queues.
        const ages = taken.map(({ age }) => Math.round(age));
        assert.ok(Math.max(...ages) < 1000, `frame ages when taken (ms): ${ages.join(", ")}`);
        const stats = statsOf(await client.stats(), port);
        assert.ok(stats.dropped > 0, "the frames the consumer had no time for were dropped");
        assert.ok(sent > stats.frames, "the server sent far more than was passed on");
      } finally {
        stop = true;
        await sending;
      }
      assert.deepEqual(logs.errors, []);
    });
  }
});
