import "../../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { curveKeyPair } from "zeromq";
import { type ZapDecision, ZapHandler } from "../../../transports/security/zap_handler.ts";
import { ZmqSocket, type ZmqSocketOptions } from "../../../transports/zmq/zmq_socket.ts";
import type { KeyPair } from "../../../transports/security/curve_keys.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (part: Uint8Array): string => decoder.decode(part);
const bytes = (value: string): Uint8Array => encoder.encode(value);

/** Fails a wait that should have ended long before. */
const deadline = (): AbortSignal => AbortSignal.timeout(5000);
/** How long a refused peer is watched for a message that must not come. */
const QUIET_MS = 400;

function clientOptions(server: KeyPair, own: KeyPair): ZmqSocketOptions {
  return {
    curveServerKey: server.publicKey,
    curvePublicKey: own.publicKey,
    curveSecretKey: own.secretKey,
  };
}

/** A REP that is the CURVE server; with a domain, it refuses peers while no handler answers. */
async function curveRep(server: KeyPair, zapDomain?: string): Promise<ZmqSocket> {
  const rep = new ZmqSocket("rep", {
    curveServer: true,
    curveSecretKey: server.secretKey,
    zapDomain,
    zapEnforceDomain: zapDomain !== undefined,
  });
  await rep.bind("tcp://127.0.0.1:*");
  return rep;
}

async function roundTrip(req: ZmqSocket, rep: ZmqSocket, body: string): Promise<void> {
  await req.send(bytes(body), { signal: deadline() });
  const [got] = await rep.receive({ signal: deadline() });
  assert.equal(text(got), body);
  await rep.send(bytes(`re:${body}`), { signal: deadline() });
  const [reply] = await req.receive({ signal: deadline() });
  assert.equal(text(reply), `re:${body}`);
}

/** Resolves once `count` decisions matching `test` were made. */
function decisions(
  count: number,
  test: (decision: ZapDecision) => boolean,
): { onDecision: (decision: ZapDecision) => void; reached: Promise<void> } {
  const { promise, resolve } = Promise.withResolvers<void>();
  let seen = 0;
  return {
    onDecision: (decision) => {
      if (test(decision) && ++seen === count) resolve();
    },
    reached: promise,
  };
}

/** Rejects with the abort reason if nothing arrives before `ms`. */
async function assertNothingArrives(socket: ZmqSocket, ms: number): Promise<void> {
  const quiet = AbortSignal.timeout(ms);
  await assert.rejects(
    socket.receive({ signal: quiet }),
    (error) => quiet.aborted && error === quiet.reason,
    "a refused peer's message was delivered",
  );
}

Deno.test("ironhouse: a known key gets through, an unknown one gets nowhere and is refused, logged once", async () => {
  const server = curveKeyPair();
  const known = curveKeyPair();
  const stranger = curveKeyPair();
  const logs: string[] = [];
  const refusedTwice = decisions(2, (d) => !d.admitted);
  await using zap = await ZapHandler.start([known.publicKey], {
    log: (message) => logs.push(message),
    onDecision: refusedTwice.onDecision,
  });
  await using rep = await curveRep(server, zap.domain);
  // Two sockets with the same unknown key: one refused peer, two attempts.
  await using intruder1 = new ZmqSocket("req", clientOptions(server, stranger));
  await using intruder2 = new ZmqSocket("req", clientOptions(server, stranger));
  intruder1.connect(rep.lastEndpoint!);
  intruder2.connect(rep.lastEndpoint!);
  await intruder1.send(bytes("let me in 1"), { signal: deadline() });
  await intruder2.send(bytes("let me in 2"), { signal: deadline() });
  await Promise.race([
    refusedTwice.reached,
    new Promise((_, reject) =>
      deadline().addEventListener("abort", () => reject(new Error("no refusal")))
    ),
  ]);

  await using member = new ZmqSocket("req", clientOptions(server, known));
  member.connect(rep.lastEndpoint!);
  await roundTrip(member, rep, "frame 1");
  await roundTrip(member, rep, "frame 2");
  await assertNothingArrives(rep, QUIET_MS);

  assert.equal(zap.admitted, 1);
  assert.equal(zap.refused, 2);
  assert.equal(logs.length, 1, logs.join("\n"));
  assert.match(logs[0], /127\.0\.0\.1/);
  assert.ok(logs[0].includes(stranger.publicKey), logs[0]);
  assert.ok(logs[0].includes(zap.domain), logs[0]);
});

Deno.test("ironhouse: a client holding the wrong server key never talks to the server", async () => {
  const server = curveKeyPair();
  const impostorServer = curveKeyPair();
  const known = curveKeyPair();
  await using zap = await ZapHandler.start([known.publicKey], { log: () => {} });
  await using rep = await curveRep(server, zap.domain);
  await using confused = new ZmqSocket("req", clientOptions(impostorServer, known));
  confused.connect(rep.lastEndpoint!);
  await confused.send(bytes("hello?"), { signal: deadline() });
  await assertNothingArrives(rep, QUIET_MS);
  // The CURVE handshake failed before authentication was even asked.
  assert.equal(zap.admitted + zap.refused, 0);
});

Deno.test("ironhouse fails closed once its handler is closed, whether or not other handlers run", async () => {
  const server = curveKeyPair();
  const known = curveKeyPair();
  const zap = await ZapHandler.start([known.publicKey], { log: () => {} });
  const other = await ZapHandler.start([known.publicKey], { log: () => {} });
  await using rep = await curveRep(server, zap.domain);
  await zap.close();
  await zap.close();
  assert.ok(zap.closed);
  // The shared endpoint still answers (for the other domain) and refuses ours.
  await using late = new ZmqSocket("req", clientOptions(server, known));
  late.connect(rep.lastEndpoint!);
  await late.send(bytes("after close"), { signal: deadline() });
  await assertNothingArrives(rep, QUIET_MS);
  // No handler at all: the socket's zapEnforceDomain refuses.
  await other.close();
  await using later = new ZmqSocket("req", clientOptions(server, known));
  later.connect(rep.lastEndpoint!);
  await later.send(bytes("after every close"), { signal: deadline() });
  await assertNothingArrives(rep, QUIET_MS);
  assert.equal(other.admitted + other.refused, 0);
});

Deno.test("ZAP handlers of different domains coexist; stonehouse sockets stay open to any key", async () => {
  const serverA = curveKeyPair();
  const serverB = curveKeyPair();
  const memberA = curveKeyPair();
  const memberB = curveKeyPair();
  const anyone = curveKeyPair();
  await using zapA = await ZapHandler.start([memberA.publicKey], { log: () => {} });
  await using zapB = await ZapHandler.start([memberB.publicKey], { log: () => {} });
  assert.notEqual(zapA.domain, zapB.domain);
  await assert.rejects(ZapHandler.start([], { domain: zapA.domain }), TypeError);
  await assert.rejects(ZapHandler.start(["not a key"]), RangeError);

  await using repA = await curveRep(serverA, zapA.domain);
  await using repB = await curveRep(serverB, zapB.domain);
  // Stonehouse: encrypted, no ZAP domain, so no key list applies.
  await using open = await curveRep(serverA);

  await using a = new ZmqSocket("req", clientOptions(serverA, memberA));
  a.connect(repA.lastEndpoint!);
  await roundTrip(a, repA, "a");
  await using b = new ZmqSocket("req", clientOptions(serverB, memberB));
  b.connect(repB.lastEndpoint!);
  await roundTrip(b, repB, "b");
  await using stranger = new ZmqSocket("req", clientOptions(serverA, anyone));
  stranger.connect(open.lastEndpoint!);
  await roundTrip(stranger, open, "anyone");

  // memberA's key means nothing in domain B.
  await using crossing = new ZmqSocket("req", clientOptions(serverB, memberA));
  crossing.connect(repB.lastEndpoint!);
  await crossing.send(bytes("wrong domain"), { signal: deadline() });
  await assertNothingArrives(repB, QUIET_MS);
  assert.deepEqual([zapA.admitted, zapA.refused, zapB.admitted, zapB.refused], [1, 0, 1, 1]);
});

Deno.test("a ZAP handler can be started again at once after the last one closed", async () => {
  const server = curveKeyPair();
  const known = curveKeyPair();
  for (let i = 0; i < 30; i++) {
    await using zap = await ZapHandler.start([known.publicKey], { log: () => {} });
    await using rep = await curveRep(server, zap.domain);
    await using req = new ZmqSocket("req", clientOptions(server, known));
    req.connect(rep.lastEndpoint!);
    await roundTrip(req, rep, `round ${i}`);
  }
});

/** A TCP relay on loopback that forwards both ways and looks for a marker in what passes. */
class SpyRelay implements AsyncDisposable {
  readonly port: number;
  #listener: Deno.Listener;
  #conns = new Set<Deno.Conn>();
  #pumps: Promise<void>[] = [];
  #accepting: Promise<void>;
  #marker: Uint8Array;
  /** Bytes seen in each direction. */
  bytes = 0;
  /** Times the marker was seen. */
  sightings = 0;

  constructor(targetPort: number, marker: string) {
    this.#marker = bytes(marker);
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#accept(targetPort);
  }

  async #accept(targetPort: number): Promise<void> {
    try {
      for await (const inbound of this.#listener) {
        this.#conns.add(inbound);
        const outbound = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
        this.#conns.add(outbound);
        this.#pumps.push(this.#pump(inbound, outbound), this.#pump(outbound, inbound));
      }
    } catch {
      // The listener was closed.
    }
  }

  async #pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    // Keeps the end of the previous chunk so a marker split across reads is found.
    let tail = new Uint8Array(0);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        const chunk = buffer.subarray(0, n);
        this.bytes += n;
        const window = new Uint8Array(tail.length + n);
        window.set(tail);
        window.set(chunk, tail.length);
        this.sightings += count(window, this.#marker);
        tail = window.slice(Math.max(0, window.length - (this.#marker.length - 1)));
        for (let written = 0; written < n;) written += await to.write(chunk.subarray(written));
      }
    } catch {
      // A side closed: the relay is being torn down.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await this.#accepting;
    await Promise.all(this.#pumps);
  }
}

function count(haystack: Uint8Array, needle: Uint8Array): number {
  let found = 0;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    found++;
  }
  return found;
}

/** Sends `rounds` REQ/REP exchanges through a relay, every message carrying the marker. */
async function exchangeThroughRelay(
  marker: string,
  curve: { server: KeyPair; client: KeyPair } | undefined,
  rounds: number,
): Promise<SpyRelay> {
  await using rep = curve ? await curveRep(curve.server) : await (async () => {
    const plain = new ZmqSocket("rep");
    await plain.bind("tcp://127.0.0.1:*");
    return plain;
  })();
  const repPort = Number(rep.lastEndpoint!.split(":").at(-1));
  const relay = new SpyRelay(repPort, marker);
  try {
    await using req = new ZmqSocket("req", curve ? clientOptions(curve.server, curve.client) : {});
    req.connect(`tcp://127.0.0.1:${relay.port}`);
    const padding = "x".repeat(2000);
    for (let i = 0; i < rounds; i++) {
      await roundTrip(req, rep, `${padding}${marker}#${i}${padding}`);
    }
  } catch (error) {
    await relay[Symbol.asyncDispose]();
    throw error;
  }
  return relay;
}

Deno.test("stonehouse: no plaintext crosses the wire with CURVE, while without it every message shows", async () => {
  const marker = "ACTORGEAR-PLAINTEXT-MARKER";
  const rounds = 20;
  await using control = await exchangeThroughRelay(marker, undefined, rounds);
  // Each request and each reply carries it.
  assert.equal(control.sightings, 2 * rounds);

  // Any client key is accepted: no ZAP handler is consulted without a domain.
  const curve = { server: curveKeyPair(), client: curveKeyPair() };
  await using secured = await exchangeThroughRelay(marker, curve, rounds);
  assert.ok(secured.bytes > rounds * 2 * 4000, `only ${secured.bytes} bytes crossed`);
  assert.equal(secured.sightings, 0);
});
