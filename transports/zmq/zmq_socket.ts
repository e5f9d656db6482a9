/**
 * A ZeroMQ socket whose waits never hang under Deno.
 *
 * Under Deno 2.9, `await socket.receive()` from npm:zeromq may never resolve
 * (Deno's libuv shim stops a `uv_poll` after its first callback,
 * denoland/deno#36317). {@linkcode ZmqSocket} never lets zeromq wait by
 * itself: it calls zeromq's `receive()`/`send()` only when the socket is
 * `readable`/`writable` (they then complete at once), and otherwise waits on
 * the socket's ZMQ_FD with libc `poll(2)` on a worker thread, one poll shared
 * by all sockets of the process. That stays correct once Deno fixes its
 * shim, and idle sockets cost no CPU.
 *
 * Supported: Deno 2 on Linux and macOS, with `--allow-read --allow-env
 * --allow-ffi` (no `--allow-net`: ZeroMQ's sockets are native). Windows and
 * other runtimes throw {@linkcode TransportUnsupportedError}.
 *
 * Process exit: the process exits by itself once every socket is closed and
 * no `receive()`/`send()` is pending (a pending wait keeps it alive, like a
 * pending `Deno.Listener.accept()`). The default `linger: 0` makes ZeroMQ
 * drop undelivered messages at close, so its global context never delays the
 * exit; with `linger: n` the exit may wait up to `n` ms for them, and with
 * `linger: -1` forever.
 *
 * @module
 */

import * as zmq from "zeromq";
import { type Reactor, type ReactorEntry, sharedReactor } from "./_reactor.ts";
import { afterTurn, mayContinue } from "./_event_loop_turns.ts";
import { noteReceived } from "./_external_memory.ts";
import { tuneMalloc } from "./_malloc_tuning.ts";
import {
  TransportClosedError,
  TransportEndpointError,
  TransportOperationError,
  TransportUnsupportedError,
} from "../errors.ts";

/** ZeroMQ socket patterns a {@linkcode ZmqSocket} can have. */
export type SocketKind =
  | "pair"
  | "req"
  | "rep"
  | "pub"
  | "xpub"
  | "sub"
  | "push"
  | "pull"
  | "dealer"
  | "router";

/** Every valid {@linkcode SocketKind}, in a stable order (for error messages). */
export const SOCKET_KINDS: readonly SocketKind[] = Object.freeze([
  "pair",
  "req",
  "rep",
  "pub",
  "xpub",
  "sub",
  "push",
  "pull",
  "dealer",
  "router",
]);

/** Options of a new {@linkcode ZmqSocket}; ZeroMQ applies them to later binds and connects. */
export interface ZmqSocketOptions {
  /**
   * Most messages queued for each peer before sending blocks (or drops, for
   * `pub`); 0 means no limit (ZMQ_SNDHWM).
   *
   * @default {1000}
   */
  sendHighWaterMark?: number;
  /**
   * Most messages queued from each peer before ZeroMQ stops reading from it;
   * 0 means no limit (ZMQ_RCVHWM).
   *
   * @default {1000}
   */
  receiveHighWaterMark?: number;
  /**
   * Largest inbound message in bytes; a peer sending more is disconnected.
   * -1 means no limit (ZMQ_MAXMSGSIZE).
   *
   * @default {67108864} (64 MiB)
   */
  maxMessageSize?: number;
  /**
   * Milliseconds undelivered messages are kept after `close()`; 0 drops them
   * at once, -1 keeps them until delivered (and then blocks process exit
   * until they are) (ZMQ_LINGER).
   *
   * @default {0}
   */
  linger?: number;
  /**
   * Queue messages only to peers whose connection is complete, so sends wait
   * (or pick another peer) instead of filling a queue for a peer that is not
   * there (ZMQ_IMMEDIATE).
   *
   * @default {false}
   */
  immediate?: boolean;
  /**
   * Act as the CURVE server; needs `curveSecretKey` (ZMQ_CURVE_SERVER).
   *
   * @default {false}
   */
  curveServer?: boolean;
  /**
   * This socket's CURVE secret key, 40 Z85 characters (see `curveKeyPair()`
   * in npm:zeromq) (ZMQ_CURVE_SECRETKEY).
   *
   * @default {undefined} no CURVE
   */
  curveSecretKey?: string;
  /**
   * This socket's CURVE public key, 40 Z85 characters; a client needs it
   * (ZMQ_CURVE_PUBLICKEY).
   *
   * @default {undefined} no CURVE
   */
  curvePublicKey?: string;
  /**
   * The server's CURVE public key, 40 Z85 characters; setting it makes this
   * socket a CURVE client (ZMQ_CURVE_SERVERKEY).
   *
   * @default {undefined} no CURVE
   */
  curveServerKey?: string;
  /**
   * ZAP authentication domain of this socket (ZMQ_ZAP_DOMAIN).
   *
   * @default {undefined} none
   */
  zapDomain?: string;
  /**
   * Refuse peers while no ZAP handler answers for `zapDomain`, instead of
   * admitting them (ZMQ_ZAP_ENFORCE_DOMAIN): authentication that fails
   * closed.
   *
   * @default {false}
   */
  zapEnforceDomain?: boolean;
  /**
   * `req` only: allow a new request before the last one's reply came, and
   * report the socket writable while it has (or is making) a connection
   * even with a request unanswered (ZMQ_REQ_RELAXED).
   *
   * @default {false}
   */
  requestRelaxed?: boolean;
  /**
   * `req` only: number requests and drop replies that do not answer the
   * last one, as needed with `requestRelaxed` (ZMQ_REQ_CORRELATE).
   *
   * @default {false}
   */
  requestCorrelate?: boolean;
  /**
   * `xpub` (and `pub`) only: a full subscriber queue makes `send()` fail
   * with `"EAGAIN"` instead of dropping the message (ZMQ_XPUB_NODROP).
   *
   * @default {false}
   */
  noDrop?: boolean;
}

/** Options of one {@linkcode ZmqSocket} operation. */
export interface ZmqOperationOptions {
  /**
   * Stops waiting when aborted: the operation rejects with `signal.reason`.
   *
   * @default {undefined} wait until done or closed
   */
  signal?: AbortSignal;
}

/** The zeromq methods the public typings hide or leave to subclasses. */
interface RawSocket {
  readonly readable: boolean;
  readonly writable: boolean;
  receive(): Promise<Uint8Array[]>;
  send(message: Uint8Array | Uint8Array[]): Promise<void>;
  getInt32Option(option: number): number;
  setInt32Option(option: number, value: number): void;
  setInt64Option(option: number, value: number): void;
  setBoolOption(option: number, value: boolean): void;
  setStringOption(option: number, value: string | Uint8Array | null): void;
}

// libzmq option numbers (zmq.h).
const ZMQ_FD = 14;
const ZMQ_SUBSCRIBE = 6;
const ZMQ_RCVTIMEO = 27;
const ZMQ_SNDTIMEO = 28;
const ZMQ_LINGER = 17;
const ZMQ_MAXMSGSIZE = 22;
const ZMQ_SNDHWM = 23;
const ZMQ_RCVHWM = 24;
const ZMQ_IMMEDIATE = 39;
const ZMQ_CURVE_SERVER = 47;
const ZMQ_CURVE_PUBLICKEY = 48;
const ZMQ_CURVE_SECRETKEY = 49;
const ZMQ_CURVE_SERVERKEY = 50;
const ZMQ_ZAP_DOMAIN = 55;
const ZMQ_REQ_CORRELATE = 52;
const ZMQ_REQ_RELAXED = 53;
const ZMQ_XPUB_NODROP = 69;
const ZMQ_ZAP_ENFORCE_DOMAIN = 93;

const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
/**
 * Empty reads (readable, then EAGAIN) in a row after which the socket waits
 * for its descriptor instead of looking at its state again. Each one
 * normally discards a malformed message, so a real burst of them is fine;
 * the bound only keeps a misreporting socket from spinning.
 */
const MAX_EMPTY_READS = 10_000;
/**
 * Refused sends (writable, then EAGAIN) in a row after which the socket
 * waits for its descriptor instead of looking at its state again: a look
 * that says writable once more is worth a try, a socket that keeps saying
 * so while refusing is not.
 */
const MAX_REFUSED_SENDS = 3;
/**
 * Kinds whose refused send is an answer, not a race: PUB and XPUB report
 * themselves always writable, and refuse (EAGAIN) only when a subscriber's
 * queue is full under ZMQ_XPUB_NODROP, which their caller must hear.
 */
const SENDS_REFUSED_WHEN_FULL: readonly SocketKind[] = ["pub", "xpub"];

const CONSTRUCTORS: Readonly<Record<SocketKind, new () => zmq.Socket>> = {
  pair: zmq.Pair,
  req: zmq.Request,
  rep: zmq.Reply,
  pub: zmq.Publisher,
  // A publisher that also receives its subscribers' (un)subscriptions, so a
  // server can tell whether anyone is listening yet.
  xpub: zmq.XPublisher,
  sub: zmq.Subscriber,
  push: zmq.Push,
  pull: zmq.Pull,
  dealer: zmq.Dealer,
  router: zmq.Router,
};
const SEND_ONLY: readonly SocketKind[] = ["pub", "push"];
const RECEIVE_ONLY: readonly SocketKind[] = ["sub", "pull"];

interface Waiter<T> {
  resolve(value: T | PromiseLike<T>): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface SendWaiter extends Waiter<void> {
  message: Uint8Array | Uint8Array[];
}

/**
 * A ZeroMQ socket with `receive()`/`send()` that wait event-driven and never
 * hang under Deno, cancellable by `AbortSignal` and settled by `close()`.
 *
 * Several `receive()` (or `send()`) calls may be pending at once; they
 * complete in call order.
 *
 * Buffers: received parts are zero-copy views of ZeroMQ's message memory
 * (Node `Buffer`s, typed here as `Uint8Array`). A sent part larger than 128
 * bytes is not copied either: ZeroMQ keeps a reference to it (so it cannot be
 * freed early) and reads it on its I/O thread until it is transmitted, which
 * may be after `send()` resolved. Treat a sent buffer as handed over: do not
 * write into it, reuse it, or transfer/detach its `ArrayBuffer` afterwards;
 * send `data.slice()` if you must keep changing `data`.
 *
 * @example PUSH to PULL over loopback
 * ```ts
 * import assert from "node:assert/strict";
 * import { ZmqSocket } from "./zmq_socket.ts";
 *
 * await using pull = new ZmqSocket("pull");
 * await pull.bind("tcp://127.0.0.1:*");
 * await using push = new ZmqSocket("push");
 * push.connect(pull.lastEndpoint!);
 * await push.send(new TextEncoder().encode("hello"));
 * const [part] = await pull.receive({ signal: AbortSignal.timeout(5000) });
 * assert.ok(new TextDecoder().decode(part) === "hello");
 * ```
 */
export class ZmqSocket implements AsyncDisposable {
  /** The socket's pattern. */
  readonly kind: SocketKind;
  #raw: zmq.Socket;
  #io: RawSocket;
  #reactor: Reactor;
  #entry: ReactorEntry;
  #receivers: Waiter<Uint8Array[]>[] = [];
  #senders: SendWaiter[] = [];
  /** A zeromq receive is in progress: zeromq allows one at a time. */
  #receiving = false;
  /** Receives in a row that found the socket readable yet got nothing (EAGAIN). */
  #emptyReads = 0;
  /** A zeromq send is in progress: zeromq allows one at a time. */
  #sending = false;
  /** Sends in a row that found the socket writable yet were refused (EAGAIN). */
  #refusedSends = 0;
  /** Callers of `nextSignal()`, resolved when the descriptor next fires. */
  #signalWaiters: (() => void)[] = [];
  /** Waiters are served after the event loop's next turn (see `_event_loop_turns.ts`). */
  #turnPending = false;
  #binds = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  /**
   * Creates a socket; it does nothing until `bind()` or `connect()`.
   *
   * @param kind The socket pattern, one of {@linkcode SOCKET_KINDS}.
   * @param options Socket options; see {@linkcode ZmqSocketOptions}.
   * @throws {TypeError} If `kind` is not a {@linkcode SocketKind} or an
   * option has the wrong type or an incomplete CURVE setup.
   * @throws {RangeError} If a numeric option is out of range or a CURVE key
   * is not 40 characters.
   * @throws {TransportUnsupportedError} On Windows, on a runtime without
   * `Deno.dlopen`, or for CURVE options when libzmq lacks CURVE.
   * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
   */
  constructor(kind: SocketKind, options: ZmqSocketOptions = {}) {
    if (!Object.hasOwn(CONSTRUCTORS, kind)) {
      throw new TypeError(
        `Cannot create ZmqSocket: kind ${JSON.stringify(kind)} is not valid; valid choices are ${
          SOCKET_KINDS.map((k) => `"${k}"`).join(", ")
        }`,
      );
    }
    validateOptions(options);
    this.#reactor = sharedReactor();
    // Received frames are freed on this thread: keep their memory mapped.
    tuneMalloc();
    this.kind = kind;
    this.#raw = new CONSTRUCTORS[kind]();
    this.#io = this.#raw as unknown as RawSocket;
    try {
      applyOptions(this.#io, options);
      // zeromq's send()/receive() first look at the socket's state (a
      // zmq_getsockopt(ZMQ_EVENTS), which may cost a syscall) unless their
      // timeout is 0. This class calls them only once it has seen the socket
      // ready, so with 0 they skip that second look, never wait on zeromq's
      // own poller, and never defer a ready operation by an event-loop turn.
      this.#io.setInt32Option(ZMQ_SNDTIMEO, 0);
      this.#io.setInt32Option(ZMQ_RCVTIMEO, 0);
    } catch (error) {
      this.#raw.close();
      throw error;
    }
    const fd = this.#io.getInt32Option(ZMQ_FD);
    this.#entry = {
      fd,
      onReady: (invalid) => {
        if (invalid) {
          this.#failAll(
            "EBADF",
            "ZeroMQ's file descriptor was closed underneath (was raw.close() called?)",
          );
        } else {
          this.#wakeSignalWaiters();
          this.#service();
        }
      },
      onError: (error) => this.#failAll(undefined, `waiting failed: ${error.message}`, error),
    };
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * The endpoint last bound or connected, with a wildcard port resolved
   * (`"tcp://127.0.0.1:*"` becomes `"tcp://127.0.0.1:41234"`); `null` if none.
   */
  get lastEndpoint(): string | null {
    if (this.closed) return null;
    return this.#raw.lastEndpoint;
  }

  /**
   * Milliseconds undelivered messages are kept after `close()` (ZMQ_LINGER;
   * see {@linkcode ZmqSocketOptions.linger}). Set it to 0 before closing a
   * socket whose unsent messages must not go out late.
   */
  get linger(): number {
    return this.#io.getInt32Option(ZMQ_LINGER);
  }

  set linger(ms: number) {
    checkInteger("linger", ms, -1);
    this.#io.setInt32Option(ZMQ_LINGER, ms);
  }

  /**
   * Whether ZeroMQ has a message ready to receive. Reading it consumes
   * ZeroMQ's edge-triggered wake-up: look only while no `receive()` or
   * `send()` of this socket is pending.
   */
  get readable(): boolean {
    return this.#io.readable;
  }

  /**
   * Whether ZeroMQ would take a message now (a relaxed `req` with no
   * connection left, its handshake refused, is not). Reading it consumes
   * ZeroMQ's edge-triggered wake-up: look only while no `receive()` or
   * `send()` of this socket is pending.
   */
  get writable(): boolean {
    return this.#io.writable;
  }

  /**
   * Binds the socket to a local endpoint so peers can connect to it.
   *
   * @param endpoint For example `"tcp://127.0.0.1:5566"`, or
   * `"tcp://127.0.0.1:*"` for a free port (read it from `lastEndpoint`).
   * @param options `signal` to stop waiting; ZeroMQ cannot cancel a bind, so
   * on abort the endpoint is unbound once the bind is done.
   * @returns Resolves once bound.
   * @throws {TransportEndpointError} If the address is in use or invalid
   * (`code` tells, for example `"EADDRINUSE"`).
   * @throws {TransportClosedError} If the socket is closed.
   */
  async bind(
    endpoint: string,
    options: ZmqOperationOptions = {},
  ): Promise<void> {
    const { signal } = options;
    signal?.throwIfAborted();
    if (this.closed) throw new TransportClosedError("bind");
    const binding = this.#raw.bind(endpoint);
    this.#binds.add(binding);
    try {
      await binding;
    } catch (error) {
      throw endpointError("bind", endpoint, error);
    } finally {
      this.#binds.delete(binding);
    }
    if (signal?.aborted) {
      const bound = this.#raw.lastEndpoint;
      if (bound !== null && !this.closed) {
        try {
          this.#raw.unbindSync(bound);
        } catch {
          // Best effort: the caller asked to stop, and closing will release it.
        }
      }
      throw signal.reason;
    }
  }

  /**
   * Starts connecting to a remote endpoint; ZeroMQ connects (and reconnects)
   * in the background, so this returns at once.
   *
   * @param endpoint For example `"tcp://127.0.0.1:5566"`.
   * @throws {TransportEndpointError} If the endpoint is malformed or its
   * protocol unsupported.
   * @throws {TransportClosedError} If the socket is closed.
   */
  connect(endpoint: string): void {
    if (this.closed) throw new TransportClosedError("connect");
    try {
      this.#raw.connect(endpoint);
    } catch (error) {
      throw endpointError("connect", endpoint, error);
    }
  }

  /**
   * Stops connecting to (or disconnects from) an endpoint given to `connect()`.
   *
   * @param endpoint The endpoint exactly as given to `connect()`.
   * @throws {TransportEndpointError} If it was not connected (`"ENOENT"`).
   * @throws {TransportClosedError} If the socket is closed.
   */
  disconnect(endpoint: string): void {
    if (this.closed) throw new TransportClosedError("disconnect");
    try {
      this.#raw.disconnect(endpoint);
    } catch (error) {
      throw endpointError("disconnect", endpoint, error);
    }
  }

  /**
   * Stops listening on an endpoint given to `bind()`, at once (closing
   * releases it too, but later, on ZeroMQ's own thread).
   *
   * @param endpoint The endpoint as bound, or as `lastEndpoint` reports it.
   * @returns Resolves once unbound.
   * @throws {TransportEndpointError} If it was not bound (`"ENOENT"`).
   * @throws {TransportClosedError} If the socket is closed.
   */
  async unbind(endpoint: string): Promise<void> {
    if (this.closed) throw new TransportClosedError("unbind");
    try {
      await this.#raw.unbind(endpoint);
    } catch (error) {
      throw endpointError("unbind", endpoint, error);
    }
  }

  /**
   * Receives messages starting with any of the prefixes (`sub` sockets only;
   * a new `sub` receives nothing until it subscribes).
   *
   * @param prefixes Prefixes of the first message part; none means all
   * messages.
   * @throws {TypeError} If the socket is not a `sub`.
   * @throws {TransportClosedError} If the socket is closed.
   */
  subscribe(...prefixes: Uint8Array[] | string[]): void {
    if (this.kind !== "sub") {
      throw new TypeError(
        `Cannot subscribe: the socket is a "${this.kind}"; only "sub" sockets subscribe`,
      );
    }
    if (this.closed) throw new TransportClosedError("subscribe");
    if (prefixes.length === 0) {
      this.#io.setStringOption(ZMQ_SUBSCRIBE, null);
      return;
    }
    for (const prefix of prefixes) {
      this.#io.setStringOption(ZMQ_SUBSCRIBE, prefix);
    }
  }

  /**
   * Receives the next message, waiting until one arrives. A socket that
   * reports a message and then has none to give (a REP discarding a request
   * that lacks the empty delimiter) is not an error: it keeps waiting.
   *
   * @param options `signal` to stop waiting.
   * @returns The message parts, zero-copy views of ZeroMQ's memory.
   * @throws {TransportClosedError} If the socket is closed, before or while
   * waiting.
   * @throws {TypeError} If the socket kind cannot receive (`pub`, `push`).
   * @throws {TransportOperationError} If ZeroMQ fails to receive.
   * @throws The `signal`'s reason if it is aborted, before or while waiting.
   */
  receive(options: ZmqOperationOptions = {}): Promise<Uint8Array[]> {
    const { signal } = options;
    if (this.closed) return Promise.reject(new TransportClosedError("receive"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const notReceiving = this.#cannotReceive();
    if (notReceiving) return Promise.reject(notReceiving);
    const looks = this.#receivers.length === 0 && !this.#receiving && !this.#turnPending;
    let ready = false;
    try {
      ready = looks && this.#io.readable;
    } catch (error) {
      return Promise.reject(this.#ioError("receive", error));
    }
    // The hot path: a message is waiting, zeromq hands it over at once.
    if (ready && mayContinue()) return this.#rawReceive(signal);
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array[]>();
    this.#enqueue(this.#receivers, {
      resolve,
      reject,
      signal,
      onAbort: undefined,
    });
    // No second look at a state just found not ready (nothing touched the
    // socket since): register with the reactor straight away.
    this.#service(looks && !ready ? "receive" : undefined);
    return promise;
  }

  /**
   * Receives the next message only if one is waiting right now: for a socket
   * read now and then (such as XPUB's subscription events) rather than by a
   * loop, since a pending `receive()` keeps the socket's descriptor polled.
   *
   * @returns The message, as `receive()` would give it, or `undefined` if
   * none is waiting, another receive is pending, or the socket is closed.
   * @throws {TypeError} If the socket kind cannot receive (`pub`, `push`).
   * @throws {TransportOperationError} If ZeroMQ fails to tell its state.
   * @example Nothing waiting
   * ```ts
   * import assert from "node:assert/strict";
   * import { ZmqSocket } from "./zmq_socket.ts";
   * await using pull = new ZmqSocket("pull");
   * await pull.bind("tcp://127.0.0.1:*");
   * assert.equal(pull.receiveReady(), undefined);
   * ```
   */
  receiveReady(): Promise<Uint8Array[]> | undefined {
    const notReceiving = this.#cannotReceive();
    if (notReceiving) throw notReceiving;
    if (this.closed) return undefined;
    let ready: boolean;
    try {
      ready = this.#messageWaitsForNewCaller();
    } catch (error) {
      throw this.#ioError("receive", error);
    }
    // No second wait here: the caller asked for a message waiting now.
    return ready ? this.#rawReceive(undefined, false) : undefined;
  }

  /** The error for receiving on a kind that only sends. */
  #cannotReceive(): TypeError | undefined {
    if (!SEND_ONLY.includes(this.kind)) return undefined;
    return new TypeError(
      `Cannot receive: a "${this.kind}" socket only sends; kinds that receive are ${
        SOCKET_KINDS.filter((k) => !SEND_ONLY.includes(k)).map((k) => `"${k}"`).join(", ")
      }`,
    );
  }

  /**
   * Whether a new receive may take a message at once: one is waiting and no
   * earlier receive is ahead of it. Throws what zeromq throws.
   */
  #messageWaitsForNewCaller(): boolean {
    return this.#receivers.length === 0 && !this.#receiving && !this.#turnPending &&
      this.#io.readable;
  }

  /**
   * Waits until ZeroMQ next signals this socket (it has work to tell: a peer
   * took queued messages, a message or a subscription arrived, a connection
   * changed) or `timeoutMs` passes, whichever comes first. For a socket
   * whose readiness ZeroMQ does not report: XPUB with ZMQ_XPUB_NODROP always
   * says it is writable, yet refuses with EAGAIN while its queue is full;
   * retrying once the peer has taken messages beats sleeping a fixed time.
   *
   * @param timeoutMs The longest wait, in ms: a signal may have been taken
   * by an earlier call on the socket, so never rely on one coming.
   * @returns Resolves after the signal, the timeout, or `close()` (at once
   * if ZeroMQ cannot tell the socket's state: the next call reports why).
   * @example Times out when nothing happens
   * ```ts
   * import assert from "node:assert/strict";
   * import { ZmqSocket } from "./zmq_socket.ts";
   * await using pull = new ZmqSocket("pull");
   * await pull.bind("tcp://127.0.0.1:*");
   * const started = performance.now();
   * await pull.nextSignal(5);
   * assert.ok(performance.now() - started < 1000);
   * ```
   */
  nextSignal(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    try {
      // ZeroMQ's signal is edge-triggered and armed only by a look at the
      // socket's state that finds it not ready: look first.
      void this.#io.readable;
    } catch {
      // The caller's next send or receive meets and reports the failure.
      return Promise.resolve();
    }
    const { promise, resolve } = Promise.withResolvers<void>();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      const at = this.#signalWaiters.indexOf(done);
      if (at >= 0) this.#signalWaiters.splice(at, 1);
      void this.#syncWatch().then(resolve);
    }, timeoutMs);
    this.#signalWaiters.push(done);
    void this.#syncWatch();
    return promise;
  }

  #wakeSignalWaiters(): void {
    if (this.#signalWaiters.length === 0) return;
    for (const done of this.#signalWaiters.splice(0)) done();
  }

  /**
   * Queues a message for sending, waiting while the socket cannot take it
   * (high water mark reached, no peer for `push`/`dealer`, a `req` awaiting
   * its reply). See the class documentation on buffer ownership.
   *
   * @param message One part, or the parts of a multipart message.
   * @param options `signal` to stop waiting.
   * @returns Resolves once ZeroMQ has queued the message (not yet sent).
   * @throws {TransportClosedError} If the socket is closed, before or while
   * waiting.
   * @throws {TypeError} If the socket kind cannot send (`sub`, `pull`) or a
   * part is not a `Uint8Array`.
   * @throws {TransportOperationError} If ZeroMQ refuses the message (`pub`
   * and `xpub`: `"EAGAIN"` when a subscriber's queue is full under
   * ZMQ_XPUB_NODROP; other kinds wait instead, as when their connection
   * went between the look and the send).
   * @throws The `signal`'s reason if it is aborted, before or while waiting.
   */
  send(
    message: Uint8Array | Uint8Array[],
    options: ZmqOperationOptions = {},
  ): Promise<void> {
    const { signal } = options;
    if (this.closed) return Promise.reject(new TransportClosedError("send"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (RECEIVE_ONLY.includes(this.kind)) {
      return Promise.reject(
        new TypeError(
          `Cannot send: a "${this.kind}" socket only receives; kinds that send are ${
            SOCKET_KINDS.filter((k) => !RECEIVE_ONLY.includes(k)).map((k) => `"${k}"`).join(", ")
          }`,
        ),
      );
    }
    const invalid = invalidPart(message);
    if (invalid !== undefined) return Promise.reject(new TypeError(invalid));
    const looks = this.#senders.length === 0 && !this.#sending && !this.#turnPending;
    let writable = false;
    if (looks) {
      try {
        writable = this.#io.writable;
      } catch (error) {
        return Promise.reject(this.#ioError("send", error));
      }
      if (writable && mayContinue()) return this.#rawSend(message, signal);
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#enqueue(this.#senders, {
      resolve,
      reject,
      signal,
      onAbort: undefined,
      message,
    });
    this.#service(looks && !writable ? "send" : undefined);
    return promise;
  }

  /**
   * Iterates over received messages until the socket is closed.
   *
   * @returns An iterator whose `next()` receives; it ends when the socket
   * closes and throws other receive errors. Ending the loop early does not
   * close the socket.
   *
   * @example Read until closed
   * ```ts
   * import assert from "node:assert/strict";
   * import { ZmqSocket } from "./zmq_socket.ts";
   * const pull = new ZmqSocket("pull");
   * await pull.bind("tcp://127.0.0.1:*");
   * setTimeout(() => pull.close(), 10);
   * let count = 0;
   * for await (const _parts of pull) count++;
   * assert.ok(count === 0);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array[], void> {
    while (true) {
      try {
        yield await this.receive();
      } catch (error) {
        if (error instanceof TransportClosedError) return;
        throw error;
      }
    }
  }

  /**
   * Closes the socket: pending `receive()`/`send()` calls reject with
   * {@linkcode TransportClosedError}, then ZeroMQ's socket is closed
   * (undelivered messages are dropped, or kept for `linger` ms). Safe to call
   * more than once.
   *
   * @returns Resolves once the socket is closed and no poll holds it.
   */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  /**
   * Closes the socket, for `await using`.
   *
   * @returns Resolves once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    const receivers = this.#receivers.splice(0);
    const senders = this.#senders.splice(0);
    for (const waiter of [...receivers, ...senders]) detach(waiter);
    this.#wakeSignalWaiters();
    // The descriptor must leave every pending poll before zeromq closes it.
    await this.#reactor.remove(this.#entry, true);
    // zeromq forbids using a socket while it binds.
    await Promise.allSettled(this.#binds);
    this.#raw.close();
    for (const waiter of receivers) {
      waiter.reject(new TransportClosedError("receive"));
    }
    for (const waiter of senders) {
      waiter.reject(new TransportClosedError("send"));
    }
  }

  #enqueue<W extends Waiter<never>>(queue: W[], waiter: W, first = false): void {
    const signal = waiter.signal;
    if (signal !== undefined) {
      waiter.onAbort = () => {
        const at = queue.indexOf(waiter);
        if (at < 0) return;
        queue.splice(at, 1);
        // Reject only once the poll no longer runs for us, so nothing is
        // left pending when the caller moves on.
        void this.#syncWatch().then(() => waiter.reject(signal.reason));
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    }
    if (first) queue.unshift(waiter);
    else queue.push(waiter);
  }

  /**
   * Hands the socket to the oldest waiter of each direction if it is ready,
   * then registers with the reactor if someone still waits. Called whenever
   * the ZMQ_FD may have fired or been consumed: every zeromq call that
   * touches the socket consumes the edge, and only a fresh check of
   * `readable`/`writable` tells the state.
   */
  #service(notReady?: "receive" | "send"): void {
    if (this.closed || this.#turnPending) return;
    if (!mayContinue()) {
      // Busy for a while on settled promises alone: let timers and other
      // sockets have the event loop first.
      this.#turnPending = true;
      afterTurn(() => {
        this.#turnPending = false;
        this.#service();
      });
      return;
    }
    try {
      if (
        notReady !== "receive" && this.#receivers.length > 0 && !this.#receiving &&
        this.#io.readable
      ) {
        const waiter = this.#receivers.shift()!;
        detach(waiter);
        waiter.resolve(this.#rawReceive(waiter.signal));
      }
      if (
        notReady !== "send" && this.#senders.length > 0 && !this.#sending && this.#io.writable
      ) {
        const waiter = this.#senders.shift()!;
        detach(waiter);
        waiter.resolve(this.#rawSend(waiter.message, waiter.signal));
      }
    } catch (error) {
      this.#failAll(undefined, errorText(error), error);
      return;
    }
    void this.#syncWatch(true);
  }

  /**
   * Registers with the reactor while someone waits. Otherwise, after serving
   * (`park`), the entry stays polled for a moment: a receive loop usually
   * waits again right away, and a descriptor the pending poll already holds
   * needs no wake-up.
   */
  #syncWatch(park = false): Promise<void> {
    const waiting = (this.#receivers.length > 0 && !this.#receiving) ||
      (this.#senders.length > 0 && !this.#sending) || this.#signalWaiters.length > 0;
    if (waiting && !this.closed) {
      this.#reactor.add(this.#entry);
      return Promise.resolve();
    }
    if (park && !this.closed) {
      this.#reactor.park(this.#entry);
      return Promise.resolve();
    }
    return this.#reactor.remove(this.#entry);
  }

  /**
   * Takes the waiting message from zeromq. `signal` is the caller's: when
   * zeromq finds nothing after all (EAGAIN), the caller waits again with it
   * (`retry`), at the head of the queue since it was served first.
   */
  #rawReceive(signal: AbortSignal | undefined, retry = true): Promise<Uint8Array[]> {
    let pending: Promise<Uint8Array[]>;
    try {
      pending = this.#io.receive();
    } catch (error) {
      if (retry && errorCode(error) === "EAGAIN") return this.#receiveAgain(signal);
      return Promise.reject(this.#ioError("receive", error));
    }
    // zeromq allows one receive at a time (a second would fail with EBUSY)
    // and settles it a microtask later.
    this.#receiving = true;
    return pending.then((parts) => {
      this.#receiving = false;
      this.#emptyReads = 0;
      // Every part is zeromq memory V8 counts as external: see the module.
      for (const part of parts) noteReceived(part.byteLength);
      if (this.#receivers.length > 0 || this.#senders.length > 0) {
        this.#service();
      }
      return parts;
    }, (error) => {
      this.#receiving = false;
      if (retry && errorCode(error) === "EAGAIN") return this.#receiveAgain(signal);
      this.#service();
      throw this.#ioError("receive", error);
    });
  }

  /**
   * The socket said it was readable, yet zeromq had nothing to hand over.
   * That is normal, not a failure: a REP (or ROUTER-based) socket reports a
   * message as soon as its first part is in, then silently discards it when
   * it lacks the empty delimiter a REQ peer always sends (a DEALER's bare
   * `send(b"hello")`, or hand-written ZMTP bytes, do exactly that). Failing
   * here would let any peer that can reach the port break every receive
   * loop on it with 5 bytes. So the caller waits again, first in line.
   */
  #receiveAgain(signal: AbortSignal | undefined): Promise<Uint8Array[]> {
    if (this.closed) return Promise.reject(new TransportClosedError("receive"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array[]>();
    this.#enqueue(this.#receivers, { resolve, reject, signal, onAbort: undefined }, true);
    // Each empty read discarded one message, so this normally ends with the
    // peer's burst. Should zeromq ever keep saying "readable" with nothing
    // to read, stop believing it and wait for its descriptor to fire again
    // rather than spin.
    this.#emptyReads++;
    this.#service(this.#emptyReads > MAX_EMPTY_READS ? "receive" : undefined);
    return promise;
  }

  #rawSend(message: Uint8Array | Uint8Array[], signal: AbortSignal | undefined): Promise<void> {
    let pending: Promise<void>;
    try {
      pending = this.#io.send(message);
    } catch (error) {
      if (this.#waitsOnRefusal(error)) return this.#sendAgain(message, signal);
      return Promise.reject(this.#ioError("send", error));
    }
    this.#sending = true;
    return pending.then(() => {
      this.#sending = false;
      this.#refusedSends = 0;
      if (this.#receivers.length > 0 || this.#senders.length > 0) {
        this.#service();
      }
    }, (error) => {
      this.#sending = false;
      if (this.#waitsOnRefusal(error)) return this.#sendAgain(message, signal);
      this.#service();
      throw this.#ioError("send", error);
    });
  }

  /** Whether a send zeromq refused with `error` waits (see {@linkcode SENDS_REFUSED_WHEN_FULL}). */
  #waitsOnRefusal(error: unknown): boolean {
    return errorCode(error) === "EAGAIN" && !SENDS_REFUSED_WHEN_FULL.includes(this.kind);
  }

  /**
   * The socket said it was writable, yet zeromq would not take the message
   * (EAGAIN): its connection went between the look and the send, as when a
   * REQ's CURVE handshake is refused. Not a failure: the caller waits, first
   * in line and with its own signal, until the socket is writable again (a
   * look or two at once, then its descriptor).
   */
  #sendAgain(message: Uint8Array | Uint8Array[], signal: AbortSignal | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new TransportClosedError("send"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#enqueue(this.#senders, { resolve, reject, signal, onAbort: undefined, message }, true);
    this.#refusedSends++;
    this.#service(this.#refusedSends > MAX_REFUSED_SENDS ? "send" : undefined);
    return promise;
  }

  #failAll(code: string | undefined, reason: string, cause?: unknown): void {
    const receivers = this.#receivers.splice(0);
    const senders = this.#senders.splice(0);
    this.#wakeSignalWaiters();
    void this.#reactor.remove(this.#entry);
    for (const waiter of receivers) {
      detach(waiter);
      waiter.reject(
        new TransportOperationError("receive", code, reason, { cause }),
      );
    }
    for (const waiter of senders) {
      detach(waiter);
      waiter.reject(new TransportOperationError("send", code, reason, { cause }));
    }
  }

  #ioError(operation: "send" | "receive", error: unknown): Error {
    if (this.closed) return new TransportClosedError(operation, { cause: error });
    return new TransportOperationError(
      operation,
      errorCode(error),
      errorText(error),
      { cause: error },
    );
  }
}

function detach(waiter: Waiter<unknown>): void {
  if (waiter.onAbort !== undefined) {
    waiter.signal?.removeEventListener("abort", waiter.onAbort);
    waiter.onAbort = undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function endpointError(
  operation: "bind" | "connect" | "disconnect" | "unbind",
  endpoint: string,
  error: unknown,
): TransportEndpointError {
  return new TransportEndpointError(
    operation,
    endpoint,
    errorCode(error),
    errorText(error),
    { cause: error },
  );
}

function invalidPart(message: unknown): string | undefined {
  const parts = Array.isArray(message) ? message : [message];
  for (let i = 0; i < parts.length; i++) {
    // zeromq would send any other value as its string form.
    if (!(parts[i] instanceof Uint8Array)) {
      return `Cannot send: message part ${i} is ${
        parts[i] === null ? "null" : typeof parts[i]
      }; every part must be a Uint8Array`;
    }
  }
  return undefined;
}

function checkInteger(name: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot create ZmqSocket: option "${name}" must be a number, got ${typeof value}`,
    );
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create ZmqSocket: option "${name}" must be an integer >= ${min}, got ${value}`,
    );
  }
}

function checkType(name: string, value: unknown, type: string): void {
  if (value !== undefined && typeof value !== type) {
    throw new TypeError(
      `Cannot create ZmqSocket: option "${name}" must be a ${type}, got ${typeof value}`,
    );
  }
}

function validateOptions(options: ZmqSocketOptions): void {
  checkInteger("sendHighWaterMark", options.sendHighWaterMark, 0);
  checkInteger("receiveHighWaterMark", options.receiveHighWaterMark, 0);
  checkInteger("maxMessageSize", options.maxMessageSize, -1);
  checkInteger("linger", options.linger, -1);
  if (options.sendHighWaterMark !== undefined && options.sendHighWaterMark > 0x7fffffff) {
    throw new RangeError(
      `Cannot create ZmqSocket: option "sendHighWaterMark" must be at most 2147483647, got ${options.sendHighWaterMark}`,
    );
  }
  if (options.receiveHighWaterMark !== undefined && options.receiveHighWaterMark > 0x7fffffff) {
    throw new RangeError(
      `Cannot create ZmqSocket: option "receiveHighWaterMark" must be at most 2147483647, got ${options.receiveHighWaterMark}`,
    );
  }
  if (options.linger !== undefined && options.linger > 0x7fffffff) {
    throw new RangeError(
      `Cannot create ZmqSocket: option "linger" must be at most 2147483647, got ${options.linger}`,
    );
  }
  checkType("immediate", options.immediate, "boolean");
  checkType("curveServer", options.curveServer, "boolean");
  checkType("zapDomain", options.zapDomain, "string");
  checkType("zapEnforceDomain", options.zapEnforceDomain, "boolean");
  checkType("requestRelaxed", options.requestRelaxed, "boolean");
  checkType("requestCorrelate", options.requestCorrelate, "boolean");
  checkType("noDrop", options.noDrop, "boolean");
  const keys = ["curveSecretKey", "curvePublicKey", "curveServerKey"] as const;
  for (const name of keys) {
    const key = options[name];
    checkType(name, key, "string");
    if (key !== undefined && key.length !== 40) {
      throw new RangeError(
        `Cannot create ZmqSocket: option "${name}" must be a 40-character Z85 key, got ${key.length} characters`,
      );
    }
  }
  const usesCurve = options.curveServer === true ||
    keys.some((name) => options[name] !== undefined);
  if (!usesCurve) return;
  if (!zmq.capability.curve) {
    throw new TransportUnsupportedError(
      `libzmq ${zmq.version}`,
      "Cannot create ZmqSocket with CURVE options: this libzmq was built without CURVE",
    );
  }
  if (options.curveServer === true) {
    if (options.curveSecretKey === undefined) {
      throw new TypeError(
        'Cannot create ZmqSocket: option "curveServer" is true but "curveSecretKey" is missing; a CURVE server needs its secret key',
      );
    }
    if (options.curveServerKey !== undefined) {
      throw new TypeError(
        'Cannot create ZmqSocket: options "curveServer" and "curveServerKey" exclude each other; a server needs no server key',
      );
    }
    return;
  }
  const missing = keys.filter((name) => options[name] === undefined);
  if (missing.length > 0) {
    throw new TypeError(
      `Cannot create ZmqSocket: a CURVE client needs "curveServerKey", "curvePublicKey" and "curveSecretKey"; missing ${
        missing.map((name) => `"${name}"`).join(", ")
      } (or set "curveServer": true for a server)`,
    );
  }
}

function applyOptions(raw: RawSocket, options: ZmqSocketOptions): void {
  raw.setInt32Option(ZMQ_LINGER, options.linger ?? 0);
  raw.setInt64Option(
    ZMQ_MAXMSGSIZE,
    options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
  );
  if (options.sendHighWaterMark !== undefined) {
    raw.setInt32Option(ZMQ_SNDHWM, options.sendHighWaterMark);
  }
  if (options.receiveHighWaterMark !== undefined) {
    raw.setInt32Option(ZMQ_RCVHWM, options.receiveHighWaterMark);
  }
  if (options.immediate !== undefined) {
    raw.setBoolOption(ZMQ_IMMEDIATE, options.immediate);
  }
  if (options.zapDomain !== undefined) {
    raw.setStringOption(ZMQ_ZAP_DOMAIN, options.zapDomain);
  }
  if (options.zapEnforceDomain !== undefined) {
    raw.setBoolOption(ZMQ_ZAP_ENFORCE_DOMAIN, options.zapEnforceDomain);
  }
  if (options.requestRelaxed !== undefined) {
    raw.setBoolOption(ZMQ_REQ_RELAXED, options.requestRelaxed);
  }
  if (options.requestCorrelate !== undefined) {
    raw.setBoolOption(ZMQ_REQ_CORRELATE, options.requestCorrelate);
  }
  if (options.noDrop !== undefined) raw.setBoolOption(ZMQ_XPUB_NODROP, options.noDrop);
  if (options.curveServer === true) {
    raw.setBoolOption(ZMQ_CURVE_SERVER, true);
    raw.setStringOption(ZMQ_CURVE_SECRETKEY, options.curveSecretKey!);
    if (options.curvePublicKey !== undefined) {
      raw.setStringOption(ZMQ_CURVE_PUBLICKEY, options.curvePublicKey);
    }
  } else if (options.curveServerKey !== undefined) {
    raw.setStringOption(ZMQ_CURVE_SERVERKEY, options.curveServerKey);
    raw.setStringOption(ZMQ_CURVE_PUBLICKEY, options.curvePublicKey!);
    raw.setStringOption(ZMQ_CURVE_SECRETKEY, options.curveSecretKey!);
  }
}
