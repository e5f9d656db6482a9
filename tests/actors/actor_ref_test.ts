import assert from "node:assert/strict";
import { ActorSystem } from "../../actors/actor_system.ts";
import { test } from "./_helpers.ts";

test("a ref is a value: compared by path, logged as its path, serialised as { path }", async () => {
  await using system = new ActorSystem();
  const ref = system.spawn("client", { create: () => ({ receive() {} }) });
  assert.ok(ref.equals(system.lookup("/client")!));
  assert.ok(ref.equals({ path: "/client" } as typeof ref), "a decoded ref compares equal");
  assert.ok(!ref.equals(undefined));
  assert.equal(`${ref}`, "ActorRef(/client)");
  assert.equal(Deno.inspect(ref), "ActorRef(/client)");
  assert.equal(JSON.stringify({ to: ref }), '{"to":{"path":"/client"}}');
  // Without toJSON support a serialiser sees only the public fields.
  assert.deepEqual(Object.keys(ref), ["path"]);
  assert.deepEqual({ ...ref }, { path: "/client" });
});
