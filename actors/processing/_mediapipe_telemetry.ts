/**
 * Switches off MediaPipe Tasks' usage telemetry on a task.
 *
 * `@mediapipe/tasks-vision` 1.1.0 gives every task a logger that POSTs usage
 * events to https://odml.pa.googleapis.com/v1/log every 60 s and on
 * `close()` (measured). In Deno that means a network-permission prompt (or
 * denial), a pending fetch after `close()`, and an interval that keeps the
 * process alive. The logger is private and minified, so this relies on its
 * 1.1.0 shape (the import map pins that version) and checks it before touching it.
 *
 * @module
 */

interface TelemetryLogger {
  /** The interval that flushes every 60 s. */
  h: number | undefined;
  /** Queued events. */
  i: unknown[];
  /** Once set, the logger neither queues nor sends. */
  error?: Error;
  flush(): void;
  close(): void;
}

function isLogger(value: unknown): value is TelemetryLogger {
  const logger = value as Partial<TelemetryLogger> | null;
  return typeof logger === "object" && logger !== null &&
    typeof logger.flush === "function" && typeof logger.close === "function" &&
    Array.isArray(logger.i) && "h" in logger;
}

/**
 * Stops a task's telemetry: clears its interval and drops queued events, and
 * sets the logger's error flag so it neither queues nor sends again.
 *
 * @param task A MediaPipe task right after creation.
 * @returns Whether the logger was found (false means an unknown MediaPipe version).
 */
export function disableTelemetry(task: object): boolean {
  const usage = (task as { o?: { m?: unknown } }).o;
  const logger = usage?.m;
  if (!isLogger(logger)) return false;
  clearInterval(logger.h);
  logger.h = undefined;
  logger.i.length = 0;
  logger.error = new Error("MediaPipe telemetry disabled by ActorGear");
  return true;
}
