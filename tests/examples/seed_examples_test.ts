import assert from "node:assert/strict";
import { freePorts } from "../_helpers/ports.ts";

const PERMISSIONS = ["--allow-read", "--allow-env", "--allow-ffi", "--allow-run"];
const decoder = new TextDecoder();

function script(name: string): string {
  return new URL(`../../examples/${name}`, import.meta.url).pathname;
}

async function runScenario(folder: string): Promise<{ client: string; servers: string[] }> {
  const ports = freePorts(2);
  const client = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, script(`${folder}/client.ts`), "--ports", ports.join(",")],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  const servers = ports.map((port) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...PERMISSIONS,
        script(`${folder}/server.ts`),
        "--port",
        String(port),
        "--frames",
        "5",
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output()
  );
  const [clientOutput, ...serverOutputs] = await Promise.all([client.output(), ...servers]);
  const text = decoder.decode(clientOutput.stdout) + decoder.decode(clientOutput.stderr);
  assert.equal(clientOutput.code, 0, text);
  for (const output of serverOutputs) {
    assert.equal(output.code, 0, decoder.decode(output.stderr));
  }
  assert.match(
    text,
    new RegExp(
      `last frames from ports ${ports.join(", ")}|last frames from ports ${
        [...ports].reverse().join(", ")
      }`,
    ),
  );
  return { client: text, servers: serverOutputs.map((o) => decoder.decode(o.stdout)) };
}

for (const folder of ["bare_minimum_reqrep", "bare_minimum_pubsub"]) {
  Deno.test(`examples/${folder}: two servers stream to the client, which exits when both leave`, async () => {
    const { client } = await runScenario(folder);
    assert.match(client, /every server has gone/);
  });
}

Deno.test("examples/custom_data: the client prints each server's message", async () => {
  const { client } = await runScenario("custom_data");
  const lines = client.split("\n").filter((line) =>
    /^port \d+: I'm Server at Port: \d+$/.test(line)
  );
  assert.equal(lines.length, 10, client);
  for (const line of lines) {
    const [, from, named] = line.match(/^port (\d+): I'm Server at Port: (\d+)$/)!;
    assert.equal(from, named, "each message is attributed to the server that sent it");
  }
});

Deno.test("examples/bidirectional: every server prints the data the client sent back", async () => {
  const { servers } = await runScenario("bidirectional");
  for (const output of servers) {
    assert.equal(
      output.split("\n").filter((l) => l === "Hi, I am a Client here.").length,
      5,
      output,
    );
  }
});
