/**
 * Reads a model from a path or URL: local files directly, `http(s):` URLs
 * downloaded once into a cache directory; both optionally checked against a
 * SHA-256.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { ModelError } from "./errors.ts";

/** Where a model comes from and how to check it. */
export interface ModelSourceOptions {
  /**
   * Expected SHA-256 of the model file, 64 hex digits. When set, bytes that
   * differ are rejected with a `"checksum-mismatch"` {@linkcode ModelError}.
   *
   * @default {undefined} (not checked)
   */
  sha256?: string;
  /**
   * Directory where `http(s):` models are kept after their first download.
   *
   * @default {"$XDG_CACHE_HOME/actorgear/models, else ~/.cache/actorgear/models (%LOCALAPPDATA%\\actorgear\\models on Windows)"}
   */
  cacheDir?: string | URL;
  /**
   * Aborts reading or downloading the model.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Reads the model bytes.
 *
 * @param model A path (relative to the working directory) or a `file:`, `http:` or `https:` URL.
 * @param options Checksum, cache directory and signal.
 * @returns The model bytes.
 * @throws {ModelError} When the model is missing, cannot be downloaded or fails its checksum.
 * @throws {TypeError} When `model` or `sha256` is malformed.
 */
export async function readModel(
  model: string | URL,
  options: ModelSourceOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const { signal } = options;
  signal?.throwIfAborted();
  const shown = String(model);
  const expected = normaliseSha256(options.sha256);
  const url = toUrl(model);
  if (url === undefined || url.protocol === "file:") {
    return verify(await readLocal(url ?? shown, shown, signal), shown, expected);
  }
  const cached = await cachePath(url, options.cacheDir);
  const existing = await readIfExists(cached);
  signal?.throwIfAborted();
  if (
    existing !== undefined && (expected === undefined || await sha256Hex(existing) === expected)
  ) {
    return existing;
  }
  // A cached file failing the checksum is stale or torn: download it again.
  const bytes = await verify(await download(url, shown, signal), shown, expected);
  await writeAtomically(cached, bytes);
  return bytes;
}

function normaliseSha256(sha256: string | undefined): string | undefined {
  if (sha256 === undefined) return undefined;
  if (typeof sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(sha256)) {
    throw new TypeError(
      `Cannot check the model: sha256=${JSON.stringify(sha256)} is not 64 hex digits ` +
        "(for example the output of `sha256sum model.tflite`)",
    );
  }
  return sha256.toLowerCase();
}

function toUrl(model: string | URL): URL | undefined {
  if (model instanceof URL) return checkScheme(model);
  if (typeof model !== "string" || model === "") {
    throw new TypeError(
      `Cannot load the model: model=${JSON.stringify(model)} is not a path or URL ` +
        "(pass a path, or a file:, http: or https: URL)",
    );
  }
  // Two letters or more before ":" so a Windows drive ("C:\\models") stays a path.
  return /^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(model) ? checkScheme(new URL(model)) : undefined;
}

function checkScheme(url: URL): URL {
  if (url.protocol === "file:" || url.protocol === "http:" || url.protocol === "https:") return url;
  throw new TypeError(
    `Cannot load the model from ${url.href}: scheme "${url.protocol}" is not supported ` +
      "(use a path, or a file:, http: or https: URL)",
  );
}

async function readLocal(
  path: string | URL,
  shown: string,
  signal: AbortSignal | undefined,
): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await Deno.readFile(path, { signal });
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound || cause instanceof Deno.errors.IsADirectory) {
      throw new ModelError(
        "not-found",
        shown,
        `Cannot load the model: ${shown} is not a file (check model=, relative paths start ` +
          `at ${Deno.cwd()}; MediaPipe publishes face models at https://ai.google.dev/edge/mediapipe)`,
        { cause },
      );
    }
    throw cause;
  }
}

async function download(
  url: URL,
  shown: string,
  signal: AbortSignal | undefined,
): Promise<Uint8Array<ArrayBuffer>> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (cause) {
    if (signal?.aborted) throw signal.reason;
    throw new ModelError(
      "download-failed",
      shown,
      `Cannot download the model from ${url.href}: ${(cause as Error)?.message ?? cause} ` +
        "(check the network, or download it yourself and pass its path as model=)",
      { cause },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ModelError(
      "download-failed",
      shown,
      `Cannot download the model from ${url.href}: the server answered ` +
        `${response.status} ${response.statusText} (check the URL in model=)`,
      { status: response.status },
    );
  }
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (cause) {
    if (signal?.aborted) throw signal.reason;
    throw new ModelError(
      "download-failed",
      shown,
      `Cannot download the model from ${url.href}: the transfer broke off ` +
        `(${(cause as Error)?.message ?? cause}); try again`,
      { cause },
    );
  }
}

async function verify(
  bytes: Uint8Array<ArrayBuffer>,
  shown: string,
  expected: string | undefined,
): Promise<Uint8Array<ArrayBuffer>> {
  if (expected === undefined) return bytes;
  const actual = await sha256Hex(bytes);
  if (actual !== expected) {
    throw new ModelError(
      "checksum-mismatch",
      shown,
      `Cannot use the model ${shown}: its SHA-256 is ${actual}, not sha256=${expected} ` +
        "(the file is corrupt or a different version; fix the URL/path or the sha256 option)",
      { expectedSha256: expected, actualSha256: actual },
    );
  }
  return bytes;
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

async function cachePath(url: URL, cacheDir: string | URL | undefined): Promise<string> {
  const dir = cacheDir === undefined ? defaultCacheDir() : cacheDir;
  const base = dir instanceof URL ? fileURLToPath(dir) : dir;
  // The URL's hash keeps two models with the same file name apart.
  const key = (await sha256Hex(new TextEncoder().encode(url.href))).slice(0, 16);
  const name = url.pathname.split("/").pop()?.replace(/[^A-Za-z0-9._-]/g, "_") || "model";
  return `${base.replace(/[\\/]+$/, "")}/${key}-${name}`;
}

function defaultCacheDir(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/actorgear/models`;
  if (Deno.build.os === "windows") {
    const local = Deno.env.get("LOCALAPPDATA");
    if (local) return `${local}\\actorgear\\models`;
  }
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) {
    throw new TypeError(
      "Cannot choose a model cache directory: neither XDG_CACHE_HOME nor HOME is set " +
        "(pass the cacheDir option)",
    );
  }
  return `${home}/.cache/actorgear/models`;
}

async function readIfExists(path: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const dir = path.slice(0, Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")));
  await Deno.mkdir(dir, { recursive: true });
  // Rename is atomic: a reader never sees half a model, and two processes
  // downloading at once both end with a whole file.
  const temporary = `${path}.${crypto.randomUUID()}.part`;
  try {
    await Deno.writeFile(temporary, bytes);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}
