/**
 * Bounded waits for tests: every wait on a peer ends, with a message naming
 * what it waited for.
 *
 * @module
 */

/** Rejects if `promise` has not settled within `ms`, naming what it waited for. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Marks a promise run in the background as handled: if the test fails
 * first, its later rejection must not abort the whole file. Awaiting it
 * still throws.
 */
export function background<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}
