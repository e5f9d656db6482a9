/**
 * The multi-client server's transport actor (vidgear's `multiclient_mode`):
 * one server, many clients, each client bound on its own port and the
 * server connected to every one of them.
 *
 * It owns one **lane** per client port: a child transport actor of the
 * pattern ({@linkcode ReqServerTransport} or {@linkcode PubServerTransport},
 * connecting, exactly as a multi-server server's), with its own socket, its
 * own frame numbering and its own figures. It speaks the same
 * {@linkcode ServerTransportCommand}s as they do, so the server actor and
 * `send()` do not know the difference, and it decides where each frame goes.
 *
 * Why a socket per client rather than one socket connected to every port
 * (vidgear's way):
 *
 * - Each envelope names the client's port (PROTOCOL.md §1), which a client
 *   checks against the port it bound; a message on a shared socket could not
 *   name the one client it reaches.
 * - REQ/REP: ZeroMQ's round robin over one REQ socket would keep sending to a
 *   client that died (its pipe stays until TCP notices), and the Lazy
 *   Pirate cure, a fresh socket, would cut every other client's connection
 *   too. Per lane, a late reply replaces only that client's socket, the
 *   frame goes to the next client, and the server knows which client
 *   answered without trusting the reply.
 * - PUB/SUB: XPUB reports only the first subscription and the last
 *   unsubscription of a topic, never whose, so one socket cannot tell which
 *   clients are there; and it can only either stall every client for the
 *   slowest (ZMQ_XPUB_NODROP) or drop silently. Per lane, each client is
 *   flow-controlled as a multi-server client is, and a stuck or absent
 *   client costs the others nothing. The price: a frame is encoded once per
 *   client.
 *
 * REQ/REP: each frame goes to one client, in round robin over the clients
 * that answered their last request (`live`). A client that misses its
 * reply (`requestTimeout`), refuses the handshake or fails is `stale`: out
 * of the rotation, its socket replaced, the frame sent to the next client
 * (at most `maxRetries + 1` tries in all). Idle lanes get heartbeats, which
 * stale clients answer once they are back: they rejoin the rotation then.
 * A client that took a frame but answered it too late has delivered it, and
 * so does the client that got it next: delivery is at least once, each
 * frame is answered (its `send()` resolved) exactly once, with the port of
 * the client that answered.
 *
 * PUB/SUB: every frame goes to every client subscribed; while none is, a
 * frame waits up to `subscriberTimeout` for the first. A lane still busy
 * with an earlier frame (its client's queue full) skips the frame, counted
 * as failed for that client.
 *
 * A client is `waiting` until it first answers (REQ) or subscribes (PUB),
 * `live` while it does, `stale` once it stops, and `gone` when stale for
 * `livenessTimeout`; a gone client keeps being tried and rejoins when back.
 *
 * @module
 */

import type { Actor, ActorContext, Props } from "../actors/actor.ts";
import type { ActorRef } from "../actors/actor_ref.ts";
import { PubServerTransport } from "./pub_server_transport.ts";
import { ReqServerTransport } from "./req_server_transport.ts";
import { closed, failed, SENT } from "./_server_socket.ts";
import {
  newServerTransportStats,
  type SendFailed,
  type SendFrame,
  type SendOutcome,
  type ServerTransportCommand,
  type ServerTransportStats,
} from "./transport.ts";
import type { ZmqServerTransportOptions } from "./zmq_transport_options.ts";

/**
 * A client's state as its server sees it: `waiting` (never answered or
 * subscribed yet), `live`, `stale` (missed a reply or unsubscribed; out of
 * the rotation) or `gone` (stale for `livenessTimeout`).
 */
export type ClientLaneState = "waiting" | "live" | "stale" | "gone";

/** One client's figures, written by the transport and read by whoever holds them. */
export interface ClientLaneFigures {
  /** The client's port. */
  readonly port: number;
  /** Its state. */
  state: ClientLaneState;
  /** When it last changed state (ms since the epoch). */
  since: number;
  /**
   * REQ/REP: frames handed to it (answered, failed or in flight). PUB/SUB:
   * frames ZeroMQ queued for it.
   */
  sent: number;
  /** REQ/REP: frames it answered; 0 in PUB/SUB. */
  answered: number;
  /**
   * REQ/REP: frames it did not answer (each then tried on another client).
   * PUB/SUB: frames it did not get (not subscribed, queue full, or still
   * busy with an earlier frame).
   */
  failed: number;
  /** Its lane's own transport figures: heartbeats, reconnects, refused handshakes. */
  readonly transport: ServerTransportStats;
}

/**
 * Fresh, zeroed figures for every client port, to pass to the transport and
 * read later.
 *
 * @param ports Every client's port.
 * @param publishes Whether the lanes publish (PUB/SUB).
 * @returns One entry per port, in the order given.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newClientLaneFigures } from "./multi_client_transport.ts";
 * const [first] = newClientLaneFigures([5566, 5567], false);
 * assert.ok(first.port === 5566 && first.state === "waiting" && first.sent === 0);
 * ```
 */
export function newClientLaneFigures(
  ports: readonly number[],
  publishes: boolean,
): ClientLaneFigures[] {
  const since = Date.now();
  return ports.map((port) => ({
    port,
    state: "waiting",
    since,
    sent: 0,
    answered: 0,
    failed: 0,
    transport: newServerTransportStats(publishes),
  }));
}

/** How a multi-client server transport reaches its clients. */
export interface MultiClientTransportOptions
  extends Omit<ZmqServerTransportOptions, "port" | "role" | "onReady"> {
  /** 1 = a REQ lane per client; 2 = an XPUB lane per client. */
  readonly pattern: 1 | 2;
  /** Every client's port, distinct; the server connects to each. */
  readonly ports: readonly number[];
  /** REQ: a frame is tried on at most this many more clients after the first. */
  readonly maxRetries: number;
  /** A stale client is `gone` after this long without an answer or subscription, in ms. */
  readonly livenessTimeout: number;
  /** PUB: how long a frame waits for the first subscribed client, in ms. */
  readonly subscriberTimeout: number;
  /** PUB: a frame no client takes fails the send (`"reject"`) or is dropped (`"drop"`). */
  readonly whenNoSubscriber: "reject" | "drop";
  /** Per client, as `newClientLaneFigures` makes them, in the order of `ports`. */
  readonly clients: readonly ClientLaneFigures[];
  /** Told once every lane's socket is open, or with the first error. */
  readonly onReady: (error?: unknown) => void;
}

/** REQ: outcomes that say the client is not answering, so the frame tries another. */
const LANE_FAILURES: ReadonlySet<string> = new Set([
  "no-reply",
  "refused",
  "timeout",
  "transport-error",
  "bad-reply",
]);
/** PUB: how often lanes are asked to look for a subscriber while a frame waits for one, in ms. */
const SUBSCRIBER_POLL_MS = 20;

/** A lane's outcome, told to the router by the ask that carried the command. */
interface LaneDone {
  readonly type: "LaneDone";
  readonly port: number;
  /** The frame the lane sent, or `undefined` for a heartbeat. */
  readonly job: FrameJob | undefined;
  readonly outcome: SendOutcome;
}

/** Look at the queue again: a frame's deadline passed, or a subscriber may be there. */
interface Pump {
  readonly type: "Pump";
}

/** Every message it handles: commands from outside, and its own (never sent by others). */
type RouterMessage = ServerTransportCommand | LaneDone | Pump;

const PUMP: Pump = Object.freeze({ type: "Pump" });

/** One `SendFrame` on its way. */
interface FrameJob {
  readonly command: SendFrame;
  /** When it stops waiting for a lane (`performance.now()`). */
  readonly deadline: number;
  /** REQ: lanes it was tried on, in order. */
  readonly tried: number[];
  /** REQ: the last lane failure. */
  last: SendFailed | undefined;
  /** PUB: lanes still sending it. */
  pending: number;
  /** PUB: each lane's `sent` when the frame was handed to it. */
  readonly sentBefore: Map<number, number>;
  /** PUB: some client got it. */
  queued: boolean;
  /** PUB: what the lanes that did not send it said. */
  readonly failures: SendFailed[];
  settled: boolean;
}

interface Lane {
  readonly port: number;
  readonly figures: ClientLaneFigures;
  readonly ref: ActorRef<ServerTransportCommand>;
  busy: boolean;
  /** When it last answered (REQ) or was seen subscribed (PUB), `performance.now()`. */
  heardAt: number;
}

/**
 * Shares frames out among many clients (REQ/REP) or sends each to all of
 * them (PUB/SUB), one lane per client; see the module notes.
 *
 * @example
 * ```ts ignore
 * // Spawned by the server actor in multi-client mode, which asks it to send.
 * context.spawn("transport", MultiClientTransport.props(options));
 * ```
 */
export class MultiClientTransport implements Actor<ServerTransportCommand> {
  readonly #options: MultiClientTransportOptions;
  readonly #laneProps: readonly Props<ServerTransportCommand>[];
  /** Where each lane's readiness goes: set by each incarnation in `started`. */
  readonly #readiness: ((error?: unknown) => void)[];
  /** The server-wide figures. */
  readonly #stats: ServerTransportStats;
  readonly #lanes: Lane[] = [];
  /** Frames waiting for a lane, oldest first. */
  readonly #queue: FrameJob[] = [];
  /** Every frame not yet answered: told `closed` if the transport stops. */
  readonly #open = new Set<FrameJob>();
  /** REQ: the lane that got the last frame; the next goes to one after it. */
  #next = -1;
  #left = false;
  /** PUB: a frame waited out `subscriberTimeout`; later ones do not wait until a client subscribes. */
  #absent = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #context!: ActorContext<ServerTransportCommand>;
  /** This actor, for its own messages. */
  #self!: ActorRef<RouterMessage>;

  /**
   * The props to spawn it with. The lanes' props, and so their frame
   * numbering, are made here once: they survive restarts of this actor.
   *
   * @param options The clients and how to reach them.
   * @returns What `spawn` takes.
   */
  static props(options: MultiClientTransportOptions): Props<ServerTransportCommand> {
    if (options.clients.length !== options.ports.length) {
      throw new RangeError(
        `Cannot make a multi-client transport: ${options.clients.length} client figures for ${options.ports.length} ports`,
      );
    }
    // Each lane tells its readiness to whichever router incarnation listens.
    const readiness: ((error?: unknown) => void)[] = options.ports.map(() => () => {});
    const laneProps = options.ports.map((port, i) => {
      const lane = {
        ...options,
        // A lane's sends are the router's, not numbered by the owner: the
        // owner's cancels (one send in flight at a time) are not for them.
        cancels: undefined,
        port,
        role: "connect" as const,
        stats: options.clients[i].transport,
        onReady: (error?: unknown) => readiness[i](error),
      };
      return options.pattern === 1
        ? ReqServerTransport.props({ ...lane, maxRetries: 0 })
        : PubServerTransport.props({
          ...lane,
          pattern: 2,
          // The router waits for subscribers; a lane without one says so at once.
          subscriberTimeout: 0,
          whenNoSubscriber: "reject",
        });
    });
    return {
      create: () => new MultiClientTransport(options, laneProps, readiness),
    };
  }

  private constructor(
    options: MultiClientTransportOptions,
    laneProps: readonly Props<ServerTransportCommand>[],
    readiness: ((error?: unknown) => void)[],
  ) {
    this.#options = options;
    this.#laneProps = laneProps;
    this.#readiness = readiness;
    this.#stats = options.stats ?? newServerTransportStats(options.pattern === 2);
  }

  /** Spawns a lane per client; REQ lanes are probed at once, so live clients are known early. */
  started(context: ActorContext<ServerTransportCommand>): void {
    this.#context = context;
    this.#self = context.self as ActorRef<RouterMessage>;
    const ready: Promise<unknown>[] = [];
    this.#options.ports.forEach((port, i) => {
      ready.push(new Promise((resolve) => this.#readiness[i] = resolve));
      this.#lanes.push({
        port,
        figures: this.#options.clients[i],
        ref: context.spawn<ServerTransportCommand>(`client-${port}`, this.#laneProps[i]),
        busy: false,
        heardAt: performance.now(),
      });
    });
    void Promise.all(ready).then((errors) => {
      this.#options.onReady(errors.find((error) => error !== undefined));
    });
    if (this.#options.pattern === 1) {
      for (const lane of this.#lanes) this.#heartbeat(lane, 0);
    }
  }

  /** Answers every frame still open: the transport is closing. */
  stopped(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const job of this.#open) this.#settle(job, closed());
    this.#queue.length = 0;
  }

  /** Handles one command, lane outcome or look at the queue. */
  async receive(command: ServerTransportCommand): Promise<void> {
    const message = command as RouterMessage;
    switch (message.type) {
      case "SendFrame": {
        if (this.#left) {
          message.replyTo.tell(failed("closed", "the server has already said goodbye"));
          return;
        }
        const wait = this.#options.pattern === 1
          ? this.#options.requestTimeout * (this.#options.maxRetries + 1)
          : this.#options.subscriberTimeout;
        const job: FrameJob = {
          command: message,
          deadline: performance.now() + wait,
          tried: [],
          last: undefined,
          pending: 0,
          sentBefore: new Map(),
          queued: false,
          failures: [],
          settled: false,
        };
        this.#open.add(job);
        this.#queue.push(job);
        this.#pump();
        return;
      }
      case "SendHeartbeat": {
        // Each lane decides by itself whether it has been idle long enough.
        message.replyTo.tell(SENT);
        this.#judge();
        if (this.#left) return;
        for (const lane of this.#lanes) {
          if (!lane.busy) this.#heartbeat(lane, message.ifIdleForMs ?? 0);
        }
        return;
      }
      case "SendGoodbye":
        message.replyTo.tell(await this.#goodbye());
        return;
      case "LaneDone":
        this.#onLaneDone(message);
        this.#pump();
        return;
      case "Pump":
        this.#pump();
        return;
      default: {
        const unreachable: never = message;
        throw new TypeError(`Cannot handle message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Hands waiting frames to lanes, as far as lanes are free. */
  #pump(): void {
    while (this.#queue.length > 0) {
      const job = this.#queue[0];
      if (job.settled) {
        this.#queue.shift();
        continue;
      }
      const now = performance.now();
      if (this.#options.pattern === 1) {
        if (now >= job.deadline) {
          this.#queue.shift();
          this.#settle(job, this.#noClient(job));
          continue;
        }
        const lane = this.#pickForRequest(job);
        if (lane === undefined) {
          this.#wakeAt(job.deadline);
          return;
        }
        this.#queue.shift();
        this.#request(lane, job);
        continue;
      }
      if (!this.#absent && !this.#lanes.some((lane) => lane.figures.transport.subscribed)) {
        if (now < job.deadline) {
          // Nobody would get it yet: have the lanes look for subscribers.
          for (const lane of this.#lanes) if (!lane.busy) this.#heartbeat(lane, 0);
          this.#wakeAt(Math.min(job.deadline, now + SUBSCRIBER_POLL_MS));
          return;
        }
        this.#queue.shift();
        this.#absent = true;
        this.#settle(job, this.#unpublished(job, []));
        continue;
      }
      if (this.#lanes.every((lane) => lane.busy)) return;
      this.#queue.shift();
      this.#publish(job);
    }
  }

  /**
   * REQ: the next free live lane after the last one used; failing that (no
   * client is live), a free lane this frame has not tried, then any free
   * lane. `undefined` while the lane to use is busy.
   */
  #pickForRequest(job: FrameJob): Lane | undefined {
    const lanes = this.#lanes;
    const n = lanes.length;
    const inTurn = (accept: (lane: Lane) => boolean): Lane | undefined => {
      for (let step = 1; step <= n; step++) {
        const index = (this.#next + step + n) % n;
        const lane = lanes[index];
        if (!lane.busy && accept(lane)) {
          this.#next = index;
          return lane;
        }
      }
      return undefined;
    };
    const live = (lane: Lane) => lane.figures.state === "live";
    const found = inTurn(live);
    if (found !== undefined) return found;
    // A live client will be free soon: wait for it rather than try one that is not answering.
    if (lanes.some(live)) return undefined;
    const untried = inTurn((lane) => !job.tried.includes(lane.port));
    if (untried !== undefined) return untried;
    // Busy lanes are probing: one may answer before a tried one would.
    if (lanes.some((lane) => lane.busy)) return undefined;
    return inTurn(() => true);
  }

  /** REQ: sends `job` on `lane`. */
  #request(lane: Lane, job: FrameJob): void {
    job.tried.push(lane.port);
    lane.figures.sent++;
    const { frame, message } = job.command;
    this.#ask(lane, job, (replyTo) => ({ type: "SendFrame", frame, message, replyTo }));
  }

  /** PUB: sends `job` on every free lane; a busy one skips it. */
  #publish(job: FrameJob): void {
    for (const lane of this.#lanes) {
      if (lane.busy) {
        lane.figures.failed++;
        continue;
      }
      job.pending++;
      job.sentBefore.set(lane.port, lane.figures.transport.sent);
      const { frame, message } = job.command;
      this.#ask(lane, job, (replyTo) => ({ type: "SendFrame", frame, message, replyTo }));
    }
  }

  /** Asks `lane` for a heartbeat (a probe, for a REQ client that is not live). */
  #heartbeat(lane: Lane, ifIdleForMs: number): void {
    this.#ask(lane, undefined, (replyTo) => ({ type: "SendHeartbeat", ifIdleForMs, replyTo }));
  }

  /** Hands `lane` a command; its outcome comes back as `LaneDone`. */
  #ask(
    lane: Lane,
    job: FrameJob | undefined,
    command: (replyTo: ActorRef<SendOutcome>) => ServerTransportCommand,
  ): void {
    lane.busy = true;
    const self = this.#self;
    const port = lane.port;
    lane.ref.ask<SendOutcome>(command, { timeoutMs: this.#laneTimeoutMs() })
      .catch((error): SendOutcome =>
        failed("timeout", `the lane of the client on port ${port} did not answer: ${error}`)
      )
      .then((outcome) => self.tell({ type: "LaneDone", port, job, outcome }));
  }

  /** The longest one lane command may take: one try, a fresh socket, a margin. */
  #laneTimeoutMs(): number {
    const { requestTimeout } = this.#options;
    return 2 * requestTimeout + 2000;
  }

  #onLaneDone({ port, job, outcome }: LaneDone): void {
    const lane = this.#lanes.find((candidate) => candidate.port === port)!;
    lane.busy = false;
    if (this.#options.pattern === 1) this.#onRequestDone(lane, job, outcome);
    else this.#onPublishDone(lane, job, outcome);
    this.#tally();
  }

  #onRequestDone(lane: Lane, job: FrameJob | undefined, outcome: SendOutcome): void {
    if (outcome.type === "Replied") {
      this.#mark(lane, "live", "answers");
      if (job === undefined) return;
      lane.figures.answered++;
      this.#stats.sent++;
      this.#settle(job, { ...outcome, port: lane.port });
      return;
    }
    if (outcome.type === "Sent") {
      // A heartbeat not needed (the lane was busy lately), or nothing sent.
      if (job !== undefined) this.#settle(job, outcome);
      return;
    }
    if (job !== undefined) lane.figures.failed++;
    if (!LANE_FAILURES.has(outcome.code)) {
      // The client answered, refusing the frame; or the frame cannot go at all.
      if (outcome.code !== "closed" && outcome.code !== "invalid") {
        this.#mark(lane, "live", "answers");
      }
      if (job !== undefined) this.#settle(job, outcome);
      return;
    }
    if (lane.figures.state === "live") {
      this.#mark(lane, "stale", `did not answer (${outcome.code}); out of the rotation`);
    }
    if (job === undefined || job.settled) return;
    job.last = outcome;
    if (this.#left || job.tried.length > this.#options.maxRetries) {
      this.#settle(job, this.#noClient(job));
    } else {
      this.#queue.unshift(job);
    }
  }

  #onPublishDone(lane: Lane, job: FrameJob | undefined, outcome: SendOutcome): void {
    const subscribed = lane.figures.transport.subscribed === true;
    if (subscribed) {
      lane.heardAt = performance.now();
      this.#absent = false;
      this.#mark(lane, "live", "subscribed");
    } else if (lane.figures.state === "live") {
      this.#mark(lane, "stale", "unsubscribed or disconnected");
    }
    if (job === undefined) return;
    if (lane.figures.transport.sent > (job.sentBefore.get(lane.port) ?? Infinity)) {
      lane.figures.sent++;
      job.queued = true;
    } else {
      lane.figures.failed++;
      if (outcome.type === "SendFailed") job.failures.push(outcome);
    }
    if (--job.pending > 0 || job.settled) return;
    if (job.queued) {
      this.#stats.sent++;
      this.#settle(job, SENT);
      return;
    }
    if (job.failures.every((f) => f.code === "no-subscriber")) this.#absent = true;
    this.#settle(job, this.#unpublished(job, job.failures));
  }

  /** PUB: the outcome of a frame no client got; counted. */
  #unpublished(job: FrameJob, failures: readonly SendFailed[]): SendOutcome {
    const dropped = this.#stats.dropped;
    const full = failures.find((f) => f.code === "queue-full");
    if (full === undefined) dropped.noSubscriber++;
    else dropped.expired++;
    if (job.command.frame === undefined && job.command.message === undefined) return SENT;
    if (this.#options.whenNoSubscriber === "drop") return SENT;
    const ports = this.#options.ports.join(", ");
    return full === undefined
      ? failed(
        "no-subscriber",
        `Cannot send to the clients on ports ${ports}: none subscribed within ${this.#options.subscriberTimeout} ms (option "subscriberTimeout"); are they running and listening on those ports? (With whenNoSubscriber "drop", frames are dropped instead.)`,
      )
      : failed(
        "queue-full",
        `Cannot send to the clients on ports ${ports}: every subscribed client's queue stayed full (${full.reason}); are they stuck, or their network down? (With whenNoSubscriber "drop", frames are dropped instead.)`,
      );
  }

  /** REQ: the outcome of a frame no client answered. */
  #noClient(job: FrameJob): SendFailed {
    const { requestTimeout, ports } = this.#options;
    const tried = job.tried.length === 0
      ? "no client was free to try"
      : `tried on port${job.tried.length > 1 ? "s" : ""} ${job.tried.join(", ")}`;
    const last = job.last === undefined ? "" : `; last: ${job.last.reason}`;
    return failed(
      job.last?.code === "refused" ? "refused" : "no-reply",
      `Cannot send: no client answered (${tried}, ${requestTimeout} ms each); are the clients running and listening on ports ${
        ports.join(", ")
      }?${last}`,
    );
  }

  /** Tells `job`'s sender its outcome, once. */
  #settle(job: FrameJob, outcome: SendOutcome): void {
    if (job.settled) return;
    job.settled = true;
    this.#open.delete(job);
    job.command.replyTo.tell(outcome);
  }

  /** Moves a client to `state`, logging the change. */
  #mark(lane: Lane, state: ClientLaneState, why: string): void {
    if (state === "live") lane.heardAt = performance.now();
    const figures = lane.figures;
    if (figures.state === state) return;
    const was = figures.state;
    figures.state = state;
    figures.since = Date.now();
    const text = `client on port ${lane.port}: ${was} -> ${state} (${why})`;
    if (state === "live") this.#context.log.info(text);
    else this.#context.log.warn(text);
  }

  /** Stale clients silent for `livenessTimeout` are gone. */
  #judge(): void {
    const now = performance.now();
    for (const lane of this.#lanes) {
      if (lane.figures.state === "stale" && now - lane.heardAt >= this.#options.livenessTimeout) {
        this.#mark(lane, "gone", `silent for ${this.#options.livenessTimeout} ms`);
      }
    }
  }

  /** The server-wide figures: the lanes' summed, and (PUB) whether any client is subscribed. */
  #tally(): void {
    const stats = this.#stats;
    let heartbeats = 0;
    let reconnects = 0;
    let refused = 0;
    let subscribed = false;
    for (const { figures: { transport } } of this.#lanes) {
      heartbeats += transport.heartbeats;
      reconnects += transport.reconnects;
      refused += transport.refused;
      subscribed ||= transport.subscribed === true;
    }
    stats.heartbeats = heartbeats;
    stats.reconnects = reconnects;
    stats.refused = refused;
    if (this.#options.pattern === 2) stats.subscribed = subscribed;
  }

  /** Says goodbye to every client at once; frames still waiting are not sent. */
  async #goodbye(): Promise<SendOutcome> {
    if (this.#left) return SENT;
    this.#left = true;
    for (const job of this.#queue) {
      this.#settle(job, failed("closed", "the server said goodbye before this frame went out"));
    }
    this.#queue.length = 0;
    const outcomes = await Promise.all(
      this.#lanes.map((lane) =>
        lane.ref.ask<SendOutcome>((replyTo) => ({ type: "SendGoodbye", replyTo }), {
          timeoutMs: this.#laneTimeoutMs(),
        }).catch((error): SendOutcome => failed("timeout", String(error)))
      ),
    );
    this.#tally();
    return outcomes.find((outcome) => outcome.type !== "SendFailed") ?? outcomes[0] ?? SENT;
  }

  /** Pumps again at `at` (`performance.now()`), unless already due sooner. */
  #wakeAt(at: number): void {
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    const self = this.#self;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      self.tell(PUMP);
    }, Math.max(0, at - performance.now()));
  }
}
