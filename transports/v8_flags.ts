/**
 * V8 flags that trade memory safety margins for throughput in a client that
 * takes each frame as it arrives, measured, with when not to use them.
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
 * But frames held longer than two scavenges (large frames queued in
 * PUB/SUB, slow processing stages) reach the old generation, which is then
 * collected only at hard limits: 1920x1080 PUB/SUB measured 340 → 134 fps
 * with the client's memory at 2 GB. So ActorGear's own commands keep V8's
 * defaults; pass these only to a client whose frames are taken promptly
 * (REQ/REP, or PUB/SUB at 640x480 and below), and measure.
 *
 * V8 reads its flags once, at start: `deno run --v8-flags=...`,
 * `deno compile --v8-flags=...` or the `DENO_V8_FLAGS` environment variable.
 *
 * @module
 */

/**
 * V8 flags for a client whose frames are taken as they arrive (see the
 * module notes for when they hurt), as one `--v8-flags` value.
 *
 * @example Start such a client process with them
 * ```ts
 * import { PROMPT_CONSUMER_V8_FLAGS } from "./v8_flags.ts";
 * const args = ["run", `--v8-flags=${PROMPT_CONSUMER_V8_FLAGS}`, "--allow-all", "client.ts"];
 * console.assert(args[1] === "--v8-flags=--no-incremental-marking");
 * ```
 */
export const PROMPT_CONSUMER_V8_FLAGS = "--no-incremental-marking";
