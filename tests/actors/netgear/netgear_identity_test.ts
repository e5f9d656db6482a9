import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import {
  NetGear,
  type NetGearClientEventMap,
  type ServerConflictEvent,
} from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { testFrame } from "../../_helpers/frames.ts";

/** Resolves with the first `serverconflict` event's detail. */
function nextConflict(client: EventTarget): Promise<ServerConflictEvent> {
  return new Promise((resolve) =>
    client.addEventListener(
      "serverconflict",
      (event) => resolve((event as NetGearClientEventMap["serverconflict"]).detail),
      { once: true },
    )
  );
}

/** Silences the client's own error line for a conflict this test makes on purpose. */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const error = console.error;
  console.error = () => {};
  try {
    return await run();
  } finally {
    console.error = error;
  }
}

for (const pattern of [1, 2] as const) {
  const name = pattern === 1 ? "REQ/REP" : "PUB/SUB";
  Deno.test(`${name}: two servers on one port are reported as a conflict, and every frame of both is delivered, tagged`, async () => {
    await quietly(async () => {
      const [port] = freePorts(1);
      await using client = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: [port],
        pattern,
      });
      const conflict = nextConflict(client);
      const servers = await Promise.all(
        [0, 1].map(() => NetGear.open({ multiserverMode: true, port, pattern })),
      );
      const ids = servers.map((server) => server.serverId);
      assert.notEqual(ids[0], ids[1], "each server has its own identity");
      const perServer = 20;
      const sending = servers.map(async (server, i) => {
        for (let n = 0; n < perServer; n++) {
          await server.send(testFrame(port, n), { message: { from: i, n } });
          // PUB/SUB: a little pacing so that the client, which keeps only
          // the newest frame while recv has no room, drops none.
          if (pattern === 2) await new Promise((resolve) => setTimeout(resolve, 5));
        }
      });
      const got: { from: number; n: number; serverId: string | undefined }[] = [];
      while (got.length < 2 * perServer) {
        const received = await client.recv();
        assert.ok(received !== null);
        const { from, n } = received.message as { from: number; n: number };
        got.push({ from, n, serverId: received.serverId });
      }
      await Promise.all(sending);
      const detail = await conflict;
      assert.equal(detail.port, port);
      assert.deepEqual([...detail.serverIds].sort(), [...ids].sort());
      for (const { from, serverId } of got) {
        assert.equal(serverId, ids[from], "each frame is tagged with its sender's identity");
      }
      for (const from of [0, 1]) {
        assert.deepEqual(
          got.filter((g) => g.from === from).map((g) => g.n),
          Array.from({ length: perServer }, (_, n) => n),
          `server ${from}: every frame once, in order (none taken for a resend)`,
        );
      }
      const [stats] = await client.stats();
      assert.equal(stats.conflicts, 1);
      assert.deepEqual([...stats.serverIds].sort(), [...ids].sort());
      assert.equal(stats.duplicates, 0);
      await Promise.all(servers.map((server) => server.close()));
    });
  });
}

Deno.test("a server restarted on its port (new identity after a goodbye) is no conflict", async () => {
  const [port] = freePorts(1);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
  });
  let conflicts = 0;
  client.addEventListener("serverconflict", () => conflicts++);
  const ids: string[] = [];
  for (let run = 0; run < 2; run++) {
    const server = await NetGear.open({ multiserverMode: true, port });
    ids.push(server.serverId);
    const sent = server.send(testFrame(port, 0), { message: run });
    const received = await client.recv();
    await sent;
    assert.equal(received?.serverId, server.serverId);
    await server.close();
  }
  const [stats] = await client.stats();
  assert.equal(conflicts, 0);
  assert.equal(stats.conflicts, 0);
  assert.deepEqual(stats.serverIds, ids, "both runs' identities, oldest first");
});
