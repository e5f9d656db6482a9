import assert from "node:assert/strict";
import { ActorSystem, type SystemEvent } from "../../../actors/mod.ts";
import { CLIENT_SUPERVISION, ClientSupervisor } from "../../../actors/netgear/client_supervisor.ts";
import { DeliveryQueue } from "../../../actors/netgear/delivery_queue.ts";
import type { LivenessActorOptions } from "../../../actors/netgear/liveness_actor.ts";
import type { ClientSupervisorMessage } from "../../../actors/netgear/client_supervisor_messages.ts";
import type { ConnectionStats } from "../../../actors/netgear/connection_messages.ts";
import type { ServerStateChanged } from "../../../actors/netgear/liveness_messages.ts";
import { MemoryClientTransport, MemoryLink } from "../../../transports/memory_transport.ts";
import type { FrameArrived, GoodbyeArrived } from "../../../transports/transport.ts";

function frame(port: number, seq: number, message?: unknown): FrameArrived {
  return {
    type: "FrameArrived",
    port,
    seq,
    sentAt: Date.now(),
    message,
    frame: { width: 1, height: 1, channels: 3, format: "bgr24", data: new Uint8Array([seq, 0, 0]) },
    bytes: 3,
  };
}

function goodbye(port: number): GoodbyeArrived {
  return { type: "GoodbyeArrived", port, bytes: 0 };
}

async function startClient(
  requestReply: boolean,
  liveness: LivenessActorOptions = {
    staleAfterMs: 60_000,
    goneAfterMs: 120_000,
    tickMs: 60_000,
    leaveGraceMs: 0,
  },
) {
  const system = new ActorSystem({ logLevel: "silent" });
  const queue = new DeliveryQueue(4);
  const link = new MemoryLink();
  const events: SystemEvent[] = [];
  system.subscribe((event) => events.push(event));
  const states: ServerStateChanged[] = [];
  let allGone = 0;
  let announced!: () => void;
  const allGoneEvent = new Promise<void>((resolve) => announced = resolve);
  const supervisor = system.spawn<ClientSupervisorMessage>("client", {
    create: () =>
      new ClientSupervisor({
        requestReply,
        queue,
        transport: () => ({ create: () => new MemoryClientTransport(link) }),
        liveness,
        onStateChange: (event) => states.push(event),
        onAllGone: () => {
          allGone++;
          announced();
        },
        onTransportLost: () => {},
      }),
    supervisor: CLIENT_SUPERVISION,
  });
  const stats = () =>
    supervisor.ask<ConnectionStats[]>((replyTo) => ({ type: "GetClientStats", replyTo }));
  await link.ready;
  return {
    system,
    queue,
    link,
    events,
    states,
    supervisor,
    stats,
    allGone: () => allGone,
    allGoneEvent,
  };
}

Deno.test("ClientSupervisor restarts a crashed connection actor without touching the others", async () => {
  const { system, queue, link, events, supervisor, stats } = await startClient(true);
  await using _ = system;
  link.push(frame(5566, 0));
  link.push(frame(5567, 0));
  for (let i = 0; i < 2; i++) {
    const delivery = (await queue.take())!;
    supervisor.tell({
      type: "Consumed",
      port: delivery.port,
      seq: delivery.seq,
      returnData: undefined,
    });
  }

  // A bug in the connection actor, simulated: reading this frame throws.
  const poison = frame(5566, 1);
  Object.defineProperty(poison, "seq", {
    get() {
      throw new Error("simulated bug while reading seq");
    },
  });
  link.push(poison);
  link.push(frame(5566, 2, "after the crash"));
  link.push(frame(5567, 1, "unaffected"));

  const after = [(await queue.take())!, (await queue.take())!];
  assert.deepEqual(
    after.map((d) => [d.port, d.seq, d.message]).sort(),
    [[5566, 2, "after the crash"], [5567, 1, "unaffected"]],
  );
  const restarts = events.filter((e) => e.type === "ActorRestarted").map((e) => e.path);
  assert.deepEqual(restarts, ["/client/conn-5566"], "only the crashed connection restarted");

  const byPort = new Map((await stats()).map((s) => [s.port, s]));
  assert.equal(byPort.get(5566)!.frames, 1, "the restarted connection starts afresh");
  assert.equal(byPort.get(5567)!.frames, 2, "the other connection kept its state");
  assert.equal(byPort.get(5567)!.lastMessage, "unaffected");
});

Deno.test("ClientSupervisor hands the user's return data to the transport as the frame's reply", async () => {
  const { system, queue, link, supervisor, stats } = await startClient(true);
  await using _ = system;
  link.push(frame(5566, 0));
  const first = (await queue.take())!;
  const replied = new Promise<unknown>((resolve) => link.onReply((reply) => resolve(reply)));
  supervisor.tell({ type: "Consumed", port: 5566, seq: first.seq, returnData: "thanks" });
  assert.deepEqual(await replied, { type: "Reply", port: 5566, seq: 0, returnData: "thanks" });

  // Lazy Pirate: the transport answered a resend itself and says so.
  link.push({ type: "FrameResent", port: 5566, seq: 0, bytes: 3 });
  const [connection] = await stats();
  assert.equal(connection.duplicates, 1);
  assert.equal(connection.frames, 1, "a resent frame is not a frame");
  const next = queue.take();
  link.push(frame(5566, 1));
  assert.equal((await next)!.seq, 1);
});

Deno.test("ClientSupervisor in PUB/SUB sends no replies", async () => {
  const { system, queue, link, supervisor, stats } = await startClient(false);
  await using _ = system;
  link.push(frame(5566, 0));
  const first = (await queue.take())!;
  supervisor.tell({ type: "Consumed", port: 5566, seq: first.seq, returnData: undefined });
  await stats();
  assert.deepEqual(link.replies, []);
});

Deno.test("ClientSupervisor counts refused messages per port and code", async () => {
  const { system, link, stats } = await startClient(false);
  await using _ = system;
  link.refuse(5566, "malformed-cbor");
  link.refuse(5566, "malformed-cbor");
  link.refuse(5566, "frame-size-mismatch");
  link.refuse(5567, "unknown-version");
  const byPort = new Map((await stats()).map((s) => [s.port, s.rejected]));
  assert.deepEqual(byPort.get(5566), { "malformed-cbor": 2, "frame-size-mismatch": 1 });
  assert.deepEqual(byPort.get(5567), { "unknown-version": 1 });
});

/**
 * The liveness actor judges "all gone" one macrotask after a goodbye (so
 * news already on its way counts): two turns are past that judgement. Used
 * only to check that nothing was announced, which has no event to await.
 */
function judged(): Promise<void> {
  return new Promise((resolve) => setTimeout(() => setTimeout(resolve, 0), 0));
}

Deno.test("ClientSupervisor reports every server gone once, after each has said goodbye", async () => {
  const { system, link, states, stats, allGone, allGoneEvent } = await startClient(false);
  await using _ = system;
  link.push(frame(5566, 0));
  link.push(frame(5567, 0));
  link.push(goodbye(5566));
  await stats();
  await judged();
  assert.equal(allGone(), 0, "one server is still there");
  link.push(goodbye(5567));
  await allGoneEvent;
  assert.equal(allGone(), 1);
  // Each server's news comes from its own actor: ordered per server only.
  assert.deepEqual(
    states.map((s) => `${s.port}:${s.state}:${s.reason}`).sort(),
    ["5566:gone:terminated", "5566:live:joined", "5567:gone:terminated", "5567:live:joined"],
  );
});

Deno.test("ClientSupervisor waits for servers it never heard from before shutting down", async () => {
  const goneAfterMs = 300;
  const { system, link, states, stats, allGone, allGoneEvent } = await startClient(false, {
    staleAfterMs: 60_000,
    goneAfterMs,
    tickMs: 10,
    expectedPorts: [5566, 5567],
    leaveGraceMs: 0,
  });
  await using _ = system;
  // 5566 comes and goes before 5567 has even started.
  link.push(frame(5566, 0));
  link.push(goodbye(5566));
  const leftAt = performance.now();
  await stats();
  await judged();
  assert.equal(allGone(), 0, "5567 was never heard from: keep waiting for it");
  link.push(frame(5567, 0));
  link.push(goodbye(5567));
  await allGoneEvent;
  assert.equal(allGone(), 1, "every expected server came and went: shut down at once");
  assert.ok(performance.now() - leftAt < goneAfterMs, "without waiting out the grace period");
  assert.deepEqual(states.filter((s) => s.state === "gone").map((s) => s.port), [5566, 5567]);
});

Deno.test("ClientSupervisor shuts down after the grace period when an expected server never comes", async () => {
  const { system, link, stats, allGone, allGoneEvent } = await startClient(false, {
    staleAfterMs: 60_000,
    goneAfterMs: 100,
    tickMs: 10,
    expectedPorts: [5566, 5567],
    leaveGraceMs: 0,
  });
  await using _ = system;
  link.push(frame(5566, 0));
  link.push(goodbye(5566));
  await stats();
  assert.equal(allGone(), 0);
  const started = performance.now();
  let timer!: ReturnType<typeof setTimeout>;
  await Promise.race([
    allGoneEvent,
    new Promise((_, reject) =>
      timer = setTimeout(() => reject(new Error("never announced")), 2000)
    ),
  ]);
  clearTimeout(timer);
  assert.ok(performance.now() - started >= 50, "not before the grace period");
});

Deno.test("ClientSupervisor REQ/REP: a number not above the last is a restart; resends are the transport's", async () => {
  const { system, queue, link, supervisor, stats } = await startClient(true);
  await using _ = system;
  const delivered: number[] = [];
  const send = async (seq: number): Promise<void> => {
    link.push(frame(5566, seq));
    const delivery = (await queue.take())!;
    delivered.push(delivery.seq);
    supervisor.tell({ type: "Consumed", port: 5566, seq: delivery.seq, returnData: undefined });
  };
  for (const seq of [0, 1, 2]) await send(seq);
  // A spoofed number far ahead: delivered (plain mode cannot tell it from
  // the server's), but it must not make the server's next frames resends.
  await send(2 ** 53 - 1);
  await send(3);
  // The server resends 3 (Lazy Pirate): the transport answered it.
  link.push({ type: "FrameResent", port: 5566, seq: 3, bytes: 3 });
  await send(4);
  // Lower than the last: a restart, delivered.
  await send(2);
  // The last number again, passed on as a frame (a transport that restarted
  // and forgot its last reply): a restart too, delivered.
  await send(2);
  assert.deepEqual(delivered, [0, 1, 2, 2 ** 53 - 1, 3, 4, 2, 2]);
  const [connection] = await stats();
  assert.equal(connection.duplicates, 1);
  assert.equal(connection.restarts, 3, "after the spoof, and twice at 2");
  assert.equal(connection.frames, 8);
});

Deno.test("ClientSupervisor PUB/SUB: a lower or far-ahead number is a restart, a small gap is lost frames", async () => {
  const { system, queue, link, stats } = await startClient(false);
  await using _ = system;
  const delivered: number[] = [];
  const seqs = [0, 1, 2, 2 ** 53 - 1, 3, 4, 10, 2000, 2000, 3024, 3025];
  for (const seq of seqs) {
    link.push(frame(5566, seq));
    delivered.push((await queue.take())!.seq);
  }
  assert.deepEqual(delivered, seqs, "every frame delivered: PUB/SUB never resends");
  const [connection] = await stats();
  assert.equal(connection.duplicates, 0);
  // 2^53-1 (ahead by more than 1024), 3 (back), 2000 (ahead by 1989),
  // 2000 again (not ahead).
  assert.equal(connection.restarts, 4);
  // 5 to 9 between 4 and 10, and 2001 to 3023 (1023, within the window).
  assert.equal(connection.lost, 5 + 1023);
});

Deno.test("ClientSupervisor in plain mode believes a goodbye only once the server stays silent", async () => {
  const leaveGraceMs = 150;
  const { system, queue, link, states, stats, allGone, allGoneEvent } = await startClient(false, {
    staleAfterMs: 60_000,
    goneAfterMs: 120_000,
    tickMs: 10,
    leaveGraceMs,
  });
  await using _ = system;
  link.push(frame(5566, 0));
  // A spoofed goodbye, then the server's next frame within the grace.
  link.push(goodbye(5566));
  link.push(frame(5566, 1));
  assert.deepEqual((await queue.take())?.seq, 0);
  assert.deepEqual((await queue.take())?.seq, 1);
  const [connection] = await stats();
  assert.equal(connection.spoofedTerminates, 1);
  assert.equal(connection.state, "live");

  // The real goodbye: nothing follows it.
  link.push(goodbye(5566));
  const saidAt = performance.now();
  let timer!: ReturnType<typeof setTimeout>;
  await Promise.race([
    allGoneEvent,
    new Promise((_, reject) =>
      timer = setTimeout(() => reject(new Error("never announced")), 2000)
    ),
  ]);
  clearTimeout(timer);
  const waited = performance.now() - saidAt;
  assert.ok(waited >= leaveGraceMs - 5, `gone ${waited.toFixed(0)} ms after the goodbye`);
  assert.equal(allGone(), 1);
  assert.deepEqual(states.map((s) => `${s.state}:${s.reason}`), ["live:joined", "gone:terminated"]);
  const [after] = await stats();
  assert.equal(after.spoofedTerminates, 1, "the real goodbye is not counted as a spoof");
});
