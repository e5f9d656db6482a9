import "../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { formatStats } from "../../cli/_stats_view.ts";
import { NetGear } from "../../actors/netgear/mod.ts";
import type { ServerStats } from "../../actors/netgear/mod.ts";
import { freePorts } from "../_helpers/ports.ts";

import { CLI, PERMISSIONS } from "./_cli.ts";

function stats(port: number, lastMessage: unknown): ServerStats {
  return {
    port,
    state: "live",
    frames: 3,
    bytes: 3000,
    fps: 2,
    heartbeats: 0,
    duplicates: 0,
    lost: 0,
    restarts: 0,
    spoofedTerminates: 0,
    rejected: {},
    conflicts: 0,
    serverIds: [],
    lastMessage,
    lastSeq: 2,
    lastSeenAt: Date.now(),
    queued: 0,
    dropped: 0,
  };
}

Deno.test("formatStats shows any last message in its 40 columns: bigint, cycle, escapes", () => {
  const cyclic: Record<string, unknown> = { toString: 1 };
  cyclic.self = cyclic;
  const rows = formatStats([
    stats(5566, 2n ** 40n),
    stats(5567, { nested: [2n ** 64n] }),
    stats(5568, cyclic),
    stats(5569, "\x1b[2Jcleared"),
    stats(5570, "x".repeat(1000)),
    stats(5571, undefined),
  ]).split("\n").slice(1);
  const messages = rows.map((row) => row.slice(row.indexOf(" 0 ") + 3).trimStart());
  assert.deepEqual(messages, [
    "1099511627776n",
    '{"nested":[18446744073709551616n]}',
    '{"toString":1,"self":[Circular]}',
    '"\\u001b[2Jcleared"',
    `"${"x".repeat(38)}…`,
    "",
  ]);
  assert.ok(rows.every((row) => !row.includes("\x1b")), "no escape reaches the terminal");
});

Deno.test("formatStats previews an object message once however often the table is drawn", () => {
  // Listing an object's keys is the one cost that grows with the message: count it.
  let listed = 0;
  const counted = (value: object) =>
    new Proxy(value, {
      ownKeys(target) {
        listed++;
        return Reflect.ownKeys(target);
      },
    });
  const message = counted({ a: 1 });
  const first = formatStats([stats(5566, message)]);
  assert.equal(formatStats([stats(5566, message)]), first);
  assert.match(first, /\{"a":1\}$/);
  assert.equal(listed, 1, "two tables, one preview");
  assert.match(formatStats([stats(5566, counted({ b: 2 }))]), /\{"b":2\}$/);
  assert.equal(listed, 2, "a new message is previewed");
});

Deno.test("CLI client --print shows bigint messages and keeps running until the server leaves", async () => {
  const [port] = freePorts(1);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      CLI,
      "client",
      "--ports",
      String(port),
      "--print",
      "--stats-interval",
      "50",
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  // The client's output so far, read as it comes.
  let output = "";
  const reading = (async () => {
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) output += text;
  })();
  const stderr = new Response(child.stderr).text();

  const big = 2n ** 40n;
  const printed = `port ${port}: 1099511627776n`;
  const row = new RegExp(`^${port} +live .* 1099511627776n$`, "m");
  const server = await NetGear.open({ multiserverMode: true, port, pattern: 1 });
  try {
    // Each send waits for the client's reply: the loop is paced by the
    // client, and ends once both the line and a table row showed the
    // number (the table is drawn every 50 ms while frames come).
    for (let sent = 0; !(output.includes(printed) && row.test(output)); sent++) {
      assert.ok(sent < 20_000, `no bigint shown after ${sent} messages:\n${output}`);
      await server.send(undefined, { message: big, signal: AbortSignal.timeout(10_000) });
    }
    await server.send(undefined, { message: { nested: [-(2n ** 70n)], at: new Date(0) } });
  } finally {
    await server.close();
  }
  const status = await child.status;
  await reading;
  const errors = await stderr;
  assert.equal(status.code, 0, `${output}\n${errors}`);
  assert.doesNotMatch(errors, /TypeError|BigInt/, errors);
  assert.ok(output.includes(printed));
  assert.match(output, row);
  assert.ok(
    output.includes(
      `port ${port}: {"nested":[-1180591620717411303424n],"at":Date(1970-01-01T00:00:00.000Z)}`,
    ),
    output,
  );
  assert.match(output, /client shut down \(all-gone\)/, "it ended because the server left");
});
