/**
 * One tracked server, keyed by its port: its figures, its last message, and
 * the replies it is owed (REQ/REP), including answering resent requests
 * without delivering them twice.
 *
 * @module
 */

import type { Actor, ActorContext } from "../actor.ts";
import type { ActorRef } from "../actor_ref.ts";
import type { Envelope } from "../../transports/protocol/protocol.ts";
import { now } from "./_clock.ts";
import type {
  ConnectionEnvelope,
  ConnectionEvent,
  ConnectionMessage,
  ConnectionStats,
  ServerState,
} from "./messages.ts";

/** How a connection actor is set up. */
export interface ConnectionActorOptions {
  /** The server's port: its identity. */
  readonly port: number;
  /** `true` in REQ/REP, where every request is owed exactly one reply. */
  readonly requestReply: boolean;
}

const FPS_WINDOW_MS = 1000;
/**
 * PUB/SUB: the largest jump ahead in frame numbers still counted as frames
 * lost on the way. ZeroMQ drops at most its queues' worth (a few frames);
 * a jump beyond this is a different numbering (a restarted or spoofed
 * sender), not thousands of lost frames.
 */
const GAP_WINDOW = 1024;

/**
 * Tracks one server. Tells its parent `Deliver` for each new frame and
 * `ReplyNow` for each reply the server is owed.
 *
 * Frame numbers (`seq`) come from the sender and, in plain mode (no
 * CURVE, or CURVE without ironhouse), anyone who can reach the port can
 * send any number. So a number only ever decides how one frame is
 * handled, never what happens to later frames: one spoofed number costs
 * at most one frame's worth of confusion and a count in `restarts`.
 * - REQ/REP: only the last frame's number again is a resend (a Lazy Pirate
 *   retry: REQ's lockstep means only the last request can be resent); it
 *   is answered and not delivered twice. Any lower number is a restarted
 *   server: counted in `restarts`, delivered.
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
 * context.spawn("conn-5566", { create: () => new ConnectionActor({ port: 5566, requestReply: true }) });
 * ```
 */
export class ConnectionActor implements Actor<ConnectionMessage> {
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
  /** The reply last sent for a frame, resent verbatim when that frame is resent. */
  #lastReply: Envelope | undefined;
  #fps = 0;
  #windowStart = 0;
  #windowFrames = 0;

  /**
   * @param options The server's port and the pattern.
   */
  constructor(options: ConnectionActorOptions) {
    this.#port = options.port;
    this.#requestReply = options.requestReply;
  }

  /** Handles one message. */
  receive(message: ConnectionMessage, context: ActorContext<ConnectionMessage>): void {
    const parent = context.parent as ActorRef<ConnectionEvent>;
    switch (message.type) {
      case "Envelope":
        this.#onEnvelope(message, parent);
        break;
      case "Consumed": {
        const reply = this.#reply(message.seq, message.returnData);
        this.#lastReply = reply;
        parent.tell({ type: "ReplyNow", port: this.#port, envelope: reply });
        break;
      }
      case "Rejected":
        this.#rejected[message.code] = (this.#rejected[message.code] ?? 0) + 1;
        break;
      case "TerminateSpoofed":
        this.#spoofedTerminates++;
        break;
      case "StateChanged":
        this.#state = message.state;
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

  #onEnvelope(message: ConnectionEnvelope, parent: ActorRef<ConnectionEvent>): void {
    const { envelope, at } = message;
    this.#lastSeenAt = at;
    this.#bytes += message.bytes;
    if (this.#state === "unseen") this.#state = "live";
    switch (envelope.kind) {
      case "frame": {
        const seq = envelope.seq;
        const skipped = message.skipped ?? 0;
        if (this.#requestReply && seq === this.#lastSeq) {
          // A Lazy Pirate retry of a frame the user already has: answer it
          // as before, never deliver it twice.
          this.#duplicates++;
          const reply = this.#lastReply?.seq === seq
            ? this.#lastReply
            : this.#reply(seq, undefined);
          parent.tell({ type: "ReplyNow", port: this.#port, envelope: reply });
          return;
        }
        if (this.#lastSeq >= 0) {
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
        if (envelope.message !== undefined) this.#lastMessage = envelope.message;
        parent.tell({
          type: "Deliver",
          skipped,
          delivery: {
            port: this.#port,
            seq: envelope.seq,
            sentAt: envelope.sentAt,
            receivedAt: at,
            frame: envelope.frame,
            jpeg: message.jpeg,
            message: envelope.message,
          },
        });
        return;
      }
      case "heartbeat":
        // The transport has already answered heartbeats and goodbyes.
        this.#heartbeats++;
        return;
      case "terminate":
        return;
      case "reply":
        // Servers never send replies (the transport answered it with an ack).
        this.#rejected["bad-field"] = (this.#rejected["bad-field"] ?? 0) + 1;
        return;
    }
  }

  #reply(seq: number, returnData: unknown): Envelope {
    const reply: Envelope = {
      version: 1,
      kind: "reply",
      port: this.#port,
      seq,
      sentAt: now(),
    };
    if (returnData !== undefined) reply.message = returnData;
    return reply;
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
      lastMessage: this.#lastMessage,
      lastSeq: this.#lastSeq,
      lastSeenAt: this.#lastSeenAt,
    };
  }
}
