import assert from "node:assert/strict";
import { MALLOC_TUNING_ENV } from "../../../transports/zmq/_malloc_tuning.ts";

const SCRIPT = new URL("../../_helpers/malloc_probe.ts", import.meta.url).pathname;
const linux = Deno.build.os === "linux";

interface Probe {
  tuning?: string;
  mapped?: boolean;
  kept?: boolean;
  error?: string;
}

/** Runs the probe in a fresh process (malloc's settings are per process) with `env` added. */
async function probe(env: Record<string, string>): Promise<Probe> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-ffi", SCRIPT],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

Deno.test({
  name: "the first ZeroMQ socket keeps large blocks in malloc's arenas and their memory once freed",
  ignore: !linux,
  fn: async () => {
    const result = await probe({});
    assert.deepEqual(result, { tuning: "applied", mapped: false, kept: true });
  },
});

Deno.test({
  name: `${MALLOC_TUNING_ENV}=off leaves glibc's defaults: a 20 MiB block is mapped on its own`,
  ignore: !linux,
  fn: async () => {
    const result = await probe({ [MALLOC_TUNING_ENV]: "off" });
    assert.deepEqual(result, { tuning: "off", mapped: true, kept: false });
  },
});

Deno.test({
  name: "malloc settings from the environment are left as the user set them",
  ignore: !linux,
  fn: async () => {
    const result = await probe({ MALLOC_TOP_PAD_: String(1 << 20) });
    assert.equal(result.tuning, "user-set");
    assert.equal(result.mapped, true, "the default 128 KiB mmap threshold still holds");
  },
});

Deno.test({
  name:
    `an invalid ${MALLOC_TUNING_ENV} makes socket creation fail, naming the variable and its valid values`,
  ignore: !linux,
  fn: async () => {
    const result = await probe({ [MALLOC_TUNING_ENV]: "sometimes" });
    assert.match(
      result.error ?? "",
      /^TypeError: .*ACTORGEAR_MALLOC_TUNING is "sometimes".*"on".*"off"/,
    );
  },
});
