import "../_helpers/preload_native.ts";
/**
 * SshTunnel (vidgear's ssh_tunnel_mode) against a real OpenSSH server on
 * 127.0.0.1 (tests/_helpers/sshd.ts): a ZeroMQ REQ/REP round trip carrying
 * vidgear frames through the tunnel, every refusal with its code, lazy
 * forwarding, closing and aborting; and the password path through a
 * stand-in ssh that shows what the real one would be given.
 *
 * Needs Debian's openssh-server and openssh-client (skipped without them,
 * failed under CI=true), and `--allow-run --allow-read --allow-write
 * --allow-env --allow-sys --allow-ffi --allow-net=127.0.0.1`.
 */
import assert from "node:assert/strict";
import { freePorts } from "../_helpers/ports.ts";
import { NO_SSHD, requireSshd, SSHD, type Sshd, startSshd, strangerKey } from "../_helpers/sshd.ts";
import {
  SshTunnel,
  SshTunnelError,
  type SshTunnelErrorCode,
  type SshTunnelOptions,
} from "../../transports/ssh_tunnel.ts";
import { VidgearCodec } from "../../transports/protocol/vidgear_codec.ts";
import { ZmqSocket } from "../../transports/zmq/zmq_socket.ts";

const decoder = new TextDecoder();
/** Fails a wait that should have ended long before. */
const deadline = (): AbortSignal => AbortSignal.timeout(15_000);

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name,
    ignore: NO_SSHD,
    async fn() {
      requireSshd();
      await fn();
    },
  });

/** Options reaching `sshd` with its throwaway key and pinned host key, ignoring ~/.ssh/config. */
function through(sshd: Sshd, remotePort: number, extra: Partial<SshTunnelOptions> = {}) {
  return {
    destination: `${sshd.destination}:${sshd.port}`,
    remotePort,
    keyFile: sshd.identityFile,
    knownHostsFile: sshd.knownHostsFile,
    configFile: "none",
    ...extra,
  };
}

async function refused(
  opening: Promise<SshTunnel>,
  code: SshTunnelErrorCode,
): Promise<SshTunnelError> {
  const error = await opening.then(
    async (tunnel) => {
      await tunnel.close();
      assert.fail(`the tunnel opened; expected ${code}`);
    },
    (error: unknown) => error,
  );
  assert.ok(error instanceof SshTunnelError, `expected an SshTunnelError, got ${error}`);
  assert.equal(error.code, code, `${error.message}\n${error.stderr.join("\n")}`);
  return error;
}

/** Whether a process is there: SIGCONT changes nothing for a running ssh, and fails for none. */
function processExists(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The askpass directories in the temporary directory, to show none is left behind. */
async function askpassDirs(): Promise<string[]> {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const found: string[] = [];
  for await (const entry of Deno.readDir(tmp)) {
    if (entry.name.startsWith("actorgear-ssh-askpass-")) found.push(entry.name);
  }
  return found.sort();
}

/** A TCP server that accepts and then never says a word: an SSH server that hangs. */
function silentServer(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) conns.push(conn);
    } catch {
      // Closed.
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting;
      for (const conn of conns) conn.close();
    },
  };
}

test("SshTunnel: a ZeroMQ REQ/REP round trip of vidgear frames goes through the tunnel", async () => {
  await using sshd = await startSshd();
  await using rep = new ZmqSocket("rep");
  await rep.bind("tcp://127.0.0.1:*");
  const repPort = Number(rep.lastEndpoint!.split(":").at(-1));
  await using tunnel = await SshTunnel.open({ ...through(sshd, repPort), signal: deadline() });
  assert.notEqual(tunnel.localPort, repPort);
  assert.equal(tunnel.endpoint, `tcp://127.0.0.1:${tunnel.localPort}`);
  assert.deepEqual([tunnel.remoteHost, tunnel.remotePort], ["127.0.0.1", repPort]);
  assert.ok(processExists(tunnel.pid));

  const codec = new VidgearCodec();
  await using req = new ZmqSocket("req");
  req.connect(tunnel.endpoint);
  const data = Uint8Array.from({ length: 480 * 640 * 3 }, (_, i) => (i * 7) % 251);
  const frame = { width: 640, height: 480, channels: 3, data };
  for (let index = 0; index < 3; index++) {
    await req.send(codec.encodeFrame({ port: repPort, pattern: 1, frame, message: index }), {
      signal: deadline(),
    });
    const decoded = codec.decodeServerMessage(await rep.receive({ signal: deadline() }));
    assert.ok(decoded.kind === "frame" && decoded.encoding === "raw");
    assert.equal(decoded.message, index);
    assert.deepEqual(decoded.frame.data, data);
    await rep.send(codec.encodeAck("TUNNEL01"), { signal: deadline() });
    const reply = codec.decodeReply(await req.receive({ signal: deadline() }));
    assert.ok(reply.kind === "ack" && reply.deviceId === "TUNNEL01");
  }
  // The bytes crossed sshd: it authenticated the key and opened the forward.
  assert.match(sshd.log(), new RegExp(`Accepted publickey for ${sshd.user} from 127\\.0\\.0\\.1`));
  assert.match(tunnel.log(), /Authenticated to 127\.0\.0\.1/);
});

test("SshTunnel: a key the server does not know is auth-failed, with ssh's words", async () => {
  await using sshd = await startSshd();
  const stranger = await strangerKey(sshd);
  const error = await refused(
    SshTunnel.open(through(sshd, sshd.port, { keyFile: stranger })),
    "auth-failed",
  );
  assert.ok(error.stderr.some((line) => /Permission denied \(publickey\)/.test(line)));
  assert.ok(error.stderr.every((line) => !line.startsWith("debug")), "debug lines left out");
  assert.match(error.message, /refused the login with key .*stranger_ed25519/);
});

test("SshTunnel: an unknown or changed host key is host-key; accept-new trusts a new one", async () => {
  await using sshd = await startSshd();
  const empty = `${sshd.dir}/empty_known_hosts`;
  await Deno.writeTextFile(empty, "");
  const unknown = await refused(
    SshTunnel.open(through(sshd, sshd.port, { knownHostsFile: empty })),
    "host-key",
  );
  assert.ok(unknown.stderr.some((line) => /Host key verification failed/.test(line)));
  assert.match(unknown.message, /ssh-keyscan|knownHostsFile/);

  // This server named with another key (the user's own).
  const otherKey = (await Deno.readTextFile(`${sshd.identityFile}.pub`)).trim().split(/\s+/);
  const wrong = `${sshd.dir}/wrong_known_hosts`;
  await Deno.writeTextFile(wrong, `[127.0.0.1]:${sshd.port} ${otherKey[0]} ${otherKey[1]}\n`);
  await refused(
    SshTunnel.open(
      through(sshd, sshd.port, { knownHostsFile: wrong, strictHostKeyChecking: "accept-new" }),
    ),
    "host-key",
  );

  // Trust on first use: the key is added, and the tunnel opens.
  {
    await using tunnel = await SshTunnel.open(
      through(sshd, sshd.port, { knownHostsFile: empty, strictHostKeyChecking: "accept-new" }),
    );
    assert.ok(tunnel.localPort > 0);
  }
  const pinned = (await Deno.readTextFile(sshd.knownHostsFile)).trim().split(/\s+/).slice(1);
  assert.ok((await Deno.readTextFile(empty)).includes(pinned.join(" ")), "the key was added");
});

test("SshTunnel: with nothing listening remotely it still opens; connections fail until something listens", async () => {
  await using sshd = await startSshd();
  const [remotePort] = freePorts(1);
  await using tunnel = await SshTunnel.open(through(sshd, remotePort));
  for (let i = 0; i < 2; i++) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: tunnel.localPort });
    // ssh accepts locally, sshd cannot connect, ssh closes the connection.
    assert.equal(await conn.read(new Uint8Array(1)), null);
  }
  assert.match(tunnel.log(), /open failed|Connection refused/);
  // Still running: the forward is lazy, and once the port listens it goes through.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: remotePort });
  const served = (async () => {
    using conn = await listener.accept();
    await conn.write(new TextEncoder().encode("hi"));
  })();
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: tunnel.localPort });
  const buffer = new Uint8Array(2);
  let filled = 0;
  for (let reads = 0; filled < 2 && reads < 2; reads++) {
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  assert.equal(decoder.decode(buffer.subarray(0, filled)), "hi");
  await served;
});

test("SshTunnel: close stops ssh, the local port closes, exited says it was closed", async () => {
  await using sshd = await startSshd();
  const tunnel = await SshTunnel.open(through(sshd, sshd.port));
  assert.ok(processExists(tunnel.pid));
  assert.equal(tunnel.closed, false);
  await tunnel.close();
  assert.equal(tunnel.closed, true);
  assert.equal(await tunnel.exited, undefined);
  assert.equal(processExists(tunnel.pid), false, "ssh is gone");
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: tunnel.localPort }),
    Deno.errors.ConnectionRefused,
  );
  await tunnel.close(); // a second close is harmless
});

test("SshTunnel: exited reports an ssh that died by itself", async () => {
  await using sshd = await startSshd();
  await using tunnel = await SshTunnel.open(through(sshd, sshd.port));
  Deno.kill(tunnel.pid, "SIGKILL");
  const error = await tunnel.exited;
  assert.ok(error instanceof SshTunnelError);
  assert.equal(error.code, "exited");
  assert.match(error.message, /signal SIGKILL/);
});

test("SshTunnel: the abort signal stops opening, and once open closes the tunnel", async () => {
  await using sshd = await startSshd();
  const reason = new Error("stop");
  await assert.rejects(
    SshTunnel.open(through(sshd, sshd.port, { signal: AbortSignal.abort(reason) })),
    (error) => error === reason,
  );

  const silent = silentServer();
  try {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(reason), 300);
    await assert.rejects(
      SshTunnel.open({
        ...through(sshd, sshd.port),
        destination: `${sshd.user}@127.0.0.1:${silent.port}`,
        signal: controller.signal,
      }),
      (error) => error === reason,
    );
    assert.ok(performance.now() - started < 5000, "aborted promptly");
  } finally {
    await silent.close();
  }

  const controller = new AbortController();
  const tunnel = await SshTunnel.open(through(sshd, sshd.port, { signal: controller.signal }));
  controller.abort();
  assert.equal(await tunnel.exited, undefined, "closed, not failed");
  assert.equal(tunnel.closed, true);
  await tunnel.close();
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: tunnel.localPort }),
    Deno.errors.ConnectionRefused,
  );
});

test("SshTunnel: a server that never answers is a timeout; none listening is exited", async () => {
  await using sshd = await startSshd();
  const silent = silentServer();
  try {
    const started = performance.now();
    const error = await refused(
      SshTunnel.open({
        ...through(sshd, sshd.port),
        destination: `${sshd.user}@127.0.0.1:${silent.port}`,
        timeoutMs: 500,
      }),
      "timeout",
    );
    assert.match(error.message, /within 500 ms/);
    assert.ok(performance.now() - started < 5000);
  } finally {
    await silent.close();
  }
  const [nobody] = freePorts(1);
  const error = await refused(
    SshTunnel.open({
      ...through(sshd, sshd.port),
      destination: `${sshd.user}@127.0.0.1:${nobody}`,
    }),
    "exited",
  );
  assert.ok(error.stderr.some((line) => /Connection refused/.test(line)), error.stderr.join("\n"));
});

test("SshTunnel: a missing ssh is ssh-not-found; a local port in use is forward-failed", async () => {
  await using sshd = await startSshd();
  const missing = await refused(
    SshTunnel.open(through(sshd, sshd.port, { sshPath: "/nonexistent/bin/ssh" })),
    "ssh-not-found",
  );
  assert.match(missing.message, /openssh-client|sshPath/);
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const error = await refused(
    SshTunnel.open(through(sshd, sshd.port, { localPort: (taken.addr as Deno.NetAddr).port })),
    "forward-failed",
  );
  assert.ok(error.stderr.some((line) => /Address already in use|cannot listen/.test(line)));
});

test("SshTunnel: options that could reach ssh's command line as options are refused", async () => {
  const base = { destination: "user@127.0.0.1", remotePort: 5566, localPort: 40022 };
  for (
    const destination of [
      "-oProxyCommand=touch /tmp/pwned",
      "user@-oProxyCommand=x",
      "-luser@host",
      "us er@host",
      "user@",
      "user@host:0",
      "user@host:70000",
      "user@host:22:23",
      "user@::1",
      "user@host name",
    ]
  ) {
    await assert.rejects(
      SshTunnel.open({ ...base, destination }),
      (error) => error instanceof TypeError || error instanceof RangeError,
      destination,
    );
  }
  await assert.rejects(SshTunnel.open({ ...base, remotePort: 0 }), RangeError);
  await assert.rejects(SshTunnel.open({ ...base, localPort: 65536 }), RangeError);
  await assert.rejects(SshTunnel.open({ ...base, timeoutMs: 0 }), RangeError);
  await assert.rejects(SshTunnel.open({ ...base, password: "a\nb" }), TypeError);
  await assert.rejects(SshTunnel.open({ ...base, password: "" }), TypeError);
  await assert.rejects(SshTunnel.open({ ...base, remoteHost: "-oX" }), TypeError);
  await assert.rejects(
    SshTunnel.open({ ...base, strictHostKeyChecking: "ask" as "accept-new" }),
    TypeError,
  );
  await assert.rejects(SshTunnel.open({ ...base, keyFile: "" }), TypeError);
});

/**
 * A stand-in for ssh: reports what it was given (arguments, askpass
 * environment, the askpass script's modes and its answers to four prompts)
 * to `report`, then announces its forward and session as ssh -v does, and
 * waits.
 */
async function fakeSsh(dir: string, version: string): Promise<{ path: string; report: string }> {
  const path = `${dir}/fake-ssh`;
  const report = `${dir}/report`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh
if [ "$1" = "-V" ]; then echo "${version}, OpenSSL 3.0" >&2; exit 0; fi
{
  printf 'ARGS'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\n'
  printf 'REQUIRE %s\\n' "$SSH_ASKPASS_REQUIRE"
  printf 'MODES %s %s\\n' "$(stat -c %a "$SSH_ASKPASS")" "$(stat -c %a "$(dirname "$SSH_ASKPASS")")"
  out=$("$SSH_ASKPASS" "camera@host's password: "); printf 'PASSWORD %s [%s]\\n' "$?" "$out"
  out=$("$SSH_ASKPASS" "Are you sure you want to continue connecting (yes/no/[fingerprint])? "); printf 'CONFIRM %s [%s]\\n' "$?" "$out"
  out=$("$SSH_ASKPASS" "Enter passphrase for key '/k': "); printf 'PASSPHRASE %s [%s]\\n' "$?" "$out"
  out=$("$SSH_ASKPASS" "New password: "); printf 'NEW %s [%s]\\n' "$?" "$out"
  printf 'ASKPASS %s\\n' "$SSH_ASKPASS"
} > "${report}" 2>&1
while [ $# -gt 0 ]; do if [ "$1" = "-L" ]; then spec=$2; fi; shift; done
echo "debug1: Local forwarding listening on 127.0.0.1 port $(echo "$spec" | cut -d: -f2)." >&2
echo "debug1: Entering interactive session." >&2
exec sleep 60
`,
    { mode: 0o700 },
  );
  return { path, report };
}

test("SshTunnel password: ssh gets it only from its askpass script, for a password prompt only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actorgear-ssh-test-" });
  try {
    const { path, report } = await fakeSsh(dir, "OpenSSH_9.2p1");
    const password = `s3cr3t pa$$ 'single' "double" \\back %s`;
    const before = await askpassDirs();
    const tunnel = await SshTunnel.open({
      destination: "camera@[::1]:2222",
      remotePort: 5566,
      remoteHost: "::1",
      password,
      sshPath: path,
    });
    let lines: string[];
    try {
      lines = (await Deno.readTextFile(report)).trim().split("\n");
    } finally {
      await tunnel.close();
    }
    const line = (key: string) => lines.find((l) => l.startsWith(`${key} `))!.slice(key.length + 1);
    assert.ok(!line("ARGS").includes("s3cr3t"), "never on the command line");
    assert.match(line("ARGS"), /\[-p\] \[2222\] \[--\] \[camera@::1\]$/);
    assert.match(line("ARGS"), /\[-L\] \[127\.0\.0\.1:\d+:\[::1\]:5566\]/);
    assert.match(line("ARGS"), /\[BatchMode=no\].*\[NumberOfPasswordPrompts=1\]/);
    assert.match(line("ARGS"), /\[StrictHostKeyChecking=yes\]/);
    assert.equal(line("REQUIRE"), "force");
    assert.equal(line("MODES"), "700 700");
    assert.equal(line("PASSWORD"), `0 [${password}]`);
    assert.equal(line("CONFIRM"), "1 []", "no answer to a host key question");
    assert.equal(line("PASSPHRASE"), "1 []", "no answer to a key passphrase prompt");
    assert.equal(line("NEW"), "1 []", "no answer to a new password prompt");
    const script = line("ASKPASS");
    assert.ok(!(await Deno.readTextFile(report)).includes(`${script}\n${password}`));
    await assert.rejects(Deno.stat(script), Deno.errors.NotFound, "removed on close");
    assert.deepEqual(await askpassDirs(), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("SshTunnel password: refused (unsupported) with an OpenSSH older than 8.4, leaving nothing behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "actorgear-ssh-test-" });
  try {
    const { path, report } = await fakeSsh(dir, "OpenSSH_8.2p1");
    const before = await askpassDirs();
    const error = await refused(
      SshTunnel.open({
        destination: "camera@host",
        remotePort: 5566,
        password: "pw",
        sshPath: path,
      }),
      "unsupported",
    );
    assert.match(error.message, /OpenSSH 8\.4 or newer.*OpenSSH 8\.2.*keyFile/);
    await assert.rejects(Deno.stat(report), Deno.errors.NotFound, "ssh was never started");
    assert.deepEqual(await askpassDirs(), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("SshTunnel password: a real sshd receives it (a wrong one is auth-failed, never a prompt or a hang)", async () => {
  await using sshd = await startSshd();
  // A second sshd with the same host key that takes passwords only.
  const [port] = freePorts(1);
  const config = `${sshd.dir}/password_config`;
  await Deno.writeTextFile(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${sshd.dir}/host_ed25519`,
      "PidFile none",
      "StrictModes no",
      "UsePAM no",
      "PubkeyAuthentication no",
      "KbdInteractiveAuthentication no",
      "PasswordAuthentication yes",
      "AuthenticationMethods password",
      "PermitRootLogin yes",
      `AllowUsers ${sshd.user}`,
      "AllowTcpForwarding local",
      "PermitTTY no",
      "UseDNS no",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  const knownHosts = `${sshd.dir}/password_known_hosts`;
  await Deno.writeTextFile(
    knownHosts,
    (await Deno.readTextFile(sshd.knownHostsFile)).replace(`]:${sshd.port} `, `]:${port} `),
  );
  const child = new Deno.Command(SSHD, {
    args: ["-D", "-e", "-f", config],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) log.push(chunk);
  })();
  try {
    for (let i = 0; i < 100 && !log.join("").includes("Server listening"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const before = await askpassDirs();
    const started = performance.now();
    const error = await refused(
      SshTunnel.open({
        destination: `${sshd.user}@127.0.0.1:${port}`,
        remotePort: sshd.port,
        password: "not-the-password",
        knownHostsFile: knownHosts,
        configFile: "none",
      }),
      "auth-failed",
    );
    assert.ok(error.stderr.some((line) => /Permission denied \(password\)/.test(line)));
    assert.ok(performance.now() - started < 10_000);
    assert.deepEqual(await askpassDirs(), before, "the askpass script is removed");
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reading;
  }
  assert.match(log.join(""), new RegExp(`Failed password for ${sshd.user} from 127\\.0\\.0\\.1`));
});
