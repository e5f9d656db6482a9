import "../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { type ClientReply, NetGear, type NetGearClient } from "../../actors/netgear/mod.ts";
import { freePorts } from "../_helpers/ports.ts";

import { cli } from "./_cli.ts";
const decoder = new TextDecoder();

/** Receives until the client shuts down, answering with `returnData`; counts frames. */
async function drain(client: NetGearClient, returnData?: unknown): Promise<number> {
  let frames = 0;
  while ((await client.recv({ returnData })) !== null) frames++;
  await client.close();
  return frames;
}

Deno.test("CLI server --multiclient shares its frames out among every --port and prints who answered", async () => {
  const ports = freePorts(3);
  const clients = await Promise.all(
    ports.map((port) =>
      NetGear.open({ receiveMode: true, multiclientMode: true, bidirectionalMode: true, port })
    ),
  );
  const receiving = Promise.all(clients.map((client, i) => drain(client, `hi from ${ports[i]}`)));
  const server = await cli([
    "server",
    "--multiclient",
    "--port",
    ports.join(","),
    "--bidirectional",
    "--frames",
    "9",
    "--fps",
    "0",
    "--width",
    "32",
    "--height",
    "24",
  ]).output();
  const output = decoder.decode(server.stdout);
  assert.equal(server.code, 0, output + decoder.decode(server.stderr));
  const answers = output.split("\n").filter((line) => line.startsWith("client on port "));
  assert.equal(answers.length, 9, output);
  for (const line of answers) {
    const [, port, named] = line.match(/^client on port (\d+) says: "hi from (\d+)"$/)!;
    assert.equal(port, named, "the port given is that of the client that answered");
  }
  assert.match(output, new RegExp(`server on ports ${ports.join(",")}: sent 9 frames`));
  const frames = await receiving;
  assert.equal(frames.reduce((a, b) => a + b, 0), 9, "each frame went to one client");
  assert.ok(frames.every((n) => n > 0), `every client had a share: ${frames}`);
});

Deno.test("CLI client --multiclient binds its one port and leaves on the server's goodbye", async () => {
  const [port, other] = freePorts(2);
  const child = cli(["client", "--multiclient", "--ports", String(port), "--stats-interval", "0"]);
  const stdout = new Response(child.stdout).text();
  const stderr = new Response(child.stderr).text();
  const peer = await NetGear.open({ receiveMode: true, multiclientMode: true, port: other });
  const peerFrames = drain(peer);
  const server = await NetGear.open({ multiclientMode: true, port: [port, other] });
  const answeredBy = new Set<number>();
  for (let n = 0; n < 10 || !answeredBy.has(port); n++) {
    assert.ok(n < 1000, "the CLI client never answered");
    const reply = await server.send(undefined, { message: n }) as ClientReply;
    answeredBy.add(reply.port);
  }
  await server.close();
  const status = await child.status;
  const output = await stdout;
  assert.equal(status.code, 0, output + (await stderr));
  assert.match(output, /client shut down \(all-gone\)/);
  assert.ok((await peerFrames) > 0);
});

Deno.test("CLI client --multiclient with several ports says a multi-client client binds one", async () => {
  const ports = freePorts(2);
  const { code, stderr } = await cli(["client", "--multiclient", "--ports", ports.join(",")])
    .output();
  assert.equal(code, 2);
  assert.match(decoder.decode(stderr), /one port for a multi-client client/);
});
