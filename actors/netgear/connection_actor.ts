/**
 * One tracked server, keyed by its port: its figures, its last message, what
 * its frame numbers say (lost frames, restarts), and the frames on their way
 * to `recv`.
 *
 * Every frame passes through here and nowhere else on its way from the
 * transport to the user's queue: the supervisor only hears of state
 * changes, and the liveness actor of what it needs to judge silence, at most
 * every `seenEveryMs` (a frame a millisecond would otherwise be a message a
 * millisecond).
 *
 * @module
 */

import type { Actor, ActorContext } from "../actor.ts";
import type { ActorRef } from "../actor_ref.ts";
import type { FrameArrived, ServerEvent } from "../../transports/transport.ts";
import { now } from "./_clock.ts";
import type { ConnectionMessage, ConnectionStats, ServerConflict } from "./connection_messages.ts";
import type { DeliveryQueue } from "./delivery_queue.ts";
import type { ServerState } from "./events.ts";
import type { LivenessMessage } from "./liveness_messages.ts";
import type { Received } from "./received.ts";
import { PortIdentities } from "./_port_identities.ts";

/** How a connection actor is set up. */
export interface ConnectionActorOptions {
  /** The server's port: its identity. */
  readonly port: number;
  /** `true` in REQ/REP, where the transport answers resent frames itself. */
  readonly requestReply: boolean;
  /** Where frames wait for `recv`. */
  readonly queue: DeliveryQueue;
  /** Told every frame as it is queued (taps such as the viewer). */
  readonly onDelivery?: (received: Received) => void;
  /** Told when this server was heard from, and whether we owe it a reply. */
  readonly liveness: ActorRef<LivenessMessage>;
  /**
   * The longest the liveness actor's view of this server may lag behind,
   * in ms: more frames in between are summed up in one message.
   */
  readonly seenEveryMs: number;
}

/** Flushes what the liveness actor has not been told yet. */
interface TellLiveness {
  readonly type: "TellLiveness";
}

const TELL_LIVENESS: TellLiveness = Object.freeze({ type: "TellLiveness" });

/** Releases frames held for the "joined" announcement even if it never comes (a restarted actor). */
interface ReleaseHeld {
  readonly type: "ReleaseHeld";
}

const RELEASE_HELD: ReleaseHeld = Object.freeze({ type: "ReleaseHeld" });

const FPS_WINDOW_MS = 1000;
/**
 * PUB/SUB: the largest jump ahead in frame numbers still counted as frames
 * lost on the way. ZeroMQ drops at most its queues' worth (a few frames);
 * a jump beyond this is a different numbering (a restarted or spoofed
 * sender), not thousands of lost frames.
 */
const GAP_WINDOW = 1024;

/**
 * Tracks one server and queues its frames for `recv`.
 *
 * Frame numbers (`seq`) come from the sender and, in plain mode (no
 * CURVE, or CURVE without ironhouse), anyone who can reach the port can
 * send any number. So a number only ever decides how one frame is
 * handled, never what happens to later frames: one spoofed number costs
 * at most one frame's worth of confusion and a count in `restarts`.
 * - REQ/REP: the transport answers a resent frame (a Lazy Pirate retry)
 *   itself and says so (`FrameResent`, counted in `duplicates`); any number
 *   not above the last is a restarted server: counted in `restarts`,
 *   delivered.
 * - PUB/SUB: nothing is ever resent, so a number at or below the last is a
 *   restart; a jump ahead of more than {@linkcode GAP_WINDOW} is one too;
 *   a smaller jump counts the frames in between as `lost`.
 * What plain mode cannot protect against: a peer on the port can still
 * inject frames of its own (delivered as this server's), and numbers that
 * make one real frame look like a resend (REQ/REP) or inflate `lost` by up
 * to {@linkcode GAP_WINDOW}. Use `secureMode: 2` (ironhouse) to admit only
 * known servers.
 *
 * @example
 * ```ts ignore
 * // Not run: the client supervisor spawns one per server (client_supervisor.ts).
 * context.spawn("conn-5566", { create: () => new ConnectionActor({ port: 5566, requestReply: true }) });
 * ```
 */
export class ConnectionActor implements Actor<ConnectionMessage | TellLiveness | ReleaseHeld> {
  readonly #options: ConnectionActorOptions;
  readonly #port: number;
  readonly #requestReply: boolean;
  #state: ServerState | "unseen" = "unseen";
  #frames = 0;
  #bytes = 0;
  #heartbeats = 0;
  #duplicates = 0;
  #lost = 0;
  #restarts = 0;
  #spoofedTerminates = 0;
  #rejected: Record<string, number> = {};
  #lastMessage: unknown = undefined;
  #lastSeq = -1;
  #lastSeenAt = 0;
  #fps = 0;
  #windowStart = 0;
  #windowFrames = 0;
  /** The liveness view: when last heard from, whether a reply is owed, and what liveness was told. */
  #seenAt = 0;
  #holding = false;
  #toldAt: number | undefined;
  #toldHolding = false;
  #tellTimer: ReturnType<typeof setTimeout> | undefined;
  /** Told of conflicts: the supervisor. */
  #parent!: ActorRef<ServerConflict>;
  /** Who sends on this port (envelope key `sid`). */
  readonly #identities = new PortIdentities();
  /** The heartbeat interval this port's server announced, if it did. */
  #heartbeatInterval: number | undefined;
  /**
   * Frames that came before the liveness actor announced this server
   * ("joined"): held until it has, so a `serverstate` event always comes
   * before the server's first frame.
   */
  #beforeJoin: { received: Received; skipped: number }[] | undefined = [];
  #self!: ActorRef<TellLiveness | ReleaseHeld>;
  #releaseTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param options The server's port, the pattern, and where frames and liveness go.
   */
  constructor(options: ConnectionActorOptions) {
    this.#options = options;
    this.#port = options.port;
    this.#requestReply = options.requestReply;
  }

  /** Keeps its own address for the liveness flush. */
  started(context: ActorContext<ConnectionMessage | TellLiveness | ReleaseHeld>): void {
    this.#self = context.self;
    this.#parent = context.parent as ActorRef<ServerConflict>;
  }

  /** Stops the liveness flush. */
  stopped(): void {
    clearTimeout(this.#tellTimer);
    this.#tellTimer = undefined;
    clearTimeout(this.#releaseTimer);
    this.#releaseTimer = undefined;
  }

  /** Handles one message. */
  receive(message: ConnectionMessage | TellLiveness | ReleaseHeld): void {
    switch (message.type) {
      case "ReleaseHeld":
        this.#releaseTimer = undefined;
        this.#releaseBeforeJoin();
        break;
      case "FrameArrived":
      case "FrameResent":
      case "HeartbeatArrived":
      case "GoodbyeArrived":
        this.#onHeard(message);
        break;
      case "FrameTaken":
        this.#seen(now(), false);
        break;
      case "TellLiveness":
        this.#tellTimer = undefined;
        if (this.#seenAt !== this.#toldAt || this.#holding !== this.#toldHolding) {
          this.#tellLiveness();
        }
        break;
      case "Refused":
        this.#rejected[message.code] = (this.#rejected[message.code] ?? 0) + 1;
        break;
      case "TerminateSpoofed":
        this.#spoofedTerminates++;
        break;
      case "StateChanged":
        this.#state = message.state;
        if (message.state === "gone") this.#identities.portGone();
        this.#releaseBeforeJoin();
        break;
      case "GetStats":
        message.replyTo.tell(this.#stats());
        break;
      default: {
        const unreachable: never = message;
        throw new TypeError(`Cannot handle message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  #onHeard(event: ServerEvent): void {
    const at = now();
    this.#lastSeenAt = at;
    this.#bytes += event.bytes;
    if (this.#state === "unseen") this.#state = "live";
    if (event.heartbeatInterval !== undefined) this.#heartbeatInterval = event.heartbeatInterval;
    const conflict = this.#identities.heard(event.serverId);
    if (conflict !== undefined) {
      this.#parent.tell({ type: "ServerConflict", port: this.#port, serverIds: conflict, at });
    }
    switch (event.type) {
      case "FrameArrived":
        this.#onFrame(event, at);
        // In REQ/REP the transport holds the frame's reply until the user takes it.
        this.#seen(at, this.#requestReply);
        return;
      case "FrameResent":
        // Answered by the transport as before, never delivered twice: nothing is owed.
        this.#duplicates++;
        this.#seen(at, false);
        return;
      case "HeartbeatArrived":
        // The transport has already answered heartbeats and goodbyes.
        this.#heartbeats++;
        this.#seen(at, false);
        return;
      case "GoodbyeArrived":
        if (this.#identities.left(event.serverId)) {
          // One of two servers on this port left; the port has not.
          this.#seen(at, false);
          return;
        }
        // At once, never summed up: a goodbye may end the client. It also
        // supersedes any news not told yet, which would otherwise reach the
        // liveness actor after it and read as the server speaking again.
        // Whatever follows a goodbye is told at once: it takes the goodbye
        // back (a spoofed goodbye, most likely).
        clearTimeout(this.#tellTimer);
        this.#tellTimer = undefined;
        this.#seenAt = at;
        this.#holding = false;
        this.#toldAt = undefined;
        this.#toldHolding = false;
        this.#options.liveness.tell({ type: "Terminated", port: this.#port, at });
        return;
    }
  }

  /**
   * Notes that the server was heard from (or its frame taken) at `at`. The
   * liveness actor is told at once the first time and then at most every
   * `seenEveryMs`, with the latest view: later news waits for a timer, one
   * at a time.
   */
  #seen(at: number, holding: boolean): void {
    this.#seenAt = at;
    this.#holding = holding;
    const toldAt = this.#toldAt;
    const every = this.#options.seenEveryMs;
    if (toldAt === undefined || at - toldAt >= every) {
      this.#tellLiveness();
    } else if (this.#tellTimer === undefined) {
      const self = this.#self;
      this.#tellTimer = setTimeout(() => self.tell(TELL_LIVENESS), toldAt + every - at);
    }
  }

  #tellLiveness(): void {
    this.#toldAt = this.#seenAt;
    this.#toldHolding = this.#holding;
    this.#options.liveness.tell({
      type: "Seen",
      port: this.#port,
      at: this.#seenAt,
      holding: this.#holding,
      heartbeatInterval: this.#heartbeatInterval,
    });
  }

  #onFrame(event: FrameArrived, at: number): void {
    const seq = event.seq;
    const skipped = event.skipped ?? 0;
    // Two servers on one port interleave their numbers: nothing to judge.
    if (this.#lastSeq >= 0 && !this.#identities.conflicted) {
      const gap = seq - this.#lastSeq - 1;
      if (gap < 0 || (!this.#requestReply && gap > GAP_WINDOW)) {
        this.#restarts++;
      } else if (!this.#requestReply && gap > skipped) {
        // PUB/SUB: frame numbers have no gaps at the sender, so a gap
        // (beyond the frames the transport dropped for a slow user) is
        // frames ZeroMQ dropped on the way (a high-water mark).
        this.#lost += gap - skipped;
      }
    }
    this.#lastSeq = seq;
    this.#frames++;
    // The server's rate as received, whether or not the user kept up.
    this.#countFps(at, 1 + skipped);
    if (event.message !== undefined) this.#lastMessage = event.message;
    const { serverId, sentAt, frame, message } = event;
    // One object per frame, tagged with its sender when it says.
    const delivery: Received = serverId === undefined
      ? { port: this.#port, seq, sentAt, receivedAt: at, frame, message }
      : { port: this.#port, seq, sentAt, receivedAt: at, frame, message, serverId };
    const received = event.jpeg === undefined ? delivery : { ...delivery, jpeg: event.jpeg };
    if (this.#beforeJoin !== undefined) {
      this.#beforeJoin.push({ received, skipped });
      // The announcement takes a few microtasks; a restarted actor, whose
      // server was announced before, would wait for nothing: a bound.
      if (this.#releaseTimer === undefined) {
        const self = this.#self;
        this.#releaseTimer = setTimeout(() => self.tell(RELEASE_HELD), 100);
      }
      return;
    }
    this.#queue(received, skipped);
  }

  #queue(received: Received, skipped: number): void {
    this.#options.onDelivery?.(received);
    this.#options.queue.push(received, skipped);
  }

  #releaseBeforeJoin(): void {
    const held = this.#beforeJoin;
    if (held === undefined) return;
    this.#beforeJoin = undefined;
    clearTimeout(this.#releaseTimer);
    this.#releaseTimer = undefined;
    for (const { received, skipped } of held) this.#queue(received, skipped);
  }

  #countFps(at: number, frames: number): void {
    if (this.#windowStart === 0) this.#windowStart = at;
    this.#windowFrames += frames;
    const elapsed = at - this.#windowStart;
    if (elapsed >= FPS_WINDOW_MS) {
      this.#fps = (this.#windowFrames * 1000) / elapsed;
      this.#windowStart = at;
      this.#windowFrames = 0;
    }
  }

  #stats(): ConnectionStats {
    const silentFor = now() - this.#lastSeenAt;
    return {
      port: this.#port,
      // Only refused messages so far: not a server (see ConnectionState).
      state: this.#state === "unseen" ? "rejected" : this.#state,
      frames: this.#frames,
      bytes: this.#bytes,
      fps: silentFor > 2 * FPS_WINDOW_MS || this.#state === "gone" ? 0 : this.#fps,
      heartbeats: this.#heartbeats,
      duplicates: this.#duplicates,
      lost: this.#lost,
      restarts: this.#restarts,
      spoofedTerminates: this.#spoofedTerminates,
      rejected: { ...this.#rejected },
      conflicts: this.#identities.conflicts,
      serverIds: [...this.#identities.seen],
      lastMessage: this.#lastMessage,
      lastSeq: this.#lastSeq,
      lastSeenAt: this.#lastSeenAt,
    };
  }
}
