import "../../_helpers/preload_native.ts";
/**
 * NetGear over `protocol: "ipc"`: a client binds one Unix domain socket file
 * per port (`<address>:<port>`), servers connect to it, both patterns; the
 * files go when the client closes; CURVE (ironhouse) works the same as over
 * TCP.
 */
import assert from "node:assert/strict";
import { NetGear, type NetGearServer } from "../../../actors/netgear/mod.ts";
import { generateKeys } from "../../../transports/security/curve_keys.ts";
import { testFrame } from "../../_helpers/frames.ts";

const FRAMES = 5;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function stream(server: NetGearServer, port: number): Promise<void> {
  for (let n = 0; n < FRAMES; n++) {
    await server.send(testFrame(port, n), { message: `${port}-${n}` });
  }
  await server.close();
}

for (const pattern of [1, 2] as const) {
  Deno.test(`NetGear over ipc, pattern ${pattern}: a client and two servers, one socket file per port, removed on close`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "actorgear-ipc-" });
    try {
      const address = `${dir}/cams`;
      const ports = [5566, 5567];
      const client = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        protocol: "ipc",
        address,
        port: ports,
        pattern,
      });
      try {
        for (const port of ports) {
          const info = await Deno.lstat(`${address}:${port}`);
          assert.ok(info.isSocket, `the client bound ${address}:${port}`);
        }
        const servers = await Promise.all(
          ports.map((port) =>
            NetGear.open({ multiserverMode: true, protocol: "ipc", address, port, pattern })
          ),
        );
        const sending = Promise.all(servers.map((server, i) => stream(server, ports[i])));
        const got = new Map<number, string[]>(ports.map((port) => [port, []]));
        for await (const { port, message, frame } of client) {
          got.get(port)!.push(message as string);
          assert.equal(frame?.width, 32);
        }
        await sending;
        for (const port of ports) {
          assert.deepEqual(
            got.get(port),
            Array.from({ length: FRAMES }, (_, n) => `${port}-${n}`),
            `port ${port}: every frame, in order, attributed by its socket file`,
          );
        }
        assert.equal(client.shutdownReason, "all-gone");
      } finally {
        await client.close();
      }
      for (const port of ports) {
        assert.equal(await exists(`${address}:${port}`), false, `${address}:${port} removed`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("NetGear over ipc: a bare name lives in /tmp", async () => {
  const name = `actorgear-ipc-test-${crypto.randomUUID().slice(0, 8)}`;
  const port = 6000;
  const path = `/tmp/${name}:${port}`;
  const client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    protocol: "ipc",
    address: name,
    port: [port],
  });
  try {
    assert.ok((await Deno.lstat(path)).isSocket);
    await using server = await NetGear.open({
      multiserverMode: true,
      protocol: "ipc",
      address: name,
      port,
    });
    // REQ/REP: the send is answered when the client takes the frame.
    const sent = server.send(testFrame(port, 0), { message: "hi" });
    assert.equal((await client.recv())?.message, "hi");
    await sent;
  } finally {
    await client.close();
  }
  assert.equal(await exists(path), false);
});

Deno.test("NetGear over ipc with ironhouse CURVE: an authorised server streams, an unknown one is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actorgear-ipc-" });
  const trusted = `${dir}/trusted`;
  const stranger = `${dir}/stranger`;
  try {
    await generateKeys(trusted);
    await generateKeys(stranger);
    await Deno.copyFile(`${trusted}/public_keys/client.key`, `${stranger}/public_keys/client.key`);
    const address = `${dir}/secure`;
    const [goodPort, badPort] = [7001, 7002];
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      protocol: "ipc",
      address,
      port: [goodPort, badPort],
      secureMode: 2,
      keysDir: trusted,
    });
    await using good = await NetGear.open({
      multiserverMode: true,
      protocol: "ipc",
      address,
      port: goodPort,
      secureMode: 2,
      keysDir: trusted,
    });
    await using intruder = await NetGear.open({
      multiserverMode: true,
      protocol: "ipc",
      address,
      port: badPort,
      secureMode: 2,
      keysDir: stranger,
      requestTimeout: 500,
      maxRetries: 0,
    });
    const refused = intruder.send(testFrame(badPort, 0)).then(
      () => assert.fail("the intruder's frame was accepted"),
      (error: unknown) => error,
    );
    for (let n = 0; n < 3; n++) {
      const sent = good.send(testFrame(goodPort, n), { message: n });
      const received = await client.recv();
      assert.equal(received?.port, goodPort);
      assert.equal(received?.message, n);
      await sent;
    }
    const error = await refused;
    assert.ok(error instanceof Error && error.name === "SendError", String(error));
    assert.deepEqual(client.servers().map((s) => s.port), [goodPort]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
