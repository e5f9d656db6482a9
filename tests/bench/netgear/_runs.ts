/**
 * One benchmark run each: NetGear servers streaming to a NetGear client,
 * the same with raw npm:zeromq under Node and raw pyzmq (the ceilings), a
 * server's SIGKILL or close() seen by the client, and raw 1 KB REQ/REP round
 * trips. Every server and client is a process of its own.
 *
 * @module
 */

import { type BenchLine, BenchProcess } from "../_process.ts";
import { type CpuSample, type MachineWindow, machineWindow, readCpu } from "../_machine.ts";
import { perFrame, readThreads, type ThreadTimes } from "../_threads.ts";
import type { WindowResult } from "../_window.mjs";

const HERE = new URL(".", import.meta.url).pathname;
const CEILING = new URL("../zmq_ceiling/", import.meta.url).pathname;
const DENO_RUN = ["run", "--allow-read", "--allow-env", "--allow-ffi"];
/**
 * `--v8-flags` for every Deno process of a run: none by default, so the
 * figures are those of a plain `deno run`; `setV8Flags()` measures with some.
 */
let v8Flags = "";
/** The Python of the raw pyzmq peers (`setPython()`). */
let python = "python3";

/**
 * Sets the V8 flags the Deno processes of later runs start with.
 *
 * @param flags One `--v8-flags` value; empty for V8's defaults.
 */
export function setV8Flags(flags: string): void {
  v8Flags = flags;
}

/**
 * Sets the Python the raw pyzmq peers run on (one that imports zmq: see
 * `../_python.ts`).
 *
 * @param path An interpreter's path or name.
 */
export function setPython(path: string): void {
  python = path;
}

/** The program a raw peer of zmq_ceiling runs on. */
function rawCommand(runtime: "node" | "py" | "deno"): string {
  return runtime === "deno" ? Deno.execPath() : runtime === "py" ? python : "node";
}

/** `deno run` and its flags for a bench process. */
function denoRun(): string[] {
  return v8Flags === "" ? DENO_RUN : [DENO_RUN[0], `--v8-flags=${v8Flags}`, ...DENO_RUN.slice(1)];
}

/** Hands out loopback ports below Linux's ephemeral range, fresh for every run. */
export class PortPool {
  #next: number;
  /** @param base The first port; a random one in 20000–27999 by default. */
  constructor(base = 20000 + 10 * Math.floor(Math.random() * 800)) {
    this.#next = base;
  }
  /**
   * @param count How many.
   * @returns `count` ports never handed out before.
   */
  take(count: number): number[] {
    const ports = Array.from({ length: count }, (_, i) => this.#next + i);
    this.#next += count;
    if (this.#next > 32000) this.#next = 20000;
    return ports;
  }
}

/** What one throughput run measured. */
export interface ThroughputRun {
  /** The client's window. */
  readonly client: WindowResult;
  /** Each server's closing line (frames sent; for NetGear, send() durations). */
  readonly servers: readonly BenchLine[];
  /** The ports used. */
  readonly ports: readonly number[];
  /** Every process and the kernel over the client's window (Linux only). */
  readonly machine?: MachineWindow & {
    /** Machine-wide CPU time per frame delivered, µs. */
    readonly usPerFrame: number;
  };
  /**
   * With `threads`: µs of CPU per frame by thread, of the client (per frame
   * it received) and of the first server (per frame it sent).
   */
  readonly threads?: {
    readonly client: Record<string, ThreadTimes>;
    readonly server: Record<string, ThreadTimes>;
  };
}

/** How a throughput run is set up. */
export interface ThroughputOptions {
  /**
   * `netgear` (ActorGear under Deno), `node` (raw npm:zeromq, no envelope:
   * the ceiling), `py` (raw pyzmq, libzmq from C, no envelope: the other
   * ceiling), `deno` (ActorGear's raw ZmqSocket receiving from the same
   * Node senders) or `deno-servers` (raw ZmqSocket senders into the Node
   * receiver): Deno's and the socket layer's share of the gap, on each side.
   */
  readonly impl: "netgear" | "node" | "py" | "deno" | "deno-servers";
  /** 1 = REQ/REP, 2 = PUB/SUB. */
  readonly pattern: 1 | 2;
  /** Sending processes. */
  readonly servers: number;
  /** Measured window, seconds. */
  readonly seconds: number;
  /** Discarded once every server has delivered, seconds. */
  readonly warmup: number;
  /** Frame size. */
  readonly width: number;
  readonly height: number;
  /** NetGear only: send no frame, only data of this many bytes. */
  readonly messageBytes?: number;
  /**
   * Every server sends at this rate, paced from its start (a live source);
   * as fast as it may when absent. Not for `deno` / `deno-servers`.
   */
  readonly fps?: number;
  /** Raw PUB/SUB only: `credit` (flow-controlled, the ceiling) or `drop` (as vidgear). */
  readonly ceiling?: "credit" | "drop";
  /** NetGear only: JPEG-compress frames at this quality (10–100); raw when absent. */
  readonly jpegQuality?: number;
  /** NetGear only: write V8 CPU profiles into `client/` and `server/` under this directory. */
  readonly cpuProfDir?: string;
  /** Also measure the client's and the first server's CPU time per thread (Linux). */
  readonly threads?: boolean;
  /** Where ports come from. */
  readonly pool: PortPool;
}

/**
 * Runs servers and a client until the client has measured its window, then
 * stops every process. Retries twice on fresh ports if the client cannot bind.
 *
 * @param options The run.
 * @returns What the client measured and what the servers reported.
 * @throws {BenchProcessError} When a process fails or times out.
 */
export async function runThroughput(options: ThroughputOptions): Promise<ThroughputRun> {
  for (let attempt = 0;; attempt++) {
    try {
      return await throughputOnce(options);
    } catch (error) {
      if (!(error instanceof BindError) || attempt >= 2) throw error;
    }
  }
}

class BindError extends Error {}

function profile(dir: string | undefined, role: "client" | "server"): string[] {
  if (!dir) return [];
  Deno.mkdirSync(`${dir}/${role}`, { recursive: true });
  return ["--cpu-prof", `--cpu-prof-dir=${dir}/${role}`];
}

async function throughputOnce(o: ThroughputOptions): Promise<ThroughputRun> {
  if (o.fps && o.impl === "deno-servers") {
    throw new RangeError("Cannot pace deno-servers: deno_multi_server.ts has no --fps");
  }
  const ports = o.pool.take(o.servers);
  const credit = o.impl !== "netgear" && o.pattern === 2 && (o.ceiling ?? "credit") === "credit";
  const ackPorts = credit ? o.pool.take(o.servers) : [];
  const size = ["--width", String(o.width), "--height", String(o.height)];
  const common = ["--pattern", String(o.pattern)];
  const windowArgs = ["--warmup", String(o.warmup), "--seconds", String(o.seconds)];
  const hwm = credit ? ["--hwm", "16"] : ["--hwm", "8"];
  // Dozens of servers starting on two cores take a while to all deliver.
  const timeoutMs = (o.warmup + o.seconds) * 1000 + 30_000 + 1000 * o.servers;
  // Senders stop by themselves after this, seconds, should the bench die.
  const lifetime = Math.ceil(timeoutMs / 1000) + 10;
  const pace = o.fps ? ["--fps", String(o.fps)] : [];
  const client = o.impl === "netgear"
    ? BenchProcess.spawn(
      Deno.execPath(),
      [
        ...denoRun(),
        ...profile(o.cpuProfDir, "client"),
        `${HERE}client.ts`,
        "--ports",
        ports.join(","),
        ...common,
        ...windowArgs,
      ],
      "netgear client",
    )
    : BenchProcess.spawn(
      rawCommand(o.impl === "deno" ? "deno" : o.impl === "py" ? "py" : "node"),
      [
        ...(o.impl === "deno" ? [...denoRun(), ...profile(o.cpuProfDir, "client")] : []),
        ...(o.impl === "py" ? ["-B"] : []),
        `${CEILING}${
          o.impl === "deno"
            ? "deno_multi_client.ts"
            : o.impl === "py"
            ? "py_multi_client.py"
            : "node_multi_client.mjs"
        }`,
        "--ports",
        ports.join(","),
        ...(credit ? ["--ack-ports", ackPorts.join(",")] : []),
        ...hwm,
        ...common,
        ...windowArgs,
        ...(o.impl === "py" ? ["--give-up", String(lifetime)] : []),
      ],
      `${o.impl} client`,
    );
  // Servers connect and ZeroMQ retries until the client has bound: start
  // them together rather than one after the other.
  const servers = ports.map((port, i) =>
    o.impl === "netgear"
      ? BenchProcess.spawn(Deno.execPath(), [
        ...denoRun(),
        ...profile(o.cpuProfDir, "server"),
        `${HERE}server.ts`,
        "--port",
        String(port),
        ...common,
        ...size,
        ...(o.messageBytes ? ["--no-frame", "--message-bytes", String(o.messageBytes)] : []),
        ...(o.jpegQuality ? ["--jpeg-quality", String(o.jpegQuality)] : []),
        "--warmup",
        String(o.warmup),
        "--seconds",
        String(lifetime),
        ...pace,
      ], `netgear server ${port}`)
      : BenchProcess.spawn(
        rawCommand(o.impl === "deno-servers" ? "deno" : o.impl === "py" ? "py" : "node"),
        [
          ...(o.impl === "deno-servers" ? [...denoRun(), ...profile(o.cpuProfDir, "server")] : []),
          ...(o.impl === "py" ? ["-B"] : []),
          `${CEILING}${
            o.impl === "deno-servers"
              ? "deno_multi_server.ts"
              : o.impl === "py"
              ? "py_multi_server.py"
              : "node_multi_server.mjs"
          }`,
          "--port",
          String(port),
          ...(credit ? ["--ack-port", String(ackPorts[i]), "--window", "8"] : []),
          ...hwm,
          ...common,
          ...size,
          "--seconds",
          String(lifetime),
          ...(o.impl === "deno-servers" ? [] : pace),
        ],
        `${o.impl} server ${port}`,
      )
  );
  try {
    const first = await client.waitFor((l) => l.event === "ready" || l.event === "error", 20_000);
    if (first.event === "error") throw new BindError(String(first.message));
    // The client says when its window starts and ends: read the machine's
    // counters at both (a read lags by a few ms of a window of seconds).
    const readBoth = () => Promise.all([readThreads(client.pid), readThreads(servers[0].pid)]);
    let cpuAtStart: Promise<CpuSample | undefined> | undefined;
    let threadsAtStart: ReturnType<typeof readBoth> | undefined;
    const result = await client.waitFor((l) => {
      if (l.event === "window") {
        cpuAtStart ??= readCpu();
        if (o.threads) threadsAtStart ??= readBoth();
      }
      return l.event === "result";
    }, timeoutMs);
    const [start, end, threadsBefore, threadsAfter] = await Promise.all([
      cpuAtStart,
      readCpu(),
      threadsAtStart,
      o.threads ? readBoth() : undefined,
    ]);
    const window = start && end ? machineWindow(start, end) : undefined;
    // NetGear servers close politely (REQ/REP: the client answers their
    // last request while it drains); Node servers print and exit at once.
    for (const server of servers) server.kill("SIGTERM");
    const serverLines = await Promise.all(servers.map(async (server) => {
      await server.stop(8000);
      return server.lines.find((l) => l.event === "server") ?? { event: "server" };
    }));
    const { event: _, ...measured } = result;
    const fps = Number(result.fps);
    const machine = window && fps > 0
      ? { ...window, usPerFrame: (window.busyMs * 1000) / ((fps * window.ms) / 1000) }
      : undefined;
    const seconds = Number(result.seconds);
    const firstServerFps = Number((result.perPortFps as number[] | undefined)?.[0]);
    const [clientBefore, serverBefore] = threadsBefore ?? [];
    const [clientAfter, serverAfter] = threadsAfter ?? [];
    const threads = clientBefore && clientAfter && serverBefore && serverAfter && fps > 0
      ? {
        client: perFrame(clientBefore, clientAfter, fps * seconds),
        server: perFrame(serverBefore, serverAfter, firstServerFps * seconds),
      }
      : undefined;
    return {
      client: measured as unknown as WindowResult,
      servers: serverLines,
      ports,
      machine,
      threads,
    };
  } finally {
    for (const server of servers) server.kill("SIGKILL");
    await Promise.all(servers.map((server) => server.stop()));
    // A PUB/SUB goodbye can be lost; the client would wait out its liveness timeout.
    await client.stop(1500);
  }
}

/** What the client measured while idle (see `client.ts --idle`). */
export interface IdleRun {
  /** Servers that had delivered their one message before the measurement. */
  readonly connected: number;
  /** The client's CPU time over the idle window, % of one core. */
  readonly cpuPct: number;
  /** The client's resident set size at the end of the window, MB. */
  readonly rssMB: number;
  /** Its V8 heap in use, MB. */
  readonly heapMB: number;
}

/** How an idle run is set up. */
export interface IdleOptions {
  /** 1 = REQ/REP, 2 = PUB/SUB. */
  readonly pattern: 1 | 2;
  /** Ports the client binds. */
  readonly ports: number;
  /** Silent servers to connect (at most `ports`). */
  readonly servers: number;
  /** Measured idle window, seconds. */
  readonly seconds: number;
  /** Where ports come from. */
  readonly pool: PortPool;
}

/**
 * A NetGear client bound to `ports` ports with `servers` silent servers
 * (one message each, then only heartbeats): the client's own CPU time and
 * RSS over an idle window, as it reports them.
 *
 * @param options The run.
 * @returns What the client reported.
 * @throws {BenchProcessError} When a process fails or times out.
 */
export async function runIdle(options: IdleOptions): Promise<IdleRun> {
  const ports = options.pool.take(options.ports);
  const common = ["--pattern", String(options.pattern)];
  const client = BenchProcess.spawn(Deno.execPath(), [
    ...denoRun(),
    `${HERE}client.ts`,
    "--ports",
    ports.join(","),
    ...common,
    "--no-window",
    "--idle",
    String(options.seconds),
    "--expect",
    String(options.servers),
  ], "idle client");
  const servers = ports.slice(0, options.servers).map((port) =>
    BenchProcess.spawn(Deno.execPath(), [
      ...denoRun(),
      `${HERE}server.ts`,
      "--port",
      String(port),
      ...common,
      "--silent",
    ], `silent server ${port}`)
  );
  try {
    const line = await client.waitFor(
      (l) => l.event === "idle",
      options.seconds * 1000 + 30_000 + 1000 * options.servers,
    );
    return {
      connected: line.connected as number,
      cpuPct: line.cpuPct as number,
      rssMB: line.rssMB as number,
      heapMB: line.heapMB as number,
    };
  } finally {
    for (const server of servers) server.kill("SIGTERM");
    await Promise.all(servers.map((server) => server.stop(5000)));
    client.kill("SIGTERM");
    await client.stop(1500);
  }
}

/** What one liveness run measured. */
export interface LivenessRun {
  /** From SIGKILL of one server to the client's `gone` event for it, ms. */
  readonly killToGoneMs: number;
  /** From SIGKILL to the `stale` event, ms (NaN if none was seen). */
  readonly killToStaleMs: number;
  /** Why the client said gone (expected: `timeout`). */
  readonly goneReason: string;
  /** From the other server's `close()` call to `recv()` returning null, ms. */
  readonly closeToNullMs: number;
  /** How long that `close()` took, ms. */
  readonly closeMs: number;
}

/** How a liveness run is set up. */
export interface LivenessOptions {
  /** 1 = REQ/REP, 2 = PUB/SUB. */
  readonly pattern: 1 | 2;
  /** Client's and servers' heartbeat interval, ms. */
  readonly heartbeatInterval: number;
  /** Client's liveness timeout, ms. */
  readonly livenessTimeout: number;
  /** Where ports come from. */
  readonly pool: PortPool;
}

/**
 * Two servers at 30 fps to one client; SIGKILL one and time its `gone`;
 * then close() the other and time `recv()` returning null (clocks compared
 * across processes: `performance.timeOrigin + performance.now()`).
 *
 * @param options The run.
 * @returns The two delays.
 * @throws {BenchProcessError} When a process fails or times out.
 */
export async function runLiveness(options: LivenessOptions): Promise<LivenessRun> {
  const [killedPort, closedPort] = options.pool.take(2);
  const heartbeat = ["--heartbeat-interval", String(options.heartbeatInterval)];
  const client = BenchProcess.spawn(Deno.execPath(), [
    ...denoRun(),
    `${HERE}client.ts`,
    "--ports",
    `${killedPort},${closedPort}`,
    "--pattern",
    String(options.pattern),
    "--no-window",
    ...heartbeat,
    "--liveness-timeout",
    String(options.livenessTimeout),
  ], "liveness client");
  const server = (port: number): BenchProcess =>
    BenchProcess.spawn(Deno.execPath(), [
      ...denoRun(),
      `${HERE}server.ts`,
      "--port",
      String(port),
      "--pattern",
      String(options.pattern),
      "--fps",
      "30",
      ...heartbeat,
    ], `liveness server ${port}`);
  const killed = server(killedPort);
  const closed = server(closedPort);
  const isState = (port: number, state: string) => (l: BenchLine): boolean =>
    l.event === "state" && l.port === port && l.state === state;
  try {
    await client.waitFor((l) => l.event === "ready", 20_000);
    await client.waitFor(isState(killedPort, "live"), 20_000);
    await client.waitFor(isState(closedPort, "live"), 20_000);
    // A few frames from both, so the kill lands in steady streaming.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const killedAt = performance.timeOrigin + performance.now();
    killed.kill("SIGKILL");
    const gone = await client.waitFor(
      isState(killedPort, "gone"),
      options.livenessTimeout + 10_000,
    );
    const stale = client.lines.find((l) =>
      isState(killedPort, "stale")(l) && (l.at as number) >= killedAt
    );
    closed.kill("SIGTERM");
    const closing = await closed.waitFor((l) => l.event === "server", 20_000);
    const end = await client.waitFor((l) => l.event === "null", 20_000);
    return {
      killToGoneMs: (gone.at as number) - killedAt,
      killToStaleMs: stale ? (stale.at as number) - killedAt : NaN,
      goneReason: String(gone.reason),
      closeToNullMs: (end.at as number) - (closing.closeAt as number),
      closeMs: closing.closeMs as number,
    };
  } finally {
    for (const p of [killed, closed]) p.kill("SIGKILL");
    await Promise.all([killed.stop(), closed.stop(), client.stop(2000)]);
  }
}

/** What one raw REQ/REP round-trip run measured (zmq_ceiling's *_reqrep scripts). */
export interface RawRoundTrip {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
}

/**
 * Raw REQ/REP round trips of `size` bytes between two processes: Node's
 * npm:zeromq, pyzmq, or ActorGear's ZmqSocket under Deno (no NetGear on top).
 *
 * @param runtime Which side of tests/bench/zmq_ceiling.
 * @param size Bytes per request (echoed back).
 * @param rounds Round trips measured (after 200 of warm-up).
 * @param pool Where the port comes from.
 * @returns Latency p50/p99 (ms) and round trips per second.
 * @throws {BenchProcessError} When a process fails or times out.
 */
export async function runRawRoundTrip(
  runtime: "node" | "py" | "deno",
  size: number,
  rounds: number,
  pool: PortPool,
): Promise<RawRoundTrip> {
  const [port] = pool.take(1);
  const args = [`--endpoint=tcp://127.0.0.1:${port}`, `--rounds=${rounds}`, `--size=${size}`];
  const spawn = (role: string): BenchProcess =>
    runtime === "node"
      ? BenchProcess.spawn("node", [`${CEILING}node_reqrep.mjs`, `--role=${role}`, ...args], role)
      : runtime === "py"
      ? BenchProcess.spawn(
        python,
        ["-B", `${CEILING}py_reqrep.py`, `--role=${role}`, ...args],
        role,
      )
      : BenchProcess.spawn(
        Deno.execPath(),
        [...denoRun(), `${CEILING}deno_reqrep.ts`, `--role=${role}`, ...args],
        role,
      );
  const rep = spawn("rep");
  const req = spawn("req");
  try {
    const line = await req.waitFor((l) => l.role === "req", 60_000);
    return {
      p50: line.p50 as number,
      p99: line.p99 as number,
      perSecond: line.perSecond as number,
    };
  } finally {
    await Promise.all([req.stop(1000), rep.stop(1000)]);
  }
}

/** What a raw REP process measured while its peers only sent heartbeat-sized requests. */
export interface RawIdleRun {
  /** Its CPU time over the window, % of one core. */
  readonly cpuPct: number;
  /** Requests answered in the window. */
  readonly messages: number;
  /** CPU time per request answered, µs. */
  readonly usPerMessage: number;
  /** Its resident set size at the end, MB. */
  readonly rssMB: number;
}

/**
 * The idle ceiling: `count` raw REP sockets (ActorGear's ZmqSocket under Deno,
 * or npm:zeromq under Node) answering `count` Node REQ peers that each send a
 * 44-byte request every 1000 ms, as silent NetGear servers heartbeat.
 *
 * @param runtime Which REP side.
 * @param count Sockets and peers.
 * @param seconds The measured window.
 * @param pool Where ports come from.
 * @returns What the REP side measured.
 * @throws {BenchProcessError} When a process fails or times out.
 */
export async function runRawIdle(
  runtime: "node" | "deno",
  count: number,
  seconds: number,
  pool: PortPool,
): Promise<RawIdleRun> {
  const [base] = pool.take(count);
  const args = [`--base=${base}`, `--count=${count}`];
  const rep = runtime === "node"
    ? BenchProcess.spawn("node", [`${CEILING}idle_rep.mjs`, ...args, `--seconds=${seconds}`], "rep")
    : BenchProcess.spawn(
      Deno.execPath(),
      [...denoRun(), `${CEILING}idle_rep.ts`, ...args, `--seconds=${seconds}`],
      "rep",
    );
  let peers: BenchProcess | undefined;
  try {
    await rep.waitFor((l) => l.event === "ready", 20_000);
    peers = BenchProcess.spawn("node", [`${CEILING}idle_peers.mjs`, ...args], "idle peers");
    const line = await rep.waitFor((l) => l.event === "idle", (seconds + 30) * 1000);
    return {
      cpuPct: line.cpuPct as number,
      messages: line.messages as number,
      usPerMessage: line.usPerMessage as number,
      rssMB: line.rssMB as number,
    };
  } finally {
    peers?.kill("SIGTERM");
    await Promise.all([rep.stop(1000), peers?.stop(1000)]);
  }
}
