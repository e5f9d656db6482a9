/**
 * Keeps glibc's malloc from giving the memory of each received frame back
 * to the kernel, only to fault it in again for the next one.
 *
 * ZeroMQ allocates every received message in its I/O thread's malloc arena;
 * the JS thread frees it once the frame is used. With glibc's defaults
 * (a 128 KiB mmap threshold that adapts, and a trim threshold of twice it)
 * that arena was trimmed and regrown over and over: a client receiving
 * 640x480x3 frames from four REQ/REP servers took 33-118 minor page faults
 * per frame in some runs and none in others, and spent 743-792 µs of CPU
 * per frame in the bad runs against 325-397 with these settings (each run
 * 4 s; 0 faults in every tuned run). Fixed thresholds end the lottery:
 *
 * - `M_MMAP_THRESHOLD` 32 MiB (glibc's largest): blocks below it come from
 *   the arenas, so a frame's block is reused rather than mapped and
 *   unmapped per message;
 * - `M_TRIM_THRESHOLD` 64 MiB: an arena keeps up to this much free memory
 *   at its top instead of returning it at every free. The process's
 *   resident memory therefore stays near its peak (bounded by the queues).
 *
 * Applied once per process, when the first ZeroMQ socket is made, on Linux
 * with glibc. Left alone where the user tuned malloc already
 * (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`, `MALLOC_TOP_PAD_` or
 * a `glibc.malloc.` tunable in `GLIBC_TUNABLES`), and turned off with
 * `ACTORGEAR_MALLOC_TUNING=off`.
 *
 * @module
 */

/** The environment variable that turns the tuning off (`off`) or on (`on`, the default). */
export const MALLOC_TUNING_ENV = "ACTORGEAR_MALLOC_TUNING";
/** Blocks below this many bytes come from malloc's arenas, not from their own mapping. */
export const MMAP_THRESHOLD_BYTES: number = 32 * 1024 * 1024;
/** An arena keeps up to this many free bytes at its top rather than trim them. */
export const TRIM_THRESHOLD_BYTES: number = 64 * 1024 * 1024;

const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;
const USER_SETTINGS = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"];
const ON = ["", "on", "1", "true"];
const OFF = ["off", "0", "false"];

/**
 * What became of the tuning: `"applied"`; `"off"` by {@linkcode MALLOC_TUNING_ENV};
 * `"user-set"` (malloc tuned by the environment already); `"unsupported"`
 * (not Linux, or no glibc `mallopt`).
 */
export type MallocTuning = "applied" | "off" | "user-set" | "unsupported";

let outcome: MallocTuning | undefined;

/**
 * Tunes malloc once per process (see the module notes) and says how it went.
 *
 * @returns The outcome, the same on every later call.
 * @throws {TypeError} When {@linkcode MALLOC_TUNING_ENV} has a value other
 * than `on`, `off`, `1`, `0`, `true` or `false` (nothing is changed then, and
 * the next call checks again).
 */
export function tuneMalloc(): MallocTuning {
  return outcome ??= apply();
}

function apply(): MallocTuning {
  if (Deno.build.os !== "linux") return "unsupported";
  const wanted = env(MALLOC_TUNING_ENV)?.trim().toLowerCase() ?? "";
  if (OFF.includes(wanted)) return "off";
  if (!ON.includes(wanted)) {
    throw new TypeError(
      `Cannot create a ZeroMQ socket: environment variable ${MALLOC_TUNING_ENV} is ${
        JSON.stringify(env(MALLOC_TUNING_ENV))
      }; valid values are "on" (the default) and "off"`,
    );
  }
  if (USER_SETTINGS.some((name) => env(name) !== undefined)) return "user-set";
  if (env("GLIBC_TUNABLES")?.includes("glibc.malloc.")) return "user-set";
  let lib;
  try {
    lib = Deno.dlopen("libc.so.6", { mallopt: { parameters: ["i32", "i32"], result: "i32" } });
  } catch {
    // Not glibc (musl has no libc.so.6): its malloc is another story.
    return "unsupported";
  }
  try {
    // mallopt returns 1 on success; the mmap one first, since setting any
    // threshold freezes glibc's adaptive mmap threshold at its current value.
    const mapped = lib.symbols.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
    const trimmed = lib.symbols.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES);
    return mapped === 1 && trimmed === 1 ? "applied" : "unsupported";
  } finally {
    lib.close();
  }
}

/** An environment variable, or `undefined` where it is unset or not readable. */
function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
