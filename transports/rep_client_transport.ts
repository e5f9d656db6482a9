/**
 * The REQ/REP client's transport actor: one REP socket per port. Each frame
 * is held until its parent sends the {@linkcode Reply} (so a server never
 * runs ahead of the user); heartbeats and goodbyes are answered at once, and
 * a refused request at once with an error reply, so no server is ever left
 * waiting by a bad message.
 *
 * Lazy Pirate: a server that missed its reply sends the same frame again
 * (same number) on a fresh socket. The transport answers it with the reply
 * it sent before, return data included, and tells its parent
 * {@linkcode FrameResent} instead of the frame: a frame is never passed on
 * twice. Only the last answered frame's number again, from the same
 * server identity (envelope key `sid`), is a resend (REQ's lockstep means
 * only the last request can be resent); any other number, or the same from
 * another identity (a second server given the same port), is passed on as
 * a frame.
 *
 * Each reply goes out in the version of the request it answers (a server
 * that speaks only protocol version 1 refuses a 2), in one part (a reply's
 * send resolves once queued, so its data must be copied).
 *
 * @module
 */

import type { Actor, ActorContext } from "../actors/actor.ts";
import type { ActorRef } from "../actors/actor_ref.ts";
import { ClientPorts } from "./_client_ports.ts";
import { Inbound, sender, wireBytes, wireNow } from "./_inbound.ts";
import type { Envelope } from "./protocol/protocol.ts";
import { ProtocolError } from "./protocol/protocol_errors.ts";
import type {
  ClientTransportCommand,
  ClientTransportEvent,
  FrameArrived,
  FrameResent,
  Reply,
} from "./transport.ts";
import type { ZmqClientTransportOptions } from "./zmq_transport_options.ts";
import type { ZmqSocket } from "./zmq/zmq_socket.ts";

/** How a REP client transport opens its sockets. */
export type RepClientTransportOptions = ZmqClientTransportOptions;

/** A frame passed on and waiting for its reply. */
interface Pending {
  readonly seq: number;
  /** Settled by the parent's `Reply`, or with `undefined` when the wait is abandoned. */
  readonly resolve: (reply: Reply | undefined) => void;
}

/**
 * Receives frames on every port and answers each once its parent replies.
 *
 * @example
 * ```ts ignore
 * // Spawned by the client's supervisor, whose messages it tells.
 * context.spawn("transport", { create: () => new RepClientTransport(options) });
 * ```
 */
export class RepClientTransport implements Actor<ClientTransportCommand> {
  readonly #options: RepClientTransportOptions;
  readonly #ports: ClientPorts;
  readonly #inbound: Inbound;
  readonly #pending = new Map<number, Pending>();
  /** Per port, the last frame answered and its reply: what a Lazy Pirate retry gets again. */
  readonly #answered = new Map<number, Envelope>();
  /**
   * Per port, the identity of the server whose frame was answered last: a
   * repeated number from another identity (a second server given the same
   * port) is its own frame, not a resend.
   */
  readonly #answeredSender = new Map<number, string | undefined>();
  #log: ActorContext<ClientTransportCommand>["log"] | undefined;

  /**
   * Makes the transport; it opens its sockets once started.
   *
   * @param options Where and how to open the sockets.
   */
  constructor(options: RepClientTransportOptions) {
    this.#options = options;
    this.#ports = new ClientPorts(options, {
      kind: "rep",
      receiveHighWaterMark: 1000,
      subscribe: false,
    });
    this.#inbound = new Inbound(options, 1);
  }

  /** Opens one socket per port and starts receiving on each. */
  async started(context: ActorContext<ClientTransportCommand>): Promise<void> {
    this.#log = context.log;
    const parent = context.parent as ActorRef<ClientTransportEvent>;
    try {
      await this.#ports.open(context);
    } catch (error) {
      this.#inbound.close();
      this.#options.onReady(error);
      return;
    }
    this.#ports.serve(
      (port, socket) => this.#serve(port, socket, parent),
      parent,
      context,
      (port) => this.#abandon(port),
    );
    this.#options.onReady();
  }

  /** Closes every socket and waits for the receive loops to end. */
  async stopped(): Promise<void> {
    this.#inbound.close();
    await this.#ports.close(() => {
      for (const port of [...this.#pending.keys()]) this.#abandon(port);
    });
  }

  /** Handles one message. */
  receive(message: ClientTransportCommand): void {
    switch (message.type) {
      case "Reply": {
        const pending = this.#pending.get(message.port);
        // A reply for a frame that is no longer pending: its socket was
        // replaced meanwhile, and nobody waits for it.
        if (pending === undefined || pending.seq !== message.seq) return;
        this.#pending.delete(message.port);
        pending.resolve(message);
        return;
      }
      default: {
        const unreachable: never = message.type;
        throw new TypeError(`Cannot handle message type ${unreachable}`);
      }
    }
  }

  /** Whether `request` is the last answered frame again, from the same sender. */
  #isResend(port: number, request: Envelope): boolean {
    return this.#answered.get(port)?.seq === request.seq &&
      this.#answeredSender.get(port) === request.serverId;
  }

  /** Ends the wait for `port`'s reply (the socket is going). */
  #abandon(port: number): void {
    this.#pending.get(port)?.resolve(undefined);
    this.#pending.delete(port);
  }

  /** Each request is held until its reply comes (or answered at once). */
  async #serve(
    port: number,
    socket: ZmqSocket,
    parent: ActorRef<ClientTransportEvent>,
  ): Promise<void> {
    const inbound = this.#inbound;
    while (!this.#ports.stopping) {
      const parts = await socket.receive();
      const bytes = wireBytes(parts);
      let request: Envelope;
      let arrived: FrameArrived | undefined;
      try {
        request = inbound.accept(port, parts);
        if (request.kind === "frame" && !this.#isResend(port, request)) {
          arrived = inbound.frame(port, request, bytes);
        }
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        parent.tell({ type: "MessageRefused", port, code: error.code, reason: error.message });
        // Answered all the same: a REQ server waits for an answer to every request.
        await socket.send(inbound.refusal(port, error));
        continue;
      }
      if (request.kind !== "frame") {
        // Heartbeats and goodbyes are answered here, at once: the goodbye
        // may be the last message before the client shuts down, and its
        // answer must not race that shutdown.
        (this.#options.route?.(port) ?? parent).tell(inbound.signal(port, request, bytes));
        await socket.send(inbound.signalAnswer(port, request));
        continue;
      }
      if (arrived === undefined) {
        // A Lazy Pirate retry of a frame the user already has: answer it
        // as before, never pass it on twice.
        const resent: FrameResent = {
          type: "FrameResent",
          port,
          seq: request.seq,
          bytes,
          ...sender(request),
        };
        (this.#options.route?.(port) ?? parent).tell(resent);
        await socket.send(
          inbound.codec.encode(inVersion(this.#answered.get(port)!, request.version)),
        );
        continue;
      }
      // Settled by Reply, or with undefined when the transport stops.
      // (A race against a shared "stopped" promise would add a reaction
      // to it per frame, kept until the end.)
      const seq = request.seq;
      const reply = new Promise<Reply | undefined>((resolve) =>
        this.#pending.set(port, { seq, resolve })
      );
      // Straight to the server's own actor when there is one: a frame skips
      // the supervisor, which only hears of state changes.
      (this.#options.route?.(port) ?? parent).tell(arrived);
      const answer = await reply;
      if (answer === undefined || this.#ports.stopping) return;
      const envelope: Envelope = {
        version: request.version,
        kind: "reply",
        port,
        seq,
        sentAt: wireNow(),
      };
      if (answer.returnData !== undefined) envelope.message = answer.returnData;
      this.#answered.set(port, envelope);
      this.#answeredSender.set(port, request.serverId);
      const { bytes: answerBytes, problem } = inbound.frameAnswer(envelope);
      if (problem !== undefined) this.#log?.error(`port ${port}: ${problem}`);
      await socket.send(answerBytes);
    }
  }
}

/** `reply` in the version of the request it answers. */
function inVersion(reply: Envelope, version: number): Envelope {
  return reply.version === version ? reply : { ...reply, version };
}
