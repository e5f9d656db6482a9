import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { NetGear } from "../../../actors/netgear/mod.ts";
import { generateKeys } from "../../../transports/security/curve_keys.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { testFrame } from "../../_helpers/frames.ts";

Deno.test("NetGear ironhouse: an authorised server streams, an unknown key gets nowhere", async () => {
  const trusted = await Deno.makeTempDir({ prefix: "actorgear-keys-" });
  const stranger = await Deno.makeTempDir({ prefix: "actorgear-keys-" });
  try {
    await generateKeys(trusted);
    await generateKeys(stranger);
    // The intruder knows the client's public key, but its own key is not trusted.
    await Deno.copyFile(`${trusted}/public_keys/client.key`, `${stranger}/public_keys/client.key`);
    const [goodPort, badPort] = freePorts(2);
    const warnings: string[] = [];
    const originalWarn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
    try {
      await using client = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: [goodPort, badPort],
        secureMode: 2,
        keysDir: trusted,
      });
      const good = await NetGear.open({
        multiserverMode: true,
        port: goodPort,
        secureMode: 2,
        keysDir: trusted,
      });
      const intruder = await NetGear.open({
        multiserverMode: true,
        port: badPort,
        secureMode: 2,
        keysDir: stranger,
        requestTimeout: 400,
        maxRetries: 0,
      });
      // Settles long before the stream ends: keep its outcome, not a rejection nobody awaits yet.
      const startedAt = performance.now();
      const refused = intruder.send(testFrame(badPort, 0), { message: "let me in" }).then(
        () => assert.fail("the intruder's frame was accepted"),
        (error: unknown) => ({ error, afterMs: performance.now() - startedAt }),
      );
      const streaming = (async () => {
        for (let n = 0; n < 10; n++) await good.send(testFrame(goodPort, n), { message: n });
      })();
      const got: number[] = [];
      for (let n = 0; n < 10; n++) {
        const received = await client.recv();
        assert.equal(received?.port, goodPort, "only the authorised server gets through");
        got.push(received.message as number);
      }
      await streaming;
      // The refusal is reported as such, well before requestTimeout (it
      // used to look like an absent client, after every retry).
      const { error, afterMs } = await refused;
      assert.ok(error instanceof Error && error.name === "SendError", String(error));
      assert.equal((error as Error & { code: string }).code, "refused");
      assert.match(error.message, /secureMode 2 \(ironhouse\)/);
      assert.ok(afterMs < 400, `refused after ${afterMs.toFixed(0)} ms`);
      assert.deepEqual(got, [...Array(10).keys()]);
      assert.deepEqual(
        client.servers().map((s) => s.port),
        [goodPort],
        "the intruder was never seen",
      );
      assert.ok(
        warnings.some((w) => /refus/i.test(w) && /127\.0\.0\.1/.test(w)),
        `the refusal is logged with the peer's address: ${JSON.stringify(warnings)}`,
      );
      await intruder.close();
      await good.close();
    } finally {
      console.warn = originalWarn;
    }
  } finally {
    await Deno.remove(trusted, { recursive: true });
    await Deno.remove(stranger, { recursive: true });
  }
});

Deno.test("NetGear stonehouse: encrypted frames arrive intact, and secure mode on one side only fails clearly", async () => {
  const keys = await Deno.makeTempDir({ prefix: "actorgear-keys-" });
  try {
    await generateKeys(keys);
    const [port] = freePorts(1);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: [port],
      pattern: 2,
      secureMode: 1,
      keysDir: keys,
    });
    const plain = await NetGear.open({
      multiserverMode: true,
      port,
      pattern: 2,
      requestTimeout: 300,
      maxRetries: 0,
    });
    // A plain server meeting a CURVE client cannot be told from an absent
    // client (see req_server_transport.ts), but the error says what to check.
    await assert.rejects(
      plain.send(testFrame(port, 0)),
      /no client subscribed within 300 ms.*secureMode 1 or 2/,
    );
    await plain.close();
    const server = await NetGear.open({
      multiserverMode: true,
      port,
      pattern: 2,
      secureMode: 1,
      keysDir: keys,
    });
    const sent = server.send(testFrame(port, 7), { message: "secret" });
    const received = await client.recv();
    await sent;
    assert.equal(received?.message, "secret");
    assert.deepEqual(received?.frame?.data, testFrame(port, 7).data);
    await server.close();
  } finally {
    await Deno.remove(keys, { recursive: true });
  }
});

Deno.test("NetGear.open in secure mode without keys says which file is missing", async () => {
  const empty = await Deno.makeTempDir({ prefix: "actorgear-keys-" });
  try {
    const [port] = freePorts(1);
    await assert.rejects(
      NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: [port],
        secureMode: 1,
        keysDir: empty,
      }),
      (error: unknown) => {
        assert.ok(error instanceof Error && error.name === "OpenError", String(error));
        assert.match(error.message, /client\.key_secret/);
        return true;
      },
    );
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
