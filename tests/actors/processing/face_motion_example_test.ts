import assert from "node:assert/strict";
import { freePorts } from "../../_helpers/ports.ts";
import { imagePath, NO_FFMPEG } from "./_image.ts";

const PERMISSIONS = ["--allow-read", "--allow-env", "--allow-ffi", "--allow-run"];
const decoder = new TextDecoder();

function script(name: string): string {
  return new URL(`../../../examples/face_motion/${name}`, import.meta.url).pathname;
}

function run(args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(90_000),
  }).output();
}

Deno.test({
  name:
    "examples/face_motion: the client reports the face on one stream and the motion on the other",
  ignore: NO_FFMPEG,
  async fn() {
    const [still, moving] = freePorts(2);
    const client = run([script("client.ts"), "--ports", `${still},${moving}`, "--interval", "0"]);
    const servers = Promise.all([
      run([
        script("server.ts"),
        "--port",
        `${still}`,
        "--input",
        imagePath("astronaut.png"),
        "--frames",
        "20",
      ]),
      run([script("server.ts"), "--port", `${moving}`, "--frames", "20"]),
    ]);
    const [clientOutput, serverOutputs] = await Promise.all([client, servers]);
    const text = decoder.decode(clientOutput.stdout);
    assert.equal(clientOutput.code, 0, text + decoder.decode(clientOutput.stderr));
    for (const output of serverOutputs) assert.equal(output.code, 0, decoder.decode(output.stderr));
    const lines = text.split("\n");
    const faces = lines.filter((l) => /^face at port \d+, score 0\.\d\d$/.test(l));
    const motion = lines.filter((l) => /^motion at port \d+: \d+ regions?$/.test(l));
    assert.ok(faces.length > 0, text);
    assert.ok(motion.length > 0, text);
    assert.ok(
      faces.every((l) => l.includes(`port ${still},`)),
      "faces only in the astronaut's stream",
    );
    assert.ok(
      motion.every((l) => l.includes(`port ${moving}:`)),
      "motion only in the moving pattern",
    );
    assert.match(text, /frames: 40 in/);
    assert.match(text, /stage faces \(worker\): \d+ processed/);
  },
});
