import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import {
  type ClientReply,
  ConfigurationError,
  NetGear,
  type NetGearClient,
  type NetGearOptions,
  type NetGearServer,
} from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { sha256, testFrame } from "../../_helpers/frames.ts";

/** Quick enough to drop and rejoin a client within a test. */
const TIMING = { requestTimeout: 500, heartbeatInterval: 200, livenessTimeout: 1500 } as const;
/** For tests where no client should ever be late: a loaded machine cannot make one miss a reply. */
const STEADY = { ...TIMING, requestTimeout: 4000 } as const;

function openClient(port: number, options: NetGearOptions = {}): Promise<NetGearClient> {
  return NetGear.open({
    receiveMode: true,
    multiclientMode: true,
    port,
    ...TIMING,
    ...options,
  }) as Promise<NetGearClient>;
}

/** Reopens a client on a port just closed: ZeroMQ may hold it for a moment. */
async function reopenClient(port: number, options: NetGearOptions = {}): Promise<NetGearClient> {
  for (let attempt = 0;; attempt++) {
    try {
      return await openClient(port, options);
    } catch (error) {
      if (attempt >= 40) throw error;
      await delay(50);
    }
  }
}

/** Everything a client receives, until it shuts down. */
function collect(
  client: NetGearClient,
  returnData?: unknown,
): { messages: unknown[]; done: Promise<void> } {
  const messages: unknown[] = [];
  const done = (async () => {
    for (;;) {
      const received = await client.recv({ returnData });
      if (received === null) return;
      messages.push(received.message);
    }
  })();
  return { messages, done };
}

/** Closes every client: one that shut itself down may still be closing its sockets. */
async function closeAll(clients: readonly NetGearClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.close()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `check` holds, failing after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const giveUp = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > giveUp) assert.fail(`timed out waiting until ${what}`);
    await delay(10);
  }
}

function states(server: NetGearServer): string[] {
  return server.clients().map((client) => client.state);
}

Deno.test("multi-client REQ/REP shares frames out among 3 clients, each answered exactly once by the port send() returns", async () => {
  const ports = freePorts(3);
  const clients = await Promise.all(ports.map((port) => openClient(port)));
  const runs = clients.map((client) => collect(client));
  const server = await NetGear.open({ multiclientMode: true, port: ports, ...STEADY });
  const count = 30;
  const answeredBy: number[] = [];
  for (let n = 0; n < count; n++) {
    const reply = await server.send(testFrame(ports[0], n), { message: n }) as ClientReply;
    assert.ok(ports.includes(reply.port), `frame ${n} answered by a client port`);
    assert.equal(reply.data, undefined, "no return data outside bidirectional mode");
    answeredBy.push(reply.port);
  }
  const stats = server.stats();
  await server.close();
  await Promise.all(runs.map((run) => run.done));
  await closeAll(clients);

  for (const [i, port] of ports.entries()) {
    const expected = answeredBy.flatMap((by, n) => by === port ? [n] : []);
    assert.deepEqual(
      runs[i].messages,
      expected,
      `client ${port} got exactly the frames it answered`,
    );
    assert.ok(
      expected.length >= 5,
      `client ${port} had its share (${expected.length} of ${count})`,
    );
  }
  assert.equal(stats.sent, count);
  assert.deepEqual(stats.clients?.map((c) => c.port), ports);
  for (const client of stats.clients!) {
    assert.equal(client.answered, answeredBy.filter((port) => port === client.port).length);
    assert.equal(client.sent, client.answered);
    assert.equal(client.failed, 0);
    assert.equal(client.state, "live");
  }
  assert.deepEqual(
    clients.map((client) => client.shutdownReason),
    ["all-gone", "all-gone", "all-gone"],
    "the server's goodbye ends every client",
  );
});

Deno.test("multi-client bidirectional mode returns { port, data } from the client that took the frame", async () => {
  const ports = freePorts(3);
  const options = { bidirectionalMode: true } as const;
  const clients = await Promise.all(ports.map((port) => openClient(port, options)));
  const runs = clients.map((client, i) => collect(client, { from: ports[i] }));
  const server = await NetGear.open({ multiclientMode: true, port: ports, ...options, ...STEADY });
  const seen = new Set<number>();
  for (let n = 0; n < 12; n++) {
    const frame = testFrame(ports[1], n);
    const { port, data } = await server.send(frame, { message: n }) as ClientReply;
    assert.deepEqual(data, { from: port }, "the data comes from the client that answered");
    seen.add(port);
  }
  await server.close();
  await Promise.all(runs.map((run) => run.done));
  await closeAll(clients);
  assert.equal(seen.size, 3, "every client answered some frames");
});

Deno.test("multi-client REQ/REP drops a killed client from the rotation, keeps streaming, and takes it back when it restarts", async () => {
  const ports = freePorts(3);
  const [a, b, c] = ports;
  const clients = await Promise.all(ports.map((port) => openClient(port)));
  const runs = clients.map((client) => collect(client));
  const server = await NetGear.open({ multiclientMode: true, port: ports, ...TIMING });
  const answeredBy: number[] = [];
  const expected: string[] = [];
  let n = 0;
  const send = async () => {
    const frame = testFrame(a, n);
    expected.push(await sha256(frame.data));
    const reply = await server.send(frame, { message: n++ }) as ClientReply;
    answeredBy.push(reply.port);
  };

  for (let k = 0; k < 9; k++) await send();
  await clients[1].close();
  await runs[1].done;
  const killedAt = n;
  // The next frames reach b's lane at most once more (its turn comes, it
  // does not answer, the frame goes on); then the others share the stream.
  for (let k = 0; k < 15; k++) await send();
  const afterKill = answeredBy.slice(killedAt);
  assert.ok(!afterKill.includes(b), "the killed client answers nothing");
  assert.ok(afterKill.includes(a) && afterKill.includes(c), "the others share the stream");
  await until(() => server.clients()[1].state !== "live", "the server sees b stale");
  assert.ok(server.stats().clients![1].failed >= 1, "b missed at least one reply");

  // b comes back on the same port: its lane's probes find it, and it rejoins.
  const restarted = await reopenClient(b);
  const rerun = collect(restarted);
  await until(() => server.clients()[1].state === "live", "b is live again");
  const rejoinedAt = n;
  for (let k = 0; k < 12; k++) await send();
  assert.ok(answeredBy.slice(rejoinedAt).includes(b), "the restarted client gets frames again");

  await server.close();
  await Promise.all([runs[0].done, runs[2].done, rerun.done]);
  await closeAll([...clients, restarted]);
  assert.equal(answeredBy.length, n, "every frame was answered, once");
  // Each frame was delivered to the client that answered it (a frame the
  // killed client took but never answered went on to another client).
  const delivered = new Map<number, Set<unknown>>([
    [a, new Set(runs[0].messages)],
    [c, new Set(runs[2].messages)],
    [b, new Set([...runs[1].messages, ...rerun.messages])],
  ]);
  for (const [frame, port] of answeredBy.entries()) {
    assert.ok(delivered.get(port)!.has(frame), `frame ${frame} delivered by ${port}`);
  }
  assert.equal(restarted.shutdownReason, "all-gone");
  assert.equal(clients[0].shutdownReason, "all-gone");
  assert.equal(clients[2].shutdownReason, "all-gone");
});

Deno.test("multi-client heartbeats keep every idle client live, and the goodbye ends them all", async () => {
  for (const pattern of [1, 2] as const) {
    const ports = freePorts(3);
    const clients = await Promise.all(ports.map((port) => openClient(port, { pattern })));
    const runs = clients.map((client) => collect(client));
    const server = await NetGear.open({ multiclientMode: true, port: ports, pattern, ...TIMING });
    await until(() => states(server).every((s) => s === "live"), `pattern ${pattern}: all live`);
    // Twice livenessTimeout with nothing to send: only heartbeats keep the clients.
    await delay(2 * TIMING.livenessTimeout);
    assert.deepEqual(clients.map((client) => client.shutdownReason), [
      undefined,
      undefined,
      undefined,
    ]);
    for (const client of clients) assert.deepEqual(client.servers().map((s) => s.state), ["live"]);
    assert.deepEqual(states(server), ["live", "live", "live"]);
    assert.ok(server.stats().clients!.every((c) => c.heartbeats > 0), "each client got heartbeats");
    await server.close();
    await Promise.all(runs.map((run) => run.done));
    await closeAll(clients);
    assert.deepEqual(clients.map((client) => client.shutdownReason), [
      "all-gone",
      "all-gone",
      "all-gone",
    ]);
  }
});

Deno.test("multi-client PUB/SUB sends every frame to every client", async () => {
  const ports = freePorts(3);
  const clients = await Promise.all(ports.map((port) => openClient(port, { pattern: 2 })));
  const hashes = ports.map(() => [] as string[]);
  const seqs = ports.map(() => [] as number[]);
  const runs = clients.map(async (client, i) => {
    for await (const { frame, seq, message } of client) {
      assert.equal(message, seq, "each client numbers from its own lane, without gaps");
      hashes[i].push(await sha256(frame!.data));
      seqs[i].push(seq);
    }
  });
  const server = await NetGear.open({ multiclientMode: true, port: ports, pattern: 2, ...STEADY });
  await until(() => states(server).every((s) => s === "live"), "every client subscribed");
  const count = 20;
  const expected: string[] = [];
  for (let n = 0; n < count; n++) {
    const frame = testFrame(ports[2], n);
    expected.push(await sha256(frame.data));
    assert.equal(await server.send(frame, { message: n }), undefined);
    // Paced by the slowest client, so that nothing is dropped for a slow
    // reader (this test is about every client getting every frame).
    await until(() => seqs.every((s) => s.length > n), `every client has frame ${n}`, 5000);
  }
  const stats = server.stats();
  await server.close();
  await Promise.all(runs);
  await closeAll(clients);
  for (const i of ports.keys()) {
    assert.deepEqual(seqs[i], Array.from({ length: count }, (_, n) => n), `client ${ports[i]}`);
    assert.deepEqual(hashes[i], expected, `client ${ports[i]} got every frame intact`);
  }
  assert.equal(stats.sent, count);
  for (const client of stats.clients!) {
    assert.equal(client.sent, count);
    assert.equal(client.failed, 0);
  }
  assert.deepEqual(clients.map((client) => client.shutdownReason), [
    "all-gone",
    "all-gone",
    "all-gone",
  ]);
});

Deno.test("multi-client PUB/SUB streams on to the others when a client leaves", async () => {
  const ports = freePorts(3);
  const clients = await Promise.all(ports.map((port) => openClient(port, { pattern: 2 })));
  const runs = clients.map((client) => collect(client));
  const server = await NetGear.open({ multiclientMode: true, port: ports, pattern: 2, ...TIMING });
  await until(() => states(server).every((s) => s === "live"), "every client subscribed");
  await server.send(undefined, { message: "first" });
  await clients[0].close();
  await runs[0].done;
  const started = performance.now();
  for (let n = 0; n < 10; n++) await server.send(undefined, { message: n });
  assert.ok(
    performance.now() - started < TIMING.requestTimeout,
    "no frame waits for the client that left",
  );
  await until(() => states(server)[0] !== "live", "the server sees the first client leave");
  await server.close();
  await Promise.all(runs.map((run) => run.done));
  await closeAll(clients);
  for (const run of runs.slice(1)) {
    assert.equal(run.messages.at(-1), 9, "the remaining clients got the stream to its end");
  }
});

Deno.test("multi-client configuration errors name the option, the value and what is valid", async () => {
  const refused = async (options: NetGearOptions, pattern: RegExp) => {
    const error = await NetGear.open(options).then(
      async (opened) => {
        await opened.close();
        assert.fail(`opened with ${JSON.stringify(options)}`);
      },
      (error) => error,
    );
    assert.ok(error instanceof ConfigurationError, String(error));
    assert.match(error.message, pattern);
    return error;
  };
  const client = { receiveMode: true, multiclientMode: true } as const;
  let error = await refused(
    { ...client, port: [5566, 5567] },
    /one port for a multi-client client/,
  );
  assert.equal(error.option, "port");
  assert.deepEqual(error.value, [5566, 5567]);
  assert.match(error.message, /option "port" is \[5566, 5567\]/);

  error = await refused(
    { multiclientMode: true, port: 5566 },
    /list of every client's distinct port/,
  );
  assert.equal(error.option, "port");
  await refused({ multiclientMode: true, port: [] }, /non-empty list/);
  await refused({ multiclientMode: true, port: [5566, 5566] }, /5566 appears more than once/);
  await refused({ multiclientMode: true, port: [5566, 0] }, /integers from 1 to 65535 \(got 0\)/);

  error = await refused(
    { ...client, port: 5566, multiserverMode: true },
    /multiserverMode and multiclientMode cannot be enabled together/,
  );
  assert.equal(error.option, "multiclientMode");
  error = await refused(
    { ...client, port: 5566, pattern: 0 },
    /expected 1 \(REQ\/REP\) or 2 \(PUB\/SUB\) in multi-client mode/,
  );
  assert.equal(error.option, "pattern");
  await refused(
    { multiclientMode: true, port: [5566, 5567], pattern: 2, bidirectionalMode: true },
    /bidirectional mode needs pattern 1/,
  );
});
