import "../_helpers/preload_native.ts";
import assert from "node:assert/strict";
import { CLIENT_FLAGS, clientOptions } from "../../cli/_client.ts";
import { SERVER_FLAGS, serverOptions } from "../../cli/_server.ts";
import { parseFlags } from "../../cli/_flags.ts";
import { UsageError } from "../../cli/errors.ts";
import { resolveOptions } from "../../actors/netgear/_resolve_options.ts";
import { freePorts } from "../_helpers/ports.ts";

import { CLI } from "./_cli.ts";
const decoder = new TextDecoder();

function server(args: string[]): ReturnType<typeof serverOptions> {
  return serverOptions(parseFlags(args, SERVER_FLAGS));
}

function client(args: string[]): ReturnType<typeof clientOptions> {
  return clientOptions(parseFlags(args, CLIENT_FLAGS));
}

/** The `UsageError` `run` throws; fails when it throws nothing or something else. */
function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error;
  }
  assert.fail("no UsageError");
}

Deno.test("CLI server --wire, --protocol and --ssh-tunnel-* become NetGear's options", () => {
  const options = server([
    "--port",
    "5566",
    "--wire",
    "vidgear",
    "--ssh-tunnel-mode",
    "pi@203.0.113.7:2222",
    "--ssh-tunnel-keyfile",
    "/home/me/.ssh/id_ed25519",
    "--ssh-tunnel-known-hosts",
    "/home/me/known_hosts",
    "--ssh-tunnel-strict-host-key",
    "accept-new",
    "--ssh-tunnel-pwd",
    "hunter2",
  ]);
  assert.equal(options.wire, "vidgear");
  assert.equal(options.protocol, undefined);
  assert.equal(options.sshTunnelMode, "pi@203.0.113.7:2222");
  assert.equal(options.sshTunnelKeyfile, "/home/me/.ssh/id_ed25519");
  assert.equal(options.sshTunnelKnownHosts, "/home/me/known_hosts");
  assert.equal(options.sshTunnelStrictHostKey, "accept-new");
  assert.equal(options.sshTunnelPwd, "hunter2");
  // And NetGear takes them as they are.
  const resolved = resolveOptions(options);
  assert.equal(resolved.wire, "vidgear");
  assert.equal(resolved.address, "127.0.0.1");
  assert.deepEqual(resolved.sshTunnel, {
    destination: "pi@203.0.113.7:2222",
    password: "hunter2",
    keyFile: "/home/me/.ssh/id_ed25519",
    knownHostsFile: "/home/me/known_hosts",
    strictHostKeyChecking: "accept-new",
  });
});

Deno.test("CLI --ssh-tunnel-strict-host-key yes, no and accept-new are true, false and accept-new", () => {
  const strict = (value: string) =>
    server(["--ssh-tunnel-mode", "pi@host", "--ssh-tunnel-strict-host-key", value])
      .sshTunnelStrictHostKey;
  assert.equal(strict("yes"), true);
  assert.equal(strict("no"), false);
  assert.equal(strict("accept-new"), "accept-new");
});

Deno.test("CLI client --wire and --protocol become options; --address follows the protocol", () => {
  const options = client([
    "--ports",
    "5566,5567",
    "--wire",
    "vidgear",
    "--protocol",
    "ipc",
    "--address",
    "/run/cams",
  ]);
  assert.equal(options.wire, "vidgear");
  assert.equal(options.protocol, "ipc");
  assert.equal(options.address, "/run/cams");
  assert.deepEqual(resolveOptions(options).ports, [5566, 5567]);
  // No --address: NetGear's default for the protocol, not a TCP host as a path.
  assert.equal(resolveOptions(client(["--protocol", "ipc"])).address, "actorgear");
  assert.equal(resolveOptions(client(["--protocol", "tcp"])).address, "127.0.0.1");
});

Deno.test("CLI without the interop flags sets none of those options: NetGear's defaults apply", () => {
  const names = [
    "wire",
    "protocol",
    "sshTunnelMode",
    "sshTunnelPwd",
    "sshTunnelKeyfile",
    "sshTunnelKnownHosts",
    "sshTunnelStrictHostKey",
  ];
  for (const options of [server([]), client([])]) {
    for (const name of names) assert.ok(!(name in options), `${name} is set`);
    const resolved = resolveOptions(options);
    assert.ok(resolved.wire === "cbor" && resolved.protocol === "tcp");
    assert.equal(resolved.sshTunnel, undefined);
  }
});

Deno.test("CLI refuses a bad --wire, --protocol or --ssh-tunnel-* value, naming flag, value and choices", () => {
  assert.match(
    usageError(() => server(["--wire", "json"])).message,
    /^Cannot use --wire "json": expected cbor \(ActorGear's own\) or vidgear \(vidgear 0\.3\.5's NetGear format/,
  );
  assert.match(
    usageError(() => client(["--wire", "actorgear"])).message,
    /^Cannot use --wire "actorgear": expected cbor .* or vidgear /,
  );
  assert.match(
    usageError(() => client(["--protocol", "udp"])).message,
    /^Cannot use --protocol "udp": expected tcp or ipc \(Unix domain sockets, one machine\)$/,
  );
  assert.match(
    usageError(() => server(["--ssh-tunnel-strict-host-key", "true"])).message,
    /^Cannot use --ssh-tunnel-strict-host-key "true": expected yes .*, no .* or accept-new /,
  );
  assert.match(
    usageError(() => server(["--ssh-tunnel-keyfile", " "])).message,
    /^Cannot use --ssh-tunnel-keyfile " ": expected a non-empty value$/,
  );
  const password = usageError(() => server(["--ssh-tunnel-pwd", " "])).message;
  assert.match(password, /^Cannot use --ssh-tunnel-pwd \(hidden\)/);
});

Deno.test("CLI client has no --ssh-tunnel-* flags: servers open tunnels", () => {
  assert.match(
    usageError(() => client(["--ssh-tunnel-mode", "pi@host"])).message,
    /Unknown option '--ssh-tunnel-mode'/,
  );
});

Deno.test("CLI names the flag when NetGear refuses a combination, and never shows a password", async () => {
  const run = async (args: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", "--allow-ffi", CLI, ...args],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    return { code: output.code, stderr: decoder.decode(output.stderr) };
  };
  const ipc = await run(["server", "--protocol", "ipc", "--ssh-tunnel-mode", "pi@host"]);
  assert.equal(ipc.code, 2, ipc.stderr);
  assert.match(
    ipc.stderr,
    /option "sshTunnelMode" is "pi@host"; expected unset with protocol "ipc": SSH forwards TCP ports \(flag --ssh-tunnel-mode\)/,
  );
  const plain = await run(["client", "--no-multiserver", "--wire", "vidgear"]);
  assert.equal(plain.code, 2, plain.stderr);
  assert.match(plain.stderr, /option "wire" is "vidgear"; expected "cbor" outside multi-server/);
  assert.match(plain.stderr, /\(flag --wire\)\n$/);
  const password = await run(["server", "--ssh-tunnel-pwd", "hunter2"]);
  assert.equal(password.code, 2, password.stderr);
  assert.match(password.stderr, /"sshTunnelPwd" is "\(hidden\)"; expected unset unless/);
  assert.match(password.stderr, /\(flag --ssh-tunnel-pwd\)/);
  assert.ok(!password.stderr.includes("hunter2"), password.stderr);
});

Deno.test("CLI client and server stream with --wire vidgear over --protocol ipc", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actorgear-cli-ipc-" });
  const [port] = freePorts(1);
  const common = ["--wire", "vidgear", "--protocol", "ipc", "--address", `${dir}/cams`];
  const spawn = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-ffi",
        // The client removes its socket file when it closes.
        `--allow-write=${dir}`,
        CLI,
        ...args,
        ...common,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).spawn();
  try {
    // The server connects and ZeroMQ retries until the client binds: no
    // order to keep. It says goodbye after its frames; the client then
    // sees every server gone and ends.
    const clientProcess = spawn([
      "client",
      "--ports",
      String(port),
      "--print",
      "--stats-interval",
      "0",
    ]);
    const serverProcess = spawn([
      "server",
      "--port",
      String(port),
      "--frames",
      "5",
      "--fps",
      "20",
      "--width",
      "32",
      "--height",
      "24",
      "--message",
      "frame {n}",
    ]);
    const [serverOut, clientOut] = await Promise.all([
      serverProcess.output(),
      clientProcess.output(),
    ]);
    const clientText = decoder.decode(clientOut.stdout);
    assert.equal(serverOut.code, 0, decoder.decode(serverOut.stderr));
    assert.equal(clientOut.code, 0, decoder.decode(clientOut.stderr) + clientText);
    assert.match(decoder.decode(serverOut.stdout), /sent 5 frames/);
    for (let n = 0; n < 5; n++) assert.ok(clientText.includes(`port ${port}: "frame ${n}"`));
    assert.match(clientText, /gone \(terminated\)/);
    assert.match(clientText, new RegExp(`client shut down \\(all-gone\\): 5 frames .*${port}: 5`));
    // The socket file was in the directory given, and went with the client.
    const left = await Array.fromAsync(Deno.readDir(dir));
    assert.deepEqual(left.map((entry) => entry.name), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
