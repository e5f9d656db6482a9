/**
 * The root entry point: what importing it loads, and what it exports.
 *
 * @module
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Runs `deno <args>` in the project's root and returns its standard output. */
async function deno(...args: string[]): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

Deno.test("importing mod.ts does not load MediaPipe or any processing module", async () => {
  const graph = JSON.parse(await deno("info", "--json", "mod.ts")) as {
    modules: { specifier: string }[];
  };
  const specifiers = graph.modules.map((module) => module.specifier);
  assert.ok(specifiers.some((s) => s.endsWith("/actors/netgear/netgear.ts")), "NetGear is there");
  assert.deepEqual(specifiers.filter((s) => s.includes("@mediapipe/")), []);
  assert.deepEqual(specifiers.filter((s) => s.includes("/actors/processing/")), []);
});

Deno.test("mod.ts exports what a NetGear user needs, and no internal names", async () => {
  const doc = JSON.parse(await deno("doc", "--json", "mod.ts")) as {
    nodes: Record<string, { symbols: { name: string }[] }>;
  };
  const names = new Set(
    Object.values(doc.nodes).flatMap((node) => node.symbols.map((s) => s.name)),
  );
  for (
    const name of [
      "NetGear",
      "NetGearClient",
      "NetGearServer",
      "NetGearOptions",
      "NetGearClientEventMap",
      "Received",
      "SendError",
      "ConfigurationError",
      "Frame",
      "SyntheticSource",
      "FfmpegSource",
      "PiCameraSource",
      "CaptureError",
      "generateKeys",
      "CurveKeyError",
      "ViewerOptions",
      "buildMontages",
      "previewValue",
    ]
  ) assert.ok(names.has(name), `${name} is exported`);
  for (
    const name of [
      "resolveOptions",
      "ResolvedNetGearOptions",
      "OPTION_NAMES",
      "MessageTarget",
      "frameToWire",
      "wireToFrame",
      "ZmqSocket",
      "ActorSystem",
      "ProtocolCodec",
      "ClientSupervisor",
    ]
  ) assert.ok(!names.has(name), `${name} is not exported`);
});
