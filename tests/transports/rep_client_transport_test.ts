import "../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import type { ActorRef } from "../../actors/actor_ref.ts";
import { ActorSystem } from "../../actors/actor_system.ts";
import { ProtocolCodec } from "../../transports/protocol/protocol.ts";
import { RepClientTransport } from "../../transports/rep_client_transport.ts";
import type { ClientTransportCommand, ClientTransportEvent } from "../../transports/transport.ts";
import { ZmqSocket } from "../../transports/zmq/zmq_socket.ts";
import { freePorts } from "../_helpers/ports.ts";

/** A REP transport under a parent that records what it is told. */
async function startTransport(port: number) {
  const system = new ActorSystem({ logLevel: "silent" });
  const events: ClientTransportEvent[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let onReady!: (error?: unknown) => void;
  const ready = new Promise<unknown>((resolve) => onReady = resolve);
  let transport!: ActorRef<ClientTransportCommand>;
  system.spawn<ClientTransportEvent>("client", {
    create: () => ({
      started(context) {
        transport = context.spawn<ClientTransportCommand>("transport", {
          create: () =>
            new RepClientTransport({
              address: "127.0.0.1",
              ports: [port],
              role: "bind",
              maxMessageSize: 1 << 20,
              onReady,
            }),
        });
      },
      receive(event) {
        events.push(event);
        for (const waiter of waiters.filter((w) => w.count <= events.length)) waiter.resolve();
      },
    }),
  });
  assert.equal(await ready, undefined);
  const told = (count: number): Promise<void> =>
    events.length >= count
      ? Promise.resolve()
      : new Promise((resolve) => waiters.push({ count, resolve }));
  return { system, events, transport, told };
}

Deno.test("RepClientTransport answers a Lazy Pirate resend with the same reply and passes the frame on once", async () => {
  const [port] = freePorts(1);
  const { system, events, transport, told } = await startTransport(port);
  await using _ = system;
  await using req = new ZmqSocket("req");
  req.connect(`tcp://127.0.0.1:${port}`);
  const codec = new ProtocolCodec();
  const frame = (seq: number) =>
    codec.encode({ version: 1, kind: "frame", port, seq, sentAt: Date.now(), message: seq });
  const reply = async () =>
    codec.decodeParts(await req.receive({ signal: AbortSignal.timeout(5000) }));

  await req.send(frame(0));
  await told(1);
  assert.equal(events[0].type, "FrameArrived");
  transport.tell({ type: "Reply", port, seq: 0, returnData: "thanks" });
  const first = await reply();
  assert.deepEqual([first.kind, first.seq, first.message], ["reply", 0, "thanks"]);

  // The server missed that reply and sends frame 0 again.
  await req.send(frame(0));
  const again = await reply();
  assert.deepEqual(
    [again.seq, again.message],
    [0, "thanks"],
    "the same reply, return data included",
  );
  await told(2);
  assert.deepEqual(events[1], { type: "FrameResent", port, seq: 0, bytes: frame(0).byteLength });

  // A reply for a frame that is not pending goes nowhere.
  transport.tell({ type: "Reply", port, seq: 7, returnData: "stray" });
  await req.send(frame(1));
  await told(3);
  assert.deepEqual(
    events.map((e) => e.type === "FrameArrived" ? e.seq : e.type),
    [0, "FrameResent", 1],
    "frame 0 passed on once",
  );
  transport.tell({ type: "Reply", port, seq: 1, returnData: "second" });
  const second = await reply();
  assert.deepEqual([second.seq, second.message], [1, "second"]);
});

Deno.test("RepClientTransport answers heartbeats and goodbyes at once, and refuses bad bytes with an error reply", async () => {
  const [port] = freePorts(1);
  const { system, events, told } = await startTransport(port);
  await using _ = system;
  await using req = new ZmqSocket("req");
  req.connect(`tcp://127.0.0.1:${port}`);
  const codec = new ProtocolCodec();
  const reply = async () =>
    codec.decodeParts(await req.receive({ signal: AbortSignal.timeout(5000) }));
  await req.send(codec.encode({ version: 1, kind: "heartbeat", port, seq: 3, sentAt: Date.now() }));
  assert.equal((await reply()).seq, 3);
  await req.send(Uint8Array.of(0xff, 0x00));
  assert.equal((await reply()).error?.code, "malformed-cbor");
  await req.send(codec.encode({ version: 1, kind: "terminate", port, seq: 3, sentAt: Date.now() }));
  assert.equal((await reply()).kind, "reply");
  await told(3);
  assert.deepEqual(events.map((e) => e.type), [
    "HeartbeatArrived",
    "MessageRefused",
    "GoodbyeArrived",
  ]);
});
