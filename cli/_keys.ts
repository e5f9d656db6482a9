/**
 * `actorgear keys generate`: makes the CURVE key pairs NetGear's secure mode
 * (`secureMode` 1 = stonehouse, 2 = ironhouse) loads from its keys directory.
 *
 * @module
 */

import {
  CLIENT_KEY_NAME,
  defaultKeysDir,
  type GeneratedKey,
  generateKeys,
  SERVER_KEY_NAME,
} from "../transports/security/curve_keys.ts";
import { parseFlags } from "./_flags.ts";
import { UsageError } from "./errors.ts";

/** `--help` text. */
export const KEYS_HELP = `actorgear keys: CURVE keys for secure mode (--secure-mode 1 or 2)

Usage:
  actorgear keys generate [--dir DIR] [--server NAME]... [--overwrite]

Flags:
  --dir DIR        keys directory                  (default ~/.actorgear/keys)
  --server NAME    a server key pair to make; repeat for one per server
                                                    (default: one shared "server")
  --overwrite      replace existing keys (peers holding the old public keys
                   are locked out until they get the new ones)
  --help           this text

Writes DIR/public_keys/NAME.key and DIR/private_keys/NAME.key_secret (mode
0600, directory 0700) for "client" and each server, in ZeroMQ's certificate
format (pyzmq's zmq.auth reads them). Then:
  client machine:  private_keys/client.key_secret, and for ironhouse the
                   public_keys/*.key of every server it admits
  server machine:  private_keys/server.key_secret and public_keys/client.key
Copy public key files only; a secret key never leaves its machine.
`;

/**
 * Runs `actorgear keys …`.
 *
 * @param args The command line after `keys`.
 * @returns Resolves once the keys are written (or the help printed).
 * @throws {UsageError} For an unknown subcommand, flag or server name.
 * @throws {CurveKeyError} If keys already exist without `--overwrite`
 * (`code` `"exists"`) or a file cannot be written.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keysMain } from "./_keys.ts";
 * const dir = await Deno.makeTempDir();
 * await keysMain(["generate", "--dir", dir]);
 * assert.ok((await Deno.stat(`${dir}/public_keys/client.key`)).isFile);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function keysMain(args: readonly string[]): Promise<void> {
  const [command, ...rest] = args;
  if (command === "--help" || command === "-h" || command === "help") {
    console.log(KEYS_HELP);
    return;
  }
  if (command !== "generate") {
    throw new UsageError(
      `Cannot run "keys ${command ?? ""}": ${
        command === undefined ? "missing subcommand" : "unknown subcommand"
      }; expected "keys generate" (see keys --help)`,
    );
  }
  const values = parseFlags(rest, {
    dir: { type: "string" },
    server: { type: "string", multiple: true },
    overwrite: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  });
  if (values.help) {
    console.log(KEYS_HELP);
    return;
  }
  const dir = (values.dir as string | undefined) ?? defaultKeysDir();
  if (dir.trim() === "") throw new UsageError('Cannot use --dir "": expected a directory path');
  const servers = (values.server as unknown as string[] | undefined) ?? [SERVER_KEY_NAME];
  let written: GeneratedKey[];
  try {
    written = await generateKeys(dir, { servers, overwrite: values.overwrite === true });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(`${error.message} (--server)`);
    throw error;
  }
  console.log(`CURVE keys written to ${dir}:`);
  for (const key of written) {
    console.log(`  ${key.name.padEnd(12)} public ${key.publicKey}`);
    console.log(`  ${"".padEnd(12)} ${key.publicKeyFile}`);
    console.log(`  ${"".padEnd(12)} ${key.secretKeyFile} (secret)`);
  }
  const server = written.find((key) => key.name !== CLIENT_KEY_NAME)!;
  console.log(`
Next: give each server machine ${server.name}.key_secret (private_keys/) and
${CLIENT_KEY_NAME}.key (public_keys/); run the client with --secure-mode 1 or 2
and the servers with the same mode, each with --keys-dir pointing at its copy.`);
}
