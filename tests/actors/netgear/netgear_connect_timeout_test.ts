import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { NetGear } from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { testFrame } from "../../_helpers/frames.ts";

/** Runs `body` with console.error captured. */
async function capturingErrors(body: (lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    await body(lines);
  } finally {
    console.error = error;
  }
}

for (const pattern of [1, 2] as const) {
  Deno.test(`pattern ${pattern}: a client no server reaches shuts down after connectTimeout, saying where it listened and what to check`, async () => {
    await capturingErrors(async (lines) => {
      const ports = freePorts(2);
      const connectTimeout = 300;
      await using client = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: ports,
        pattern,
        connectTimeout,
      });
      const started = performance.now();
      assert.equal(await client.recv(), null);
      const elapsed = performance.now() - started;
      assert.equal(client.shutdownReason, "connect-timeout");
      assert.ok(
        elapsed >= connectTimeout - 20 && elapsed < connectTimeout + 1000,
        `${elapsed} ms`,
      );
      const said = lines.join("\n");
      for (const port of ports) assert.match(said, new RegExp(`tcp://127\\.0\\.0\\.1:${port}`));
      assert.match(said, /option "connectTimeout"/);
      assert.match(said, /multiserverMode, pattern \d \(.+\) and secureMode 0/);
      assert.match(said, /wire "cbor" is theirs \(Python vidgear servers need wire "vidgear"\)/);
    });
  });
}

Deno.test("connectTimeout: a client a server reaches in time keeps running past it", async () => {
  await capturingErrors(async (lines) => {
    const [port] = freePorts(1);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: [port],
      connectTimeout: 300,
    });
    await using server = await NetGear.open({ multiserverMode: true, port });
    const sent = server.send(testFrame(port, 0));
    assert.equal((await client.recv())?.port, port);
    await sent;
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(client.shutdownReason, undefined);
    const later = server.send(testFrame(port, 1));
    assert.equal((await client.recv())?.seq, 1);
    await later;
    assert.deepEqual(lines, []);
  });
});

Deno.test("connectTimeout: the message names refused messages, a server with other settings", async () => {
  await capturingErrors(async (lines) => {
    const [port] = freePorts(1);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: [port],
      connectTimeout: 500,
    });
    // Bytes that are no envelope: refused, answered with an error reply.
    const { ZmqSocket } = await import("../../../transports/zmq/zmq_socket.ts");
    await using req = new ZmqSocket("req");
    req.connect(`tcp://127.0.0.1:${port}`);
    await req.send([new Uint8Array([1, 2, 3])]);
    await req.receive({ signal: AbortSignal.timeout(2000) });
    assert.equal(await client.recv(), null);
    assert.equal(client.shutdownReason, "connect-timeout");
    assert.match(lines.join("\n"), new RegExp(`Messages were refused .*port ${port}: 1 x `));
  });
});
