import assert from "node:assert/strict";
import type { Actor, ActorContext, Props } from "../../actors/actor.ts";
import type { ActorRef } from "../../actors/actor_ref.ts";
import { ActorSystem } from "../../actors/actor_system.ts";
import { ActorStoppedError } from "../../actors/errors.ts";
import {
  flushMicrotasks,
  Gates,
  Journal,
  recordEvents,
  recordingLogger,
  test,
} from "./_helpers.ts";

const idle = (): Actor<unknown> => ({ receive() {} });

type Ping = { replyTo: ActorRef<void> };
const ping = (ref: ActorRef<Ping>): Promise<void> => ref.ask<void>((replyTo) => ({ replyTo }));

/** An actor that journals its stop, answers pings and spawns `children` (name -> grandchildren) in started(). */
function tree(
  journal: Journal,
  children: Record<string, Record<string, never>> = {},
  onStop?: (path: string) => void,
): Props<Ping> {
  return {
    create: () => ({
      started(context) {
        journal.push(`started ${context.self.path}`);
        for (const [name, grandchildren] of Object.entries(children)) {
          context.spawn(name, tree(journal, grandchildren, onStop));
        }
      },
      stopped(context) {
        journal.push(`stopped ${context.self.path}`);
        onStop?.(context.self.path);
      },
      receive: (message) => message.replyTo.tell(),
    }),
  };
}

test("spawn builds paths from names; lookup, alive and stats describe live actors", async () => {
  await using system = new ActorSystem();
  const journal = new Journal();
  const client = system.spawn("client", tree(journal, { "conn-5566": {} }));
  await journal.when("started /client/conn-5566");
  assert.equal(client.path, "/client");
  assert.deepEqual(system.alive(), ["/client", "/client/conn-5566"]);
  const conn = system.lookup<Ping>("/client/conn-5566")!;
  assert.equal(system.stats(conn)?.state, "starting", "until started() returns");
  await ping(conn);
  assert.equal(conn.path, "/client/conn-5566");
  assert.equal(system.lookup("/nobody"), undefined);
  assert.deepEqual(system.stats(conn), {
    path: "/client/conn-5566",
    received: 1,
    processed: 1,
    dropped: 0,
    queued: 0,
    restarts: 0,
    state: "running",
  });
});

test("a duplicate live name or an invalid name is a TypeError; a stopped actor's name is free again", async () => {
  await using system = new ActorSystem();
  const first = system.spawn("worker", { create: idle });
  assert.throws(
    () => system.spawn("worker", { create: idle }),
    (error) => error instanceof TypeError && /\/worker: a live actor/.test(error.message),
  );
  for (const name of ["", "a/b", "$temp"]) {
    assert.throws(() => system.spawn(name, { create: idle }), TypeError);
  }
  assert.throws(
    () => system.spawn("bad", {} as Props<unknown>),
    /props\.create is undefined/,
  );
  await system.stop(first);
  const second = system.spawn("worker", { create: idle });
  assert.ok(second.equals(first), "same path");
  assert.notEqual(second, first, "a different actor");
});

test("shutdown stops children before parents and runs each stopped() hook exactly once, even when hooks throw", async () => {
  const system = new ActorSystem({ logger: recordingLogger(), logLevel: "error" });
  const journal = new Journal();
  const counts = new Map<string, number>();
  system.spawn(
    "a",
    tree(journal, { b: { c: {} as never, d: {} as never } as never }, (path) => {
      counts.set(path, (counts.get(path) ?? 0) + 1);
      if (path === "/a/b/c" || path === "/a") throw new Error(`${path} hook broke`);
    }),
  );
  system.spawn("e", tree(journal, {}, (path) => counts.set(path, (counts.get(path) ?? 0) + 1)));
  await Promise.all(
    ["/a/b/c", "/a/b/d", "/e"].map((path) => journal.when(`started ${path}`)),
  );
  await Promise.all([system.shutdown(), system.shutdown()]);
  await system.shutdown();
  const stops = journal.lines.filter((line) => line.startsWith("stopped"));
  const at = (path: string) => stops.indexOf(`stopped ${path}`);
  assert.ok(at("/a/b/c") < at("/a/b") && at("/a/b/d") < at("/a/b"));
  assert.ok(at("/a/b") < at("/a"));
  assert.equal(stops.length, 5);
  assert.deepEqual(
    [...counts.entries()].sort(),
    [["/a", 1], ["/a/b", 1], ["/a/b/c", 1], ["/a/b/d", 1], ["/e", 1]],
  );
  assert.deepEqual(system.alive(), []);
  assert.throws(() => system.spawn("late", { create: idle }), ActorStoppedError);
});

test("stop() resolves after the stopped hooks ran, and `await using` shuts down", async () => {
  const journal = new Journal();
  let ref: ActorRef<unknown>;
  {
    await using system = new ActorSystem();
    ref = system.spawn("a", tree(journal, { b: {} }));
    await journal.when("started /a/b");
    await system.stop(system.lookup("/a/b")!);
    assert.deepEqual(journal.lines.slice(-1), ["stopped /a/b"]);
    assert.deepEqual(system.alive(), ["/a"]);
  }
  assert.deepEqual(journal.lines.slice(-1), ["stopped /a"]);
  assert.equal(ref.path, "/a");
});

test("a message to a stopped actor is a dead letter: counted, published, logged once per address", async () => {
  const logger = recordingLogger();
  await using system = new ActorSystem({ logger });
  const { events } = recordEvents(system);
  const a = system.spawn<{ type: string }>("a", { create: idle });
  const b = system.spawn<{ type: string }>("b", { create: idle });
  await system.stop(a);
  await system.stop(b);
  await a.tell({ type: "One" });
  await a.tell({ type: "Two" });
  await b.tell({ type: "Three" });
  assert.equal(system.deadLetters.count, 3);
  assert.deepEqual(events.map((event) => event.type === "DeadLetter" && event.path), [
    "/a",
    "/a",
    "/b",
  ]);
  const warnings = logger.lines.filter((line) => line.level === "warn");
  assert.equal(warnings.length, 2, "once per address");
  assert.match(warnings[0].message, /dead letter to \/a/);
  assert.deepEqual(warnings[0].data, { type: "One" }, "the message's tag, not its contents");
  assert.match(warnings[1].message, /dead letter to \/b/);
});

test("messages still queued when an actor stops become dead letters", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const gates = new Gates();
  const ref = system.spawn<number>("slow", {
    create: () => ({ receive: (n) => gates.enter(n) }),
  });
  for (let n = 0; n < 4; n++) await ref.tell(n);
  await gates.started(0);
  await system.stop(ref);
  assert.equal(system.deadLetters.count, 3);
  assert.deepEqual(
    { ...system.stats(ref), path: undefined },
    {
      path: undefined,
      received: 4,
      processed: 1,
      dropped: 0,
      queued: 0,
      restarts: 0,
      state: "stopped",
    },
  );
});

test("childTerminated is told to the parent when a child stops, with no reason for a normal stop", async () => {
  await using system = new ActorSystem();
  const terminated: [string, unknown][] = [];
  const done = Promise.withResolvers<void>();
  type ParentMessage = { type: "StopChild"; name: string } | { type: "Ping" };
  const parent = system.spawn<ParentMessage>("parent", {
    create: () => ({
      started(context) {
        context.spawn("by-parent", { create: idle });
        context.spawn<string>("by-itself", {
          create: () => ({
            receive: (_message, self: ActorContext<string>) => void self.stop(),
          }),
        });
      },
      async receive(message, context) {
        if (message.type === "StopChild") {
          await context.stop(context.child(message.name));
        }
      },
      childTerminated(child, reason) {
        terminated.push([child.path, reason]);
        if (terminated.length === 2) done.resolve();
      },
    }),
  });
  await parent.tell({ type: "StopChild", name: "by-parent" });
  await system.lookup<string>("/parent/by-itself")!.tell("stop yourself");
  await done.promise;
  assert.deepEqual(terminated.sort(), [
    ["/parent/by-itself", undefined],
    ["/parent/by-parent", undefined],
  ]);
  assert.deepEqual(system.alive(), ["/parent"]);
});

test("async handlers run one at a time, in order", async () => {
  await using system = new ActorSystem();
  let active = 0;
  let maxActive = 0;
  const order: number[] = [];
  const ref = system.spawn<number | { replyTo: ActorRef<void> }>("serial", {
    create: () => ({
      async receive(message) {
        if (typeof message !== "number") return message.replyTo.tell();
        maxActive = Math.max(maxActive, ++active);
        await flushMicrotasks(3);
        order.push(message);
        active--;
      },
    }),
  });
  for (let n = 0; n < 20; n++) void ref.tell(n);
  await ref.ask<void>((replyTo) => ({ replyTo }));
  assert.equal(maxActive, 1);
  assert.deepEqual(order, Array.from({ length: 20 }, (_, n) => n));
});

test("sync handlers drain a burst within one microtask, with no extra turn per message", async () => {
  await using system = new ActorSystem();
  const seen: number[] = [];
  const ref = system.spawn<number | { replyTo: ActorRef<void> }>("sync", {
    create: () => ({
      receive: (message) =>
        typeof message === "number" ? void seen.push(message) : message.replyTo.tell(),
    }),
  });
  await ref.ask<void>((replyTo) => ({ replyTo })); // started
  for (let n = 0; n < 100; n++) void ref.tell(n);
  await Promise.resolve(); // one turn: the drain scheduled by the first tell
  assert.equal(seen.length, 100);
});

test("messages are delivered by reference, never copied", async () => {
  await using system = new ActorSystem();
  const received = Promise.withResolvers<unknown>();
  const ref = system.spawn<{ data: Uint8Array }>("sink", {
    create: () => ({ receive: (message) => received.resolve(message) }),
  });
  const message = { data: new Uint8Array(1024) };
  await ref.tell(message);
  assert.equal(await received.promise, message);
});

test("a stop does not wait for an in-flight handler: the signal aborts and nothing more is delivered", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const journal = new Journal();
  let abortReason: unknown;
  const ref = system.spawn<string>("stuck", {
    create: () => ({
      receive(message, context) {
        journal.push(`got ${message}`);
        // Awaits I/O that never completes on its own.
        return new Promise<void>((resolve) => {
          context.signal.addEventListener("abort", () => {
            abortReason = context.signal.reason;
            resolve();
          });
        });
      },
      stopped() {
        journal.push("stopped");
      },
    }),
  });
  await ref.tell("first");
  await ref.tell("second");
  await journal.when("got first");
  await system.stop(ref);
  assert.deepEqual(journal.lines, ["got first", "stopped"]);
  assert.ok(abortReason instanceof ActorStoppedError);
  assert.equal(system.deadLetters.count, 1);
});

test("an actor can await its own stop from receive without deadlocking", async () => {
  await using system = new ActorSystem();
  const journal = new Journal();
  const ref = system.spawn<string>("quitter", {
    create: () => ({
      async receive(_message, context) {
        await context.stop();
        journal.push("stop awaited");
      },
      stopped() {
        journal.push("stopped");
      },
    }),
  });
  await ref.tell("quit");
  await journal.when("stop awaited");
  assert.deepEqual(journal.lines, ["stopped", "stop awaited"]);
  assert.equal(system.stats(ref)?.state, "stopped");
});

test("context.stop() refuses refs that are neither self nor a child", async () => {
  await using system = new ActorSystem();
  const outcome = Promise.withResolvers<unknown>();
  const stranger = system.spawn("stranger", { create: idle });
  system.spawn<never>("meddler", {
    create: () => ({
      started(context) {
        context.stop(stranger).then(outcome.resolve, outcome.resolve);
      },
      receive() {},
    }),
  });
  const error = await outcome.promise;
  assert.ok(error instanceof TypeError);
  assert.match(error.message, /Cannot stop \/stranger from \/meddler/);
  assert.equal(system.stats(stranger)?.state, "running");
});

test("context.log prefixes the path and the system's level filters lines", async () => {
  const logger = recordingLogger();
  await using system = new ActorSystem({ logger, logLevel: "info" });
  const logged = Promise.withResolvers<void>();
  const ref = system.spawn<string>("talker", {
    create: () => ({
      receive(message, context) {
        context.log.debug("hidden");
        context.log.info(message, { n: 1 });
        logged.resolve();
      },
    }),
  });
  await ref.tell("hello");
  await logged.promise;
  await system.stop(ref);
  assert.deepEqual(logger.lines, [{
    level: "info",
    message: "[/talker] hello",
    data: { n: 1 },
  }]);
  assert.throws(
    () => new ActorSystem({ logLevel: "loud" as "info" }),
    /logLevel is "loud"/,
  );
});

test("stop and shutdown honour an abort signal without cancelling the stop", async () => {
  await using system = new ActorSystem();
  const gates = new Gates();
  const ref = system.spawn<never>("slow-stop", {
    create: () => ({ receive() {}, stopped: () => gates.enter(0) }),
  });
  await flushMicrotasks();
  const controller = new AbortController();
  const waiting = system.stop(ref, { signal: controller.signal });
  controller.abort(new Error("impatient"));
  await assert.rejects(waiting, /impatient/);
  await gates.started(0);
  gates.open(0);
  await system.stop(ref);
  assert.equal(system.stats(ref)?.state, "stopped");
});
