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
 * @module
 */

import type { Actor, ActorContext } from "../actor.ts";
import type { ActorRef } from "../actor_ref.ts";
import { now } from "./_clock.ts";
import type { LivenessEvent, LivenessMessage, ServerState, StateChangeReason } from "./messages.ts";

/** How the liveness actor judges silence. */
export interface LivenessActorOptions {
  /** Silence after which a live server becomes `stale`, in ms. */
  readonly staleAfterMs: number;
  /** Silence after which a server becomes `gone`, in ms. */
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
}

interface Tracked {
  state: ServerState;
  lastSeenAt: number;
  /** The client owes this server a reply: it is waiting on us, not silent. */
  holding: boolean;
}

/**
 * Tracks every server's state and tells its parent `ServerStateChanged` and,
 * once, `AllServersGone`.
 *
 * @example
 * ```ts ignore
 * context.spawn("liveness", {
 *   create: () => new LivenessActor({ staleAfterMs: 2000, goneAfterMs: 5000, tickMs: 250 }),
 * });
 * ```
 */
export class LivenessActor implements Actor<LivenessMessage> {
  readonly #options: LivenessActorOptions;
  readonly #servers = new Map<number, Tracked>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #allGoneAnnounced = false;
  /** When every server seen was last found gone while others were never seen. */
  #allGoneSince: number | undefined;

  /** @param options Thresholds and tick period. */
  constructor(options: LivenessActorOptions) {
    this.#options = options;
  }

  /** Starts the silence checks. */
  started(context: ActorContext<LivenessMessage>): void {
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
  }

  /** Handles one message. */
  receive(message: LivenessMessage, context: ActorContext<LivenessMessage>): void {
    const parent = context.parent as ActorRef<LivenessEvent>;
    switch (message.type) {
      case "Seen": {
        const tracked = this.#servers.get(message.port);
        if (!tracked) {
          this.#servers.set(message.port, {
            state: "live",
            lastSeenAt: message.at,
            holding: message.holding,
          });
          this.#announce(parent, message.port, "live", undefined, "joined", message.at);
          this.#allGoneAnnounced = false;
          return;
        }
        tracked.lastSeenAt = message.at;
        tracked.holding = message.holding;
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
          tracked = { state: "live", lastSeenAt: message.at, holding: false };
          this.#servers.set(message.port, tracked);
        }
        tracked.holding = false;
        if (tracked.state !== "gone") {
          const previous = tracked.state;
          tracked.state = "gone";
          this.#announce(parent, message.port, "gone", previous, "terminated", message.at);
        }
        this.#checkAllGone(parent, message.at);
        return;
      }
      case "Tick":
        this.#judgeSilence(parent, message.at);
        return;
      default: {
        const unreachable: never = message;
        throw new TypeError(`Cannot handle message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  #judgeSilence(parent: ActorRef<LivenessEvent>, at: number): void {
    const { staleAfterMs, goneAfterMs } = this.#options;
    for (const [port, tracked] of this.#servers) {
      if (tracked.state === "gone" || tracked.holding) continue;
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
