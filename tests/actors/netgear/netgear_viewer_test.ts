import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { NetGear } from "../../../actors/netgear/mod.ts";
import { ConfigurationError } from "../../../actors/netgear/mod.ts";
import { ViewerError } from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";

Deno.test("NetGear client with viewer: true serves the live view until it shuts down", async () => {
  const ports = freePorts(1);
  const client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: ports,
    viewer: true,
  });
  try {
    assert.match(client.viewerUrl!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(client.viewerUrl!);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /ActorGear live view/);
  } finally {
    await client.close();
  }
  await assert.rejects(fetch(client.viewerUrl!), TypeError, "the viewer closed with the client");
});

Deno.test("NetGear client without the viewer option has no viewerUrl", async () => {
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: freePorts(1),
  });
  assert.equal(client.viewerUrl, undefined);
});

Deno.test("NetGear refuses a viewer on a server, bad viewer options, and a viewer port in use", async () => {
  await assert.rejects(
    NetGear.open({ multiserverMode: true, port: 5566, viewer: true }),
    (error: Error) => error instanceof ConfigurationError && error.option === "viewer",
  );
  await assert.rejects(
    NetGear.open({ receiveMode: true, multiserverMode: true, port: [5566], viewer: { port: -1 } }),
    (error: Error) => error instanceof ConfigurationError && error.option === "viewer.port",
  );
  await assert.rejects(
    NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: [5566],
      viewer: { path: "/" } as never,
    }),
    ConfigurationError,
  );
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(
      NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: freePorts(1),
        viewer: { port: taken.addr.port },
      }),
      ViewerError,
      "the client is closed again when its viewer cannot listen",
    );
  } finally {
    taken.close();
  }
});

Deno.test("NetGear client logs a frame listener's odd throw safely and keeps delivering", async () => {
  const [port] = freePorts(1);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
  });
  // A listener that throws what a server sent: a cycle whose toString is no
  // function, on which String() itself throws.
  const thrown: Record<string, unknown> = { toString: 1 };
  thrown.self = thrown;
  const untap = client.onFrame(() => {
    throw thrown;
  });
  const logged: string[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => void logged.push(args.join(" "));
  try {
    await using server = await NetGear.open({ multiserverMode: true, port });
    const [received] = await Promise.all([client.recv(), server.send(undefined, { message: 1 })]);
    assert.equal(received?.message, 1, "the frame is delivered despite the listener");
  } finally {
    console.error = consoleError;
    untap();
  }
  assert.deepEqual(logged, [
    '[netgear] a frame listener threw: {"toString":1,"self":[Circular]}',
  ]);
});
