import assert from "node:assert/strict";
import type { Actor, ActorContext, Props } from "../../actors/actor.ts";
import type { ActorRef } from "../../actors/actor_ref.ts";
import { ActorSystem } from "../../actors/actor_system.ts";
import { allForOne } from "../../actors/strategy_all_for_one.ts";
import { oneForOne } from "../../actors/strategy_one_for_one.ts";
import type {
  RestartStatistics,
  Supervisor,
  SupervisorStrategyOptions,
} from "../../actors/supervision.ts";
import { FailureHistory } from "../../actors/_strategy.ts";
import { Journal, recordEvents, test } from "./_helpers.ts";

type WorkerMessage =
  | { type: "Work"; label: string }
  | { type: "Fail"; error: unknown }
  | { type: "FailAsync"; error: unknown }
  | { type: "Report"; replyTo: ActorRef<{ incarnation: number; seen: string[] }> };

/** A worker that numbers its incarnations and records lifecycle calls. */
function workerProps(
  journal: Journal,
  name: string,
  counter = { incarnations: 0 },
): Props<WorkerMessage> {
  return {
    create: () => {
      const incarnation = ++counter.incarnations;
      journal.push(`${name} create #${incarnation}`);
      const seen: string[] = [];
      return {
        started() {
          journal.push(`${name} started #${incarnation}`);
        },
        restarting(_context, reason) {
          journal.push(`${name} restarting #${incarnation} (${String(reason)})`);
        },
        stopped() {
          journal.push(`${name} stopped #${incarnation}`);
        },
        async receive(message) {
          switch (message.type) {
            case "Work":
              seen.push(message.label);
              break;
            case "Fail":
              throw message.error;
            case "FailAsync":
              await Promise.resolve();
              throw message.error;
            case "Report":
              message.replyTo.tell({ incarnation, seen: [...seen] });
              break;
          }
        },
      } satisfies Actor<WorkerMessage>;
    },
  };
}

/** The live ref at `path`, once `line` was journaled. */
async function refAfter(
  system: ActorSystem,
  journal: Journal,
  line: string,
  path: string,
): Promise<ActorRef<WorkerMessage>> {
  await journal.when(line);
  const ref = system.lookup<WorkerMessage>(path);
  assert.ok(ref !== undefined, `${path} is alive after "${line}"`);
  return ref;
}

/** A parent that spawns the given children in started(). */
function parentProps(
  journal: Journal,
  children: Record<string, Props<WorkerMessage>>,
  strategy: SupervisorStrategyOptions & { kind?: "all-for-one" } = {},
  hooks: Partial<Actor<never>> = {},
): Props<never> {
  const { kind, ...options } = strategy;
  let incarnations = 0;
  return {
    supervisor: kind === "all-for-one" ? allForOne(options) : oneForOne(options),
    create: () => {
      const incarnation = ++incarnations;
      return {
        ...hooks,
        started(context: ActorContext<never>) {
          journal.push(`parent started #${incarnation}`);
          for (const [name, props] of Object.entries(children)) {
            context.spawn(name, props);
          }
        },
        restarting(_context: ActorContext<never>, reason: unknown) {
          journal.push(`parent restarting #${incarnation} (${String(reason)})`);
        },
        receive() {},
      };
    },
  };
}

const report = (ref: ActorRef<WorkerMessage>) =>
  ref.ask<{ incarnation: number; seen: string[] }>((replyTo) => ({
    type: "Report",
    replyTo,
  }));

test("a child that throws is restarted within its budget, keeps its address and processes the next message", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const { events } = recordEvents(system);
  const journal = new Journal();
  system.spawn(
    "parent",
    parentProps(journal, { worker: workerProps(journal, "worker") }, {
      maxRestarts: 3,
      withinMs: 60_000,
    }),
  );
  const worker = await refAfter(
    system,
    journal,
    "worker started #1",
    "/parent/worker",
  );
  await worker.tell({ type: "Work", label: "a" });
  await worker.tell({ type: "Fail", error: "boom" });
  await worker.tell({ type: "Work", label: "b" });
  const after = await report(worker);
  assert.deepEqual(
    after,
    { incarnation: 2, seen: ["b"] },
    "fresh state, failing message not retried",
  );
  assert.ok(system.lookup("/parent/worker")?.equals(worker), "same address");
  assert.equal(system.stats(worker)?.restarts, 1);
  assert.equal(system.stats(worker)?.state, "running");
  assert.deepEqual(
    journal.lines.filter((line) => line.startsWith("worker")),
    [
      "worker create #1",
      "worker started #1",
      "worker restarting #1 (boom)",
      "worker stopped #1",
      "worker create #2",
      "worker started #2",
    ],
  );
  assert.deepEqual(events, [{
    type: "ActorRestarted",
    path: "/parent/worker",
    reason: "boom",
  }]);
});

test("a rejected promise from an async receive is supervised like a throw", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const journal = new Journal();
  const worker = system.spawn("worker", workerProps(journal, "worker"));
  await worker.tell({ type: "FailAsync", error: "later" });
  assert.equal((await report(worker)).incarnation, 2);
  assert.ok(journal.lines.includes("worker restarting #1 (later)"));
});

test("a throw from started() is supervised and the actor gets a fresh start", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  let attempts = 0;
  const ref = system.spawn<{ replyTo: ActorRef<number> }>("flaky", {
    create: () => ({
      started() {
        if (++attempts === 1) throw new Error("not yet");
      },
      receive: (message) => void message.replyTo.tell(attempts),
    }),
  });
  assert.equal(await ref.ask<number>((replyTo) => ({ replyTo })), 2);
  assert.equal(system.stats(ref)?.restarts, 1);
});

test("past its restart budget a child's failure escalates and the parent is treated as failed", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const recorder = recordEvents(system);
  const journal = new Journal();
  const parentRestarted = recorder.next((event) =>
    event.type === "ActorRestarted" && event.path === "/parent"
  );
  system.spawn(
    "parent",
    parentProps(journal, { worker: workerProps(journal, "worker") }, {
      maxRestarts: 2,
      withinMs: 60_000,
    }),
  );
  const worker = await refAfter(
    system,
    journal,
    "worker started #1",
    "/parent/worker",
  );
  const error = new Error("always");
  for (let i = 1; i <= 3; i++) {
    await worker.tell({ type: "Fail", error });
    if (i < 3) await journal.when(`worker started #${i + 1}`);
  }
  await parentRestarted;
  // The props' counter spans incarnations: #4 is the child of the new parent.
  const fresh = await refAfter(
    system,
    journal,
    "worker started #4",
    "/parent/worker",
  );
  assert.notEqual(fresh, worker, "a new actor at the same path");
  assert.deepEqual(await report(fresh), { incarnation: 4, seen: [] });
  assert.deepEqual(
    recorder.events.map((event) => `${event.type} ${event.path}`),
    [
      "ActorRestarted /parent/worker",
      "ActorRestarted /parent/worker",
      "FailureEscalated /parent/worker",
      "ActorRestarted /parent",
    ],
  );
  assert.ok(
    recorder.events.every((event) => event.type === "DeadLetter" || event.reason === error),
    "the same reason all the way up",
  );
  assert.ok(journal.lines.includes("parent restarting #1 (Error: always)"));
  assert.ok(
    journal.lines.indexOf("worker stopped #3") <
      journal.lines.indexOf("parent started #2"),
    "the old child stopped before the new parent started",
  );
  assert.equal(
    system.stats(worker)?.state,
    "stopped",
    "the old child stopped with its parent's incarnation",
  );
});

test("an escalation the grandparent answers with stop stops the parent and tells the grandparent why", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const journal = new Journal();
  const terminated = Promise.withResolvers<[string, unknown]>();
  system.spawn<never>("grandparent", {
    supervisor: oneForOne({ decider: () => "stop" }),
    create: () => ({
      started(context) {
        context.spawn(
          "parent",
          parentProps(journal, { worker: workerProps(journal, "worker") }, {
            decider: () => "escalate",
          }),
        );
      },
      childTerminated(child, reason) {
        terminated.resolve([child.path, reason]);
      },
      receive() {},
    }),
  });
  const worker = await refAfter(
    system,
    journal,
    "worker started #1",
    "/grandparent/parent/worker",
  );
  await worker.tell({ type: "Fail", error: "fatal" });
  assert.deepEqual(await terminated.promise, ["/grandparent/parent", "fatal"]);
  assert.deepEqual(system.alive(), ["/grandparent"]);
  assert.ok(journal.lines.includes("worker stopped #1"));
});

test("at the root, escalation stops the failing top-level actor", async () => {
  await using system = new ActorSystem({
    logLevel: "silent",
    supervisor: oneForOne({ maxRestarts: 0 }),
  });
  const recorder = recordEvents(system);
  const journal = new Journal();
  const stopped = recorder.next((event) => event.type === "ActorStopped");
  const worker = system.spawn("worker", workerProps(journal, "worker"));
  await worker.tell({ type: "Fail", error: "once" });
  await stopped;
  await system.stop(worker); // waits for the stop already under way
  assert.deepEqual(
    recorder.events.map((event) => `${event.type} ${event.path}`),
    ["FailureEscalated /worker", "ActorStopped /worker"],
  );
  assert.deepEqual(system.alive(), []);
  assert.deepEqual(journal.lines, [
    "worker create #1",
    "worker started #1",
    "worker stopped #1",
  ]);
});

test("all-for-one restarts every sibling when one fails", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const recorder = recordEvents(system);
  const journal = new Journal();
  system.spawn(
    "parent",
    parentProps(journal, {
      a: workerProps(journal, "a"),
      b: workerProps(journal, "b"),
      c: workerProps(journal, "c"),
    }, { kind: "all-for-one" }),
  );
  const [a, b, c] = await Promise.all(
    ["a", "b", "c"].map((name) =>
      refAfter(system, journal, `${name} started #1`, `/parent/${name}`)
    ),
  );
  await a.tell({ type: "Work", label: "kept?" });
  await b.tell({ type: "Fail", error: "b broke" });
  const reports = await Promise.all([a, b, c].map(report));
  assert.deepEqual(
    reports,
    [
      { incarnation: 2, seen: [] },
      { incarnation: 2, seen: [] },
      { incarnation: 2, seen: [] },
    ],
  );
  assert.deepEqual(
    recorder.events.map((event) => `${event.type} ${event.path}`).sort(),
    [
      "ActorRestarted /parent/a",
      "ActorRestarted /parent/b",
      "ActorRestarted /parent/c",
    ],
  );
  for (const ref of [a, b, c]) assert.equal(system.stats(ref)?.restarts, 1);
});

test("an all-for-one restart aborts a busy sibling's signal and waits for its handler to finish", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const journal = new Journal();
  const busy: Props<WorkerMessage> = {
    create: () => ({
      async receive(_message, context) {
        journal.push("busy waiting");
        await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
        journal.push("busy aborted");
      },
      restarting() {
        journal.push("busy restarting");
      },
      started() {
        journal.push("busy started");
      },
    }),
  };
  system.spawn(
    "parent",
    parentProps(journal, { busy, failing: workerProps(journal, "failing") }, {
      kind: "all-for-one",
    }),
  );
  const busyRef = await refAfter(system, journal, "busy started", "/parent/busy");
  const failing = await refAfter(
    system,
    journal,
    "failing started #1",
    "/parent/failing",
  );
  await busyRef.tell({ type: "Work", label: "long" });
  await journal.when("busy waiting");
  await failing.tell({ type: "Fail", error: "x" });
  await journal.when("failing started #2");
  await journal.when("busy restarting");
  assert.deepEqual(
    journal.lines.filter((line) => line.startsWith("busy")).slice(0, 4),
    ["busy started", "busy waiting", "busy aborted", "busy restarting"],
    "the handler ended on the abort, then the restart ran",
  );
});

test("one-for-one restarts only the failed child", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const journal = new Journal();
  system.spawn(
    "parent",
    parentProps(journal, {
      a: workerProps(journal, "a"),
      b: workerProps(journal, "b"),
    }),
  );
  const [a, b] = await Promise.all(
    ["a", "b"].map((name) => refAfter(system, journal, `${name} started #1`, `/parent/${name}`)),
  );
  await b.tell({ type: "Fail", error: "b broke" });
  assert.equal((await report(a)).incarnation, 1);
  assert.equal((await report(b)).incarnation, 2);
});

test("resume keeps the instance and its state", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const recorder = recordEvents(system);
  const journal = new Journal();
  system.spawn(
    "parent",
    parentProps(journal, { worker: workerProps(journal, "worker") }, {
      decider: () => "resume",
    }),
  );
  const worker = await refAfter(
    system,
    journal,
    "worker started #1",
    "/parent/worker",
  );
  await worker.tell({ type: "Work", label: "a" });
  await worker.tell({ type: "Fail", error: "minor" });
  await worker.tell({ type: "Work", label: "b" });
  assert.deepEqual(await report(worker), { incarnation: 1, seen: ["a", "b"] });
  assert.deepEqual(recorder.events.map((event) => event.type), ["ActorResumed"]);
});

test("resuming an actor whose create() threw stops it instead of retrying", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const terminated = Promise.withResolvers<[string, unknown]>();
  let creates = 0;
  system.spawn<never>("parent", {
    supervisor: oneForOne({ decider: () => "resume" }),
    create: () => ({
      started(context) {
        context.spawn("unbuildable", {
          create: () => {
            // Succeeds on a retry, so a wrong retry leaves it alive and the wait below fails.
            if (++creates < 3) throw new Error("no instance yet");
            return { receive() {} };
          },
        });
      },
      childTerminated: (child, reason) => terminated.resolve([child.path, reason]),
      receive() {},
    }),
  });
  const [path, reason] = await terminated.promise;
  assert.equal(path, "/parent/unbuildable");
  assert.match(String(reason), /no instance yet/);
  assert.equal(creates, 1);
});

test("a stop directive stops the child and tells the parent's childTerminated the reason", async () => {
  await using system = new ActorSystem({ logLevel: "silent" });
  const recorder = recordEvents(system);
  const journal = new Journal();
  const terminated = Promise.withResolvers<[string, unknown]>();
  system.spawn(
    "parent",
    parentProps(
      journal,
      { worker: workerProps(journal, "worker") },
      { decider: () => "stop" },
      { childTerminated: (child, reason) => terminated.resolve([child.path, reason]) },
    ),
  );
  const worker = await refAfter(
    system,
    journal,
    "worker started #1",
    "/parent/worker",
  );
  await worker.tell({ type: "Fail", error: "bad input" });
  assert.deepEqual(await terminated.promise, ["/parent/worker", "bad input"]);
  assert.deepEqual(recorder.events.map((event) => `${event.type} ${event.path}`), [
    "ActorStopped /parent/worker",
  ]);
  assert.equal(system.lookup("/parent/worker"), undefined);
});

test("a decider that throws or returns nonsense escalates", async () => {
  for (
    const decider of [() => {
      throw new Error("decider bug");
    }, () => "reboot" as "restart"]
  ) {
    await using system = new ActorSystem({ logLevel: "silent" });
    const recorder = recordEvents(system);
    const journal = new Journal();
    const escalated = recorder.next((event) => event.type === "FailureEscalated");
    system.spawn(
      "parent",
      parentProps(journal, { worker: workerProps(journal, "worker") }, { decider }),
    );
    const worker = await refAfter(
      system,
      journal,
      "worker started #1",
      "/parent/worker",
    );
    await worker.tell({ type: "Fail", error: "x" });
    assert.equal((await escalated).path, "/parent/worker");
  }
});

test("strategies pick the directive and budget restarts over a sliding window", () => {
  const calls: string[] = [];
  const supervisor: Supervisor = {
    children: () => [{ path: "/p/a" }, { path: "/p/b" }] as ActorRef<unknown>[],
    resumeChildren: (refs) => void calls.push(`resume ${refs.map((r) => r.path)}`),
    restartChildren: (refs) => void calls.push(`restart ${refs.map((r) => r.path)}`),
    stopChildren: (refs) => void calls.push(`stop ${refs.map((r) => r.path)}`),
    escalateFailure: (ref) => void calls.push(`escalate ${ref.path}`),
  };
  const child = { path: "/p/b" } as ActorRef<unknown>;
  let failuresInWindow = 0;
  const statistics: RestartStatistics = {
    failureCount: 0,
    fail: () => void failuresInWindow++,
    failuresWithin: () => failuresInWindow,
    reset: () => void (failuresInWindow = 0),
  };
  const one = oneForOne({ maxRestarts: 2 });
  for (let i = 0; i < 3; i++) one.handleFailure(supervisor, child, statistics, "x");
  one.handleFailure(supervisor, child, statistics, "x");
  assert.deepEqual(calls, [
    "restart /p/b",
    "restart /p/b",
    "escalate /p/b",
    "restart /p/b", // the budget starts over after an escalation
  ]);
  calls.length = 0;
  const all = allForOne({ decider: (reason) => reason === "stop" ? "stop" : "resume" });
  all.handleFailure(supervisor, child, statistics, "stop");
  all.handleFailure(supervisor, child, statistics, "other");
  assert.deepEqual(calls, ["stop /p/a,/p/b", "resume /p/b"]);

  const history = new FailureHistory();
  history.fail(0);
  history.fail(500);
  history.fail(900);
  assert.equal(history.failuresWithin(1000, 950), 3);
  assert.equal(history.failuresWithin(1000, 1200), 2, "the failure at 0 left the window");
  assert.equal(history.failuresWithin(1000, 5000), 0);
});

test("strategy options are validated with the option named", () => {
  assert.throws(() => oneForOne({ maxRestarts: -1 }), /maxRestarts is -1/);
  assert.throws(() => allForOne({ withinMs: 0 }), /withinMs is 0/);
  assert.throws(
    () => oneForOne({ decider: "restart" as unknown as () => "restart" }),
    TypeError,
  );
  assert.equal(oneForOne().maxRestarts, 10);
  assert.equal(oneForOne().withinMs, 10_000);
});
