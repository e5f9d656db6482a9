/** What the CLI tests share: where cli.ts is, the permissions it needs, and a bounded run of it. */

/** Path of cli.ts. */
export const CLI: string = new URL("../../cli/cli.ts", import.meta.url).pathname;
/** The permissions a server or client command needs (ZeroMQ's native sockets). */
export const PERMISSIONS: readonly string[] = ["--allow-read", "--allow-env", "--allow-ffi"];

/** Starts `cli.ts` with `args` and PERMISSIONS, output piped, killed after 60 s at the latest. */
export function cli(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
}
