import assert from "node:assert/strict";
import type { ActorRef } from "../../actors/actor_ref.ts";
import { ActorSystem } from "../../actors/actor_system.ts";
import { ActorStoppedError, AskTimeoutError } from "../../actors/errors.ts";
import { recordEvents, test } from "./_helpers.ts";

type EchoMessage = { type: "Echo"; text: string; replyTo: ActorRef<string> };
type SilentMessage = { type: "Ignore"; replyTo: ActorRef<string> };

function echoSystem() {
  const system = new ActorSystem({ logLevel: "silent" });
  const echo = system.spawn<EchoMessage>("echo", {
    create: () => ({
      receive: (message) => void message.replyTo.tell(message.text),
    }),
  });
  const kept: ActorRef<string>[] = [];
  const firstKept = Promise.withResolvers<void>();
  const silent = system.spawn<SilentMessage>("silent", {
    create: () => ({
      receive(message) {
        kept.push(message.replyTo);
        firstKept.resolve();
      },
    }),
  });
  return { system, echo, silent, kept, firstKept: firstKept.promise };
}

test("ask resolves with the first reply told to replyTo", async () => {
  await using system = echoSystem().system;
  const echo = system.lookup<EchoMessage>("/echo")!;
  const replies = await Promise.all(
    ["a", "b", "c"].map((text) => echo.ask<string>((replyTo) => ({ type: "Echo", text, replyTo }))),
  );
  assert.deepEqual(replies, ["a", "b", "c"]);
});

test("ask rejects with AskTimeoutError after timeoutMs and leaves no timer behind", async () => {
  // No shutdown on purpose: the sanitizers fail this test if a timer survives.
  const { silent, kept } = echoSystem();
  const started = performance.now();
  await assert.rejects(
    silent.ask<string>((replyTo) => ({ type: "Ignore", replyTo }), {
      timeoutMs: 30,
    }),
    (error) =>
      error instanceof AskTimeoutError && error.path === "/silent" &&
      error.timeoutMs === 30 && /timeoutMs=30/.test(error.message),
  );
  assert.ok(performance.now() - started >= 25, "did not reject early");
  assert.equal(kept.length, 1, "the message was delivered");
});

test("a successful ask leaves no timer behind", async () => {
  // No shutdown on purpose: the sanitizers fail this test if a timer survives.
  const { echo } = echoSystem();
  for (let i = 0; i < 3; i++) {
    assert.equal(
      await echo.ask<string>((replyTo) => ({ type: "Echo", text: "x", replyTo })),
      "x",
    );
  }
});

test("asks with different timeouts each expire on their own deadline", async () => {
  await using system = echoSystem().system;
  const silent = system.lookup<SilentMessage>("/silent")!;
  const order: number[] = [];
  const ask = (timeoutMs: number) =>
    silent.ask<string>((replyTo) => ({ type: "Ignore", replyTo }), { timeoutMs })
      .catch((error) => {
        assert.ok(error instanceof AskTimeoutError);
        order.push(timeoutMs);
      });
  await Promise.all([ask(60), ask(10), ask(35)]);
  assert.deepEqual(order, [10, 35, 60]);
});

test("ask rejects with signal.reason when aborted, and at once if already aborted", async () => {
  await using system = echoSystem().system;
  const silent = system.lookup<SilentMessage>("/silent")!;
  const controller = new AbortController();
  const pending = silent.ask<string>((replyTo) => ({ type: "Ignore", replyTo }), {
    signal: controller.signal,
  });
  const reason = new Error("user cancelled");
  controller.abort(reason);
  await assert.rejects(pending, (error) => error === reason);

  let made = false;
  await assert.rejects(
    silent.ask<string>((replyTo) => {
      made = true;
      return { type: "Ignore", replyTo };
    }, { signal: controller.signal }),
    (error) => error === reason,
  );
  assert.equal(made, false, "nothing was sent");
});

test("asking a stopped actor rejects with ActorStoppedError without waiting for the timeout", async () => {
  await using system = echoSystem().system;
  const echo = system.lookup<EchoMessage>("/echo")!;
  await system.stop(echo);
  await assert.rejects(
    echo.ask<string>((replyTo) => ({ type: "Echo", text: "x", replyTo }), {
      timeoutMs: 60_000,
    }),
    (error) => error instanceof ActorStoppedError && error.path === "/echo",
  );
  assert.equal(system.deadLetters.count, 1);
});

test("an ask queued behind a stop rejects with ActorStoppedError", async () => {
  await using system = echoSystem().system;
  const echo = system.lookup<EchoMessage>("/echo")!;
  const pending = echo.ask<string>((replyTo) => ({ type: "Echo", text: "x", replyTo }));
  const stopped = system.stop(echo);
  await assert.rejects(pending, ActorStoppedError);
  await stopped;
});

test("shutdown rejects asks still waiting for a reply", async () => {
  const { system, silent, firstKept } = echoSystem();
  const pending = silent.ask<string>((replyTo) => ({ type: "Ignore", replyTo }), {
    timeoutMs: 60_000,
  });
  await firstKept; // handled, so not a dead letter: only shutdown can end it
  await system.shutdown();
  await assert.rejects(
    pending,
    (error) => error instanceof ActorStoppedError && /shut down/.test(error.message),
  );
});

test("a reply after the ask settled is a dead letter at the temporary address", async () => {
  await using system = echoSystem().system;
  const { events } = recordEvents(system);
  const silent = system.lookup<SilentMessage>("/silent")!;
  let replyTo: ActorRef<string> | undefined;
  await assert.rejects(
    silent.ask<string>((ref) => {
      replyTo = ref;
      return { type: "Ignore", replyTo: ref };
    }, { timeoutMs: 1 }),
    AskTimeoutError,
  );
  await replyTo!.tell("too late");
  assert.equal(system.deadLetters.count, 1);
  assert.deepEqual(events, [{ type: "DeadLetter", path: replyTo!.path, message: "too late" }]);
  assert.match(replyTo!.path, /^\/\$temp\/\d+$/);
});

test("ask validates timeoutMs and passes on what make() throws", async () => {
  await using system = echoSystem().system;
  const echo = system.lookup<EchoMessage>("/echo")!;
  await assert.rejects(
    echo.ask<string>((replyTo) => ({ type: "Echo", text: "x", replyTo }), {
      timeoutMs: -1,
    }),
    (error) => error instanceof RangeError && /timeoutMs is -1/.test(error.message),
  );
  const failure = new Error("cannot build");
  await assert.rejects(
    echo.ask<string>(() => {
      throw failure;
    }),
    (error) => error === failure,
  );
  assert.equal(system.stats(echo)?.received, 0);
});
