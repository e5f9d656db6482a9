/** Milliseconds since the Unix epoch, monotonic within a process (unlike `Date.now`). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
