import assert from "node:assert/strict";
import { PortIdentities } from "../../../actors/netgear/_port_identities.ts";

Deno.test("PortIdentities: one server, and messages without an identity, are never a conflict", () => {
  const ids = new PortIdentities();
  for (let i = 0; i < 5; i++) assert.equal(ids.heard("a"), undefined);
  assert.equal(ids.heard(undefined), undefined);
  assert.equal(ids.conflicted, false);
  assert.deepEqual(ids.seen, ["a"]);
});

Deno.test("PortIdentities: a restart after a crash or a goodbye is no conflict", () => {
  const ids = new PortIdentities();
  ids.heard("a");
  // "a" crashed (said nothing): "b" takes over, and "a" never speaks again.
  for (let i = 0; i < 3; i++) assert.equal(ids.heard("b"), undefined);
  // "b" says goodbye; "c" starts.
  assert.equal(ids.left("b"), false, "the port goes with its only server");
  assert.equal(ids.heard("c"), undefined);
  // The port went gone; "d" starts, and a late "c" is a newcomer again.
  ids.portGone();
  assert.equal(ids.heard("d"), undefined);
  assert.equal(ids.conflicts, 0);
  assert.deepEqual(ids.seen, ["a", "b", "c", "d"]);
});

Deno.test("PortIdentities: a replaced identity that speaks again is a conflict, reported once", () => {
  const ids = new PortIdentities();
  ids.heard("a");
  assert.equal(ids.heard("b"), undefined, "a restart, as far as anyone can tell yet");
  assert.deepEqual(ids.heard("a")?.sort(), ["a", "b"]);
  assert.equal(ids.conflicted, true);
  for (const id of ["a", "b", "a", "b"]) assert.equal(ids.heard(id), undefined);
  assert.equal(ids.conflicts, 1);
  // One of them leaves: the port still has the other, and the conflict is over.
  assert.equal(ids.left("a"), true);
  assert.equal(ids.conflicted, false);
  assert.equal(ids.heard("b"), undefined);
  // A third server joins and the second speaks on: a new conflict.
  assert.equal(ids.heard("c"), undefined);
  assert.deepEqual(ids.heard("b")?.sort(), ["b", "c"]);
  assert.equal(ids.conflicts, 2);
});

Deno.test("PortIdentities keeps the last 8 identities seen", () => {
  const ids = new PortIdentities();
  for (let i = 0; i < 12; i++) ids.heard(`s${i}`);
  assert.deepEqual(ids.seen, ["s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11"]);
});
