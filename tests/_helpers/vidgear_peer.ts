/**
 * Runs tests/interop/vidgear_peer.py, a peer speaking vidgear 0.3.5's own
 * NetGear wire format (multi-server mode), and rebuilds what it sends: its
 * frame pattern and the texts vidgear's client answers with.
 *
 * The peer prints one JSON object per line on stdout, each with a `kind`;
 * {@linkcode VidgearPeer.waitFor} waits for one as an event (the client's
 * `listening` line says it is bound, and on which ports).
 *
 * @module
 */

import { PYTHON, type PythonRequirement, pythonWith } from "./python.ts";

/** The peer script. */
export const VIDGEAR_PEER: string = new URL("../interop/vidgear_peer.py", import.meta.url).pathname;

/** What the peer needs: Debian's python3-zmq, python3-numpy and (for JPEG) python3-pil. */
export const VIDGEAR_PYTHON: PythonRequirement = pythonWith(
  ["zmq", "numpy", "PIL"],
  "vidgear peer tests",
);

/** The peer's exit statuses. */
export const PEER_EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  timeout: 3,
  protocol: 4,
  selfTest: 5,
} as const;

/** The keys of a vidgear multi-server frame header, as the peer sends them (in this order). */
export const VIDGEAR_FRAME_KEYS: readonly string[] = [
  "port",
  "terminate_flag",
  "compression",
  "message",
  "pattern",
  "dtype",
  "shape",
];

/** vidgear's client answer to a frame in REQ/REP: the device id is 8 characters A-Z0-9. */
export const VIDGEAR_ACK: RegExp = /^Data received on device: [A-Z0-9]{8} !$/;

/** vidgear's multi-server client answer to a terminate in REQ/REP. */
export const VIDGEAR_TERMINATE_ACK = "Termination signal successfully received at client!";

/** vidgear's JPEG `compression` object with its defaults (fastdct on, fastupsample off). */
export function vidgearCompression(
  colorspace: "BGR" | "RGB" | "GRAY" = "BGR",
): { dct: boolean; ups: boolean; colorspace: string } {
  return { dct: true, ups: false, colorspace };
}

/**
 * The peer's uint8 frame `index` from the server on `port`: value
 * (2x + 3y + 50c + 17·index + port) mod 256 at row y, column x, channel c,
 * rows of interleaved channels (numpy's C order). One channel is a 2-D
 * frame with the same bytes.
 */
export function vidgearFrame(
  height: number,
  width: number,
  channels: number,
  port: number,
  index: number,
): Uint8Array {
  const data = new Uint8Array(height * width * channels);
  let i = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        data[i++] = (2 * x + 3 * y + 50 * c + 17 * index + port) % 256;
      }
    }
  }
  return data;
}

/** Lowercase hex sha256, as the peer prints `sha256`. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>),
  );
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One line the peer printed. */
export type PeerLine = { readonly kind: string } & Record<string, unknown>;

/** How a peer run ended. */
export interface PeerRun {
  readonly code: number;
  readonly lines: readonly PeerLine[];
  readonly stderr: string;
}

/** One vidgear_peer.py process; disposing it kills it if it still runs. */
export class VidgearPeer implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  /** Every line printed so far, in order. */
  readonly lines: PeerLine[] = [];
  readonly #waiters = new Set<() => void>();
  #stdoutEnded = false;
  /** Settles when the process has exited and its output is read. */
  readonly done: Promise<PeerRun>;

  /**
   * Starts `vidgear_peer.py ...args`.
   *
   * @param args The mode and its flags, e.g. `["client", "--ports", "0"]`.
   */
  constructor(args: readonly string[]) {
    this.#child = new Deno.Command(PYTHON, {
      args: [VIDGEAR_PEER, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdout = this.#readLines(this.#child.stdout);
    const stderr = new Response(this.#child.stderr).text();
    this.done = Promise.all([this.#child.status, stdout, stderr]).then(([status, , text]) => ({
      code: status.code,
      lines: this.lines,
      stderr: text,
    }));
  }

  async #readLines(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        let newline;
        while ((newline = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line !== "") this.lines.push(JSON.parse(line));
        }
        for (const wake of this.#waiters) wake();
      }
    } finally {
      this.#stdoutEnded = true;
      for (const wake of this.#waiters) wake();
    }
  }

  /**
   * The first line of `kind` (the `nth`, from 0), as soon as the peer prints
   * it.
   *
   * @throws {Error} If the peer's output ends first (with its stderr), or
   * `signal` aborts first.
   */
  async waitFor(kind: string, signal: AbortSignal, nth = 0): Promise<PeerLine> {
    for (let turn = 0;; turn++) {
      const found = this.lines.filter((line) => line.kind === kind)[nth];
      if (found !== undefined) return found;
      if (this.#stdoutEnded) {
        const run = await this.done;
        throw new Error(
          `vidgear_peer.py exited (${run.code}) before printing ${kind} #${nth}; stderr: ${run.stderr}`,
        );
      }
      signal.throwIfAborted();
      // Each turn is one chunk of output (or the end of it): bounded by the output's size.
      if (turn > 100_000) throw new Error(`no ${kind} line after ${turn} chunks of output`);
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.#waiters.delete(wake);
          reject(signal.reason);
        };
        const wake = () => {
          this.#waiters.delete(wake);
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        this.#waiters.add(wake);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited: nothing to kill.
    }
    await this.done;
  }
}

/** The lines of `kind` in a finished run. */
export function linesOf(run: PeerRun, kind: string): PeerLine[] {
  return run.lines.filter((line) => line.kind === kind);
}
