/**
 * NetGear's timing options: every one in milliseconds, each with a floor
 * below which the value is far more likely vidgear's seconds (its
 * `request_timeout: 4` is 4 s) than a real setting, and the liveness pair
 * (`heartbeatInterval`, `livenessTimeout`) with what each defaults to when
 * only the other is given. Private to the folder.
 *
 * @module
 */

import { describeValue } from "../describe.ts";
import { ConfigurationError } from "./errors.ts";
import type { NetGearOptions, Pattern } from "./options.ts";

/** Said with every timing refusal: vidgear's timeouts are in seconds. */
export const SECONDS_HINT = "milliseconds (vidgear uses seconds: 4 s = 4000)";

/**
 * Each timing option's smallest and largest value, in ms. The floors are
 * where a value stops being plausible in ms: a request answered within
 * 50 ms is a loopback round trip with nothing to spare, while 1 to 49 are
 * typical vidgear timeouts in seconds.
 */
export const TIMING_LIMITS: Readonly<Record<string, { min: number; max: number }>> = Object
  .freeze({
    requestTimeout: { min: 50, max: 3_600_000 },
    heartbeatInterval: { min: 10, max: 3_600_000 },
    livenessTimeout: { min: 50, max: 86_400_000 },
    subscriberTimeout: { min: 50, max: 86_400_000 },
    connectTimeout: { min: 100, max: 86_400_000 },
  });

/** `heartbeatInterval` and `livenessTimeout` when neither is given. */
export const DEFAULT_HEARTBEAT_INTERVAL = 1000;
/** See {@linkcode DEFAULT_HEARTBEAT_INTERVAL}. */
export const DEFAULT_LIVENESS_TIMEOUT = 5000;

/**
 * Checks a timing option given in ms.
 *
 * @param option Its name, a key of {@linkcode TIMING_LIMITS}.
 * @param value What was given.
 * @param zero With `zero`, 0 is valid too and means what `zero` says.
 * @returns The value.
 * @throws {ConfigurationError} Unless an integer within the option's limits,
 * saying that it is in milliseconds where vidgear's are seconds.
 */
export function milliseconds(
  option: string,
  value: unknown,
  { zero }: { zero?: string } = {},
): number {
  const { min, max } = TIMING_LIMITS[option];
  if (zero !== undefined && value === 0) return 0;
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) {
    return value;
  }
  const range = `an integer from ${min} to ${max} ${SECONDS_HINT}`;
  throw new ConfigurationError(
    option,
    value,
    `Cannot open NetGear: option "${option}" is ${describeValue(value)}; expected ${
      zero === undefined ? range : `0 (${zero}) or ${range}`
    }`,
  );
}

/** The liveness pair, decided. */
export interface Liveness {
  /** How often an idle server sends a heartbeat (a server), or expects one (a client), in ms. */
  readonly heartbeatInterval: number;
  /** The client's floor of silence before a server is gone, in ms. */
  readonly livenessTimeout: number;
}

/**
 * Decides `heartbeatInterval` and `livenessTimeout`. On a PUB/SUB client
 * `subscriberTimeout` stands for `livenessTimeout` (vidgear's name for the
 * silence a subscriber waits out).
 *
 * - Both given: `livenessTimeout` must exceed twice `heartbeatInterval`.
 * - Only `livenessTimeout`: `heartbeatInterval` is a fifth of it, from 10 to
 *   1000 ms (never slower than the default).
 * - Only `heartbeatInterval`: `livenessTimeout` is five of them, at least
 *   5000 ms.
 * - Neither: 1000 and 5000 ms.
 *
 * @throws {ConfigurationError} For a value out of range or a pair that
 * would mark a live server gone between its heartbeats.
 */
export function resolveLiveness(
  options: NetGearOptions,
  receiveMode: boolean,
  pattern: Pattern | unknown,
): Liveness {
  const given = options.heartbeatInterval === undefined
    ? undefined
    : milliseconds("heartbeatInterval", options.heartbeatInterval);
  let timeoutOption = "livenessTimeout";
  let timeout = options.livenessTimeout === undefined
    ? undefined
    : milliseconds("livenessTimeout", options.livenessTimeout);
  if (receiveMode && options.subscriberTimeout !== undefined) {
    const subscriberTimeout = milliseconds("subscriberTimeout", options.subscriberTimeout);
    if (pattern === 2) {
      timeoutOption = "subscriberTimeout";
      timeout = subscriberTimeout;
    }
  }
  if (given !== undefined && timeout !== undefined) {
    if (timeout <= 2 * given) {
      throw new ConfigurationError(
        timeoutOption,
        timeout,
        `Cannot open NetGear: option "${timeoutOption}" is ${timeout}; expected more than twice heartbeatInterval (${given} ms), or a live server would be marked gone between heartbeats (give only ${timeoutOption} and heartbeatInterval follows from it)`,
      );
    }
    return { heartbeatInterval: given, livenessTimeout: timeout };
  }
  if (timeout !== undefined) {
    const derived = Math.floor(timeout / 5);
    return {
      heartbeatInterval: Math.min(DEFAULT_HEARTBEAT_INTERVAL, Math.max(10, derived)),
      livenessTimeout: timeout,
    };
  }
  if (given !== undefined) {
    return {
      heartbeatInterval: given,
      livenessTimeout: Math.max(DEFAULT_LIVENESS_TIMEOUT, 5 * given),
    };
  }
  return {
    heartbeatInterval: DEFAULT_HEARTBEAT_INTERVAL,
    livenessTimeout: DEFAULT_LIVENESS_TIMEOUT,
  };
}
