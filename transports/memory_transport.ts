/**
 * An in-memory client transport: the same messages as the ZeroMQ one, with
 * envelopes handed in by code instead of sockets. For tests of the client's
 * actors, and for embedding a client in a process that already has its
 * frames.
 *
 * @module
 */

import type { Actor, ActorContext } from "../actors/actor.ts";
import type { ActorRef } from "../actors/actor_ref.ts";
import type { ClientTransportCommand, ClientTransportEvent } from "../actors/netgear/messages.ts";
import type { Envelope } from "./protocol/protocol.ts";

/**
 * The outside end of a {@linkcode MemoryClientTransport}: push envelopes in,
 * read the replies the client sends back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryLink } from "./memory_transport.ts";
 * const link = new MemoryLink();
 * assert.ok(link.replies.length === 0);
 * ```
 */
export class MemoryLink {
  /** Every reply the client sent, in order. */
  readonly replies: { port: number; envelope: Envelope }[] = [];
  #parent: ActorRef<ClientTransportEvent> | undefined;
  readonly #backlog: ClientTransportEvent[] = [];
  #onReply: ((port: number, envelope: Envelope) => void) | undefined;
  #attached!: () => void;
  /** Resolves once a transport actor is attached (what is pushed before waits for it). */
  readonly ready: Promise<void> = new Promise((resolve) => this.#attached = resolve);

  /**
   * Delivers an envelope as if it arrived on `port`.
   *
   * @param port The port it "arrived" on.
   * @param envelope The decoded message (passed by reference, not encoded).
   * @param bytes Its notional size on the wire.
   */
  push(port: number, envelope: Envelope, bytes = 0): void {
    this.#emit({ type: "EnvelopeReceived", port, envelope, bytes });
  }

  /**
   * Reports a refused message on `port`.
   *
   * @param port The port it arrived on.
   * @param code The `ProtocolError` code.
   */
  reject(port: number, code: string): void {
    this.#emit({ type: "EnvelopeRejected", port, code, reason: `test rejection (${code})` });
  }

  /**
   * Calls `listener` for every reply from now on.
   *
   * @param listener Told each reply's port and envelope.
   */
  onReply(listener: (port: number, envelope: Envelope) => void): void {
    this.#onReply = listener;
  }

  /** @internal Called by the transport actor. */
  attach(parent: ActorRef<ClientTransportEvent>): void {
    this.#parent = parent;
    for (const event of this.#backlog.splice(0)) parent.tell(event);
    this.#attached();
  }

  /** @internal Called by the transport actor. */
  reply(port: number, envelope: Envelope): void {
    this.replies.push({ port, envelope });
    this.#onReply?.(port, envelope);
  }

  #emit(event: ClientTransportEvent): void {
    if (this.#parent) this.#parent.tell(event);
    else this.#backlog.push(event);
  }
}

/**
 * A client transport actor wired to a {@linkcode MemoryLink}.
 *
 * @example
 * ```ts ignore
 * const link = new MemoryLink();
 * const props = { create: () => new MemoryClientTransport(link) };
 * ```
 */
export class MemoryClientTransport implements Actor<ClientTransportCommand> {
  readonly #link: MemoryLink;

  /** @param link The outside end. */
  constructor(link: MemoryLink) {
    this.#link = link;
  }

  /** Connects the link to this actor's parent. */
  started(context: ActorContext<ClientTransportCommand>): void {
    this.#link.attach(context.parent as ActorRef<ClientTransportEvent>);
  }

  /** Hands each reply to the link. */
  receive(message: ClientTransportCommand): void {
    this.#link.reply(message.port, message.envelope);
  }
}
