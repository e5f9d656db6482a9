/**
 * What can go wrong with NetGear, as classes a caller can tell apart: a
 * wrong option ({@linkcode ConfigurationError}), a socket that cannot open
 * ({@linkcode OpenError}), a send that failed ({@linkcode SendError}), a
 * viewer that cannot listen ({@linkcode ViewerError}).
 *
 * @module
 */

/**
 * A NetGear option is wrong: its name, value and what would be valid are in
 * the message and in the fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigurationError } from "./errors.ts";
 * import { NetGear } from "./netgear.ts";
 * await assert.rejects(
 *   NetGear.open({ multiserverMode: true, pattern: 0, receiveMode: true, port: [5566] }),
 *   (error) => error instanceof ConfigurationError && error.option === "pattern",
 * );
 * ```
 */
export class ConfigurationError extends TypeError {
  /** The option at fault. */
  readonly option: string;
  /** The value that was given. */
  readonly value: unknown;
  /**
   * Builds the error.
   *
   * @param option The option at fault.
   * @param value The value that was given.
   * @param message What is wrong and what would be valid.
   */
  constructor(option: string, value: unknown, message: string) {
    super(message);
    this.name = "ConfigurationError";
    this.option = option;
    this.value = value;
  }
}

/**
 * A send failed: the client did not answer in time (REQ/REP, after every
 * retry), refused the frame or the server's handshake, took no frame
 * (PUB/SUB), or the server is closed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SendError } from "./errors.ts";
 * const error = new SendError(5566, "no-reply", "Cannot send to the client on port 5566: no reply");
 * assert.ok(error.code === "no-reply" && error.port === 5566 && error.name === "SendError");
 * ```
 */
export class SendError extends Error {
  /**
   * Why: `"no-reply"` (REQ/REP: no answer after every retry), `"refused"`
   * (the client refused this server's security handshake: see the message
   * for which secure mode and what to check), `"no-subscriber"` or
   * `"queue-full"` (PUB/SUB, see `whenNoSubscriber`), `"closed"`,
   * `"timeout"`, `"invalid"` (the envelope could not be encoded, such as a
   * frame whose buffer was detached after `send()` was called), or the
   * client's `ProtocolError` code.
   */
  readonly code: string;
  /** The server's port. */
  readonly port: number;
  /**
   * Builds the error.
   *
   * @param port The server's port.
   * @param code Why.
   * @param message What happened and what to do.
   */
  constructor(port: number, code: string, message: string) {
    super(message);
    this.name = "SendError";
    this.code = code;
    this.port = port;
  }
}

/**
 * The transport could not open: a port in use, a bad address…
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OpenError } from "./errors.ts";
 * const error = new OpenError("Cannot open NetGear on tcp://127.0.0.1:5566: in use");
 * assert.equal(error.name, "OpenError");
 * ```
 */
export class OpenError extends Error {
  /**
   * Builds the error.
   *
   * @param message What failed.
   * @param options The original error as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OpenError";
  }
}

/**
 * The viewer could not start: a port in use, an address not available, no
 * network permission for it…
 *
 * @example A port in use
 * ```ts
 * import assert from "node:assert/strict";
 * import { ViewerError } from "./errors.ts";
 * const error = new ViewerError("127.0.0.1", 8080, "Cannot start the viewer on 127.0.0.1:8080: in use");
 * assert.ok(error instanceof ViewerError && error.port === 8080);
 * ```
 */
export class ViewerError extends Error {
  /** The address it tried to listen on. */
  readonly hostname: string;
  /** The port it tried to listen on. */
  readonly port: number;
  /**
   * Builds the error.
   *
   * @param hostname The address it tried to listen on.
   * @param port The port it tried to listen on.
   * @param message What failed and what to do.
   * @param options The original error as `cause`.
   */
  constructor(hostname: string, port: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ViewerError";
    this.hostname = hostname;
    this.port = port;
  }
}
