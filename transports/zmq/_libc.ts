/**
 * The few libc calls the reactor needs (poll, a wake-up descriptor, errno),
 * bound once per process through `Deno.dlopen`.
 *
 * The library is never closed: `dlopen` + `dlclose` of libc costs about
 * 0.35 ms, too much to pay on every idle/busy transition, and an open
 * library does not keep the process alive.
 *
 * @module
 */

import { TransportUnsupportedError } from "../errors.ts";

/** `struct pollfd` is `{ int fd; short events; short revents; }` on Linux and macOS. */
export const POLLFD_SIZE = 8;
/** Readable; ZeroMQ signals every state change of a socket as readable on its ZMQ_FD. */
export const POLLIN = 0x1;
/** The descriptor is not open: it was closed behind our back. */
export const POLLNVAL = 0x20;

/** The libc calls the reactor makes. */
export interface Libc {
  /** `poll(2)` on a worker thread; resolves with its return value. */
  poll(fds: Uint8Array, count: number, timeoutMs: number): Promise<number>;
  /** The descriptor to include in every poll, readable after {@linkcode wake}. */
  readonly wakeFd: number;
  /** Makes {@linkcode wakeFd} readable, ending a pending poll that includes it. */
  wake(): void;
  /** Consumes the wake-up so {@linkcode wakeFd} stops being readable. */
  drain(): void;
}

let bound: Libc | undefined;

/**
 * Returns the process-wide libc binding, opening it on first use.
 *
 * @returns The binding.
 * @throws {TransportUnsupportedError} On a runtime without `Deno.dlopen` or an
 * operating system other than Linux and macOS.
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
 */
export function libc(): Libc {
  return bound ??= open();
}

function open(): Libc {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno?.dlopen === undefined) {
    throw new TransportUnsupportedError(
      "non-deno",
      "Cannot create a ZeroMQ socket: this transport needs Deno's FFI (Deno.dlopen); run it with Deno 2 on Linux or macOS",
    );
  }
  switch (deno.build.os) {
    case "linux":
      return openLinux();
    case "darwin":
      return openDarwin();
    default:
      throw new TransportUnsupportedError(
        deno.build.os,
        `Cannot create a ZeroMQ socket: operating system "${deno.build.os}" is not supported; valid choices are "linux" and "darwin" (it needs poll(2) on ZeroMQ's file descriptor)`,
      );
  }
}

function openLinux(): Libc {
  const lib = Deno.dlopen(
    "libc.so.6",
    {
      poll: {
        parameters: ["buffer", "u64", "i32"],
        result: "i32",
        nonblocking: true,
      },
      eventfd: { parameters: ["u32", "i32"], result: "i32" },
      read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      __errno_location: { parameters: [], result: "pointer" },
    } as const,
  );
  const EFD_NONBLOCK = 0o4000;
  const EFD_CLOEXEC = 0o2000000;
  const wakeFd = lib.symbols.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  const errno = (): number => {
    const at = lib.symbols.__errno_location();
    return at === null ? 0 : new Deno.UnsafePointerView(at).getInt32();
  };
  if (wakeFd < 0) {
    throw new Error(
      `Cannot create the reactor's wake-up eventfd: eventfd() failed with errno ${errno()}`,
    );
  }
  // An eventfd counter is 8 bytes; writing 1 makes it readable, reading resets it.
  const one = new Uint8Array(new BigUint64Array([1n]).buffer);
  const sink = new Uint8Array(8);
  return {
    poll: (fds, count, timeoutMs) => lib.symbols.poll(fds, BigInt(count), timeoutMs),
    wakeFd,
    wake: () => void lib.symbols.write(wakeFd, one, 8n),
    drain: () => void lib.symbols.read(wakeFd, sink, 8n),
  };
}

function openDarwin(): Libc {
  const lib = Deno.dlopen(
    "libSystem.dylib",
    {
      // nfds_t is unsigned int on macOS.
      poll: {
        parameters: ["buffer", "u32", "i32"],
        result: "i32",
        nonblocking: true,
      },
      pipe: { parameters: ["buffer"], result: "i32" },
      read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      __error: { parameters: [], result: "pointer" },
    } as const,
  );
  const errno = (): number => {
    const at = lib.symbols.__error();
    return at === null ? 0 : new Deno.UnsafePointerView(at).getInt32();
  };
  // No eventfd on macOS: a pipe does the same job. It stays blocking because
  // fcntl is variadic (not callable through FFI on Apple arm64); that is safe
  // since we read only after poll reported it readable and write at most one
  // byte per poll round, far below the pipe's capacity.
  const ends = new Int32Array(2);
  if (lib.symbols.pipe(new Uint8Array(ends.buffer)) !== 0) {
    throw new Error(
      `Cannot create the reactor's wake-up pipe: pipe() failed with errno ${errno()}`,
    );
  }
  const [readEnd, writeEnd] = ends;
  const one = new Uint8Array([1]);
  const sink = new Uint8Array(64);
  return {
    poll: (fds, count, timeoutMs) => lib.symbols.poll(fds, count, timeoutMs),
    wakeFd: readEnd,
    wake: () => void lib.symbols.write(writeEnd, one, 1n),
    drain: () => void lib.symbols.read(readEnd, sink, 64n),
  };
}
