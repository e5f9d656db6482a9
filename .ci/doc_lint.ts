/**
 * `deno doc --lint` on every public entry point: each path in deno.json's
 * `exports`, so that a new entry point is checked without editing this file.
 * Part of `deno task check`; exits with deno doc's status.
 *
 * Run: deno run --allow-read --allow-run .ci/doc_lint.ts
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)) as {
  exports: Record<string, string>;
};
const entries = [...new Set(Object.values(config.exports))];
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--lint", ...entries],
  cwd: ROOT,
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (code === 0) console.log(`doc_lint: ${entries.length} entry points clean: ${entries.join(" ")}`);
Deno.exit(code);
