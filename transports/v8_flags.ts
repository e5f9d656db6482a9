/**
 * The V8 flags ActorGear's own commands run with, and why.
 *
 * A client receiving raw frames takes a ~900 KB buffer from zeromq per
 * 640x480 frame, which zeromq reports to V8 as external memory. With
 * incremental marking on (V8's default), every ~64 MB of such memory starts
 * a mark-compact: measured on a 2-core machine with four REQ/REP servers,
 * 150-230 of them in 5 s, leaving the client's main thread as little as half
 * its time. Without incremental marking the short-lived buffers are freed by
 * scavenges alone: +30-40% frames per second and p99 latency halved (see the
 * README's Performance section). Major collections, when they happen, are
 * then done in one pause (a few ms for a small heap).
 *
 * V8 reads its flags once, at start: pass them on the command line
 * (`deno run --v8-flags=...`, `deno compile --v8-flags=...`) or in the
 * `DENO_V8_FLAGS` environment variable; code cannot set them later.
 *
 * @module
 */

/**
 * V8 flags recommended for processes that receive frames (clients), as one
 * `--v8-flags` value; ActorGear's tasks, demo and benchmarks use them.
 *
 * @example Start a client process with them
 * ```ts
 * import { RECOMMENDED_V8_FLAGS } from "./v8_flags.ts";
 * const args = ["run", `--v8-flags=${RECOMMENDED_V8_FLAGS}`, "--allow-all", "client.ts"];
 * console.assert(args[1] === "--v8-flags=--no-incremental-marking");
 * ```
 */
export const RECOMMENDED_V8_FLAGS = "--no-incremental-marking";
