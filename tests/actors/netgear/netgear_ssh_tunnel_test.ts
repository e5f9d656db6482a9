import "../../_helpers/preload_native.ts";
/**
 * NetGear's SSH tunnel mode (vidgear's `ssh_tunnel_mode`) against a real
 * OpenSSH server on 127.0.0.1 with throwaway keys (tests/_helpers/sshd.ts):
 * a server streams to a client through `ssh -N -L`, both patterns, and its
 * goodbye arrives before the tunnel closes; a refused key is an OpenError
 * naming NetGear's option; ssh dying under a pending send is a SendError
 * naming ssh, and the next send opens a new tunnel.
 *
 * Needs Debian's openssh-server and openssh-client (skipped without them,
 * failed under CI=true).
 */
import assert from "node:assert/strict";
import { NetGear, OpenError, SendError } from "../../../actors/netgear/mod.ts";
import { SshTunnelError } from "../../../transports/ssh_tunnel.ts";
import { testFrame } from "../../_helpers/frames.ts";
import { freePorts } from "../../_helpers/ports.ts";
import { NO_SSHD, requireSshd, type Sshd, startSshd, strangerKey } from "../../_helpers/sshd.ts";

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name,
    ignore: NO_SSHD,
    async fn() {
      requireSshd();
      await fn();
    },
  });

/** The server's options that lead through `sshd` with its key and pinned host key. */
function through(sshd: Sshd) {
  return {
    sshTunnelMode: `${sshd.destination}:${sshd.port}`,
    sshTunnelKeyfile: sshd.identityFile,
    sshTunnelKnownHosts: sshd.knownHostsFile,
  };
}

/** The pids of ssh clients running to `sshd` (ours: this test started them). */
async function sshClients(sshd: Sshd): Promise<number[]> {
  const out = await new Deno.Command("pgrep", {
    args: ["-f", `ssh -v -N .*-p ${sshd.port} -- `],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "").map(Number);
}

for (const pattern of [1, 2] as const) {
  test(`NetGear through an SSH tunnel, pattern ${pattern}: frames, messages and the goodbye arrive; ssh stops after`, async () => {
    await using sshd = await startSshd();
    const [port] = freePorts(1);
    await using client = await NetGear.open({
      receiveMode: true,
      multiserverMode: true,
      port: [port],
      pattern,
    });
    const server = await NetGear.open({
      multiserverMode: true,
      port,
      pattern,
      address: "127.0.0.1", // the client, as the SSH server sees it
      ...through(sshd),
    });
    assert.equal((await sshClients(sshd)).length, 1, "one ssh -N -L beside the server");
    const sending = (async () => {
      for (let n = 0; n < 5; n++) await server.send(testFrame(port, n), { message: n });
      await server.close();
    })();
    const got: number[] = [];
    for await (const { message, frame } of client) {
      got.push(message as number);
      assert.deepEqual(frame?.data, testFrame(port, message as number).data);
    }
    await sending;
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    assert.equal(client.shutdownReason, "all-gone", "the goodbye came through the tunnel");
    assert.deepEqual(await sshClients(sshd), [], "ssh is stopped once the server closed");
  });
}

test("NetGear SSH tunnel: a key the SSH server refuses is an OpenError naming sshTunnelKeyfile", async () => {
  await using sshd = await startSshd();
  const stranger = await strangerKey(sshd);
  const [port] = freePorts(1);
  const error = await NetGear.open({
    multiserverMode: true,
    port,
    ...through(sshd),
    sshTunnelKeyfile: stranger,
  }).then(
    async (server) => {
      await server.close();
      assert.fail("opened with a refused key");
    },
    (error: unknown) => error,
  );
  assert.ok(error instanceof OpenError, String(error));
  assert.ok(error.cause instanceof SshTunnelError);
  assert.equal(error.cause.code, "auth-failed");
  assert.match(error.message, /refused the login with key .*stranger_ed25519/);
  assert.match(error.message, /option "sshTunnelKeyfile"/);
  assert.doesNotMatch(error.message, /option "keyFile"/);
  assert.deepEqual(await sshClients(sshd), [], "nothing is left running");
});

test("NetGear SSH tunnel: with sshTunnelPwd the password goes to ssh (this sshd takes keys only: refused)", async () => {
  await using sshd = await startSshd();
  const [port] = freePorts(1);
  const error = await NetGear.open({
    multiserverMode: true,
    port,
    sshTunnelMode: `${sshd.destination}:${sshd.port}`,
    sshTunnelKnownHosts: sshd.knownHostsFile,
    sshTunnelPwd: "not-a-password",
  }).then(
    async (server) => {
      await server.close();
      assert.fail("opened without a valid login");
    },
    (error: unknown) => error,
  );
  assert.ok(error instanceof OpenError, String(error));
  assert.ok(error.cause instanceof SshTunnelError);
  assert.equal(error.cause.code, "auth-failed");
  assert.doesNotMatch(error.message, /not-a-password/, "the password is never in a message");
});

test("NetGear SSH tunnel: ssh dying under a pending send is a SendError naming ssh; the next send opens a new tunnel", async () => {
  await using sshd = await startSshd();
  const [port] = freePorts(1);
  await using client = await NetGear.open({
    receiveMode: true,
    multiserverMode: true,
    port: [port],
    pattern: 1,
  });
  await using server = await NetGear.open({
    multiserverMode: true,
    port,
    pattern: 1,
    requestTimeout: 3000,
    ...through(sshd),
  });
  const first = server.send(testFrame(port, 0), { message: 0 });
  assert.equal((await client.recv())?.message, 0);
  await first;
  // The client does not take the next frame yet, so its send stays pending.
  const pending = server.send(testFrame(port, 1), { message: 1 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const [pid] = await sshClients(sshd);
  assert.ok(pid !== undefined, "the tunnel's ssh runs");
  Deno.kill(pid, "SIGKILL");
  const started = performance.now();
  const error = await pending.then(() => assert.fail("sent through a dead tunnel"), (e) => e);
  assert.ok(error instanceof SendError, String(error));
  assert.equal(error.code, "ssh-tunnel");
  assert.match(error.message, /SSH tunnel through .* is down \(.*ssh exited/);
  assert.ok(performance.now() - started < 2000, "the link's loss is told at once, not on timeout");

  // The next send opens a new tunnel and a fresh socket through it.
  // (The frame sent when ssh died may have reached the client before it did.)
  const taking = (async () => {
    const signal = AbortSignal.timeout(15_000);
    const messages: unknown[] = [];
    while (messages.at(-1) !== 2) messages.push((await client.recv({ signal }))?.message);
    return messages;
  })();
  await server.send(testFrame(port, 2), { message: 2 });
  const messages = await taking;
  assert.deepEqual(messages.filter((m) => m !== 1), [2]);
  const pids = await sshClients(sshd);
  assert.equal(pids.length, 1);
  assert.notEqual(pids[0], pid, "a new ssh");
});
