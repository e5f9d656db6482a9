// Runs a capture pipeline (optional producers, then ffmpeg writing raw frames
// to stdout) and reads exact frames from it into the read-ahead queue in a
// background loop. Private to capture/.

import { CHANNELS_OF, type Frame, type PixelFormat } from "./frame.ts";
import { abortable } from "../actors/abort.ts";
import { BoundedQueue } from "../actors/bounded_queue.ts";
import { classifyFailure, type InputKind, spawnError } from "./_classify.ts";
import type { QueueSettings } from "./_validate.ts";
import { CaptureError } from "./errors.ts";

/** One program in the pipeline. */
export interface CommandSpec {
  /** Its name for messages, e.g. "ffmpeg". */
  tool: string;
  /** Path or command name to run. */
  path: string;
  args: string[];
  /** How to install it, for ToolNotFoundError. */
  installHint: string;
}

/** What the reader runs and what it expects on the last program's stdout. */
export interface ReaderSpec {
  /** Producers first; each one's stdout feeds the next one's stdin; the last writes raw frames. */
  commands: CommandSpec[];
  input: string;
  kind: InputKind;
  width: number;
  height: number;
  format: PixelFormat;
  queue: QueueSettings;
  /** Reuse the last delivered frame's buffer on the next read (frames valid until then). */
  reuseBuffers?: boolean;
}

const STDERR_LINES = 20;
const STDERR_LINE_CHARS = 400;

/** Keeps the last lines a process writes to stderr (and keeps the pipe drained). */
class StderrTail {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #partial = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
    this.done = this.#pump();
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      while (true) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        this.#add(decoder.decode(value, { stream: true }));
      }
    } catch {
      // A cancelled or broken pipe only ends the log.
    }
    this.#add(decoder.decode() + "\n");
  }

  #add(text: string): void {
    const parts = (this.#partial + text).split(/\r\n|\r|\n/);
    this.#partial = parts.pop()!.slice(-STDERR_LINE_CHARS);
    for (const line of parts) {
      const trimmed = line.trim();
      if (trimmed.length === 0) continue;
      this.lines.push(trimmed.slice(0, STDERR_LINE_CHARS));
      if (this.lines.length > STDERR_LINES) this.lines.shift();
    }
  }

  cancel(): Promise<void> {
    return this.#reader.cancel().catch(() => {});
  }
}

/**
 * Spawns the pipeline and pumps frames into a {@linkcode BoundedQueue}.
 *
 * Every frame's `data` is its own `ArrayBuffer`, read straight from the pipe
 * (a BYOB read into a frame-sized buffer, no copy), so consumers may keep
 * frames as long as they like. Buffers of frames the queue dropped are reused,
 * and with `reuseBuffers` so is the previous frame's buffer on each read
 * (fresh buffers cost page faults and zeroing on every frame).
 */
export class ProcessFrameReader {
  readonly queue: BoundedQueue<Frame>;
  #spec: ReaderSpec;
  #frameBytes: number;
  #channels: number;
  #children: Deno.ChildProcess[] = [];
  #tails: StderrTail[] = [];
  #pipes: Promise<void>[] = [];
  #pool: ArrayBuffer[] = [];
  #poolLimit: number;
  /** The buffer of the frame last handed out, reclaimed on the next read when reusing. */
  #lent: ArrayBuffer | undefined;
  #reader: ReadableStreamBYOBReader | undefined;
  #pump: Promise<void> | undefined;
  #first = Promise.withResolvers<void>();
  #closing = false;
  #closed: Promise<void> | undefined;
  #framesRead = 0;
  #pids: number[] = [];

  constructor(spec: ReaderSpec) {
    this.#spec = spec;
    this.#channels = CHANNELS_OF[spec.format];
    this.#frameBytes = spec.width * spec.height * this.#channels;
    this.queue = new BoundedQueue<Frame>(spec.queue);
    // Enough for a full queue, the frame being filled and the one the consumer holds.
    this.#poolLimit = spec.queue.capacity + 2;
    // Nobody may be waiting for the first frame when the pipeline fails.
    this.#first.promise.catch(() => {});
  }

  /** Frames read from the pipe so far. */
  get framesRead(): number {
    return this.#framesRead;
  }

  /** Process ids, producers first; kept after the processes end. */
  get pids(): readonly number[] {
    return this.#pids;
  }

  /**
   * Starts every program and the reader loop.
   *
   * @throws {ToolNotFoundError} When a program is not installed (the ones
   * already started are ended first).
   */
  async spawn(): Promise<void> {
    const commands = this.#spec.commands;
    for (let i = 0; i < commands.length; i++) {
      const { tool, path, args, installHint } = commands[i];
      let child: Deno.ChildProcess;
      try {
        child = new Deno.Command(path, {
          args,
          stdin: i === 0 ? "null" : "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
      } catch (error) {
        await this.close();
        throw spawnError(tool, path, installHint, error);
      }
      this.#children.push(child);
      this.#pids.push(child.pid);
      this.#tails.push(new StderrTail(child.stderr));
      if (i > 0) {
        const upstream = this.#children[i - 1].stdout;
        // A broken pipe shows up as a process exit, which is reported instead.
        this.#pipes.push(upstream.pipeTo(child.stdin).catch(() => {}));
      }
    }
    if (this.#closing) return;
    this.#pump = this.#run();
  }

  /** Resolves once the first frame is queued (or the input ended empty). */
  ready(signal?: AbortSignal): Promise<void> {
    return abortable(this.#first.promise, signal);
  }

  /** The next frame; null at the end. */
  next(signal?: AbortSignal): Promise<Frame | null> {
    if (!this.#spec.reuseBuffers) return this.queue.take(signal);
    if (this.#lent !== undefined) {
      this.#recycle(this.#lent);
      this.#lent = undefined;
    }
    return this.queue.take(signal).then((frame) => {
      this.#lent = frame?.data.buffer as ArrayBuffer | undefined;
      return frame;
    });
  }

  #recycle(buffer: ArrayBuffer): void {
    if (this.#pool.length < this.#poolLimit) this.#pool.push(buffer);
  }

  async #run(): Promise<void> {
    const size = this.#frameBytes;
    // The drop policies keep reading into a full queue; only backpressure waits.
    const backpressure = this.queue.overflow === "backpressure";
    const reader = this.#children.at(-1)!.stdout.getReader({ mode: "byob" });
    this.#reader = reader;
    let partial = 0;
    let readError: unknown = undefined;
    try {
      while (!this.#closing) {
        if (backpressure) {
          // Not reading is what makes ffmpeg block on its pipe.
          const room = this.queue.room();
          if (room !== undefined) {
            await room;
            if (this.#closing) break;
          }
        }
        let buffer = this.#pool.pop() ?? new ArrayBuffer(size);
        let offset = 0;
        while (offset < size) {
          const { value, done } = await reader.read(new Uint8Array(buffer, offset, size - offset));
          // Each read transfers the buffer; keep the live one.
          if (value !== undefined) buffer = value.buffer as ArrayBuffer;
          if (done) break;
          offset += value.byteLength;
        }
        if (offset < size) {
          partial = offset;
          break;
        }
        this.#framesRead++;
        const frame: Frame = {
          width: this.#spec.width,
          height: this.#spec.height,
          channels: this.#channels,
          data: new Uint8Array(buffer),
          format: this.#spec.format,
        };
        const spare = this.queue.push(frame);
        // A dropped frame (the oldest, or this one under drop-newest) was never
        // handed out, so its memory is free to reuse.
        if (spare !== undefined) this.#recycle(spare.data.buffer as ArrayBuffer);
        if (this.#framesRead === 1) this.#first.resolve();
      }
    } catch (error) {
      readError = error;
    }
    await reader.cancel().catch(() => {});
    const statuses = await Promise.all(this.#children.map((child) => child.status));
    if (this.#closing) {
      await Promise.all(this.#tails.map((tail) => tail.cancel()));
    }
    await Promise.all([...this.#tails.map((tail) => tail.done), ...this.#pipes]);
    if (this.#closing) {
      this.queue.finish();
      this.#first.resolve();
      return;
    }
    const failure = this.#failure(statuses, partial, readError);
    if (failure === undefined) this.queue.finish();
    else this.queue.fail(failure);
    if (failure !== undefined && this.#framesRead === 0) this.#first.reject(failure);
    else this.#first.resolve();
  }

  #failure(
    statuses: Deno.CommandStatus[],
    partial: number,
    readError: unknown,
  ): CaptureError | undefined {
    const { input, kind, commands } = this.#spec;
    const failed = statuses
      .map((status, index) => ({ status, index }))
      .filter(({ status }) => !status.success);
    // A producer killed by SIGPIPE is a victim of the consumer's death, not the cause.
    const culprit = failed.find(({ status }) => status.signal !== "SIGPIPE") ?? failed[0];
    const base = {
      kind,
      input,
      framesRead: this.#framesRead,
    };
    if (culprit !== undefined) {
      const { status, index } = culprit;
      return classifyFailure({
        ...base,
        tool: commands[index].tool,
        stderr: this.#tails[index].lines,
        exitCode: status.signal === null ? status.code : null,
        signal: status.signal,
      });
    }
    const last = statuses.length - 1;
    const common = {
      ...base,
      tool: commands[last].tool,
      stderr: this.#tails[last].lines,
      exitCode: statuses[last].code,
      signal: null,
    };
    if (partial > 0) {
      return classifyFailure({
        ...common,
        detail: `the output ended mid-frame (${partial} of ${this.#frameBytes} bytes)`,
      });
    }
    if (readError !== undefined) {
      return classifyFailure({
        ...common,
        detail: `reading its output failed (${String(readError)})`,
      });
    }
    return undefined;
  }

  /** Ends every process (SIGKILL), waits for them and the reader loop; safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    for (const child of this.#children) {
      try {
        child.kill("SIGKILL");
      } catch {
        // It has already exited.
      }
    }
    this.queue.clear();
    // Unblocks a pending read even if some grandchild still holds the pipe open.
    await this.#reader?.cancel().catch(() => {});
    if (this.#pump !== undefined) {
      await this.#pump;
      return;
    }
    // Spawning failed part-way: nothing reads these processes' pipes.
    await Promise.all(this.#children.map((child) => child.stdout.cancel().catch(() => {})));
    await Promise.all(this.#children.map((child) => child.status));
    await Promise.all(this.#tails.map((tail) => tail.cancel()));
    await Promise.all([...this.#tails.map((tail) => tail.done), ...this.#pipes]);
    this.#first.resolve();
  }
}
