/**
 * A ZeroMQ authentication (ZAP, RFC 27) handler that admits only known CURVE
 * public keys: the "ironhouse" half of NetGear's secure mode.
 *
 * How ZeroMQ asks: a CURVE server socket whose handshake reaches the
 * INITIATE step sends a request to `inproc://zeromq.zap.01` in its own
 * ZeroMQ context, and waits for the answer before the peer may exchange any
 * message. {@linkcode ZmqSocket}s all live in npm:zeromq's global context, so
 * one ROUTER bound there (also a `ZmqSocket`, waiting event-driven like every
 * other) answers for the whole process.
 *
 * Because that endpoint is process-wide, handlers share it: each
 * {@linkcode ZapHandler} owns a ZAP domain, and a socket chooses its handler
 * with its `zapDomain` option. Requests are answered as follows:
 * - a registered domain: `200` if the mechanism is CURVE and the key is
 *   authorised, else `400`;
 * - the empty domain (a socket that asked for no authentication, such as a
 *   stonehouse CURVE server): `200`, as if no handler were running;
 * - any other domain: `400`, so a socket whose handler has gone fails closed.
 *
 * Close the sockets that rely on a handler before the handler; the
 * `zapEnforceDomain` option on them also refuses peers while no handler is
 * bound at all.
 *
 * @module
 */

import { encodeZ85, isCurveKey } from "./curve_keys.ts";
import { TransportClosedError } from "../errors.ts";
import { ZmqSocket } from "../zmq/zmq_socket.ts";

/** Where libzmq sends ZAP requests (RFC 27). */
export const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

/** Distinct peers whose refusal is logged; later ones are only counted. */
const MAX_LOGGED_REFUSALS = 1000;

/** One ZAP request answered by a {@linkcode ZapHandler}. */
export interface ZapDecision {
  /** Whether the peer was admitted (`200`) or refused (`400`). */
  readonly admitted: boolean;
  /** The socket's ZAP domain. */
  readonly domain: string;
  /** The peer's IP address, as ZeroMQ reports it. */
  readonly address: string;
  /** The security mechanism: `"CURVE"`, or `"NULL"`/`"PLAIN"` (always refused). */
  readonly mechanism: string;
  /** The peer's CURVE public key (40 Z85 characters), if it presented one. */
  readonly publicKey: string | undefined;
  /** Why, in words (the ZAP status text). */
  readonly reason: string;
}

/** Options of {@linkcode ZapHandler.start}. */
export interface ZapHandlerOptions {
  /**
   * The ZAP domain this handler answers for; set the same string as the
   * guarded sockets' `zapDomain`. Must be non-empty and not used by another
   * open handler.
   *
   * @default {undefined} a new unique domain, read it from `handler.domain`
   */
  domain?: string;
  /**
   * Where refusals are logged: once per peer address and key, so a peer
   * that keeps retrying does not flood the log (every refusal is counted).
   *
   * @default {console.warn}
   */
  log?: (message: string) => void;
  /**
   * Told every decision, admitted or refused, after it was counted.
   *
   * @default {undefined}
   */
  onDecision?: (decision: ZapDecision) => void;
  /**
   * Stops starting; the handler is not left registered.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** The state of one handler, which the shared ROUTER consults by domain. */
class Policy {
  readonly domain: string;
  readonly keys: ReadonlySet<string>;
  readonly log: (message: string) => void;
  readonly onDecision: ((decision: ZapDecision) => void) | undefined;
  admitted = 0;
  refused = 0;
  readonly #logged = new Set<string>();

  constructor(domain: string, keys: ReadonlySet<string>, options: ZapHandlerOptions) {
    this.domain = domain;
    this.keys = keys;
    this.log = options.log ?? ((message) => console.warn(message));
    this.onDecision = options.onDecision;
  }

  judge(mechanism: string, address: string, credentials: Uint8Array[]): ZapDecision {
    let publicKey: string | undefined;
    let reason: string;
    if (mechanism !== "CURVE") {
      reason = `mechanism ${mechanism} is not allowed; only CURVE is`;
    } else if (credentials.length !== 1 || credentials[0].byteLength !== 32) {
      reason = "malformed CURVE credentials";
    } else {
      publicKey = encodeZ85(credentials[0]);
      reason = this.keys.has(publicKey) ? "OK" : "public key not authorised";
    }
    const admitted = reason === "OK";
    if (admitted) {
      this.admitted++;
    } else {
      this.refused++;
      this.#logRefusal(address, mechanism, publicKey, reason);
    }
    return { admitted, domain: this.domain, address, mechanism, publicKey, reason };
  }

  #logRefusal(
    address: string,
    mechanism: string,
    publicKey: string | undefined,
    reason: string,
  ): void {
    const peer = `${address} ${mechanism} ${publicKey ?? ""}`;
    if (this.#logged.has(peer) || this.#logged.size > MAX_LOGGED_REFUSALS) return;
    this.#logged.add(peer);
    const who = publicKey === undefined
      ? `${mechanism} peer at ${address || "an unknown address"}`
      : `CURVE peer at ${address || "an unknown address"} with public key "${publicKey}"`;
    this.log(
      this.#logged.size > MAX_LOGGED_REFUSALS
        ? `[zap] refused ${who} in domain "${this.domain}": ${reason}; too many refused peers, further ones are counted, not logged`
        : `[zap] refused ${who} in domain "${this.domain}": ${reason}; its further refusals are counted, not logged`,
    );
  }
}

interface Router {
  readonly socket: ZmqSocket;
  readonly stop: AbortController;
  readonly serving: Promise<void>;
}

const policies = new Map<string, Policy>();
let router: Router | undefined;
/** Serialises binding and unbinding the shared endpoint. */
let transition: Promise<void> = Promise.resolve();
/** Unknown domains already warned about; bounded like refused peers. */
const unknownDomains = new Set<string>();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const VERSION = encoder.encode("1.0");
const EMPTY = new Uint8Array(0);

function serialised<T>(step: () => Promise<T>): Promise<T> {
  const next = transition.then(step);
  transition = next.then(() => {}, () => {});
  return next;
}

async function openRouter(): Promise<Router> {
  const socket = new ZmqSocket("router");
  try {
    await socket.bind(ZAP_ENDPOINT);
  } catch (error) {
    await socket.close();
    throw error;
  }
  const stop = new AbortController();
  return { socket, stop, serving: serve(socket, stop.signal) };
}

async function closeRouter(closing: Router): Promise<void> {
  closing.stop.abort();
  await closing.serving;
  // Unbinding releases the inproc name at once; close() alone releases it
  // later, on ZeroMQ's reaper thread, and a handler started meanwhile would
  // find it still taken.
  try {
    await closing.socket.unbind(ZAP_ENDPOINT);
  } catch {
    // Closing releases it in the end.
  }
  await closing.socket.close();
}

async function serve(socket: ZmqSocket, signal: AbortSignal): Promise<void> {
  for (;;) {
    let parts: Uint8Array[];
    try {
      parts = await socket.receive({ signal });
    } catch (error) {
      if (signal.aborted || error instanceof TransportClosedError) return;
      console.error(`[zap] Cannot receive ZAP requests: ${String(error)}; handler stopped`);
      return;
    }
    const reply = answer(parts);
    if (reply === undefined) continue;
    try {
      // A ROUTER never blocks a send: it drops it if the asker is gone.
      await socket.send(reply);
    } catch (error) {
      if (error instanceof TransportClosedError) return;
      console.error(`[zap] Cannot send a ZAP reply: ${String(error)}`);
    }
  }
}

/**
 * Builds the reply to one request.
 * Request: routing id, empty delimiter, version, request id, domain, address,
 * identity, mechanism, credentials... Reply: routing id, empty delimiter,
 * version, request id, status code, status text, user id, metadata.
 */
function answer(parts: Uint8Array[]): Uint8Array[] | undefined {
  // Without a routing id, delimiter and request id there is no one to answer.
  if (parts.length < 4 || parts[1].byteLength !== 0) return undefined;
  const [routingId, delimiter, version, requestId] = parts;
  const reply = (status: "200" | "400" | "500", text: string, userId = ""): Uint8Array[] => [
    routingId,
    delimiter,
    VERSION,
    requestId,
    encoder.encode(status),
    encoder.encode(text),
    encoder.encode(userId),
    EMPTY,
  ];
  if (decoder.decode(version) !== "1.0") return reply("400", "unsupported ZAP version");
  if (parts.length < 8) return reply("500", "malformed ZAP request");
  const domain = decoder.decode(parts[4]);
  const address = decoder.decode(parts[5]);
  const mechanism = decoder.decode(parts[7]);
  if (domain === "") return reply("200", "no authentication requested");
  const policy = policies.get(domain);
  if (policy === undefined) {
    if (!unknownDomains.has(domain) && unknownDomains.size < MAX_LOGGED_REFUSALS) {
      unknownDomains.add(domain);
      console.warn(
        `[zap] refused ${mechanism} peer at ${address}: no ZAP handler for domain "${domain}" (closed already?)`,
      );
    }
    return reply("400", `no ZAP handler for domain "${domain}"`);
  }
  const decision = policy.judge(mechanism, address, parts.slice(8));
  try {
    policy.onDecision?.(decision);
  } catch (error) {
    console.error(`[zap] onDecision failed: ${String(error)}`);
  }
  return decision.admitted ? reply("200", "OK", decision.publicKey) : reply("400", decision.reason);
}

/**
 * Admits CURVE peers whose public key it holds, for one ZAP domain; refuses
 * the rest (RFC 27 status `400`), logging each refused peer once with its
 * address and counting every refusal.
 *
 * @example An ironhouse REP that admits one known key
 * ```ts
 * import assert from "node:assert/strict";
 * import { curveKeyPair } from "zeromq";
 * import { ZapHandler } from "./zap_handler.ts";
 * import { ZmqSocket } from "../zmq/zmq_socket.ts";
 * const server = curveKeyPair();
 * const known = curveKeyPair();
 * await using zap = await ZapHandler.start([known.publicKey]);
 * await using rep = new ZmqSocket("rep", {
 *   curveServer: true, curveSecretKey: server.secretKey, zapDomain: zap.domain,
 * });
 * await rep.bind("tcp://127.0.0.1:*");
 * await using req = new ZmqSocket("req", {
 *   curveServerKey: server.publicKey, curvePublicKey: known.publicKey, curveSecretKey: known.secretKey,
 * });
 * req.connect(rep.lastEndpoint!);
 * await req.send(new Uint8Array([1]));
 * await rep.receive({ signal: AbortSignal.timeout(5000) });
 * assert.equal(zap.admitted, 1);
 * ```
 */
export class ZapHandler implements AsyncDisposable {
  /** The ZAP domain it answers for: the guarded sockets' `zapDomain`. */
  readonly domain: string;
  #policy: Policy;
  #closing: Promise<void> | undefined;

  private constructor(policy: Policy) {
    this.#policy = policy;
    this.domain = policy.domain;
  }

  /**
   * Starts answering ZAP requests for a domain, binding
   * {@linkcode ZAP_ENDPOINT} if no other handler of this process has.
   *
   * While any handler is open a ROUTER waits on the endpoint, which keeps the
   * process alive (like an open listener): close every handler.
   *
   * @param authorizedKeys The public keys (40 Z85 characters) to admit.
   * @param options `domain`, `log`, `onDecision` and `signal`.
   * @returns The running handler.
   * @throws {RangeError} If a key is not 40 Z85 characters.
   * @throws {TypeError} If `domain` is empty or already has an open handler.
   * @throws {TransportEndpointError} If something else in this process has
   * bound {@linkcode ZAP_ENDPOINT} (`code` `"EADDRINUSE"`).
   * @throws The `signal`'s reason if it is aborted.
   */
  static async start(
    authorizedKeys: Iterable<string>,
    options: ZapHandlerOptions = {},
  ): Promise<ZapHandler> {
    const { signal } = options;
    signal?.throwIfAborted();
    const keys = new Set<string>();
    let index = 0;
    for (const key of authorizedKeys) {
      if (!isCurveKey(key)) {
        throw new RangeError(
          `Cannot start ZapHandler: authorised key ${index} is not a CURVE public key (40 Z85 characters), got ${
            typeof key === "string" ? `${key.length} characters` : typeof key
          }`,
        );
      }
      keys.add(key);
      index++;
    }
    const domain = options.domain ?? `actorgear-${crypto.randomUUID()}`;
    if (typeof domain !== "string" || domain === "") {
      throw new TypeError(
        `Cannot start ZapHandler: option "domain" must be a non-empty string, got ${
          JSON.stringify(domain)
        }; the empty domain means "no authentication"`,
      );
    }
    const policy = new Policy(domain, keys, options);
    await serialised(async () => {
      if (policies.has(domain)) {
        throw new TypeError(
          `Cannot start ZapHandler: domain "${domain}" already has an open handler in this process; close it or choose another domain`,
        );
      }
      router ??= await openRouter();
      policies.set(domain, policy);
    });
    const handler = new ZapHandler(policy);
    if (signal?.aborted) {
      await handler.close();
      throw signal.reason;
    }
    return handler;
  }

  /** Peers admitted so far. */
  get admitted(): number {
    return this.#policy.admitted;
  }

  /** Requests refused so far (each attempt of a retrying peer counts). */
  get refused(): number {
    return this.#policy.refused;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Stops answering for this domain (later requests for it are refused);
   * the shared endpoint is unbound once the last handler closes. Safe to
   * call twice.
   *
   * @returns Resolves once done.
   */
  close(): Promise<void> {
    return this.#closing ??= serialised(async () => {
      if (policies.get(this.domain) === this.#policy) policies.delete(this.domain);
      if (policies.size === 0 && router !== undefined) {
        const closing = router;
        router = undefined;
        await closeRouter(closing);
      }
    });
  }

  /**
   * Same as {@linkcode ZapHandler.close}, for `await using`.
   *
   * @returns Resolves once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
