import assert from "node:assert/strict";

const SCRIPT = new URL("../../_helpers/external_memory_probe.ts", import.meta.url).pathname;

async function probe(
  v8Flags: string,
): Promise<{ before: number; collected: boolean; after: number }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...(v8Flags ? [`--v8-flags=${v8Flags}`] : []), SCRIPT],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

Deno.test("a client started with --expose-gc collects once V8's external memory passes the limit", async () => {
  const { before, collected, after } = await probe("--no-incremental-marking,--expose-gc");
  assert.ok(before > 256, `${before} MB of dropped buffers before`);
  assert.equal(collected, true);
  assert.ok(after < 64, `${after} MB after the collection`);
});

Deno.test("without --expose-gc the external memory guard does nothing", async () => {
  const { before, collected } = await probe("--no-incremental-marking");
  assert.ok(before > 256, `${before} MB of dropped buffers before`);
  assert.equal(collected, false, "no gc() to call: no look, no collection");
});
