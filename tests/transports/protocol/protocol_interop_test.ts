import "../../_helpers/preload_native.ts";
/**
 * Cross-language checks of the wire protocol against tests/interop/python_server.py,
 * a Python implementation written from transports/protocol/PROTOCOL.md alone.
 *
 * Needs /usr/bin/python3 with Debian's python3-zmq and python3-cbor2, and
 * `--allow-run=/usr/bin/python3 --allow-read --allow-env --allow-ffi`.
 */
import assert from "node:assert/strict";
import { NO_PYTHON, PYTHON, requirePython } from "../../_helpers/python.ts";
import { Encoder } from "cbor-x";
import {
  type Envelope,
  ProtocolCodec,
  ProtocolError,
} from "../../../transports/protocol/protocol.ts";

const SERVER = new URL("../../interop/python_server.py", import.meta.url).pathname;
const TS = 1764072000123.25;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function python(args: string[], stdin?: string): Promise<Run> {
  const child = new Deno.Command(PYTHON, {
    args: [SERVER, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.trim().match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The server's frame pattern: byte i of frame `seq` is (i + 31 * seq) % 251. */
function pattern(size: number, seq: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i + 31 * seq) % 251;
  return data;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes))));
}

Deno.test({
  name: "python_server.py passes its own self-test",
  ignore: NO_PYTHON,
  async fn() {
    requirePython();
    const run = await python(["--self-test"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), "self-test ok");
  },
});

Deno.test({
  name: "ProtocolCodec decodes a frame envelope encoded by Python's cbor2",
  ignore: NO_PYTHON,
  async fn() {
    requirePython();
    const run = await python([
      "--dump-sample",
      "--port",
      "6001",
      "--width",
      "5",
      "--height",
      "3",
      "--message",
      "from python",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const bytes = fromHex(run.stdout);
    const envelope = new ProtocolCodec().decode(bytes);
    assert.equal(envelope.kind, "frame");
    assert.equal(envelope.port, 6001);
    assert.equal(envelope.seq, 0);
    assert.equal(envelope.sentAt, TS);
    assert.deepStrictEqual(
      { ...envelope.frame, data: undefined },
      { width: 5, height: 3, channels: 3, format: "bgr24", encoding: "raw", data: undefined },
    );
    assert.deepStrictEqual(envelope.frame!.data, pattern(5 * 3 * 3, 0));
    assert.equal(envelope.frame!.data.buffer, bytes.buffer, "frame data must be a view");
    assert.deepStrictEqual(envelope.message, {
      text: "from python",
      n: 2n ** 40n, // cbor2 writes 2^40 as an 8-byte integer: cbor-x gives a bigint
      big: 2n ** 70n,
      neg: -7,
      pi: 3.25,
      floats: new Float32Array([1.5, -2, 0.25]),
      nested: [1, null, true, { k: new Uint8Array([1, 2]) }],
    });
  },
});

Deno.test({
  name: "Python's decoder accepts what ProtocolCodec encodes and rejects what it rejects",
  ignore: NO_PYTHON,
  async fn() {
    requirePython();
    const codec = new ProtocolCodec();
    const valid: Envelope[] = [
      {
        version: 1,
        kind: "frame",
        port: 5566,
        seq: 0,
        sentAt: TS,
        message: { floats: new Float32Array([0.5, 2]), when: new Date(0), tags: new Set(["a"]) },
        frame: {
          width: 4,
          height: 2,
          channels: 4,
          format: "rgba",
          encoding: "raw",
          data: pattern(32, 1),
        },
      },
      {
        version: 1,
        kind: "reply",
        port: 5566,
        seq: 7,
        sentAt: TS,
        message: [1, "two", 3.5, null],
      },
      {
        version: 1,
        kind: "reply",
        port: 5566,
        seq: 0,
        sentAt: TS,
        error: { code: "unknown-version", message: "v 2" },
      },
      { version: 1, kind: "heartbeat", port: 1, seq: 2 ** 40, sentAt: TS },
      { version: 1, kind: "terminate", port: 65535, seq: 3, sentAt: TS },
      // Version 2: the frame's pixels as a second part; other kinds as before.
      {
        version: 2,
        kind: "frame",
        port: 5566,
        seq: 1,
        sentAt: TS,
        message: "two parts",
        frame: {
          width: 4,
          height: 2,
          channels: 3,
          format: "bgr24",
          encoding: "raw",
          data: pattern(24, 2),
        },
      },
      { version: 2, kind: "heartbeat", port: 5566, seq: 2, sentAt: TS },
    ];
    const raw = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });
    const good = { v: 1, kind: "heartbeat", port: 5566, seq: 0, ts: TS };
    const frame = { w: 2, h: 1, c: 3, fmt: "bgr24", enc: "raw", data: new Uint8Array(6) };
    const head = { ...good, v: 2, kind: "frame", frame: { ...frame, data: undefined } };
    const pixels = new Uint8Array(6);
    const invalid: Uint8Array[][] = [
      [raw.encode(head), pixels, new Uint8Array(1)],
      [raw.encode({ ...head, v: 1 }), pixels],
      [raw.encode({ ...head, frame: undefined, message: "x" }), pixels],
      [raw.encode({ ...head, frame }), pixels],
      [raw.encode(head), pixels.subarray(1)],
      [raw.encode({ ...head, frame: { ...frame, data: undefined, enc: "jpeg" } }), pixels],
    ].concat([
      new Uint8Array([0xff]),
      Uint8Array.of(...raw.encode(good), 0),
      raw.encode([1]),
      raw.encode({ ...good, v: 3 }),
      raw.encode({ ...good, kind: "ping" }),
      raw.encode({ ...good, port: 0 }),
      raw.encode({ ...good, seq: -1 }),
      raw.encode({ ...good, ts: "now" }),
      raw.encode({ ...good, kind: "frame" }),
      raw.encode({ ...good, frame }),
      raw.encode({ ...good, error: { code: "x", message: "y" } }),
      raw.encode({ ...good, kind: "frame", frame: { ...frame, c: 4 } }),
      raw.encode({ ...good, kind: "frame", frame: { ...frame, fmt: "yuv" } }),
      raw.encode({ ...good, kind: "frame", frame: { ...frame, data: new Uint8Array(5) } }),
      raw.encode({ ...good, kind: "frame", frame: { ...frame, enc: "jpeg" } }),
      raw.encode({ ...good, kind: "reply", error: { message: "no code" } }),
    ].map((bytes) => [bytes]));
    const messages = [...valid.map((e) => codec.encodeParts(e)), ...invalid];
    assert.equal(messages[valid.length - 2].length, 2, "the version 2 frame is two parts");
    // One message per line, its parts as hex separated by a space.
    const lines = messages.map((parts) => parts.map(toHex).join(" "));
    const run = await python(["--decode"], lines.join("\n") + "\n");
    assert.equal(run.code, 4, `some inputs are invalid, so exit 4: ${run.stderr}`);
    const results = jsonLines(run.stdout);
    assert.equal(results.length, lines.length);

    for (const [i, envelope] of valid.entries()) {
      const ok = results[i].ok as Record<string, unknown>;
      assert.ok(ok, `Python rejected valid envelope ${i}: ${JSON.stringify(results[i])}`);
      assert.equal(ok.kind, envelope.kind);
      assert.equal(ok.seq, envelope.seq);
      assert.equal(ok.port, envelope.port);
      assert.equal(ok.ts, envelope.sentAt);
    }
    const first = results[0].ok as {
      frame: { data: { $bytes: number; sha256: string } };
      message: Record<string, unknown>;
    };
    assert.equal(first.frame.data.$bytes, 32);
    assert.equal(first.frame.data.sha256, await sha256Hex(pattern(32, 1)));
    // A Float32Array travels as RFC 8746 tag 85 (little-endian float32).
    assert.deepStrictEqual(first.message.floats, {
      $tag: 85,
      value: {
        $bytes: 8,
        sha256: await sha256Hex(new Uint8Array(new Float32Array([0.5, 2]).buffer)),
        head: "0000003f00000040",
      },
    });
    assert.deepStrictEqual(first.message.when, { $datetime: "1970-01-01T00:00:00+00:00" });
    assert.deepStrictEqual(first.message.tags, { $set: ["a"] });

    const twoPart = results[valid.length - 2].ok as {
      v: number;
      frame: { data: { $bytes: number; sha256: string } };
    };
    assert.equal(twoPart.v, 2);
    assert.equal(twoPart.frame.data.$bytes, 24);
    assert.equal(twoPart.frame.data.sha256, await sha256Hex(pattern(24, 2)));

    for (const [j, parts] of invalid.entries()) {
      const result = results[valid.length + j];
      const what = parts.map(toHex).join(" | ");
      let jsCode: string | undefined;
      let jsField: string | undefined;
      try {
        codec.decodeParts(parts);
      } catch (error) {
        assert.ok(error instanceof ProtocolError);
        jsCode = error.code;
        jsField = error.field;
      }
      const rejected = result.rejected as { code: string; field: string | null };
      assert.ok(rejected, `Python accepted invalid input ${what}`);
      assert.ok(jsCode !== undefined, `ProtocolCodec accepted invalid input ${what}`);
      assert.equal(rejected.code, jsCode, `codes differ for ${what}`);
      assert.equal(rejected.field ?? undefined, jsField, `fields differ for ${what}`);
    }
  },
});

Deno.test({
  name: "python_server.py publishes frames a Deno SUB socket decodes (pattern 2)",
  ignore: NO_PYTHON,
  async fn() {
    requirePython();
    const { ZmqSocket } = await import("../../../transports/zmq/zmq_socket.ts");
    const codec = new ProtocolCodec();
    await using sub = new ZmqSocket("sub");
    await sub.bind("tcp://127.0.0.1:*");
    sub.subscribe();
    const port = Number(new URL(sub.lastEndpoint!.replace("tcp:", "http:")).port);
    const frames = 4;
    const [width, height] = [64, 48];
    const server = python([
      "--address",
      "127.0.0.1",
      "--port",
      String(port),
      "--pattern",
      "2",
      "--frames",
      String(frames),
      "--heartbeats",
      "1",
      "--width",
      String(width),
      "--height",
      String(height),
      "--message",
      "pub hello",
    ]);
    const received: Envelope[] = [];
    try {
      while (received.at(-1)?.kind !== "terminate") {
        const parts = await sub.receive({ signal: AbortSignal.timeout(10_000) });
        assert.equal(parts.length, 1, "one ZeroMQ part per message");
        received.push(codec.decode(parts[0]));
      }
    } finally {
      // The server times out by itself (--timeout-ms), so this never hangs.
      const run = await server;
      if (received.at(-1)?.kind === "terminate") assert.equal(run.code, 0, run.stderr);
    }
    assert.deepStrictEqual(received.map((e) => [e.kind, e.seq, e.port]), [
      ...Array.from({ length: frames }, (_, seq) => ["frame", seq, port]),
      ["heartbeat", frames, port],
      ["terminate", frames + 1, port],
    ]);
    for (const envelope of received.slice(0, frames)) {
      assert.equal(envelope.message, "pub hello");
      assert.equal(envelope.frame!.width, width);
      assert.deepStrictEqual(envelope.frame!.data, pattern(width * height * 3, envelope.seq));
      assert.ok(Math.abs(envelope.sentAt - Date.now()) < 60_000, "ts is ms since the epoch");
    }
  },
});

Deno.test({
  name: "python_server.py gets one reply per request from a Deno REP socket (pattern 1)",
  ignore: NO_PYTHON,
  async fn() {
    requirePython();
    const { ZmqSocket } = await import("../../../transports/zmq/zmq_socket.ts");
    const codec = new ProtocolCodec();
    await using rep = new ZmqSocket("rep");
    await rep.bind("tcp://127.0.0.1:*");
    const port = Number(new URL(rep.lastEndpoint!.replace("tcp:", "http:")).port);
    const server = python([
      "--port",
      String(port),
      "--pattern",
      "1",
      "--frames",
      "3",
      "--width",
      "8",
      "--height",
      "4",
      "--message",
      "req hello",
      "--expect-replies",
    ]);
    const kinds: string[] = [];
    let run: Run;
    try {
      while (kinds.at(-1) !== "terminate") {
        const [bytes] = await rep.receive({ signal: AbortSignal.timeout(10_000) });
        const request = codec.decode(bytes);
        kinds.push(request.kind);
        const reply: Envelope = {
          version: 1,
          kind: "reply",
          port: request.port,
          seq: request.seq,
          sentAt: performance.timeOrigin + performance.now(),
        };
        if (request.kind === "frame") {
          assert.deepStrictEqual(request.frame!.data, pattern(8 * 4 * 3, request.seq));
          reply.message = { echo: request.seq, big: 2n ** 64n };
        }
        await rep.send(codec.encode(reply), { signal: AbortSignal.timeout(10_000) });
      }
    } finally {
      run = await server;
    }
    assert.equal(run.code, 0, run.stderr);
    assert.deepStrictEqual(kinds, ["frame", "frame", "frame", "terminate"]);
    assert.deepStrictEqual(
      jsonLines(run.stdout),
      [0, 1, 2].map((seq) => ({ seq, reply: { echo: seq, big: { $bigint: String(2n ** 64n) } } })),
    );
  },
});
