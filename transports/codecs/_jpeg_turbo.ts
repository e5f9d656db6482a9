/**
 * libjpeg-turbo's TurboJPEG API (the 2.x `tj*` calls, also exported by 3.x)
 * bound through `Deno.dlopen`, once per library path and process.
 *
 * TurboJPEG reports every libjpeg error through its own `setjmp`/`longjmp`
 * error manager and returns -1, so corrupt input never reaches libjpeg's
 * default `error_exit` (which would call `exit()` and take the process down).
 * The library is never closed: handles made from it may outlive any one codec.
 *
 * @module
 */

/** The symbols ActorGear calls; `ulong` is `unsigned long` (u64 except on Windows). */
function symbols(ulong: "u64" | "u32") {
  return {
    tjInitCompress: { parameters: [], result: "pointer" },
    tjInitDecompress: { parameters: [], result: "pointer" },
    tjDestroy: { parameters: ["pointer"], result: "i32" },
    tjBufSize: { parameters: ["i32", "i32", "i32"], result: ulong },
    // handle, src, width, pitch, height, pixelFormat, &jpegBuf, &jpegSize, subsamp, quality, flags
    tjCompress2: {
      parameters: [
        "pointer",
        "buffer",
        "i32",
        "i32",
        "i32",
        "i32",
        "buffer",
        "buffer",
        "i32",
        "i32",
        "i32",
      ],
      result: "i32",
    },
    // handle, jpegBuf, jpegSize, &width, &height, &subsamp, &colorspace
    tjDecompressHeader3: {
      parameters: ["pointer", "buffer", ulong, "buffer", "buffer", "buffer", "buffer"],
      result: "i32",
    },
    // handle, jpegBuf, jpegSize, dst, width, pitch, height, pixelFormat, flags
    tjDecompress2: {
      parameters: ["pointer", "buffer", ulong, "buffer", "i32", "i32", "i32", "i32", "i32"],
      result: "i32",
    },
    tjGetErrorStr2: { parameters: ["pointer"], result: "pointer" },
    tjGetErrorCode: { parameters: ["pointer"], result: "i32" },
  } as const;
}

/** The bound library. */
export type TurboLibrary = Deno.DynamicLibrary<ReturnType<typeof symbols>>["symbols"];

/** A loaded TurboJPEG library and how it was found. */
export interface Turbo {
  /** The bound calls. */
  readonly lib: TurboLibrary;
  /** The name or path that `dlopen` accepted. */
  readonly path: string;
  /** Bytes in `unsigned long`: the size of the `jpegSize` out-parameter. */
  readonly ulongBytes: 4 | 8;
}

// TurboJPEG's pixel formats (TJPF_*).
export const TJPF_RGB = 0;
export const TJPF_BGR = 1;
export const TJPF_RGBX = 2;
export const TJPF_BGRX = 3;
export const TJPF_XBGR = 4;
export const TJPF_XRGB = 5;
export const TJPF_GRAY = 6;
export const TJPF_RGBA = 7;
export const TJPF_BGRA = 8;
export const TJPF_ABGR = 9;
export const TJPF_ARGB = 10;
// Chroma subsampling (TJSAMP_*).
export const TJSAMP_444 = 0;
export const TJSAMP_422 = 1;
export const TJSAMP_420 = 2;
export const TJSAMP_GRAY = 3;
export const TJSAMP_440 = 4;
export const TJSAMP_411 = 5;
export const TJSAMP_441 = 6;
// JPEG colour spaces (TJCS_*).
export const TJCS_RGB = 0;
export const TJCS_YCBCR = 1;
export const TJCS_GRAY = 2;
export const TJCS_CMYK = 3;
export const TJCS_YCCK = 4;
// Flags (TJFLAG_*).
export const TJFLAG_FASTUPSAMPLE = 256;
export const TJFLAG_NOREALLOC = 1024;
export const TJFLAG_FASTDCT = 2048;
export const TJFLAG_ACCURATEDCT = 4096;
export const TJFLAG_STOPONWARNING = 8192;
/** `tjGetErrorCode`: the error was a warning (the image may still be usable). */
export const TJERR_WARNING = 0;

/** Names tried, in order, when no explicit path is given. */
export function defaultLibraryNames(os: typeof Deno.build.os): string[] {
  switch (os) {
    case "darwin":
      return [
        "libturbojpeg.0.dylib",
        "/opt/homebrew/opt/jpeg-turbo/lib/libturbojpeg.0.dylib",
        "/usr/local/opt/jpeg-turbo/lib/libturbojpeg.0.dylib",
      ];
    case "windows":
      return ["turbojpeg.dll"];
    default:
      return ["libturbojpeg.so.0", "libturbojpeg.so"];
  }
}

/** How to install libjpeg-turbo's TurboJPEG library on an operating system. */
export function installHint(os: typeof Deno.build.os): string {
  switch (os) {
    case "darwin":
      return "install it with `brew install jpeg-turbo`";
    case "windows":
      return "install libjpeg-turbo and put turbojpeg.dll on PATH";
    default:
      return "install it with `apt-get install -y libturbojpeg0` (Debian, Ubuntu) or " +
        "`dnf install turbojpeg` (Fedora)";
  }
}

const loaded = new Map<string, Turbo>();

/**
 * Opens TurboJPEG, trying `paths` in order; caches the result per first path.
 *
 * @returns The binding, or the errors `dlopen` gave for each path.
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
 */
export function openTurbo(paths: readonly string[]): Turbo | Error[] {
  const key = paths.join("\0");
  const cached = loaded.get(key);
  if (cached !== undefined) return cached;
  const ulong = Deno.build.os === "windows" ? "u32" : "u64";
  const failures: Error[] = [];
  for (const path of paths) {
    try {
      const lib = Deno.dlopen(path, symbols(ulong)).symbols;
      const turbo: Turbo = { lib, path, ulongBytes: ulong === "u64" ? 8 : 4 };
      loaded.set(key, turbo);
      return turbo;
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw error;
      failures.push(error instanceof Error ? error : new Error(String(error)));
    }
  }
  return failures;
}

/** TurboJPEG's last error message for a handle (or the global one for `null`). */
export function lastError(lib: TurboLibrary, handle: Deno.PointerValue): string {
  const text = lib.tjGetErrorStr2(handle);
  return text === null ? "unknown error" : Deno.UnsafePointerView.getCString(text);
}
