/**
 * V8 flags that make a frame-receiving client faster, measured, and what
 * makes them safe.
 *
 * A client receiving raw frames takes a buffer per frame from zeromq
 * (~900 KB at 640x480), which zeromq reports to V8 as external memory. With
 * incremental marking on (V8's default), every ~64 MB of it starts a
 * marking cycle whose steps run on the client's main thread: with four
 * REQ/REP servers at 640x480, 150-230 mark-compacts in 5 s, leaving the
 * main thread as little as half its time. Without incremental marking the
 * short-lived buffers go with scavenges alone: REQ/REP 4 servers +25-40%
 * frames per second, p99 latency halved (README, Performance).
 *
 * Frames held past two scavenges (large frames queued in PUB/SUB, slow
 * stages) then reach the old generation, collected only at V8's hard
 * limits: alone, the flag took a 1920x1080 PUB/SUB client from 340 to 134
 * fps at 2 GB. With `--expose-gc` too, the client collects itself whenever
 * V8's external memory passes 256 MB (`_external_memory.ts`): the same
 * client ran at 381-384 fps, 96% of Node.
 *
 * ActorGear's tasks, demo and compiled executable run with them; embedders
 * pass them too. The benchmarks measure a plain `deno run` unless given
 * `--v8-flags=` (`deno task bench --help`). V8 reads its flags once, at start:
 * `deno run --v8-flags=...`, `deno compile --v8-flags=...` or the
 * `DENO_V8_FLAGS` environment variable; code cannot set them later.
 *
 * @module
 */

/**
 * V8 flags for a frame-receiving client, as one `--v8-flags` value: no
 * incremental marking, and `gc` exposed so that the client can collect
 * frames that outlived the young generation.
 *
 * @example Start a client process with them
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLIENT_V8_FLAGS } from "./v8_flags.ts";
 * const args = ["run", `--v8-flags=${CLIENT_V8_FLAGS}`, "--allow-all", "client.ts"];
 * assert.ok(args[1] === "--v8-flags=--no-incremental-marking,--expose-gc");
 * ```
 */
export const CLIENT_V8_FLAGS = "--no-incremental-marking,--expose-gc";
