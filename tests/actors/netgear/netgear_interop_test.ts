import "../../_helpers/preload_native.ts";
/**
 * NetGear against an independent implementation: tests/interop/python_server.py,
 * a Python server written from transports/protocol/PROTOCOL.md alone (pyzmq + cbor2),
 * streams to a Deno NetGear client over REQ/REP and PUB/SUB.
 *
 * Needs /usr/bin/python3 with Debian's python3-zmq and python3-cbor2, and
 * `--allow-run --allow-read --allow-env --allow-ffi --allow-net=127.0.0.1`.
 */
import assert from "node:assert/strict";
import { NO_PYTHON, PYTHON, requirePython } from "../../_helpers/python.ts";
import {
  NetGear,
  type NetGearClient,
  type NetGearClientEventMap,
  type ServerStateEvent,
} from "../../../actors/netgear/mod.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { sha256, testFrame } from "../../_helpers/frames.ts";
import { within } from "../../_helpers/async.ts";

const SERVER = new URL("../../interop/python_server.py", import.meta.url).pathname;
/** Python's own bound on each wait (a reply, a subscriber): it exits instead of hanging. */
const PYTHON_TIMEOUT_MS = 15_000;

interface PythonRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One python_server.py process; disposing it kills it if it still runs. */
class PythonServer implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  /** Settles when the process has exited, with its output. */
  readonly done: Promise<PythonRun>;

  constructor(args: string[]) {
    this.#child = new Deno.Command(PYTHON, {
      args: [SERVER, "--timeout-ms", String(PYTHON_TIMEOUT_MS), ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const decoder = new TextDecoder();
    this.done = this.#child.output().then(({ code, stdout, stderr }) => ({
      code,
      stdout: decoder.decode(stdout),
      stderr: decoder.decode(stderr),
    }));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited: nothing to kill.
    }
    await this.done;
  }
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

/** python_server.py's frame pattern: byte i of frame `seq` is (i + 31 * seq) % 251. */
function pythonFrame(size: number, seq: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i + 31 * seq) % 251;
  return data;
}

/** What python_server.py --rich-message sends with frame `seq` (as cbor-x decodes it). */
function pythonMessage(text: string, port: number, seq: number): Record<string, unknown> {
  return {
    text,
    port,
    seq,
    n: 2n ** 40n, // cbor2 writes 2^40 as an 8-byte integer, which cbor-x reads as a bigint
    floats: new Float32Array([seq, 0.5]),
    bytes: Uint8Array.from({ length: 5 }, (_, k) => (seq + k) % 256),
  };
}

/** The data the client returns with its k-th `recv`. */
function returnDataFor(k: number): { k: number; text: string; blob: Uint8Array } {
  return { k, text: `ret-${k}`, blob: Uint8Array.of(k & 0xff, 0xab, 0xcd) };
}

/** How python_server.py prints {@linkcode returnDataFor}'s value (its `to_json`). */
async function returnDataAsPythonJson(k: number): Promise<unknown> {
  const { text, blob } = returnDataFor(k);
  return { k, text, blob: { $bytes: 3, sha256: await sha256(blob), head: toHex(blob) } };
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function pythonArgs(
  port: number,
  pattern: 1 | 2,
  frames: number,
  width: number,
  height: number,
  message: string,
): string[] {
  return [
    "--port",
    String(port),
    "--pattern",
    String(pattern),
    "--frames",
    String(frames),
    "--width",
    String(width),
    "--height",
    String(height),
    "--message",
    message,
    "--rich-message",
  ];
}

/** Records every `serverstate` event of a client. */
function recordStates(client: NetGearClient): ServerStateEvent[] {
  const events: ServerStateEvent[] = [];
  client.addEventListener("serverstate", (event) => {
    events.push(event.detail);
  });
  return events;
}

/** Resolves once every port in `ports` has joined (first heard from). */
function joined(client: NetGearClient, ports: readonly number[]): Promise<void> {
  const waiting = new Set(ports);
  return new Promise((resolve) => {
    const onState = (event: NetGearClientEventMap["serverstate"]): void => {
      const { port, reason } = event.detail;
      if (reason === "joined") waiting.delete(port);
      if (waiting.size === 0) {
        client.removeEventListener("serverstate", onState);
        resolve();
      }
    };
    client.addEventListener("serverstate", onState);
  });
}

function statesOf(events: ServerStateEvent[], port: number): string[] {
  return events.filter((e) => e.port === port).map((e) => `${e.state}:${e.reason}`);
}

// Version 1 sends every frame in one part, version 2 in two (PROTOCOL.md
// §3.1); python_server.py also checks that every reply repeats its version.
for (const version of [1, 2]) {
  Deno.test({
    name:
      `NetGear client receives a Python REQ server's frames intact and returns each frame's data to it, in its protocol version ${version}`,
    ignore: NO_PYTHON,
    async fn() {
      requirePython();
      const [port] = freePorts(1);
      const [frames, width, height] = [30, 320, 240];
      await using client = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        bidirectionalMode: true,
        port: [port],
        pattern: 1,
      });
      const states = recordStates(client);
      await using python = new PythonServer([
        ...pythonArgs(port, 1, frames, width, height, "from python"),
        "--expect-replies",
        "--protocol-version",
        String(version),
      ]);

      const signal = AbortSignal.timeout(20_000);
      const returnedFor = new Map<number, number>(); // frame seq → k of the recv that took it
      const seqs: number[] = [];
      for (let k = 0;; k++) {
        const got = await client.recv({ returnData: returnDataFor(k), signal });
        if (got === null) break;
        assert.equal(got.port, port, "attributed to the port it came in on");
        assert.ok(got.frame, "every python frame carries a frame");
        assert.deepEqual(
          [got.frame.width, got.frame.height, got.frame.channels, got.frame.format],
          [width, height, 3, "bgr24"],
        );
        assert.equal(
          await sha256(got.frame.data),
          await sha256(pythonFrame(width * height * 3, got.seq)),
          `frame ${got.seq} arrives intact`,
        );
        assert.deepStrictEqual(got.message, pythonMessage("from python", port, got.seq));
        assert.ok(Math.abs(got.sentAt - Date.now()) < 60_000, "ts is ms since the epoch");
        seqs.push(got.seq);
        returnedFor.set(got.seq, k);
      }

      const run = await python.done;
      assert.equal(run.code, 0, `python failed: ${run.stderr}`);
      assert.deepEqual(
        seqs,
        Array.from({ length: frames }, (_, seq) => seq),
        "all, once, in order",
      );
      const expected = await Promise.all(
        seqs.map(async (seq) => ({
          seq,
          reply: await returnDataAsPythonJson(returnedFor.get(seq)!),
        })),
      );
      assert.deepStrictEqual(
        jsonLines(run.stdout),
        expected,
        "python got back exactly the data returned with each of its frames",
      );
      // Python's terminate, not a timeout, ended the client.
      assert.equal(client.shutdownReason, "all-gone");
      assert.deepEqual(statesOf(states, port), ["live:joined", "gone:terminated"]);
      assert.equal(await client.recv(), null, "recv stays at the end");
    },
  });

  Deno.test({
    name:
      `NetGear client receives every frame a Python XPUB server publishes after subscribing, then its terminate (protocol version ${version})`,
    ignore: NO_PYTHON,
    async fn() {
      requirePython();
      const [port] = freePorts(1);
      const [frames, width, height] = [40, 160, 120];
      await using client = await NetGear.open({
        receiveMode: true,
        multiserverMode: true,
        port: [port],
        pattern: 2,
        // Python publishes as fast as it can: keep every frame for recv.
        queueSize: frames + 8,
      });
      const states = recordStates(client);
      await using python = new PythonServer([
        ...pythonArgs(port, 2, frames, width, height, "pub python"),
        "--heartbeats",
        "2",
        "--protocol-version",
        String(version),
      ]);

      const signal = AbortSignal.timeout(20_000);
      const seqs: number[] = [];
      for await (const got of client) {
        signal.throwIfAborted();
        assert.equal(got.port, port);
        assert.ok(got.frame);
        assert.equal(
          await sha256(got.frame.data),
          await sha256(pythonFrame(width * height * 3, got.seq)),
          `frame ${got.seq} arrives intact`,
        );
        assert.deepStrictEqual(got.message, pythonMessage("pub python", port, got.seq));
        seqs.push(got.seq);
      }

      const run = await python.done;
      assert.equal(run.code, 0, `python failed: ${run.stderr}`);
      // python_server.py uses XPUB and waits for the subscription before its
      // first frame (PROTOCOL.md §5.2), so nothing may be lost.
      assert.deepEqual(
        seqs,
        Array.from({ length: frames }, (_, seq) => seq),
        "all, once, in order",
      );
      assert.equal(client.shutdownReason, "all-gone");
      assert.deepEqual(statesOf(states, port), ["live:joined", "gone:terminated"]);
    },
  });
}

Deno.test({
  name:
    "NetGear client serves two Python REQ servers and one Deno server at once, each on its own port",
  ignore: NO_PYTHON,
  async fn() {
    requirePython();
    const [portA, portB, portDeno] = freePorts(3);
    const sizes = new Map([[portA, [40, 30]], [portB, [24, 16]]]);
    const frames = 25;
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      bidirectionalMode: true,
      port: [portA, portB, portDeno],
      pattern: 1,
    });
    const states = recordStates(client);
    // The client ends once every server it has seen is gone, so it must see
    // all three before the first can finish: recv (which releases each
    // server's next request) starts only once all have joined.
    const pythonsJoined = joined(client, [portA, portB]);
    await using pythonA = new PythonServer([
      ...pythonArgs(portA, 1, frames, 40, 30, "python A"),
      "--expect-replies",
    ]);
    await using pythonB = new PythonServer([
      ...pythonArgs(portB, 1, frames, 24, 16, "python B"),
      "--expect-replies",
    ]);
    await within(pythonsJoined, 15_000, "both python servers to join");
    const denoJoined = joined(client, [portDeno]);
    // Short timeouts: were the test to fail, closing this server waits for them.
    await using deno = await NetGear.open({
      multiserverMode: true,
      bidirectionalMode: true,
      port: portDeno,
      pattern: 1,
      requestTimeout: 3000,
      maxRetries: 1,
    });
    const denoSending = (async () => {
      const replies: unknown[] = [];
      for (let n = 0; n < frames; n++) {
        replies.push(await deno.send(testFrame(portDeno, n), { message: `deno-${n}` }));
      }
      await deno.close();
      return replies;
    })();
    // Settled either way, so a failed send cannot go unhandled if the test fails first.
    const denoOutcome = denoSending.then(
      (replies) => ({ replies, error: undefined }),
      (error: unknown) => ({ replies: [], error }),
    );
    await within(denoJoined, 10_000, "the Deno server to join");

    const signal = AbortSignal.timeout(20_000);
    const returnedFor = new Map<string, number>(); // "port/seq" → k of the recv that took it
    const seqs = new Map<number, number[]>([[portA, []], [portB, []], [portDeno, []]]);
    for (let k = 0;; k++) {
      const got = await client.recv({ returnData: returnDataFor(k), signal });
      if (got === null) break;
      assert.ok(got.frame);
      if (got.port === portDeno) {
        assert.equal(got.message, `deno-${got.seq}`);
        assert.equal(await sha256(got.frame.data), await sha256(testFrame(portDeno, got.seq).data));
      } else {
        const [width, height] = sizes.get(got.port)!;
        const text = got.port === portA ? "python A" : "python B";
        assert.deepEqual([got.frame.width, got.frame.height], [width, height], "size of its port");
        assert.deepStrictEqual(got.message, pythonMessage(text, got.port, got.seq));
        assert.equal(
          await sha256(got.frame.data),
          await sha256(pythonFrame(width * height * 3, got.seq)),
        );
      }
      seqs.get(got.port)!.push(got.seq);
      returnedFor.set(`${got.port}/${got.seq}`, k);
    }

    const [runA, runB, denoResult] = await Promise.all([pythonA.done, pythonB.done, denoOutcome]);
    assert.equal(denoResult.error, undefined, "the Deno server sent every frame");
    const all = Array.from({ length: frames }, (_, seq) => seq);
    for (const [port, got] of seqs) assert.deepEqual(got, all, `port ${port}: all, once, in order`);
    for (const [port, run] of [[portA, runA], [portB, runB]] as const) {
      assert.equal(run.code, 0, `python on ${port} failed: ${run.stderr}`);
      const expected = await Promise.all(all.map(async (seq) => ({
        seq,
        reply: await returnDataAsPythonJson(returnedFor.get(`${port}/${seq}`)!),
      })));
      assert.deepStrictEqual(jsonLines(run.stdout), expected, `python on ${port} got its own data`);
    }
    assert.deepStrictEqual(
      denoResult.replies,
      all.map((seq) => returnDataFor(returnedFor.get(`${portDeno}/${seq}`)!)),
      "the Deno server got its own data",
    );
    assert.equal(client.shutdownReason, "all-gone");
    for (const port of [portA, portB, portDeno]) {
      assert.deepEqual(statesOf(states, port), ["live:joined", "gone:terminated"], `port ${port}`);
    }
  },
});
