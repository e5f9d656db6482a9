/**
 * Error classes raised by ActorGear's transports, so callers can tell a
 * closed socket from a bad endpoint from an unsupported platform.
 *
 * @module
 */

/**
 * Base class of every transport error: catch it to handle any transport
 * failure at once.
 *
 * @example Catch any transport failure
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransportClosedError, TransportError } from "./errors.ts";
 * // Every transport failure is a TransportError: one catch handles them all.
 * assert.ok(new TransportClosedError("send") instanceof TransportError);
 * ```
 */
export class TransportError extends Error {
  /**
   * Makes a transport error.
   *
   * @param message What could not be done and why.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransportError";
  }
}

/** Operations a transport socket performs; named by errors. */
export type TransportOperation =
  | "bind"
  | "connect"
  | "disconnect"
  | "unbind"
  | "subscribe"
  | "send"
  | "receive";

/**
 * The socket was closed before or while the operation ran. Pending waits
 * reject with it when `close()` is called; an async iterator over the socket
 * ends instead of throwing it.
 *
 * @example Tell a closed socket from other failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransportClosedError } from "./errors.ts";
 * const error = new TransportClosedError("receive");
 * assert.ok(error.operation === "receive");
 * assert.ok(error.message === "Cannot receive: the socket is closed");
 * ```
 */
export class TransportClosedError extends TransportError {
  /** The operation that could not run. */
  readonly operation: TransportOperation;

  /**
   * Makes the error for an operation refused because the socket is closed.
   *
   * @param operation The operation that could not run.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(operation: TransportOperation, options?: ErrorOptions) {
    super(`Cannot ${operation}: the socket is closed`, options);
    this.name = "TransportClosedError";
    this.operation = operation;
  }
}

/**
 * Binding, connecting or disconnecting an endpoint failed: the address is in
 * use, malformed, of an unknown protocol, or was never connected.
 *
 * @example Report which endpoint failed and why
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransportEndpointError } from "./errors.ts";
 * const error = new TransportEndpointError("bind", "tcp://127.0.0.1:5566", "EADDRINUSE", "Address already in use");
 * assert.ok(error.endpoint === "tcp://127.0.0.1:5566");
 * assert.ok(error.code === "EADDRINUSE");
 * ```
 */
export class TransportEndpointError extends TransportError {
  /** What was being done to the endpoint. */
  readonly operation: "bind" | "connect" | "disconnect" | "unbind";
  /** The endpoint as given, for example `"tcp://127.0.0.1:5566"`. */
  readonly endpoint: string;
  /** The ZeroMQ error code, for example `"EADDRINUSE"`; `undefined` if none. */
  readonly code: string | undefined;

  /**
   * Makes an endpoint error.
   *
   * @param operation What was being done to the endpoint.
   * @param endpoint The endpoint as given.
   * @param code The ZeroMQ error code, if known.
   * @param reason Why it failed, in words.
   * @param options `cause`: the original ZeroMQ error.
   */
  constructor(
    operation: "bind" | "connect" | "disconnect" | "unbind",
    endpoint: string,
    code: string | undefined,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot ${operation} endpoint "${endpoint}": ${reason}${
        code === undefined ? "" : ` (${code})`
      }`,
      options,
    );
    this.name = "TransportEndpointError";
    this.operation = operation;
    this.endpoint = endpoint;
    this.code = code;
  }
}

/**
 * Sending or receiving failed for a reason other than the socket being
 * closed, for example a REQ socket asked to send twice (`EFSM`).
 *
 * @example Inspect a failed send
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransportOperationError } from "./errors.ts";
 * const error = new TransportOperationError("send", "EFSM", "Operation cannot be accomplished in current state");
 * assert.ok(error.code === "EFSM");
 * ```
 */
export class TransportOperationError extends TransportError {
  /** The operation that failed. */
  readonly operation: TransportOperation;
  /** The ZeroMQ error code, for example `"EFSM"`; `undefined` if none. */
  readonly code: string | undefined;

  /**
   * Makes an operation error.
   *
   * @param operation The operation that failed.
   * @param code The ZeroMQ error code, if known.
   * @param reason Why it failed, in words.
   * @param options `cause`: the original error.
   */
  constructor(
    operation: TransportOperation,
    code: string | undefined,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot ${operation}: ${reason}${code === undefined ? "" : ` (${code})`}`,
      options,
    );
    this.name = "TransportOperationError";
    this.operation = operation;
    this.code = code;
  }
}

/**
 * The transport cannot run here: the runtime or operating system lacks what
 * it needs (for example Windows, where waiting on ZeroMQ's file descriptor
 * through libc `poll(2)` is not possible).
 *
 * @example Explain an unsupported platform
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransportUnsupportedError } from "./errors.ts";
 * const error = new TransportUnsupportedError("windows", "Cannot create a ZeroMQ socket: Windows is not supported");
 * assert.ok(error.platform === "windows");
 * ```
 */
export class TransportUnsupportedError extends TransportError {
  /** The runtime or operating system found, for example `"windows"`. */
  readonly platform: string;

  /**
   * Makes an unsupported-platform error.
   *
   * @param platform The runtime or operating system found.
   * @param message What could not be done and why.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(platform: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransportUnsupportedError";
    this.platform = platform;
  }
}
