/**
 * An in-memory client transport: the same messages as the ZeroMQ ones, with
 * events handed in by code instead of sockets. For tests of the client's
 * actors, and for embedding a client in a process that already has its
 * frames.
 *
 * @module
 */

import type { Actor, ActorContext } from "../actors/actor.ts";
import type { ActorRef } from "../actors/actor_ref.ts";
import type { Frame } from "../capture/frame.ts";
import type { ClientTransportCommand, ClientTransportEvent, Reply } from "./transport.ts";

/** What {@linkcode MemoryLink.frame} puts in a frame besides its port and number. */
export interface MemoryFrameOptions {
  /**
   * The pixels.
   *
   * @default {undefined}
   */
  frame?: Frame;
  /**
   * The data sent with it.
   *
   * @default {undefined}
   */
  message?: unknown;
  /**
   * Its notional size on the wire, in bytes.
   *
   * @default {0}
   */
  bytes?: number;
}

/**
 * The outside end of a {@linkcode MemoryClientTransport}: push events in,
 * read the replies the client sends back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryLink } from "./memory_transport.ts";
 * const link = new MemoryLink();
 * link.frame(5566, 0, { message: "hello" }); // kept until a transport attaches
 * assert.equal(link.replies.length, 0);
 * ```
 */
export class MemoryLink {
  /** Every reply the client sent, in order. */
  readonly replies: Reply[] = [];
  #parent: ActorRef<ClientTransportEvent> | undefined;
  readonly #backlog: ClientTransportEvent[] = [];
  #onReply: ((reply: Reply) => void) | undefined;
  #attached!: () => void;
  /** Resolves once a transport actor is attached (what is pushed before waits for it). */
  readonly ready: Promise<void> = new Promise((resolve) => this.#attached = resolve);

  /**
   * Delivers any event, as if the transport had it from the network.
   *
   * @param event The event (passed by reference, not encoded).
   */
  push(event: ClientTransportEvent): void {
    if (this.#parent) this.#parent.tell(event);
    else this.#backlog.push(event);
  }

  /**
   * Delivers a frame as if it arrived on `port`.
   *
   * @param port The port it "arrived" on.
   * @param seq Its number.
   * @param options Its pixels, data and size.
   */
  frame(port: number, seq: number, options: MemoryFrameOptions = {}): void {
    this.push({
      type: "FrameArrived",
      port,
      seq,
      sentAt: Date.now(),
      frame: options.frame,
      message: options.message,
      bytes: options.bytes ?? 0,
    });
  }

  /**
   * Delivers a goodbye from `port`.
   *
   * @param port The server's port.
   */
  goodbye(port: number): void {
    this.push({ type: "GoodbyeArrived", port, bytes: 0 });
  }

  /**
   * Reports a refused message on `port`.
   *
   * @param port The port it arrived on.
   * @param code The `ProtocolError` code.
   */
  refuse(port: number, code: string): void {
    this.push({ type: "MessageRefused", port, code, reason: `test refusal (${code})` });
  }

  /**
   * Calls `listener` for every reply from now on.
   *
   * @param listener Told each reply.
   */
  onReply(listener: (reply: Reply) => void): void {
    this.#onReply = listener;
  }

  /**
   * Connects the link to the transport actor's parent. Called by
   * {@linkcode MemoryClientTransport}.
   *
   * @param parent Where events go.
   */
  attach(parent: ActorRef<ClientTransportEvent>): void {
    this.#parent = parent;
    for (const event of this.#backlog.splice(0)) parent.tell(event);
    this.#attached();
  }

  /**
   * Records a reply. Called by {@linkcode MemoryClientTransport}.
   *
   * @param reply The reply.
   */
  reply(reply: Reply): void {
    this.replies.push(reply);
    this.#onReply?.(reply);
  }
}

/**
 * A client transport actor wired to a {@linkcode MemoryLink}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryClientTransport, MemoryLink } from "./memory_transport.ts";
 * const link = new MemoryLink();
 * const props = { create: () => new MemoryClientTransport(link) };
 * assert.ok(props.create() instanceof MemoryClientTransport);
 * ```
 */
export class MemoryClientTransport implements Actor<ClientTransportCommand> {
  readonly #link: MemoryLink;

  /**
   * Makes the transport.
   *
   * @param link The outside end.
   */
  constructor(link: MemoryLink) {
    this.#link = link;
  }

  /** Connects the link to this actor's parent. */
  started(context: ActorContext<ClientTransportCommand>): void {
    this.#link.attach(context.parent as ActorRef<ClientTransportEvent>);
  }

  /** Hands each reply to the link. */
  receive(message: ClientTransportCommand): void {
    this.#link.reply(message);
  }
}
