import assert from "node:assert/strict";
import { freePorts } from "../_helpers/ports.ts";

const PERMISSIONS = ["--allow-read", "--allow-env", "--allow-ffi", "--allow-run"];
const decoder = new TextDecoder();

function script(name: string): string {
  return new URL(`../../examples/${name}`, import.meta.url).pathname;
}

Deno.test("examples/multi_client: one server shares its frames among three clients, which leave with it", async () => {
  const ports = freePorts(3);
  const clients = ports.map((port) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, script("multi_client/client.ts"), "--port", String(port)],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).spawn()
  );
  // Each client's output, read as it comes: the server starts once all are bound.
  const outputs = ports.map(() => "");
  const reading = clients.map(async (child, i) => {
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) outputs[i] += text;
  });
  const errors = clients.map((child) => new Response(child.stderr).text());
  const giveUp = performance.now() + 30_000;
  while (!outputs.every((text) => text.includes("client ready on port"))) {
    assert.ok(performance.now() < giveUp, `clients not ready:\n${outputs.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const server = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      script("multi_client/server.ts"),
      "--ports",
      ports.join(","),
      "--frames",
      "9",
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const serverText = decoder.decode(server.stdout);
  assert.equal(server.code, 0, serverText + decoder.decode(server.stderr));
  const answers = serverText.split("\n").filter((line) => /^client \d+: /.test(line));
  assert.equal(answers.length, 9, serverText);
  for (const line of answers) {
    const [, port, named] = line.match(/^client (\d+): Hi, I am Client at Port: (\d+)$/)!;
    assert.equal(port, named, "send() names the client that answered");
  }
  const statuses = await Promise.all(clients.map((child) => child.status));
  await Promise.all(reading);
  let total = 0;
  for (const [i, status] of statuses.entries()) {
    assert.equal(status.code, 0, outputs[i] + (await errors[i]));
    const [, frames] = outputs[i].match(
      /the server has gone; client on port \d+ got (\d+) frames/,
    )!;
    total += Number(frames);
  }
  assert.equal(total, 9, "every frame went to exactly one client");
});
