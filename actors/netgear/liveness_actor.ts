/**
 * The liveness actor: knows every server's state and shuts the client down
 * when every server it has seen is gone.
 *
 * A server is `live` while it is heard from, `stale` once silent for longer
 * than `staleAfterMs` (it missed a heartbeat), and `gone` when it said
 * goodbye (terminate) or stayed silent for `goneAfterMs`. vidgear only
 * reacts to an explicit goodbye; here a crashed server cannot keep the client
 * alive forever.
 *
 * A server that announces its heartbeat interval (envelope key `hb`) is
 * judged by its own: stale after 2 of its intervals, gone after
 * `goneAfterMs` or 3 intervals if that is longer, so a server with slow
 * heartbeats is never gone between two of them. `goneAfterMs` is thus the
 * floor; an announced interval counts at most as `goneAfterMs`, so no
 * server keeps a silent port for more than 3 x `goneAfterMs`.
 *
 * A goodbye is believed at once only on an authenticated connection
 * (`leaveGraceMs` 0: ironhouse, where only known servers get in). In plain
 * mode anyone on the port can send one, so the server is only `leaving`
 * (not announced; still counted as present) until it has stayed silent for
 * `leaveGraceMs`: a real server that said goodbye sends nothing more, so
 * any further message from the port takes the goodbye back (and is counted
 * as a spoofed terminate) instead of one packet ending a streaming server
 * and, with it, the client.
 *
 * @module
 */

import type { Actor, ActorContext } from "../actor.ts";
import type { ActorRef } from "../actor_ref.ts";
import { now } from "./_clock.ts";
import type { ServerState, StateChangeReason } from "./events.ts";
import type { LivenessEvent, LivenessMessage } from "./liveness_messages.ts";

/** How the liveness actor judges silence. */
export interface LivenessActorOptions {
  /** Silence after which a live server becomes `stale`, in ms (for servers that announce no interval). */
  readonly staleAfterMs: number;
  /** Silence after which a server becomes `gone`, in ms: the floor (see the module notes). */
  readonly goneAfterMs: number;
  /** How often silence is checked, in ms. */
  readonly tickMs: number;
  /**
   * Every port the client listens on. When every server seen has gone but
   * some of these were never heard from, the client waits `goneAfterMs` for
   * them before shutting down (a short-lived server may leave before a
   * slower one has even started); with all of them seen and gone, it shuts
   * down at once.
   */
  readonly expectedPorts?: readonly number[];
  /**
   * Silence after a goodbye (terminate) before the server counts as gone,
   * in ms; a message meanwhile takes the goodbye back. 0 ends it at once:
   * only for authenticated connections, where nobody else can say goodbye
   * in its name.
   */
  readonly leaveGraceMs: number;
}

/** Time to judge silence: the actor's own clock, private to it. */
interface Tick {
  readonly type: "Tick";
  readonly at: number;
}

/** Re-judges "all gone" once the news already on its way has arrived (see `Terminated`). */
interface Recheck {
  readonly type: "Recheck";
}

interface Tracked {
  state: ServerState;
  lastSeenAt: number;
  /** The client owes this server a reply: it is waiting on us, not silent. */
  holding: boolean;
  /** When it said goodbye, while that goodbye waits out `leaveGraceMs`. */
  leavingSince: number | undefined;
  /** Silence after which it is stale, and gone: from its announced interval, if any. */
  staleAfterMs: number;
  goneAfterMs: number;
}

/**
 * Tracks every server's state and tells its parent `ServerStateChanged` and,
 * once, `AllServersGone`.
 *
 * @example
 * ```ts ignore
 * // Not run: the client supervisor spawns it (client_supervisor.ts).
 * context.spawn("liveness", {
 *   create: () => new LivenessActor({ staleAfterMs: 2000, goneAfterMs: 5000, tickMs: 250 }),
 * });
 * ```
 */
export class LivenessActor implements Actor<LivenessMessage | Tick | Recheck> {
  readonly #options: LivenessActorOptions;
  readonly #servers = new Map<number, Tracked>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #allGoneAnnounced = false;
  /** When every server seen was last found gone while others were never seen. */
  #allGoneSince: number | undefined;
  #recheck: ReturnType<typeof setTimeout> | undefined;

  /** @param options Thresholds and tick period. */
  constructor(options: LivenessActorOptions) {
    this.#options = options;
  }

  /** Starts the silence checks. */
  started(context: ActorContext<LivenessMessage | Tick | Recheck>): void {
    const self = context.self;
    this.#timer = setInterval(
      () => self.tell({ type: "Tick", at: now() }),
      this.#options.tickMs,
    );
  }

  /** Stops the silence checks. */
  stopped(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#recheck);
    this.#recheck = undefined;
  }

  /** Handles one message. */
  receive(
    message: LivenessMessage | Tick | Recheck,
    context: ActorContext<LivenessMessage | Tick | Recheck>,
  ): void {
    const parent = context.parent as ActorRef<LivenessEvent>;
    switch (message.type) {
      case "Seen": {
        const tracked = this.#servers.get(message.port);
        if (!tracked) {
          const fresh: Tracked = {
            state: "live",
            lastSeenAt: message.at,
            holding: message.holding,
            leavingSince: undefined,
            staleAfterMs: this.#options.staleAfterMs,
            goneAfterMs: this.#options.goneAfterMs,
          };
          this.#judgeBy(fresh, message.heartbeatInterval);
          this.#servers.set(message.port, fresh);
          this.#announce(parent, message.port, "live", undefined, "joined", message.at);
          this.#allGoneAnnounced = false;
          return;
        }
        // News older than a goodbye (summed up by the connection actor and
        // told late) neither moves the clock back nor retracts the goodbye.
        if (message.at < tracked.lastSeenAt) return;
        tracked.lastSeenAt = message.at;
        tracked.holding = message.holding;
        this.#judgeBy(tracked, message.heartbeatInterval);
        if (tracked.leavingSince !== undefined && message.at > tracked.leavingSince) {
          // A server that said goodbye sends nothing more: someone else did.
          tracked.leavingSince = undefined;
          parent.tell({ type: "TerminateRetracted", port: message.port, at: message.at });
        }
        if (tracked.state !== "live") {
          const previous = tracked.state;
          tracked.state = "live";
          this.#allGoneAnnounced = false;
          this.#announce(
            parent,
            message.port,
            "live",
            previous,
            previous === "gone" ? "rejoined" : "heard",
            message.at,
          );
        }
        return;
      }
      case "Terminated": {
        let tracked = this.#servers.get(message.port);
        if (!tracked) {
          tracked = {
            state: "live",
            lastSeenAt: message.at,
            holding: false,
            leavingSince: undefined,
            staleAfterMs: this.#options.staleAfterMs,
            goneAfterMs: this.#options.goneAfterMs,
          };
          this.#servers.set(message.port, tracked);
        }
        tracked.holding = false;
        tracked.lastSeenAt = message.at;
        if (tracked.state === "gone") return;
        if (this.#options.leaveGraceMs > 0) {
          // Further goodbyes confirm the first; they do not restart its wait.
          tracked.leavingSince ??= message.at;
          return;
        }
        this.#leave(parent, message.port, tracked, message.at);
        // Each server's actor tells its own news: another server's first
        // frame may still be on its way, a few microtasks behind this
        // goodbye. Judge "all gone" once they have had their turn.
        if (this.#recheck === undefined) {
          const self = context.self;
          this.#recheck = setTimeout(() => self.tell({ type: "Recheck" }), 0);
        }
        return;
      }
      case "Recheck":
        this.#recheck = undefined;
        this.#checkAllGone(parent, now());
        return;
      case "Tick":
        this.#judgeSilence(parent, message.at);
        return;
      default: {
        const unreachable: never = message;
        throw new TypeError(`Cannot handle message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Sets a server's thresholds from the heartbeat interval it announced (see the module notes). */
  #judgeBy(tracked: Tracked, announced: number | undefined): void {
    if (announced === undefined) return;
    const { goneAfterMs } = this.#options;
    const interval = Math.min(announced, goneAfterMs);
    tracked.staleAfterMs = 2 * interval;
    tracked.goneAfterMs = Math.max(goneAfterMs, 3 * interval);
  }

  #leave(parent: ActorRef<LivenessEvent>, port: number, tracked: Tracked, at: number): void {
    const previous = tracked.state;
    tracked.state = "gone";
    tracked.leavingSince = undefined;
    this.#announce(parent, port, "gone", previous, "terminated", at);
  }

  #judgeSilence(parent: ActorRef<LivenessEvent>, at: number): void {
    const { leaveGraceMs } = this.#options;
    for (const [port, tracked] of this.#servers) {
      const { staleAfterMs, goneAfterMs } = tracked;
      if (tracked.state === "gone") continue;
      if (tracked.leavingSince !== undefined) {
        if (at - tracked.leavingSince >= leaveGraceMs) this.#leave(parent, port, tracked, at);
        continue;
      }
      if (tracked.holding) continue;
      const silent = at - tracked.lastSeenAt;
      if (silent > goneAfterMs) {
        const previous = tracked.state;
        tracked.state = "gone";
        this.#announce(parent, port, "gone", previous, "timeout", at);
      } else if (silent > staleAfterMs && tracked.state === "live") {
        tracked.state = "stale";
        this.#announce(parent, port, "stale", "live", "silent", at);
      }
    }
    this.#checkAllGone(parent, at);
  }

  #checkAllGone(parent: ActorRef<LivenessEvent>, at: number): void {
    if (this.#allGoneAnnounced || this.#servers.size === 0) return;
    for (const tracked of this.#servers.values()) {
      if (tracked.state !== "gone") {
        this.#allGoneSince = undefined;
        return;
      }
    }
    const unseen = (this.#options.expectedPorts ?? []).some((port) => !this.#servers.has(port));
    if (unseen) {
      this.#allGoneSince ??= at;
      if (at - this.#allGoneSince < this.#options.goneAfterMs) return;
    }
    this.#allGoneAnnounced = true;
    parent.tell({ type: "AllServersGone", at });
  }

  #announce(
    parent: ActorRef<LivenessEvent>,
    port: number,
    state: ServerState,
    previous: ServerState | undefined,
    reason: StateChangeReason,
    at: number,
  ): void {
    parent.tell({ type: "ServerStateChanged", port, state, previous, reason, at });
  }
}
