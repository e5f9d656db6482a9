/**
 * CURVE key pairs for NetGear's secure mode: generating them, storing them
 * as ZeroMQ certificate files, and loading them back.
 *
 * Layout of a keys directory (the same as vidgear's and pyzmq's
 * `zmq.auth.create_certificates`, which can read and write these files):
 *
 * ```text
 * DIR/
 *   public_keys/            0755
 *     client.key            the NetGear client's public key
 *     server.key            a NetGear server's public key (one per server name)
 *   private_keys/           0700
 *     client.key_secret     0600: the client's public and secret keys
 *     server.key_secret     0600: the server's public and secret keys
 * ```
 *
 * Names follow NetGear's roles, not CURVE's: in multi-server mode the NetGear
 * client binds and is the CURVE *server*; each NetGear server is a CURVE
 * *client* and needs `private_keys/server.key_secret` and
 * `public_keys/client.key`. The client needs `private_keys/client.key_secret`
 * and, for ironhouse, the public key file of every server it admits in its
 * `public_keys/` (any name but `client`). Copy only public key files between
 * machines; a secret key file never leaves the machine that uses it.
 *
 * Each file is a ZeroMQ certificate (the ZPL text format of czmq's `zcert`):
 *
 * ```text
 * #   ZeroMQ CURVE Public Certificate
 * metadata
 * curve
 *     public-key = "<40 Z85 characters>"
 * ```
 *
 * and a secret file adds a `secret-key = "…"` line.
 *
 * @module
 */

import { join } from "node:path";
import { describeError } from "../../actors/describe.ts";
import { CurveKeyError } from "./errors.ts";

/** Folder of public key files inside a keys directory. */
export const PUBLIC_KEYS_DIR = "public_keys";
/** Folder of secret key files inside a keys directory (mode 0700). */
export const PRIVATE_KEYS_DIR = "private_keys";
/** Key name of the NetGear client (the CURVE server in multi-server mode). */
export const CLIENT_KEY_NAME = "client";
/** Default key name of a NetGear server (a CURVE client in multi-server mode). */
export const SERVER_KEY_NAME = "server";

const PUBLIC_SUFFIX = ".key";
const SECRET_SUFFIX = ".key_secret";
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const Z85_ALPHABET =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const Z85_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < Z85_ALPHABET.length; i++) Z85_VALUE[Z85_ALPHABET.charCodeAt(i)] = i;

/** A CURVE key pair, each key 40 Z85 characters. */
export interface KeyPair {
  /** Share this one. */
  readonly publicKey: string;
  /** Never share this one. */
  readonly secretKey: string;
}

/**
 * The keys directory used when none is given: `~/.actorgear/keys`, outside
 * any project so secret keys are not committed by accident (vidgear uses
 * `~/.vidgear/keys`).
 *
 * @returns The path, from `HOME` (or `USERPROFILE` on Windows).
 * @throws {CurveKeyError} `"not-found"` if neither variable is set.
 * @throws {Deno.errors.NotCapable} Without `--allow-env`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultKeysDir } from "./curve_keys.ts";
 * const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
 * assert.equal(defaultKeysDir(), `${home}/.actorgear/keys`); // on Linux and macOS
 * ```
 */
export function defaultKeysDir(): string {
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (home === undefined || home === "") {
    throw new CurveKeyError(
      "not-found",
      "~",
      "Cannot find the default keys directory: neither HOME nor USERPROFILE is set; give keysDir (--keys-dir)",
    );
  }
  return join(home, ".actorgear", "keys");
}

/**
 * Encodes bytes as Z85 (ZeroMQ RFC 32), as CURVE keys are written.
 *
 * @param bytes A length that is a multiple of 4 (a CURVE key is 32 bytes).
 * @returns The Z85 text, 5 characters per 4 bytes.
 * @throws {RangeError} If the length is not a multiple of 4.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeZ85 } from "./curve_keys.ts";
 * const bytes = new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
 * assert.equal(encodeZ85(bytes), "HelloWorld");
 * ```
 */
export function encodeZ85(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) {
    throw new RangeError(
      `Cannot encode Z85: ${bytes.length} bytes is not a multiple of 4`,
    );
  }
  let text = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>>
      0;
    let chunk = "";
    for (let j = 0; j < 5; j++) {
      chunk = Z85_ALPHABET[value % 85] + chunk;
      value = Math.floor(value / 85);
    }
    text += chunk;
  }
  return text;
}

/**
 * Decodes Z85 text (ZeroMQ RFC 32).
 *
 * @param text A length that is a multiple of 5, Z85 characters only.
 * @returns The bytes, 4 per 5 characters.
 * @throws {RangeError} If the length, a character or a 5-character group
 * (worth more than 2^32 - 1) is invalid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeZ85 } from "./curve_keys.ts";
 * assert.deepEqual([...decodeZ85("HelloWorld")], [0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
 * ```
 */
export function decodeZ85(text: string): Uint8Array {
  const problem = z85Problem(text);
  if (problem !== undefined) throw new RangeError(`Cannot decode Z85: ${problem}`);
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) value = value * 85 + Z85_VALUE[text.charCodeAt(i + j)];
    out[o] = value >>> 24;
    out[o + 1] = (value >>> 16) & 0xff;
    out[o + 2] = (value >>> 8) & 0xff;
    out[o + 3] = value & 0xff;
  }
  return out;
}

/**
 * Whether `key` is a well-formed CURVE key: 40 Z85 characters encoding 32 bytes.
 *
 * @param key The value to check.
 * @returns `true` if ZeroMQ would accept it as a Z85 key.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curveKeyPair } from "zeromq";
 * import { isCurveKey } from "./curve_keys.ts";
 * assert.ok(isCurveKey(curveKeyPair().publicKey));
 * assert.ok(!isCurveKey("too short"));
 * ```
 */
export function isCurveKey(key: unknown): boolean {
  return typeof key === "string" && key.length === 40 && z85Problem(key) === undefined;
}

/**
 * The two files of a key name in a keys directory.
 *
 * @param dir The keys directory.
 * @param name A key name such as `"client"` or `"server"`.
 * @returns The public key file and the secret key file.
 * @throws {TypeError} If `name` is not letters, digits, `_` or `-` (1 to 64,
 * starting with a letter or digit).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyFiles } from "./curve_keys.ts";
 * assert.equal(keyFiles("keys", "client").secretKeyFile, "keys/private_keys/client.key_secret");
 * ```
 */
export function keyFiles(
  dir: string,
  name: string,
): { publicKeyFile: string; secretKeyFile: string } {
  checkName(name);
  return {
    publicKeyFile: join(dir, PUBLIC_KEYS_DIR, name + PUBLIC_SUFFIX),
    secretKeyFile: join(dir, PRIVATE_KEYS_DIR, name + SECRET_SUFFIX),
  };
}

/** Options of {@linkcode generateKeys}. */
export interface GenerateKeysOptions {
  /**
   * Names of the server key pairs to make besides the client's; give one per
   * server to authenticate each on its own (ironhouse), or keep one shared.
   *
   * @default {["server"]}
   */
  servers?: readonly string[];
  /**
   * Replace key files that already exist. Without it nothing is written if
   * any of the files is there.
   *
   * @default {false}
   */
  overwrite?: boolean;
  /**
   * Stops between files; files already written stay.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** One key pair written by {@linkcode generateKeys}. */
export interface GeneratedKey {
  /** The key name, such as `"client"`. */
  readonly name: string;
  /** The public key, 40 Z85 characters. */
  readonly publicKey: string;
  /** Where the public key was written. */
  readonly publicKeyFile: string;
  /** Where the public and secret keys were written (mode 0600). */
  readonly secretKeyFile: string;
}

/**
 * Generates the client's key pair and each server's, and writes them as
 * certificate files into `dir` (see the module documentation for the
 * layout). `private_keys/` is made (or tightened to) mode 0700 and each
 * secret file is written with mode 0600.
 *
 * @param dir The keys directory; created if missing.
 * @param options `servers`, `overwrite` and `signal`.
 * @returns What was written, client first.
 * @throws {CurveKeyError} `"exists"` if a key file is already there and
 * `overwrite` is not set (nothing is written then); `"unreadable"` if a
 * directory or file cannot be made.
 * @throws {TypeError} If a server name is invalid, repeated, or `"client"`.
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi` (npm:zeromq makes
 * the keys) or `--allow-write`.
 * @throws The `signal`'s reason if it is aborted.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateKeys, loadKeyPair } from "./curve_keys.ts";
 * const dir = await Deno.makeTempDir();
 * const [client] = await generateKeys(dir);
 * assert.equal((await loadKeyPair(dir, "client")).publicKey, client.publicKey);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function generateKeys(
  dir: string,
  options: GenerateKeysOptions = {},
): Promise<GeneratedKey[]> {
  const { servers = [SERVER_KEY_NAME], overwrite = false, signal } = options;
  signal?.throwIfAborted();
  const names = [CLIENT_KEY_NAME, ...servers];
  for (const name of servers) {
    checkName(name);
    if (name === CLIENT_KEY_NAME) {
      throw new TypeError(
        `Cannot generate keys: server name "${name}" is reserved for the client; choose another, such as "server-1"`,
      );
    }
  }
  if (new Set(names).size !== names.length) {
    throw new TypeError(
      `Cannot generate keys: option "servers" repeats a name (${
        servers.join(", ")
      }); give each server its own name`,
    );
  }
  if (!overwrite) {
    const existing: string[] = [];
    for (const name of names) {
      const files = keyFiles(dir, name);
      for (const file of [files.publicKeyFile, files.secretKeyFile]) {
        if (await exists(file)) existing.push(file);
      }
    }
    if (existing.length > 0) {
      throw new CurveKeyError(
        "exists",
        existing[0],
        `Cannot generate keys in "${dir}": ${existing.join(", ")} already ${
          existing.length === 1 ? "exists" : "exist"
        }; pass overwrite (--overwrite) to replace them, which locks out every peer holding the old public keys`,
      );
    }
  }
  // Loaded here, not at the top: reading keys (and NetGear's option
  // checks) then need neither the native addon nor --allow-ffi.
  const { curveKeyPair } = await import("zeromq");
  const publicDir = join(dir, PUBLIC_KEYS_DIR);
  const privateDir = join(dir, PRIVATE_KEYS_DIR);
  await makeDir(publicDir, 0o755, false);
  await makeDir(privateDir, 0o700, true);
  const written: GeneratedKey[] = [];
  const stamp = new Date().toISOString();
  for (const name of names) {
    signal?.throwIfAborted();
    const pair = curveKeyPair();
    const files = keyFiles(dir, name);
    await writeKeyFile(files.secretKeyFile, secretCertificate(pair, stamp), 0o600, overwrite);
    await writeKeyFile(
      files.publicKeyFile,
      publicCertificate(pair.publicKey, stamp),
      0o644,
      overwrite,
    );
    written.push({ name, publicKey: pair.publicKey, ...files });
  }
  return written;
}

/** Options of the key loading functions. */
export interface LoadKeysOptions {
  /**
   * Stops before reading.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Loads a key pair from `private_keys/<name>.key_secret`.
 *
 * @param dir The keys directory.
 * @param name The key name, such as `"client"` or `"server"`.
 * @param options `signal`.
 * @returns The public and secret keys.
 * @throws {CurveKeyError} `"not-found"` if the directory or file is missing,
 * `"unreadable"` if it cannot be read, `"malformed"` if a key is missing or
 * not 40 Z85 characters, `"insecure"` if others may read it (not mode 0600).
 * @throws {TypeError} If `name` is invalid.
 * @throws The `signal`'s reason if it is aborted.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateKeys, loadKeyPair } from "./curve_keys.ts";
 * const dir = await Deno.makeTempDir();
 * await generateKeys(dir);
 * const server = await loadKeyPair(dir, "server");
 * assert.equal(server.secretKey.length, 40);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadKeyPair(
  dir: string,
  name: string,
  options: LoadKeysOptions = {},
): Promise<KeyPair> {
  options.signal?.throwIfAborted();
  const file = keyFiles(dir, name).secretKeyFile;
  await checkDir(dir);
  const text = await readKeyFile(file);
  const info = await Deno.stat(file);
  if (info.mode !== null && Deno.build.os !== "windows" && (info.mode & 0o077) !== 0) {
    throw new CurveKeyError(
      "insecure",
      file,
      `Cannot load secret key "${file}": its mode is 0${
        (info.mode & 0o777).toString(8)
      }, so other users may read it; run \`chmod 600 ${file}\` (and make new keys if it may have leaked)`,
    );
  }
  const { publicKey, secretKey } = parseCertificate(text, file);
  if (secretKey === undefined) {
    throw new CurveKeyError(
      "malformed",
      file,
      `Cannot load secret key "${file}": it has no secret-key line; is it a public key file?`,
    );
  }
  return { publicKey, secretKey };
}

/**
 * Loads a public key from `public_keys/<name>.key`.
 *
 * @param dir The keys directory.
 * @param name The key name, such as `"client"`.
 * @param options `signal`.
 * @returns The public key, 40 Z85 characters.
 * @throws {CurveKeyError} `"not-found"`, `"unreadable"` or `"malformed"`, as
 * for {@linkcode loadKeyPair}.
 * @throws {TypeError} If `name` is invalid.
 * @throws The `signal`'s reason if it is aborted.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateKeys, loadPublicKey } from "./curve_keys.ts";
 * const dir = await Deno.makeTempDir();
 * const [client] = await generateKeys(dir);
 * assert.equal(await loadPublicKey(dir, "client"), client.publicKey);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadPublicKey(
  dir: string,
  name: string,
  options: LoadKeysOptions = {},
): Promise<string> {
  options.signal?.throwIfAborted();
  const file = keyFiles(dir, name).publicKeyFile;
  await checkDir(dir);
  return parseCertificate(await readKeyFile(file), file).publicKey;
}

/** Options of {@linkcode loadAuthorizedKeys}. */
export interface LoadAuthorizedKeysOptions extends LoadKeysOptions {
  /**
   * Key names in `public_keys/` that are not authorised peers.
   *
   * @default {["client"]} the client's own key
   */
  exclude?: readonly string[];
}

/**
 * Loads the public keys of every authorised server: each `*.key` file in
 * `public_keys/` except the client's own (`client.key`). Other files are
 * ignored. This is the ironhouse allow-list.
 *
 * @param dir The keys directory.
 * @param options `exclude` and `signal`.
 * @returns The authorised public keys, 40 Z85 characters each.
 * @throws {CurveKeyError} `"not-found"` if the directory is missing or holds
 * no authorised key (an ironhouse client would admit nobody); `"unreadable"`
 * or `"malformed"` if any key file is bad (none is skipped silently).
 * @throws The `signal`'s reason if it is aborted.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateKeys, loadAuthorizedKeys } from "./curve_keys.ts";
 * const dir = await Deno.makeTempDir();
 * const [, server] = await generateKeys(dir);
 * assert.deepEqual([...await loadAuthorizedKeys(dir)], [server.publicKey]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadAuthorizedKeys(
  dir: string,
  options: LoadAuthorizedKeysOptions = {},
): Promise<Set<string>> {
  const { exclude = [CLIENT_KEY_NAME], signal } = options;
  signal?.throwIfAborted();
  await checkDir(dir);
  const publicDir = join(dir, PUBLIC_KEYS_DIR);
  await checkDir(publicDir);
  const skipped = new Set(exclude.map((name) => name + PUBLIC_SUFFIX));
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(publicDir)) {
      if (entry.name.endsWith(PUBLIC_SUFFIX) && !skipped.has(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    throw new CurveKeyError(
      "unreadable",
      publicDir,
      `Cannot list public keys in "${publicDir}": ${describeError(error)}`,
      { cause: error },
    );
  }
  const keys = new Set<string>();
  for (const name of names.sort()) {
    const file = join(publicDir, name);
    keys.add(parseCertificate(await readKeyFile(file), file).publicKey);
  }
  if (keys.size === 0) {
    throw new CurveKeyError(
      "not-found",
      publicDir,
      `Cannot load authorised keys: "${publicDir}" has no *.key file besides ${
        [...skipped].join(", ")
      }; copy each server's public key file (such as server.key) there`,
    );
  }
  return keys;
}

/**
 * Reads the keys of a ZeroMQ certificate's text, as pyzmq's
 * `zmq.auth.load_certificate` does: `public-key = "…"` and `secret-key = "…"`
 * lines, `#` comments ignored.
 *
 * @param text The certificate's text.
 * @param source Where it came from, for error messages.
 * @returns The public key and, for a secret certificate, the secret key.
 * @throws {CurveKeyError} `"malformed"` if the public key is missing or a key
 * is not 40 Z85 characters.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCertificate } from "./curve_keys.ts";
 * const key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
 * assert.equal(parseCertificate(`curve\n    public-key = "${key}"\n`, "inline").publicKey, key);
 * ```
 */
export function parseCertificate(
  text: string,
  source: string,
): { publicKey: string; secretKey: string | undefined } {
  let publicKey: string | undefined;
  let secretKey: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("#")) continue;
    const match = /^(public-key|secret-key)\s*=\s*(.*)$/.exec(line);
    if (match === null) continue;
    const value = match[2].replace(/^["' \t]+|["' \t]+$/g, "");
    if (!isCurveKey(value)) {
      throw new CurveKeyError(
        "malformed",
        source,
        `Cannot load key file "${source}": its ${match[1]} is not a CURVE key (${
          value.length === 40 ? `bad Z85: ${z85Problem(value)}` : `${value.length} characters`
        }); expected 40 Z85 characters. Make new keys with \`actorgear keys generate\``,
      );
    }
    if (match[1] === "public-key") publicKey = value;
    else secretKey = value;
  }
  if (publicKey === undefined) {
    throw new CurveKeyError(
      "malformed",
      source,
      `Cannot load key file "${source}": it has no public-key line; expected a ZeroMQ certificate such as \`actorgear keys generate\` writes`,
    );
  }
  return { publicKey, secretKey };
}

function z85Problem(text: string): string | undefined {
  if (text.length % 5 !== 0) return `length ${text.length} is not a multiple of 5`;
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = i; j < i + 5; j++) {
      const code = text.charCodeAt(j);
      const digit = code < 128 ? Z85_VALUE[code] : -1;
      if (digit < 0) return `character ${JSON.stringify(text[j])} at ${j} is not Z85`;
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) return `group "${text.slice(i, i + 5)}" at ${i} exceeds 32 bits`;
  }
  return undefined;
}

function checkName(name: string): void {
  if (typeof name !== "string" || !KEY_NAME.test(name)) {
    throw new TypeError(
      `Cannot use key name ${
        JSON.stringify(name)
      }: expected 1 to 64 letters, digits, "_" or "-", starting with a letter or digit (such as "server-1")`,
    );
  }
}

function publicCertificate(publicKey: string, stamp: string): string {
  return `#   ****  Generated on ${stamp} by ActorGear  ****
#   ZeroMQ CURVE Public Certificate
#   Exchange securely, or use a secure mechanism to verify the contents
#   of this file after exchange.

metadata
curve
    public-key = "${publicKey}"
`;
}

function secretCertificate(pair: KeyPair, stamp: string): string {
  return `#   ****  Generated on ${stamp} by ActorGear  ****
#   ZeroMQ CURVE **Secret** Certificate
#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

metadata
curve
    public-key = "${pair.publicKey}"
    secret-key = "${pair.secretKey}"
`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function makeDir(path: string, mode: number, tighten: boolean): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true, mode });
    // mkdir leaves an existing directory as it was: secrets need it private.
    if (tighten && Deno.build.os !== "windows") await Deno.chmod(path, mode);
  } catch (error) {
    throw new CurveKeyError(
      "unreadable",
      path,
      `Cannot create key directory "${path}": ${describeError(error)}`,
      { cause: error },
    );
  }
}

async function writeKeyFile(
  path: string,
  text: string,
  mode: number,
  overwrite: boolean,
): Promise<void> {
  try {
    if (!overwrite) {
      // createNew: a file that appeared since the check is not clobbered.
      await Deno.writeTextFile(path, text, { createNew: true, mode });
      return;
    }
    // A fresh file then a rename: an existing file's looser mode is not
    // inherited, and readers never see half a key.
    const temporary = `${path}.${crypto.randomUUID()}.tmp`;
    try {
      await Deno.writeTextFile(temporary, text, { createNew: true, mode });
      if (Deno.build.os !== "windows") await Deno.chmod(temporary, mode);
      await Deno.rename(temporary, path);
    } catch (error) {
      await Deno.remove(temporary).catch(() => {});
      throw error;
    }
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new CurveKeyError(
        "exists",
        path,
        `Cannot write key file "${path}": it already exists; pass overwrite (--overwrite) to replace it`,
        { cause: error },
      );
    }
    throw new CurveKeyError(
      "unreadable",
      path,
      `Cannot write key file "${path}": ${describeError(error)}`,
      { cause: error },
    );
  }
}

async function checkDir(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CurveKeyError(
        "not-found",
        dir,
        `Cannot load keys: directory "${dir}" does not exist; create keys with \`actorgear keys generate --dir ${dir}\` or set keysDir`,
        { cause: error },
      );
    }
    throw new CurveKeyError(
      "unreadable",
      dir,
      `Cannot load keys: directory "${dir}" cannot be read: ${describeError(error)}`,
      { cause: error },
    );
  }
  if (!info.isDirectory) {
    throw new CurveKeyError(
      "not-found",
      dir,
      `Cannot load keys: "${dir}" is not a directory`,
    );
  }
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CurveKeyError(
        "not-found",
        file,
        `Cannot load key file "${file}": it does not exist; create it with \`actorgear keys generate\`, or copy the peer's public key file there`,
        { cause: error },
      );
    }
    throw new CurveKeyError(
      "unreadable",
      file,
      `Cannot load key file "${file}": ${describeError(error)}`,
      { cause: error },
    );
  }
}
